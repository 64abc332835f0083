// manifest.json of a built corpus: what was built from what, and the checksum of every file.
// Written by corpus_builder, read and checked by corpus_reader. JSON shape:
//   {"format":"kgforge-corpus","version":1,"seed":1,
//    "tokenizer":{"file":"tokenizer.model","checksum":"xxh3:..","vocab_size":N},"dtype":"uint16",
//    "max_document_tokens":4096,
//    "sources":[{"name","kind","dataset","files","records","empty_skipped","split","truncated",
//                "dropped_no_trained_tokens","unique_documents","unique_tokens","epochs",
//                "documents","tokens","trained_tokens"}],
//    "datasets":[{"name":"pretrain","documents","tokens","masks":false,
//                 "shards":[{"prefix":"pretrain_00000","documents","tokens"}]}],
//    "files":[{"path":"pretrain_00000.bin","bytes":N,"checksum":"xxh3:.."}]}
#ifndef KGF_CORPUS_MANIFEST_H_
#define KGF_CORPUS_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kgf::corpus {

inline constexpr char kManifestFile[] = "manifest.json";
inline constexpr char kCatalogFile[] = "catalog.sqlite";
inline constexpr char kTokenizerFile[] = "tokenizer.model";

struct SourceBuildStats {
  std::string name, kind, dataset;
  int64_t files = 0;
  int64_t records = 0;          // documents read
  int64_t empty_skipped = 0;    // text lines with empty text
  int64_t split = 0;            // pretrain documents split at max_document_tokens
  int64_t truncated = 0;        // sft samples truncated (kept: they still train something)
  int64_t dropped_no_trained_tokens = 0;  // sft samples whose truncated mask was all zero
  int64_t unique_documents = 0;  // after tokenization (pieces of split documents count)
  int64_t unique_tokens = 0;
  double epochs = 1.0;           // resolved (from weights when given)
  int64_t documents = 0;         // written, epochs applied
  int64_t tokens = 0;
  int64_t trained_tokens = 0;    // mask ones (sft), = tokens for pretrain
};

struct ManifestShard {
  std::string prefix;  // relative to the corpus folder; masks at prefix + "_mask"
  int64_t documents = 0;
  int64_t tokens = 0;
};

struct ManifestDataset {
  std::string name;  // "pretrain" or "sft"
  int64_t documents = 0;
  int64_t tokens = 0;
  bool masks = false;
  std::vector<ManifestShard> shards;
};

struct ManifestFile {
  std::string path;  // relative
  uint64_t bytes = 0;
  std::string checksum;  // "xxh3:<hex>"
};

struct Manifest {
  uint64_t seed = 0;
  std::string tokenizer_file = kTokenizerFile;
  std::string tokenizer_checksum;
  int64_t vocab_size = 0;
  std::string dtype;
  int64_t max_document_tokens = 0;
  std::vector<SourceBuildStats> sources;
  std::vector<ManifestDataset> datasets;
  std::vector<ManifestFile> files;

  std::string ToJson() const;  // pretty, deterministic
  // Errors: InvalidArgument naming `where` and the field.
  static Result<Manifest> Parse(std::string_view json, std::string_view where);
  // A few lines: tokenizer, per-source documents/tokens, per-dataset totals and shards.
  std::string Summary() const;
};

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_MANIFEST_H_
