#include "base/line_writer.h"

#include <zstd.h>

namespace kgf {

struct LineWriter::Zstd {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  std::string out;
  ~Zstd() { ZSTD_freeCCtx(ctx); }
};

Result<std::unique_ptr<LineWriter>> LineWriter::Open(const std::string& path, int zstd_level) {
  std::unique_ptr<LineWriter> w(new LineWriter());
  KGF_RETURN_IF_ERROR(w->file_.Open(path));
  if (EndsWith(path, ".zst")) {
    w->zstd_ = std::make_unique<Zstd>();
    ZSTD_CCtx_setParameter(w->zstd_->ctx, ZSTD_c_compressionLevel, zstd_level);
    ZSTD_CCtx_setParameter(w->zstd_->ctx, ZSTD_c_checksumFlag, 1);
    w->zstd_->out.resize(ZSTD_CStreamOutSize());
  }
  return w;
}

LineWriter::~LineWriter() {
  if (!closed_) file_.Abort();
}

Status LineWriter::WriteLine(std::string_view line) {
  KGF_DCHECK(line.find('\n') == std::string_view::npos);
  pending_.append(line);
  pending_.push_back('\n');
  ++lines_;
  raw_bytes_ += line.size() + 1;
  if (pending_.size() >= (1 << 18)) return Flush(false);
  return Status::Ok();
}

Status LineWriter::Write(std::string_view data) {
  pending_.append(data);
  raw_bytes_ += data.size();
  if (pending_.size() >= (1 << 18)) return Flush(false);
  return Status::Ok();
}

Status LineWriter::Flush(bool end) {
  if (!zstd_) {
    Status s = file_.Write(pending_);
    pending_.clear();
    return s;
  }
  ZSTD_inBuffer input{pending_.data(), pending_.size(), 0};
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  while (true) {
    ZSTD_outBuffer output{zstd_->out.data(), zstd_->out.size(), 0};
    const size_t remaining = ZSTD_compressStream2(zstd_->ctx, &output, &input, mode);
    if (ZSTD_isError(remaining)) {
      return InternalError(path() + ": zstd: " + ZSTD_getErrorName(remaining));
    }
    KGF_RETURN_IF_ERROR(file_.Write(std::string_view(zstd_->out.data(), output.pos)));
    const bool done = end ? remaining == 0 : input.pos == input.size;
    if (done) break;
  }
  pending_.clear();
  return Status::Ok();
}

Status LineWriter::Close() {
  KGF_CHECK(!closed_) << "Close() twice";
  Status s = Flush(true);
  closed_ = true;
  if (!s.ok()) {
    file_.Abort();
    return s;
  }
  return file_.Commit();
}

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  KGF_CHECK(!ZSTD_isError(n)) << ZSTD_getErrorName(n);
  out.resize(n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data, std::string_view what) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{data.data(), data.size(), 0};
  size_t ret = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{chunk.data(), chunk.size(), 0};
    ret = ZSTD_decompressStream(ctx, &output, &input);
    if (ZSTD_isError(ret)) {
      ZSTD_freeDCtx(ctx);
      return DataLossError(std::string(what) + ": corrupt zstd data: " + ZSTD_getErrorName(ret));
    }
    out.append(chunk.data(), output.pos);
  }
  ZSTD_freeDCtx(ctx);
  if (ret != 0) return DataLossError(std::string(what) + ": truncated zstd stream");
  return out;
}

}  // namespace kgf
