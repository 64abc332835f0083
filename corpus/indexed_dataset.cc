// Megatron MMIDIDX v1 writer and memory-mapped reader. The byte layout follows Megatron-LM's
// _IndexWriter / _IndexReader (megatron/core/datasets/indexed_dataset.py) exactly.
#include "corpus/indexed_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace kgf::corpus {
namespace {

static_assert(std::endian::native == std::endian::little, "MMIDIDX is little-endian");

template <typename T>
void PutLe(std::string* out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Writes values as little-endian T to out (values.size() * sizeof(T) bytes). Returns the
// position of the first value outside [lo, hi], or -1 when all fit.
template <typename T>
int64_t EncodeLe(std::span<const int32_t> values, int64_t lo, int64_t hi, char* out) {
  for (size_t k = 0; k < values.size(); ++k) {
    const int64_t v = values[k];
    if (v < lo || v > hi) return static_cast<int64_t>(k);
    const T t = static_cast<T>(v);
    std::memcpy(out + k * sizeof(T), &t, sizeof(T));
  }
  return -1;
}

template <typename T>
T GetLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool IsIntegerDType(DType d) {
  return d == DType::kUint8 || d == DType::kInt8 || d == DType::kInt16 || d == DType::kInt32 ||
         d == DType::kInt64 || d == DType::kUint16;
}

void RangeOf(DType d, int64_t* lo, int64_t* hi) {
  switch (d) {
    case DType::kUint8: *lo = 0; *hi = 255; return;
    case DType::kInt8: *lo = -128; *hi = 127; return;
    case DType::kInt16: *lo = -32768; *hi = 32767; return;
    case DType::kUint16: *lo = 0; *hi = 65535; return;
    default:
      *lo = std::numeric_limits<int32_t>::min();
      *hi = std::numeric_limits<int32_t>::max();
  }
}

// Maps a whole file read-only. An empty file maps to (nullptr, 0).
Status MapFile(const std::string& path, const char** data, size_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError(path + ": no such file (was the shard built?)");
    return IoError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return IoError(path + ": cannot stat: " + std::strerror(e));
  }
  *size = static_cast<size_t>(st.st_size);
  *data = nullptr;
  if (*size > 0) {
    void* p = ::mmap(nullptr, *size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return IoError(path + ": cannot mmap: " + std::strerror(e));
    }
    *data = static_cast<const char*>(p);
  }
  ::close(fd);
  return Status::Ok();
}

}  // namespace

int DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kUint8: case DType::kInt8: return 1;
    case DType::kInt16: case DType::kUint16: return 2;
    case DType::kInt32: case DType::kFloat32: return 4;
    case DType::kInt64: case DType::kFloat64: return 8;
  }
  return 0;
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kFloat64: return "float64";
    case DType::kFloat32: return "float32";
    case DType::kUint16: return "uint16";
  }
  return "unknown";
}

DType TokenDTypeForVocab(int64_t vocab_size) {
  return vocab_size < 65500 ? DType::kUint16 : DType::kInt32;
}

std::string BinPath(std::string_view prefix) { return std::string(prefix) + ".bin"; }
std::string IdxPath(std::string_view prefix) { return std::string(prefix) + ".idx"; }

std::string EncodeIdx(DType dtype, std::span<const int32_t> lengths) {
  const int64_t s = static_cast<int64_t>(lengths.size());
  std::string out;
  out.reserve(kIdxHeaderBytes + 4 * s + 8 * s + 8 * (s + 1));
  out.append(kIdxMagic, sizeof(kIdxMagic));
  PutLe<uint64_t>(&out, kIdxVersion);
  PutLe<uint8_t>(&out, static_cast<uint8_t>(dtype));
  PutLe<uint64_t>(&out, static_cast<uint64_t>(s));
  PutLe<uint64_t>(&out, static_cast<uint64_t>(s + 1));  // one document per sequence
  for (int32_t len : lengths) PutLe<int32_t>(&out, len);
  int64_t pointer = 0;
  for (int32_t len : lengths) {
    PutLe<int64_t>(&out, pointer);
    pointer += static_cast<int64_t>(len) * DTypeSize(dtype);
  }
  for (int64_t d = 0; d <= s; ++d) PutLe<int64_t>(&out, d);
  return out;
}

// ----------------------------------------------------------------------------- writer

Result<std::unique_ptr<IndexedDatasetWriter>> IndexedDatasetWriter::Open(
    const std::string& prefix, IndexedDatasetWriterOptions options) {
  if (!IsIntegerDType(options.dtype)) {
    return InvalidArgumentError(prefix + ": dtype " + std::string(DTypeName(options.dtype)) +
                                " is not an integer type; token and mask shards need one");
  }
  std::unique_ptr<IndexedDatasetWriter> w(new IndexedDatasetWriter());
  w->prefix_ = prefix;
  w->options_ = options;
  KGF_RETURN_IF_ERROR(w->bin_.Open(BinPath(prefix)));
  return w;
}

Status IndexedDatasetWriter::AddDocument(std::span<const int32_t> values) {
  KGF_CHECK(!finished_) << "AddDocument after Finish";
  const int64_t index = num_sequences();
  if (options_.max_sequence_length > 0 &&
      static_cast<int64_t>(values.size()) > options_.max_sequence_length) {
    return InvalidArgumentError(prefix_ + ": document " + std::to_string(index) + " has " +
                                std::to_string(values.size()) + " tokens, more than the limit " +
                                std::to_string(options_.max_sequence_length) +
                                "; raise the limit or truncate/split documents first");
  }
  if (values.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgumentError(prefix_ + ": document " + std::to_string(index) +
                                " is longer than int32 lengths allow");
  }
  int64_t lo, hi;
  RangeOf(options_.dtype, &lo, &hi);
  const size_t size = static_cast<size_t>(DTypeSize(options_.dtype));
  buffer_.resize(values.size() * size);
  // One type switch per document, not per value: the shard writer is the build's serial tail.
  int64_t bad = -1;
  switch (options_.dtype) {
    case DType::kUint8: bad = EncodeLe<uint8_t>(values, lo, hi, buffer_.data()); break;
    case DType::kInt8: bad = EncodeLe<int8_t>(values, lo, hi, buffer_.data()); break;
    case DType::kInt16: bad = EncodeLe<int16_t>(values, lo, hi, buffer_.data()); break;
    case DType::kUint16: bad = EncodeLe<uint16_t>(values, lo, hi, buffer_.data()); break;
    case DType::kInt32: bad = EncodeLe<int32_t>(values, lo, hi, buffer_.data()); break;
    case DType::kInt64: bad = EncodeLe<int64_t>(values, lo, hi, buffer_.data()); break;
    default: KGF_CHECK(false) << "non-integer dtype";
  }
  if (bad >= 0) {
    return InvalidArgumentError(prefix_ + ": document " + std::to_string(index) + " position " +
                                std::to_string(bad) + ": value " + std::to_string(values[bad]) +
                                " does not fit " + std::string(DTypeName(options_.dtype)) +
                                " (vocabulary too large for this dtype?)");
  }
  pointers_.push_back(static_cast<int64_t>(bin_.bytes_written()));
  KGF_RETURN_IF_ERROR(bin_.Write(buffer_));
  lengths_.push_back(static_cast<int32_t>(values.size()));
  num_elements_ += static_cast<int64_t>(values.size());
  return Status::Ok();
}

Status IndexedDatasetWriter::Finish() {
  KGF_CHECK(!finished_) << "Finish called twice";
  AtomicFileWriter idx;
  KGF_RETURN_IF_ERROR(idx.Open(IdxPath(prefix_)));
  KGF_RETURN_IF_ERROR(idx.Write(EncodeIdx(options_.dtype, lengths_)));
  KGF_RETURN_IF_ERROR(bin_.Commit());
  Status s = idx.Commit();
  if (!s.ok()) {
    RemoveFile(BinPath(prefix_)).IgnoreError();
    return s;
  }
  finished_ = true;
  return Status::Ok();
}

// ----------------------------------------------------------------------------- reader

IndexedDataset::IndexedDataset(IndexedDataset&& o) noexcept { *this = std::move(o); }

IndexedDataset& IndexedDataset::operator=(IndexedDataset&& o) noexcept {
  if (this != &o) {
    Release();
    prefix_ = std::move(o.prefix_);
    dtype_ = o.dtype_;
    idx_ = std::exchange(o.idx_, nullptr);
    idx_size_ = std::exchange(o.idx_size_, 0);
    bin_ = std::exchange(o.bin_, nullptr);
    bin_size_ = std::exchange(o.bin_size_, 0);
    num_sequences_ = o.num_sequences_;
    num_doc_index_ = o.num_doc_index_;
    num_elements_ = o.num_elements_;
    lengths_ = o.lengths_;
    pointers_ = o.pointers_;
    doc_index_ = o.doc_index_;
  }
  return *this;
}

IndexedDataset::~IndexedDataset() { Release(); }

void IndexedDataset::Release() {
  if (idx_ != nullptr) ::munmap(const_cast<char*>(idx_), idx_size_);
  if (bin_ != nullptr) ::munmap(const_cast<char*>(bin_), bin_size_);
  idx_ = bin_ = nullptr;
  idx_size_ = bin_size_ = 0;
}

Result<IndexedDataset> IndexedDataset::Open(const std::string& prefix) {
  IndexedDataset ds;
  ds.prefix_ = prefix;
  const std::string idx_path = IdxPath(prefix), bin_path = BinPath(prefix);
  KGF_RETURN_IF_ERROR(MapFile(idx_path, &ds.idx_, &ds.idx_size_));
  KGF_RETURN_IF_ERROR(MapFile(bin_path, &ds.bin_, &ds.bin_size_));
  if (ds.idx_size_ < sizeof(kIdxMagic) ||
      std::memcmp(ds.idx_, kIdxMagic, sizeof(kIdxMagic)) != 0) {
    return FailedPreconditionError(idx_path +
                                   ": wrong magic (expected \"MMIDIDX\\0\\0\"): not a Megatron "
                                   "indexed dataset index");
  }
  if (ds.idx_size_ < kIdxHeaderBytes) {
    return DataLossError(idx_path + ": truncated header (" + std::to_string(ds.idx_size_) +
                         " bytes, need " + std::to_string(kIdxHeaderBytes) + "); rebuild the shard");
  }
  const uint64_t version = GetLe<uint64_t>(ds.idx_ + 9);
  if (version != kIdxVersion) {
    return FailedPreconditionError(idx_path + ": version " + std::to_string(version) +
                                   ", only MMIDIDX version 1 is supported");
  }
  ds.dtype_ = static_cast<DType>(GetLe<uint8_t>(ds.idx_ + 17));
  const int elem = DTypeSize(ds.dtype_);
  if (elem == 0) {
    return DataLossError(idx_path + ": unknown dtype code " +
                         std::to_string(static_cast<int>(ds.dtype_)) + " (valid: 1..8)");
  }
  const uint64_t s = GetLe<uint64_t>(ds.idx_ + 18);
  const uint64_t d1 = GetLe<uint64_t>(ds.idx_ + 26);
  if (d1 < 1 || s > (ds.idx_size_ / 12) || d1 > ds.idx_size_ / 8 + 1) {
    return DataLossError(idx_path + ": sequence count " + std::to_string(s) +
                         " / document count " + std::to_string(d1) +
                         " do not fit the file; the index is truncated or corrupt");
  }
  const uint64_t expected = kIdxHeaderBytes + 12 * s + 8 * d1;
  if (ds.idx_size_ != expected) {
    return DataLossError(idx_path + ": size " + std::to_string(ds.idx_size_) + " bytes, expected " +
                         std::to_string(expected) + " for " + std::to_string(s) +
                         " sequences and " + std::to_string(d1 - 1) +
                         " documents; the index is truncated or corrupt, rebuild the shard");
  }
  ds.num_sequences_ = static_cast<int64_t>(s);
  ds.num_doc_index_ = static_cast<int64_t>(d1);
  ds.lengths_ = ds.idx_ + kIdxHeaderBytes;
  ds.pointers_ = ds.lengths_ + 4 * s;
  ds.doc_index_ = ds.pointers_ + 8 * s;
  int64_t expected_pointer = 0;
  for (uint64_t i = 0; i < s; ++i) {
    const int32_t len = GetLe<int32_t>(ds.lengths_ + 4 * i);
    const int64_t ptr = GetLe<int64_t>(ds.pointers_ + 8 * i);
    if (len < 0) {
      return DataLossError(idx_path + ": sequence " + std::to_string(i) + " has negative length");
    }
    if (ptr != expected_pointer) {
      return DataLossError(idx_path + ": sequence " + std::to_string(i) + " pointer " +
                           std::to_string(ptr) + ", expected " + std::to_string(expected_pointer) +
                           " (sequences must tile the .bin)");
    }
    expected_pointer += static_cast<int64_t>(len) * elem;
    ds.num_elements_ += len;
  }
  if (static_cast<uint64_t>(expected_pointer) != ds.bin_size_) {
    return DataLossError(bin_path + ": size " + std::to_string(ds.bin_size_) +
                         " bytes but the index describes " + std::to_string(expected_pointer) +
                         " bytes; the .bin is truncated or does not belong to this .idx");
  }
  int64_t prev = -1;
  for (uint64_t d = 0; d < d1; ++d) {
    const int64_t v = GetLe<int64_t>(ds.doc_index_ + 8 * d);
    const bool bad = (d == 0 && v != 0) || (d + 1 == d1 && v != static_cast<int64_t>(s)) ||
                     v < prev || v > static_cast<int64_t>(s);
    if (bad) {
      return DataLossError(idx_path + ": document index entry " + std::to_string(d) + " = " +
                           std::to_string(v) +
                           " (must rise from 0 to the sequence count " + std::to_string(s) + ")");
    }
    prev = v;
  }
  return ds;
}

int32_t IndexedDataset::length(int64_t i) const {
  KGF_CHECK(i >= 0 && i < num_sequences_) << "sequence " << i << " out of range";
  return GetLe<int32_t>(lengths_ + 4 * i);
}

int64_t IndexedDataset::document_start(int64_t d) const {
  KGF_CHECK(d >= 0 && d < num_doc_index_) << "document " << d << " out of range";
  return GetLe<int64_t>(doc_index_ + 8 * d);
}

std::string_view IndexedDataset::SequenceBytes(int64_t i) const {
  const int64_t ptr = GetLe<int64_t>(pointers_ + 8 * i);
  return std::string_view(bin_ + ptr, static_cast<size_t>(length(i)) * DTypeSize(dtype_));
}

void IndexedDataset::AppendSequence(int64_t i, std::vector<int32_t>* out) const {
  std::string_view bytes = SequenceBytes(i);
  const int32_t n = length(i);
  const char* p = bytes.data();
  out->reserve(out->size() + n);
  switch (dtype_) {
    case DType::kUint8: for (int32_t k = 0; k < n; ++k) out->push_back(GetLe<uint8_t>(p + k)); break;
    case DType::kInt8: for (int32_t k = 0; k < n; ++k) out->push_back(GetLe<int8_t>(p + k)); break;
    case DType::kInt16: for (int32_t k = 0; k < n; ++k) out->push_back(GetLe<int16_t>(p + 2 * k)); break;
    case DType::kUint16: for (int32_t k = 0; k < n; ++k) out->push_back(GetLe<uint16_t>(p + 2 * k)); break;
    case DType::kInt32: for (int32_t k = 0; k < n; ++k) out->push_back(GetLe<int32_t>(p + 4 * k)); break;
    default: KGF_CHECK(false) << prefix_ << ": AppendSequence needs an integer dtype of <= 32 bits";
  }
}

std::vector<int32_t> IndexedDataset::Sequence(int64_t i) const {
  std::vector<int32_t> out;
  AppendSequence(i, &out);
  return out;
}

}  // namespace kgf::corpus
