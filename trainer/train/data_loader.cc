#include "trainer/train/data_loader.h"

#include <algorithm>
#include <cstring>

#include "base/file_util.h"
#include "base/rng.h"
#include "corpus/corpus_reader.h"
#include "corpus/manifest.h"

namespace kgf::trainer {

DataLoader::DataLoader(DataLoader&&) noexcept = default;
DataLoader& DataLoader::operator=(DataLoader&&) noexcept = default;
DataLoader::~DataLoader() = default;

Result<DataLoader> DataLoader::Open(const DataLoaderOptions& options) {
  if (options.seq_len <= 0) return InvalidArgumentError("seq_len must be > 0");
  DataLoader d;
  d.options_ = options;
  d.mu_ = std::make_unique<std::mutex>();
  const int64_t window = options.seq_len + 1;
  if (IsDirectory(options.data)) {
    if (options.dataset != "pretrain" && options.dataset != "sft") {
      return InvalidArgumentError("dataset must be 'pretrain' or 'sft', not '" + options.dataset + "'");
    }
    d.sft_ = options.dataset == "sft";
    KGF_ASSIGN_OR_RETURN(corpus::Corpus c, corpus::Corpus::Open(options.data));
    d.corpus_ = std::make_unique<corpus::Corpus>(std::move(c));
    d.corpus_vocab_size_ = d.corpus_->manifest().vocab_size;
    const corpus::CorpusDataset* ds = d.corpus_->dataset(options.dataset);
    if (ds == nullptr) {
      std::string have;
      for (const auto& m : d.corpus_->manifest().datasets) have += (have.empty() ? "" : ", ") + m.name;
      return NotFoundError(options.data + ": the corpus has no '" + options.dataset +
                           "' dataset (it has: " + (have.empty() ? "none" : have) + ")");
    }
    corpus::PackingOptions packing;
    packing.sequence_length = window;
    packing.seed = options.seed;
    packing.split_documents = !d.sft_;
    packing.pad_id = options.pad_id;
    auto packer = corpus::SequencePacker::Create(*ds, packing);
    if (!packer.ok()) {
      Status st = packer.status().WithContext(options.data + " (" + options.dataset + ")");
      if (d.sft_) {
        st = Status(st.code(), st.message() + "; SFT documents longer than seq_len + 1 = " +
                                   std::to_string(window) +
                                   " are truncated and dropped when no trained token is left: "
                                   "try a larger --seq-len");
      }
      return st;
    }
    d.packer_ = std::make_unique<corpus::SequencePacker>(std::move(packer).value());
    d.num_sequences_ = d.packer_->num_sequences();
  } else {
    KGF_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(options.data));
    if (bytes.size() % 4 != 0) {
      return DataLossError(options.data + ": " + std::to_string(bytes.size()) +
                           " bytes is not a whole number of int32 tokens");
    }
    d.stream_.resize(bytes.size() / 4);
    if (!bytes.empty()) std::memcpy(d.stream_.data(), bytes.data(), bytes.size());
    for (size_t i = 0; i < d.stream_.size(); ++i) {
      if (d.stream_[i] < 0) {
        return DataLossError(options.data + ": token " + std::to_string(i) + " is negative (" +
                             std::to_string(d.stream_[i]) + "); expected little-endian int32 ids");
      }
    }
    const int64_t n = static_cast<int64_t>(d.stream_.size());
    d.num_sequences_ = n >= window ? (n - 1) / options.seq_len : 0;
  }
  if (d.num_sequences_ <= 0) {
    return InvalidArgumentError(options.data + ": too few tokens for one sequence of " +
                                std::to_string(window) + " (seq_len + 1)");
  }
  return d;
}

int64_t DataLoader::num_sequences() const { return num_sequences_; }

int32_t DataLoader::MaxTokenId() const {
  std::lock_guard<std::mutex> lock(*mu_);
  if (max_token_id_ >= 0) return max_token_id_;
  int32_t mx = 0;
  if (packer_) {
    const corpus::CorpusDataset* ds = corpus_->dataset(options_.dataset);
    corpus::Document doc;
    for (int64_t i = 0; i < ds->num_documents(); ++i) {
      ds->Get(i, &doc);
      for (int32_t t : doc.tokens) mx = std::max(mx, t);
    }
    if (sft_) mx = std::max(mx, options_.pad_id);
  } else {
    for (int32_t t : stream_) mx = std::max(mx, t);
  }
  max_token_id_ = mx;
  return mx;
}

int64_t DataLoader::SequenceAt(int64_t position) const {
  KGF_CHECK(position >= 0);
  const int64_t epoch = position / num_sequences_;
  const int64_t k = position % num_sequences_;
  std::lock_guard<std::mutex> lock(*mu_);
  if (epoch != cached_epoch_) {
    order_.resize(num_sequences_);
    for (int64_t i = 0; i < num_sequences_; ++i) order_[i] = i;
    Rng rng = Rng::ForItem(options_.seed, static_cast<uint64_t>(epoch));
    rng.Shuffle(std::span<int64_t>(order_));
    cached_epoch_ = epoch;
  }
  return order_[k];
}

void DataLoader::Window(int64_t sequence, std::vector<int32_t>* tokens,
                        std::vector<uint8_t>* mask,
                        std::vector<int32_t>* document_starts) const {
  document_starts->clear();
  KGF_CHECK(sequence >= 0 && sequence < num_sequences_);
  const int64_t window = options_.seq_len + 1;
  if (packer_) {
    corpus::PackedSequence seq;
    packer_->Get(sequence, &seq);
    KGF_CHECK_EQ(static_cast<int64_t>(seq.tokens.size()), window);
    *tokens = std::move(seq.tokens);
    *document_starts = std::move(seq.document_starts);
    if (sft_) {
      *mask = std::move(seq.mask);
    } else {
      mask->assign(window, 1);
    }
  } else {
    const int32_t* p = stream_.data() + sequence * options_.seq_len;
    tokens->assign(p, p + window);
    mask->assign(window, 1);
  }
}

Batch DataLoader::MakeBatch(std::span<const int64_t> sequences) const {
  Batch b;
  b.B = static_cast<int>(sequences.size());
  b.T = options_.seq_len;
  const size_t n = static_cast<size_t>(b.B) * b.T;
  b.tokens.resize(n);
  b.targets.resize(n);
  b.loss_mask.resize(n);
  if (options_.document_attention) b.doc_start.resize(n);
  std::vector<int32_t> tokens, starts;
  std::vector<uint8_t> mask;
  for (int r = 0; r < b.B; ++r) {
    Window(sequences[r], &tokens, &mask, &starts);
    if (options_.document_attention) {
      // Each input position's document: the last start at or before it (0 for the tail of a
      // document begun in an earlier sequence).
      size_t next = 0;
      int32_t current = 0;
      for (int t = 0; t < b.T; ++t) {
        while (next < starts.size() && starts[next] <= t) current = starts[next++];
        b.doc_start[r * b.T + t] = current;
      }
    }
    for (int t = 0; t < b.T; ++t) {
      b.tokens[r * b.T + t] = tokens[t];
      b.targets[r * b.T + t] = tokens[t + 1];
      // The mask belongs to the predicted token (corpus README: shift for next-token prediction).
      b.loss_mask[r * b.T + t] = mask[t + 1] ? 1.0f : 0.0f;
    }
  }
  return b;
}

}  // namespace kgf::trainer
