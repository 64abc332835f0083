// Training batches from a built corpus folder (corpus/corpus_reader.h) or a raw token file.
// Every sequence holds T + 1 tokens: inputs are tokens[0, T), targets tokens[1, T + 1), and
// the loss mask of position t is the mask of its target token t + 1 (pre-training: all ones;
// SFT: the corpus mask, so only assistant spans and tool calls are trained).
// Position: the k-th sequence drawn overall is a pure function of (data, options, k), so a
// checkpoint stores only k (TrainerState::data_position) and a resumed run sees the same data.
#ifndef KGF_TRAINER_TRAIN_DATA_LOADER_H_
#define KGF_TRAINER_TRAIN_DATA_LOADER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "corpus/tokenizer.h"
#include "trainer/model/model.h"

namespace kgf::corpus {
class Corpus;
class SequencePacker;
}  // namespace kgf::corpus

namespace kgf::trainer {

struct DataLoaderOptions {
  // A corpus folder (with manifest.json), or a file of raw little-endian int32 tokens (one
  // stream, cut into overlapping windows of T + 1 with stride T; every token is trained).
  std::string data;
  std::string dataset = "pretrain";  // corpus folders: "pretrain" (all tokens) or "sft" (mask 1)
  int seq_len = 256;                 // T
  uint64_t seed = 1;                 // document packing and per-epoch sequence order
  int32_t pad_id = corpus::SpecialId(corpus::Special::kPad);  // SFT packing pad
  // Batches carry each token's document start (Batch::doc_start), so attention stays within
  // the documents packed into a sequence. Corpus folders only (a token file is one stream).
  bool document_attention = false;
};

// Move-only. Thread-safe: every method is const (the per-epoch order cache is locked).
class DataLoader {
 public:
  // Errors: NotFound (no such path / dataset, listing what the corpus has), DataLoss (corpus
  // checks, a token file whose size is not a multiple of 4 or with a negative id),
  // InvalidArgument (seq_len <= 0, data too small for one sequence).
  static Result<DataLoader> Open(const DataLoaderOptions& options);
  DataLoader(DataLoader&&) noexcept;
  DataLoader& operator=(DataLoader&&) noexcept;
  ~DataLoader();

  const DataLoaderOptions& options() const { return options_; }
  // Sequences per epoch.
  int64_t num_sequences() const;
  // The corpus tokenizer's vocabulary (manifest), 0 for a token file.
  int64_t corpus_vocab_size() const { return corpus_vocab_size_; }
  // Largest token id in the data (scans every token once; cached).
  int32_t MaxTokenId() const;

  // Sequence id of draw `position` (0, 1, 2, ...): epoch e = position / num_sequences() walks a
  // permutation of the sequences seeded by (seed, e).
  int64_t SequenceAt(int64_t position) const;
  // A (B = sequences.size(), T) batch of the given sequence ids. REQUIRES: ids in range.
  Batch MakeBatch(std::span<const int64_t> sequences) const;

 private:
  DataLoader() = default;
  void Window(int64_t sequence, std::vector<int32_t>* tokens, std::vector<uint8_t>* mask,
              std::vector<int32_t>* document_starts) const;

  DataLoaderOptions options_;
  bool sft_ = false;
  int64_t corpus_vocab_size_ = 0;
  std::unique_ptr<corpus::Corpus> corpus_;
  std::unique_ptr<corpus::SequencePacker> packer_;
  std::vector<int32_t> stream_;  // token-file input
  int64_t num_sequences_ = 0;

  mutable std::unique_ptr<std::mutex> mu_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> order_;  // permutation of the cached epoch
  mutable int32_t max_token_id_ = -1;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_DATA_LOADER_H_
