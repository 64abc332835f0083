#include "base/file_util.h"

#include <csignal>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kgf {
namespace fs = std::filesystem;

namespace {
std::string ErrnoText() { return std::strerror(errno); }

Status FsyncDirectoryOf(const std::string& path) {
  std::string dir = Dirname(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::Ok();  // best effort: some filesystems refuse
  ::fsync(fd);
  ::close(fd);
  return Status::Ok();
}
}  // namespace

Result<std::string> ReadFileToString(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return errno == ENOENT ? NotFoundError(path + ": no such file")
                           : IoError(path + ": cannot open: " + ErrnoText());
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return IoError(path + ": read failed");
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  AtomicFileWriter writer;
  KGF_RETURN_IF_ERROR(writer.Open(path));
  KGF_RETURN_IF_ERROR(writer.Write(data));
  return writer.Commit();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return NotFoundError(path + ": " + ErrnoText());
  return static_cast<uint64_t>(st.st_size);
}

Status CreateDirectories(const std::string& path) {
  if (path.empty()) return Status::Ok();
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !IsDirectory(path)) {
    return IoError(path + ": cannot create directory: " + (ec ? ec.message() : "not a directory"));
  }
  return Status::Ok();
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return IoError(path + ": cannot remove: " + ErrnoText());
  }
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return IoError(path + ": cannot remove: " + ec.message());
  return Status::Ok();
}

Result<std::vector<std::string>> ListDirectory(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) return IoError(dir + ": cannot list directory: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Result<int> RemoveStaleTempFiles(const std::string& dir, std::string_view prefix) {
  if (!IsDirectory(dir)) return 0;
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  int removed = 0;
  for (const std::string& name : names) {
    if (!StartsWith(name, prefix)) continue;
    size_t at = name.rfind(".tmp.");
    size_t digits = at == std::string::npos ? 0 : at + 5;
    if (at == std::string::npos) {
      at = name.rfind(".tmp-");
      digits = at == std::string::npos ? 0 : at + 5;
    }
    if (at == std::string::npos || digits >= name.size() ||
        name.find_first_not_of("0123456789", digits) != std::string::npos ||
        name.size() - digits > 9) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(name.substr(digits)));
    // This process's own temp files may be in use (a library caller writing two outputs).
    const bool alive = pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM;
    if (alive) continue;
    std::error_code ec;
    fs::remove_all(JoinPath(dir, name), ec);
    if (ec) return IoError(JoinPath(dir, name) + ": cannot remove a killed run's leftover: " +
                           ec.message());
    ++removed;
  }
  return removed;
}

StagedDirectory StageDirectory(const std::string& out) {
  fs::path path = fs::path(out).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "dir/" -> "dir"
  StagedDirectory d;
  d.out = path.string();
  d.tmp = d.out + ".tmp-" + std::to_string(::getpid());
  return d;
}

Status PublishDirectory(Status written, const StagedDirectory& d) {
  Status st = std::move(written);
  if (st.ok() && fs::exists(d.out)) st = RemoveTree(d.out);
  if (st.ok()) {
    std::error_code ec;
    fs::rename(d.tmp, d.out, ec);
    if (ec) st = IoError(d.tmp + " -> " + d.out + ": rename failed: " + ec.message());
  }
  if (!st.ok()) RemoveTree(d.tmp).IgnoreError();
  return st;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

std::string Basename(std::string_view path) {
  size_t pos = path.rfind('/');
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

std::string Dirname(std::string_view path) {
  size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

AtomicFileWriter::~AtomicFileWriter() { Abort(); }

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept { *this = std::move(other); }

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    Abort();
    path_ = std::move(other.path_);
    tmp_path_ = std::move(other.tmp_path_);
    file_ = other.file_;
    bytes_ = other.bytes_;
    other.file_ = nullptr;
    other.tmp_path_.clear();
  }
  return *this;
}

Status AtomicFileWriter::Open(const std::string& path) {
  Abort();
  path_ = path;
  tmp_path_ = path + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (file_ == nullptr) {
    Status s = IoError(path + ": cannot write (" + ErrnoText() +
                       "); check that the directory exists and is writable");
    tmp_path_.clear();
    return s;
  }
  bytes_ = 0;
  return Status::Ok();
}

Status AtomicFileWriter::Write(std::string_view data) {
  KGF_CHECK(file_ != nullptr) << "Write() before Open()";
  if (data.empty()) return Status::Ok();
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    return IoError(path_ + ": write failed: " + ErrnoText());
  }
  bytes_ += data.size();
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  KGF_CHECK(file_ != nullptr) << "Commit() before Open()";
  bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    Status s = IoError(path_ + ": flush failed: " + ErrnoText());
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
    return s;
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    Status s = IoError(path_ + ": rename failed: " + ErrnoText());
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
    return s;
  }
  tmp_path_.clear();
  return FsyncDirectoryOf(path_);
}

void AtomicFileWriter::Abort() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  if (!tmp_path_.empty()) {
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
  }
}

}  // namespace kgf
