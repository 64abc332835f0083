// Files: whole-file reads, atomic writes (temp file + fsync + rename), directories.
// A writer that is destroyed without Commit() removes its temp file: no partial output.
#ifndef KGF_BASE_FILE_UTIL_H_
#define KGF_BASE_FILE_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kgf {

Result<std::string> ReadFileToString(const std::string& path);
// Writes `data` to `path` atomically (temp + fsync + rename + fsync of the directory).
Status WriteFileAtomic(const std::string& path, std::string_view data);
bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);
Result<uint64_t> FileSize(const std::string& path);
// mkdir -p. Error names the path that could not be created.
Status CreateDirectories(const std::string& path);
Status RemoveFile(const std::string& path);  // OK if it did not exist
Status RemoveTree(const std::string& path);  // rm -r; OK if it did not exist
// Files directly inside `dir` (names only), sorted.
Result<std::vector<std::string>> ListDirectory(const std::string& dir);
// Removes what killed runs left in `dir`: entries named "<name>.tmp.<pid>" (AtomicFile's temp
// files) or "<name>.tmp-<pid>" (temporary folders) whose process is gone on this host, and
// whose name starts with `prefix` (give the output they were for: an empty prefix would also
// match a user's "backup.tmp-20240101"). A missing `dir` is fine. Returns how many it removed.
Result<int> RemoveStaleTempFiles(const std::string& dir, std::string_view prefix = "");
// A directory written under a temporary name beside its final one, then renamed into place:
// all or nothing. `out` normalised ("dir/" -> "dir"), `tmp` = out + ".tmp-<pid>" (so
// RemoveStaleTempFiles clears it after a crash).
struct StagedDirectory {
  std::string out, tmp;
};
StagedDirectory StageDirectory(const std::string& out);
// When `written` is OK, replaces `d.out` (nothing, or an empty directory the caller checked) by
// `d.tmp`; otherwise, or when the move fails, removes `d.tmp`. Returns `written` or the move's
// IoError naming both paths.
Status PublishDirectory(Status written, const StagedDirectory& d);
std::string JoinPath(std::string_view a, std::string_view b);
std::string Basename(std::string_view path);
std::string Dirname(std::string_view path);
bool EndsWith(std::string_view s, std::string_view suffix);
bool StartsWith(std::string_view s, std::string_view prefix);

// Streams bytes to `<path>.tmp.<pid>`; Commit() fsyncs and renames onto `path`.
// Not thread-safe.
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();  // Abort()s if not committed
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  Status Open(const std::string& path);
  Status Write(std::string_view data);
  Status Commit();
  void Abort();  // removes the temp file
  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return bytes_; }

 private:
  std::string path_, tmp_path_;
  std::FILE* file_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace kgf

#endif  // KGF_BASE_FILE_UTIL_H_
