// LineReader: reads a text file line by line, transparently decompressing `.zst` files
// (streaming; memory stays bounded). Counts lines so errors can name them. Not thread-safe.
#ifndef KGF_BASE_LINE_READER_H_
#define KGF_BASE_LINE_READER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"

namespace kgf {

class LineReader {
 public:
  static constexpr size_t kDefaultMaxLine = 1 << 20;  // 1 MiB

  // Opens `path`; `.zst` suffix means zstd-compressed. Lines longer than max_line_bytes are
  // an InvalidArgument error naming the file and line.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                  size_t max_line_bytes = kDefaultMaxLine);
  ~LineReader();

  // Reads the next line (without '\n' and a trailing '\r') into *line.
  // Returns true with OK status on a line, false at end of file; check status() after false.
  bool Next(std::string* line);
  const Status& status() const { return status_; }
  int64_t line_number() const { return line_number_; }  // 1-based number of the last line
  const std::string& path() const { return path_; }
  // "path:line" for error messages.
  std::string Where() const;

 private:
  LineReader() = default;
  bool Fill();  // refills buf_; false at EOF or error

  std::string path_;
  std::FILE* file_ = nullptr;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  size_t max_line_ = kDefaultMaxLine;
  int64_t line_number_ = 0;
  Status status_;
};

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace kgf

#endif  // KGF_BASE_LINE_READER_H_
