// TempDir: a fresh directory under $TMPDIR for one test, removed (recursively) on destruction.
#ifndef KGF_TESTS_TESTING_TEMP_DIR_H_
#define KGF_TESTS_TESTING_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace kgf::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name
  std::string File(std::string_view name) const;
  // Writes `contents` to path()/name and returns the full path.
  std::string Write(std::string_view name, std::string_view contents) const;

 private:
  std::string path_;
};

// Names of the regular files below `dir`, recursively, relative and sorted.
std::string ListFilesRecursive(const std::string& dir);

}  // namespace kgf::testing

#endif  // KGF_TESTS_TESTING_TEMP_DIR_H_
