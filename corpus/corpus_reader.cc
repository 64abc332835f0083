// Corpus folder reader, verification and sequence packing.
#include "corpus/corpus_reader.h"

#include <algorithm>
#include <map>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/rng.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus {

int32_t CorpusDataset::length(int64_t i) const {
  KGF_CHECK(i >= 0 && i < num_documents()) << "document " << i << " out of range";
  const size_t shard = std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin() - 1;
  return tokens_[shard].length(i - starts_[shard]);
}

void CorpusDataset::Get(int64_t i, Document* doc) const {
  KGF_CHECK(i >= 0 && i < num_documents()) << "document " << i << " out of range";
  const size_t shard = std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin() - 1;
  const int64_t local = i - starts_[shard];
  doc->tokens.clear();
  tokens_[shard].AppendSequence(local, &doc->tokens);
  if (has_masks_) {
    std::string_view bytes = masks_[shard].SequenceBytes(local);
    doc->mask.assign(bytes.begin(), bytes.end());
  } else {
    doc->mask.assign(doc->tokens.size(), 1);
  }
}

std::string Corpus::tokenizer_path() const { return JoinPath(dir_, manifest_.tokenizer_file); }

const CorpusDataset* Corpus::dataset(std::string_view name) const {
  for (const auto& d : datasets_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

Result<Corpus> Corpus::Open(const std::string& dir, const CorpusOpenOptions& options) {
  Corpus corpus;
  corpus.dir_ = dir;
  const std::string manifest_path = JoinPath(dir, kManifestFile);
  if (!FileExists(manifest_path)) {
    return NotFoundError(manifest_path + ": no manifest; is " + dir +
                         " a folder built by `kgforge corpus build`?");
  }
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  KGF_ASSIGN_OR_RETURN(corpus.manifest_, Manifest::Parse(text, manifest_path));
  const Manifest& m = corpus.manifest_;

  if (m.dtype != "uint16" && m.dtype != "int32") {
    return DataLossError(manifest_path + ": dtype '" + m.dtype +
                         "' is not a token dtype (uint16 or int32)");
  }
  const std::string tok_path = corpus.tokenizer_path();
  if (!FileExists(tok_path)) {
    return NotFoundError(tok_path + ": tokenizer missing; the shards cannot be decoded without "
                                    "it (rebuild, or copy the tokenizer the manifest names)");
  }
  KGF_ASSIGN_OR_RETURN(std::string tok_bytes, ReadFileToString(tok_path));
  const std::string tok_checksum = "xxh3:" + Hex64(Hash64(tok_bytes));
  if (tok_checksum != m.tokenizer_checksum) {
    return FailedPreconditionError(tok_path + ": checksum " + tok_checksum +
                                   " but the manifest records " + m.tokenizer_checksum +
                                   "; the tokenizer was replaced after the build");
  }
  if (!options.expected_tokenizer_checksum.empty() &&
      options.expected_tokenizer_checksum != m.tokenizer_checksum) {
    return FailedPreconditionError(dir + ": built with tokenizer " + m.tokenizer_checksum +
                                   ", but the caller uses " + options.expected_tokenizer_checksum +
                                   "; rebuild the corpus with that tokenizer");
  }
  for (const ManifestFile& f : m.files) {
    const std::string path = JoinPath(dir, f.path);
    if (!FileExists(path)) return NotFoundError(path + ": listed in the manifest but missing");
    KGF_ASSIGN_OR_RETURN(uint64_t size, FileSize(path));
    if (size != f.bytes) {
      return DataLossError(path + ": " + std::to_string(size) + " bytes, the manifest records " +
                           std::to_string(f.bytes) + " (truncated or modified)");
    }
    if (options.verify_checksums) {
      KGF_ASSIGN_OR_RETURN(std::string checksum, FileChecksum(path));
      if (checksum != f.checksum) {
        return DataLossError(path + ": checksum " + checksum + ", the manifest records " +
                             f.checksum + " (corrupted or modified)");
      }
    }
  }
  for (const ManifestDataset& md : m.datasets) {
    auto ds = std::make_unique<CorpusDataset>();
    ds->name_ = md.name;
    ds->has_masks_ = md.masks;
    for (const ManifestShard& shard : md.shards) {
      const std::string prefix = JoinPath(dir, shard.prefix);
      KGF_ASSIGN_OR_RETURN(IndexedDataset tokens, IndexedDataset::Open(prefix));
      if (tokens.num_sequences() != shard.documents || tokens.num_elements() != shard.tokens) {
        return DataLossError(IdxPath(prefix) + ": " + std::to_string(tokens.num_sequences()) +
                             " documents / " + std::to_string(tokens.num_elements()) +
                             " tokens, the manifest records " + std::to_string(shard.documents) +
                             " / " + std::to_string(shard.tokens));
      }
      if (std::string(DTypeName(tokens.dtype())) != m.dtype) {
        return DataLossError(IdxPath(prefix) + ": dtype " + std::string(DTypeName(tokens.dtype())) +
                             ", the manifest records " + m.dtype);
      }
      if (md.masks) {
        KGF_ASSIGN_OR_RETURN(IndexedDataset mask, IndexedDataset::Open(prefix + "_mask"));
        if (mask.dtype() != DType::kUint8) {
          return DataLossError(IdxPath(prefix + "_mask") + ": mask dtype must be uint8 (code 1)");
        }
        if (mask.num_sequences() != tokens.num_sequences()) {
          return DataLossError(IdxPath(prefix + "_mask") + ": " + std::to_string(mask.num_sequences()) +
                               " masks for " + std::to_string(tokens.num_sequences()) +
                               " token sequences; mask and token shards differ");
        }
        for (int64_t i = 0; i < tokens.num_sequences(); ++i) {
          if (mask.length(i) != tokens.length(i)) {
            return DataLossError(IdxPath(prefix + "_mask") + ": sequence " + std::to_string(i) +
                                 " has " + std::to_string(mask.length(i)) + " mask values for " +
                                 std::to_string(tokens.length(i)) +
                                 " tokens; mask and token shards differ");
          }
        }
        ds->masks_.push_back(std::move(mask));
      }
      ds->num_tokens_ += tokens.num_elements();
      ds->starts_.push_back(ds->starts_.back() + tokens.num_sequences());
      ds->tokens_.push_back(std::move(tokens));
    }
    if (ds->num_documents() != md.documents || ds->num_tokens_ != md.tokens) {
      return DataLossError(manifest_path + ": dataset " + md.name +
                           " totals (" + std::to_string(md.documents) + " documents, " +
                           std::to_string(md.tokens) + " tokens) disagree with its shards (" +
                           std::to_string(ds->num_documents()) + ", " +
                           std::to_string(ds->num_tokens_) + ")");
    }
    corpus.datasets_.push_back(std::move(ds));
  }
  return corpus;
}

Result<std::string> VerifyCorpus(const std::string& dir) {
  CorpusOpenOptions options;
  options.verify_checksums = true;
  KGF_ASSIGN_OR_RETURN(Corpus corpus, Corpus::Open(dir, options));
  KGF_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Load(corpus.tokenizer_path()));
  const int32_t vocab = tokenizer.vocab_size();
  // Every token id must be inside the vocabulary, every mask value 0 or 1.
  for (const ManifestDataset& md : corpus.manifest().datasets) {
    const CorpusDataset* ds = corpus.dataset(md.name);
    Document doc;
    for (int64_t i = 0; i < ds->num_documents(); ++i) {
      ds->Get(i, &doc);
      for (size_t k = 0; k < doc.tokens.size(); ++k) {
        if (doc.tokens[k] < 0 || doc.tokens[k] >= vocab || doc.mask[k] > 1) {
          return DataLossError(dir + ": dataset " + md.name + " document " + std::to_string(i) +
                               " position " + std::to_string(k) + ": token " +
                               std::to_string(doc.tokens[k]) + " / mask " +
                               std::to_string(doc.mask[k]) + " out of range (vocab " +
                               std::to_string(vocab) + ")");
        }
      }
    }
  }
  std::string out = "OK: " + std::to_string(corpus.manifest().files.size()) +
                    " files match their sizes and xxh3 checksums; indexes, mask lengths, token "
                    "ranges and counts are consistent\n";
  return out + corpus.manifest().Summary();
}

// ----------------------------------------------------------------------------- packing

Result<SequencePacker> SequencePacker::Create(const CorpusDataset& dataset, PackingOptions options) {
  if (options.sequence_length <= 0) {
    return InvalidArgumentError("packing: sequence_length must be positive");
  }
  SequencePacker p(dataset, options);
  const int64_t n = dataset.num_documents();
  p.order_.resize(n);
  for (int64_t i = 0; i < n; ++i) p.order_[i] = i;
  Rng rng(options.seed);
  rng.Shuffle(std::span<int64_t>(p.order_));
  const int64_t L = options.sequence_length;
  if (options.split_documents) {
    p.cumulative_.resize(n + 1, 0);
    for (int64_t i = 0; i < n; ++i) p.cumulative_[i + 1] = p.cumulative_[i] + dataset.length(p.order_[i]);
    if (p.cumulative_[n] < L) {
      return InvalidArgumentError("packing: dataset " + dataset.name() + " has " +
                                  std::to_string(p.cumulative_[n]) +
                                  " tokens, fewer than one sequence of " + std::to_string(L));
    }
    return p;
  }
  // Whole documents: drop those whose truncation leaves no trained token, then greedy bins.
  std::vector<int64_t> kept;
  Document doc;
  for (int64_t id : p.order_) {
    if (dataset.length(id) > L) {
      dataset.Get(id, &doc);
      if (std::count(doc.mask.begin(), doc.mask.begin() + L, 1) == 0) continue;
    }
    kept.push_back(id);
  }
  p.order_ = std::move(kept);
  int64_t used = L;  // forces a new bin at the first document
  for (size_t i = 0; i < p.order_.size(); ++i) {
    const int64_t len = std::min<int64_t>(dataset.length(p.order_[i]), L);
    if (used + len > L) {
      p.bins_.push_back(static_cast<int64_t>(i));
      used = 0;
    }
    used += len;
  }
  if (p.bins_.empty()) {
    return InvalidArgumentError("packing: dataset " + dataset.name() + " has no usable document");
  }
  p.bins_.push_back(static_cast<int64_t>(p.order_.size()));
  return p;
}

int64_t SequencePacker::num_sequences() const {
  if (options_.split_documents) return cumulative_.back() / options_.sequence_length;
  return static_cast<int64_t>(bins_.size()) - 1;
}

void SequencePacker::Get(int64_t k, PackedSequence* out) const {
  KGF_CHECK(k >= 0 && k < num_sequences()) << "sequence " << k << " out of range";
  const int64_t L = options_.sequence_length;
  out->tokens.clear();
  out->mask.clear();
  out->document_starts.clear();
  Document doc;
  if (options_.split_documents) {
    const int64_t begin = k * L, end = begin + L;
    // First document overlapping [begin, end).
    size_t i = std::upper_bound(cumulative_.begin(), cumulative_.end(), begin) - cumulative_.begin() - 1;
    for (; static_cast<int64_t>(out->tokens.size()) < L; ++i) {
      const int64_t doc_begin = cumulative_[i];
      dataset_->Get(order_[i], &doc);
      const int64_t from = std::max<int64_t>(0, begin - doc_begin);
      const int64_t to = std::min<int64_t>(static_cast<int64_t>(doc.tokens.size()), end - doc_begin);
      if (from == 0 && to > 0) out->document_starts.push_back(static_cast<int32_t>(out->tokens.size()));
      out->tokens.insert(out->tokens.end(), doc.tokens.begin() + from, doc.tokens.begin() + to);
      out->mask.insert(out->mask.end(), doc.mask.begin() + from, doc.mask.begin() + to);
    }
    return;
  }
  for (int64_t i = bins_[k]; i < bins_[k + 1]; ++i) {
    dataset_->Get(order_[i], &doc);
    const int64_t len = std::min<int64_t>(static_cast<int64_t>(doc.tokens.size()), L);
    out->document_starts.push_back(static_cast<int32_t>(out->tokens.size()));
    out->tokens.insert(out->tokens.end(), doc.tokens.begin(), doc.tokens.begin() + len);
    out->mask.insert(out->mask.end(), doc.mask.begin(), doc.mask.begin() + len);
  }
  out->tokens.resize(L, options_.pad_id);
  out->mask.resize(L, 0);
}

}  // namespace kgf::corpus
