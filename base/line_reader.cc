#include "base/line_reader.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "base/file_util.h"

namespace kgf {

struct LineReader::Zstd {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::string in;
  ZSTD_inBuffer input{nullptr, 0, 0};
  size_t last_ret = 0;
  ~Zstd() { ZSTD_freeDCtx(ctx); }
};

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                     size_t max_line_bytes) {
  if (IsDirectory(path)) {
    return InvalidArgumentError(path + ": is a directory, not a file; give the files inside it");
  }
  std::unique_ptr<LineReader> r(new LineReader());
  r->path_ = path;
  r->max_line_ = max_line_bytes;
  r->file_ = std::fopen(path.c_str(), "rb");
  if (r->file_ == nullptr) {
    return errno == ENOENT ? NotFoundError(path + ": no such file")
                           : IoError(path + ": cannot open: " + std::strerror(errno));
  }
  if (EndsWith(path, ".zst")) {
    // An empty file is no zstd stream (a compressor killed before its first frame).
    Result<uint64_t> size = FileSize(path);
    if (size.ok() && *size == 0) {
      return DataLossError(path + ": empty file, not a zstd stream (truncated or never written)");
    }
    r->zstd_ = std::make_unique<Zstd>();
  }
  return r;
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string LineReader::Where() const { return path_ + ":" + std::to_string(line_number_); }

bool LineReader::Fill() {
  if (eof_) return false;
  // Compact consumed bytes.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  constexpr size_t kChunk = 1 << 16;
  if (!zstd_) {
    const size_t old = buf_.size();
    buf_.resize(old + kChunk);
    const size_t n = std::fread(buf_.data() + old, 1, kChunk, file_);
    buf_.resize(old + n);
    if (n == 0) {
      if (std::ferror(file_)) status_ = IoError(path_ + ": read failed");
      eof_ = true;
      return false;
    }
    return true;
  }
  // zstd: decompress until some output is produced or input ends.
  Zstd& z = *zstd_;
  while (true) {
    if (z.input.pos == z.input.size) {
      z.in.resize(ZSTD_DStreamInSize());
      const size_t n = std::fread(z.in.data(), 1, z.in.size(), file_);
      if (n == 0) {
        eof_ = true;
        if (std::ferror(file_)) status_ = IoError(path_ + ": read failed");
        else if (z.last_ret != 0)
          status_ = DataLossError(path_ + ": truncated zstd stream (file cut short?)");
        return false;
      }
      z.input = ZSTD_inBuffer{z.in.data(), n, 0};
    }
    const size_t old = buf_.size();
    const size_t out_cap = ZSTD_DStreamOutSize();
    buf_.resize(old + out_cap);
    ZSTD_outBuffer output{buf_.data() + old, out_cap, 0};
    const size_t ret = ZSTD_decompressStream(z.ctx, &output, &z.input);
    buf_.resize(old + output.pos);
    if (ZSTD_isError(ret)) {
      status_ = DataLossError(path_ + ": corrupt zstd data: " + ZSTD_getErrorName(ret));
      eof_ = true;
      return false;
    }
    z.last_ret = ret;
    if (output.pos > 0) return true;
  }
}

bool LineReader::Next(std::string* line) {
  if (!status_.ok()) return false;
  size_t scan_from = pos_;
  while (true) {
    const size_t nl = buf_.find('\n', scan_from);
    if (nl != std::string::npos) {
      ++line_number_;
      if (nl - pos_ > max_line_) {
        status_ = InvalidArgumentError(Where() + ": line longer than " +
                                       std::to_string(max_line_) + " bytes");
        return false;
      }
      line->assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    if (buf_.size() - pos_ > max_line_) {
      ++line_number_;
      status_ = InvalidArgumentError(Where() + ": line longer than " + std::to_string(max_line_) +
                                     " bytes");
      return false;
    }
    const size_t consumed_offset = buf_.size() - pos_;
    if (!Fill()) {
      if (!status_.ok()) return false;
      if (pos_ < buf_.size()) {  // last line without '\n'
        ++line_number_;
        line->assign(buf_, pos_, std::string::npos);
        pos_ = buf_.size();
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      return false;
    }
    scan_from = pos_ + consumed_offset;
  }
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) { ++p; continue; }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; if (c < 0xC2) return false; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; if (c > 0xF4) return false; }
    else return false;
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    p += n + 1;
  }
  return true;
}

}  // namespace kgf
