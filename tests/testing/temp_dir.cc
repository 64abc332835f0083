#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/check.h"

namespace kgf::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp ? tmp : "/tmp") + "/kgf_test_XXXXXX";
  char* made = ::mkdtemp(templ.data());
  KGF_CHECK(made != nullptr) << "mkdtemp failed for " << templ;
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::File(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string TempDir::Write(std::string_view name, std::string_view contents) const {
  std::string p = File(name);
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  KGF_CHECK(out.good()) << "cannot write " << p;
  return p;
}

std::string ListFilesRecursive(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_regular_file()) names.insert(fs::relative(it->path(), dir).string());
  }
  std::string out;
  for (const auto& n : names) out += n + "\n";
  return out;
}

}  // namespace kgf::testing
