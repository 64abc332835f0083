// LineWriter: writes lines to a file atomically (temp + rename on Close), compressing with
// zstd when the path ends in `.zst`. The compressed bytes depend only on the input and the
// level, so the same lines give byte-identical files. Destroyed without Close(): nothing is left.
#ifndef KGF_BASE_LINE_WRITER_H_
#define KGF_BASE_LINE_WRITER_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/file_util.h"
#include "base/status.h"

namespace kgf {

class LineWriter {
 public:
  static constexpr int kDefaultZstdLevel = 3;

  static Result<std::unique_ptr<LineWriter>> Open(const std::string& path,
                                                  int zstd_level = kDefaultZstdLevel);
  ~LineWriter();

  // Appends `line` and a '\n'. REQUIRES: line has no '\n'.
  Status WriteLine(std::string_view line);
  // Appends raw bytes.
  Status Write(std::string_view data);
  // Flushes, fsyncs and renames the file into place.
  Status Close();
  uint64_t lines() const { return lines_; }
  uint64_t uncompressed_bytes() const { return raw_bytes_; }
  const std::string& path() const { return file_.path(); }

 private:
  LineWriter() = default;
  Status Flush(bool end);

  AtomicFileWriter file_;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
  std::string pending_;
  uint64_t lines_ = 0;
  uint64_t raw_bytes_ = 0;
  bool closed_ = false;
};

// Compresses / decompresses a whole buffer with zstd.
std::string ZstdCompress(std::string_view data, int level = LineWriter::kDefaultZstdLevel);
Result<std::string> ZstdDecompress(std::string_view data, std::string_view what);

}  // namespace kgf

#endif  // KGF_BASE_LINE_WRITER_H_
