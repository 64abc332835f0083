// Reader API for the trainer: opens a built corpus folder (corpus_builder.h), checks it
// against its manifest, and gives memory-mapped random access to documents (tokens + loss
// mask) and fixed-length packed training sequences.
//
//   KGF_ASSIGN_OR_RETURN(auto corpus, Corpus::Open(dir, {.expected_tokenizer_checksum = ck}));
//   const CorpusDataset* sft = corpus.dataset("sft");           // nullptr when absent
//   Document doc; sft->Get(17, &doc);                            // tokens + mask of document 17
//   KGF_ASSIGN_OR_RETURN(auto packer, SequencePacker::Create(*sft, {.sequence_length = 4096}));
//   PackedSequence seq; packer.Get(k, &seq);                     // any k in [0, num_sequences)
#ifndef KGF_CORPUS_CORPUS_READER_H_
#define KGF_CORPUS_CORPUS_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "corpus/indexed_dataset.h"
#include "corpus/manifest.h"

namespace kgf::corpus {

struct Document {
  std::vector<int32_t> tokens;  // (N)
  std::vector<uint8_t> mask;    // (N) 1 = trained; all ones in pre-training data
};

// One logical dataset ("pretrain" or "sft") spread over shards; documents are numbered
// across shards in manifest order. Thread-safe (const).
class CorpusDataset {
 public:
  const std::string& name() const { return name_; }
  bool has_masks() const { return has_masks_; }
  int64_t num_documents() const { return starts_.back(); }
  int64_t num_tokens() const { return num_tokens_; }
  // REQUIRES: 0 <= i < num_documents().
  int32_t length(int64_t i) const;
  void Get(int64_t i, Document* doc) const;

 private:
  friend class Corpus;
  std::string name_;
  bool has_masks_ = false;
  std::vector<IndexedDataset> tokens_;
  std::vector<IndexedDataset> masks_;
  std::vector<int64_t> starts_ = {0};  // first global document of each shard, then the total
  int64_t num_tokens_ = 0;
};

struct CorpusOpenOptions {
  // Re-hash every file and compare with the manifest (reads everything once).
  bool verify_checksums = false;
  // When set: the tokenizer the caller trains with; a different one is FailedPrecondition.
  std::string expected_tokenizer_checksum;
};

// A built corpus. Open() checks: manifest present and parseable; tokenizer.model present with
// the manifest's checksum; every file's size (and checksum when asked); every shard's index
// (indexed_dataset.h); mask shards with exactly the token shards' lengths; document and token
// counts equal to the manifest's. Move-only; thread-safe after Open.
class Corpus {
 public:
  // Errors: NotFound (no manifest / tokenizer / shard), FailedPrecondition (tokenizer checksum
  // mismatch), DataLoss (size, checksum, index or mask-length mismatch; names the file).
  static Result<Corpus> Open(const std::string& dir, const CorpusOpenOptions& options = {});
  const Manifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }
  std::string tokenizer_path() const;
  const CorpusDataset* dataset(std::string_view name) const;

 private:
  std::string dir_;
  Manifest manifest_;
  std::vector<std::unique_ptr<CorpusDataset>> datasets_;
};

// Everything `kgforge corpus verify` checks (Open with verify_checksums) plus the manifest
// summary, as text. Errors as Corpus::Open.
Result<std::string> VerifyCorpus(const std::string& dir);

struct PackingOptions {
  int64_t sequence_length = 4096;
  uint64_t seed = 1;  // document order
  // true: documents are concatenated and cut every sequence_length tokens (pre-training,
  // Megatron GPTDataset style; the tail shorter than one sequence is dropped).
  // false: whole documents are packed greedily, in order, into sequences padded with pad_id
  // (SFT); a document longer than a sequence is truncated, and skipped if that leaves no
  // trained token.
  bool split_documents = true;
  int32_t pad_id = 10;  // SpecialId(Special::kPad)
};

struct PackedSequence {
  std::vector<int32_t> tokens;           // (L)
  std::vector<uint8_t> mask;             // (L) 1 where the token is a training target
  std::vector<int32_t> document_starts;  // positions in [0, L) where a document begins
};

// Deterministic packing of one dataset: the document order is a seeded permutation, the
// layout a function of (dataset, options) only. Get() is const and thread-safe.
// REQUIRES: the dataset outlives the packer.
class SequencePacker {
 public:
  // Errors: InvalidArgument for sequence_length <= 0 or a dataset too small for one sequence.
  static Result<SequencePacker> Create(const CorpusDataset& dataset, PackingOptions options);
  int64_t num_sequences() const;
  // REQUIRES: 0 <= k < num_sequences().
  void Get(int64_t k, PackedSequence* out) const;

 private:
  SequencePacker(const CorpusDataset& dataset, PackingOptions options)
      : dataset_(&dataset), options_(options) {}
  const CorpusDataset* dataset_;
  PackingOptions options_;
  std::vector<int64_t> order_;       // permuted document ids
  std::vector<int64_t> cumulative_;  // split mode: tokens before order_[i]; size n+1
  std::vector<int64_t> bins_;        // whole mode: first index into order_ of each sequence, + end
};

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_CORPUS_READER_H_
