// Megatron-LM indexed datasets (MMIDIDX version 1, SPEC §3): a writer that produces the .bin /
// .idx pair byte-exactly and atomically, and a memory-mapped reader with full index validation.
// Layout (little-endian): .bin = elements back to back; .idx = "MMIDIDX\0\0", uint64 version 1,
// uint8 dtype code, uint64 S, uint64 D+1, int32[S] lengths, int64[S] byte pointers,
// int64[D+1] document index. Source: Megatron-LM megatron/core/datasets/indexed_dataset.py.
#ifndef KGF_CORPUS_INDEXED_DATASET_H_
#define KGF_CORPUS_INDEXED_DATASET_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/status.h"

namespace kgf::corpus {

// Megatron dtype codes.
enum class DType : uint8_t {
  kUint8 = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat64 = 6,
  kFloat32 = 7,
  kUint16 = 8,
};

// Bytes per element; 0 for an unknown code.
int DTypeSize(DType dtype);
std::string_view DTypeName(DType dtype);
// SPEC §3: uint16 when the vocabulary has fewer than 65,500 entries, else int32.
DType TokenDTypeForVocab(int64_t vocab_size);

inline constexpr char kIdxMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr uint64_t kIdxVersion = 1;
inline constexpr size_t kIdxHeaderBytes = 9 + 8 + 1 + 8 + 8;

std::string BinPath(std::string_view prefix);  // prefix + ".bin"
std::string IdxPath(std::string_view prefix);  // prefix + ".idx"

struct IndexedDatasetWriterOptions {
  DType dtype = DType::kUint16;  // integer types only (uint8, int8, int16, int32, int64, uint16)
  // A sequence longer than this is an InvalidArgument error (0: no limit).
  int64_t max_sequence_length = 0;
};

// Writes one dataset with one document per sequence (Megatron's add_item + end_document).
// Nothing appears at the paths until Finish() succeeds; a writer destroyed before that leaves
// no file behind. Not thread-safe.
class IndexedDatasetWriter {
 public:
  static Result<std::unique_ptr<IndexedDatasetWriter>> Open(const std::string& prefix,
                                                           IndexedDatasetWriterOptions options);
  // Appends one sequence as its own document. Errors: a value out of the dtype's range, or a
  // sequence longer than max_sequence_length (InvalidArgument naming the dataset and sequence).
  Status AddDocument(std::span<const int32_t> values);
  // Writes the .idx and moves both files into place.
  Status Finish();

  int64_t num_sequences() const { return static_cast<int64_t>(lengths_.size()); }
  int64_t num_elements() const { return num_elements_; }
  // Bytes the .bin would have / has.
  uint64_t bin_bytes() const { return bin_.bytes_written(); }
  const std::string& prefix() const { return prefix_; }

 private:
  IndexedDatasetWriter() = default;
  std::string prefix_;
  IndexedDatasetWriterOptions options_;
  AtomicFileWriter bin_;
  std::vector<int32_t> lengths_;
  std::vector<int64_t> pointers_;
  int64_t num_elements_ = 0;
  std::string buffer_;
  bool finished_ = false;
};

// Serialises a complete .idx for the given lengths (one document per sequence).
std::string EncodeIdx(DType dtype, std::span<const int32_t> lengths);

// A read-only, memory-mapped view of one dataset. Open() validates the whole index: magic,
// version, dtype, the exact .idx size, monotone document index from 0 to S, pointers that
// tile the .bin exactly. Thread-safe after Open (all methods are const). Move-only.
class IndexedDataset {
 public:
  // Errors: NotFound (missing file), DataLoss (truncated or inconsistent, naming the file and
  // the field), FailedPrecondition (wrong magic or version, naming what was found).
  static Result<IndexedDataset> Open(const std::string& prefix);
  IndexedDataset(IndexedDataset&& other) noexcept;
  IndexedDataset& operator=(IndexedDataset&& other) noexcept;
  ~IndexedDataset();

  DType dtype() const { return dtype_; }
  int64_t num_sequences() const { return num_sequences_; }
  int64_t num_documents() const { return num_doc_index_ - 1; }
  int64_t num_elements() const { return num_elements_; }
  const std::string& prefix() const { return prefix_; }
  // REQUIRES: 0 <= i < num_sequences().
  int32_t length(int64_t i) const;
  // Document index entry d (0 <= d <= num_documents()): first sequence of document d.
  int64_t document_start(int64_t d) const;
  // Appends sequence i's elements, widened to int32, to *out. REQUIRES: integer dtype of at
  // most 32 bits (all the token and mask types kgforge writes).
  void AppendSequence(int64_t i, std::vector<int32_t>* out) const;
  std::vector<int32_t> Sequence(int64_t i) const;
  // Raw bytes of sequence i inside the mapped .bin.
  std::string_view SequenceBytes(int64_t i) const;

 private:
  IndexedDataset() = default;
  void Release();
  std::string prefix_;
  DType dtype_ = DType::kUint16;
  const char* idx_ = nullptr;
  size_t idx_size_ = 0;
  const char* bin_ = nullptr;
  size_t bin_size_ = 0;
  int64_t num_sequences_ = 0;
  int64_t num_doc_index_ = 0;
  int64_t num_elements_ = 0;
  const char* lengths_ = nullptr;   // int32[S], possibly unaligned
  const char* pointers_ = nullptr;  // int64[S]
  const char* doc_index_ = nullptr; // int64[D+1]
};

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_INDEXED_DATASET_H_
