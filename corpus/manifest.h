// manifest.json of a built corpus: what was built from what, and the checksum of every file.
// Written by corpus_builder, read and checked by corpus_reader; ReadCorpusInfo() below is the
// small reader for code that only needs the tokenizer, the chat template and the eval files.
// JSON shape:
//   {"format":"kgforge-corpus","version":1,"seed":1,
//    "tokenizer":{"file":"tokenizer.model","checksum":"xxh3:..","vocab_size":N},"dtype":"uint16",
//    "max_document_tokens":4096,
//    "chat_template":{"always_render_tools":false,"train_on_failed_calls":false,
//                     "compact_prompts":false},
//    "train_on_valid":false,
//    "sources":[{"name","kind","dataset","files","records","empty_skipped","split","truncated","cut",
//                "dropped_no_trained_tokens","unique_documents","unique_tokens","epochs",
//                "documents","tokens","trained_tokens",
//                "splits":{"train":N,"valid":N,"test":N,"valid_trained":false}}],  (tool_use only)
//    "datasets":[{"name":"pretrain","documents","tokens","masks":false,
//                 "shards":[{"prefix":"pretrain_00000","documents","tokens"}]}],
//    "eval":[{"split":"test","path":"eval/test.jsonl","records":N,"bytes":N,"checksum":"xxh3:..",
//             "trained":false}],
//    "files":[{"path":"pretrain_00000.bin","bytes":N,"checksum":"xxh3:.."}]}
// Every eval file is also listed in "files" (so `corpus verify` checks it); Parse() rejects a
// manifest where the two disagree. Manifests written before "chat_template", "train_on_valid",
// "splits" and "eval" existed parse with the defaults (what those builds used: every record
// trained, default template, no eval files).
#ifndef KGF_CORPUS_MANIFEST_H_
#define KGF_CORPUS_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "corpus/chat_template.h"

namespace kgf::corpus {

inline constexpr char kManifestFile[] = "manifest.json";
inline constexpr char kCatalogFile[] = "catalog.sqlite";
inline constexpr char kTokenizerFile[] = "tokenizer.model";
inline constexpr char kEvalDir[] = "eval";  // eval/valid.jsonl, eval/test.jsonl

struct SourceBuildStats {
  std::string name, kind, dataset;
  int64_t files = 0;
  int64_t records = 0;          // documents read (tool_use: every split)
  int64_t empty_skipped = 0;    // text lines with empty text
  int64_t split = 0;            // pretrain documents split at max_document_tokens
  int64_t truncated = 0;        // sft samples truncated (kept: they still train something)
  int64_t cut = 0;              // text documents cut at max_document_bytes
  int64_t dropped_no_trained_tokens = 0;  // sft samples whose truncated mask was all zero
  int64_t unique_documents = 0;  // after tokenization (pieces of split documents count)
  int64_t unique_tokens = 0;
  double epochs = 1.0;           // resolved (from weights when given)
  int64_t documents = 0;         // written, epochs applied
  int64_t tokens = 0;
  int64_t trained_tokens = 0;    // mask ones (sft), = tokens for pretrain
  // tool_use: records by "split" (train + valid + test = records). Train records are in sft;
  // valid ones too when valid_trained (train_on_valid); test ones never.
  int64_t train_records = 0;
  int64_t valid_records = 0;
  int64_t test_records = 0;
  bool valid_trained = false;
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

// The held-out tool_use records of one split: the original JSON lines, byte for byte, one per
// line, in input order (sources in mix-config order, each source's files as read).
struct ManifestEvalFile {
  std::string split;  // "valid" or "test"
  std::string path;   // relative to the corpus folder: "eval/valid.jsonl"
  int64_t records = 0;
  uint64_t bytes = 0;
  std::string checksum;  // "xxh3:<hex>", as in "files"
  bool trained = false;  // the records are also in sft (valid with train_on_valid; never test)
};

struct Manifest {
  uint64_t seed = 0;
  std::string tokenizer_file = kTokenizerFile;
  std::string tokenizer_checksum;
  int64_t vocab_size = 0;
  std::string dtype;
  int64_t max_document_tokens = 0;
  ChatTemplateOptions chat_template;  // every sft sample was rendered with these
  bool train_on_valid = false;
  std::vector<SourceBuildStats> sources;
  std::vector<ManifestDataset> datasets;
  std::vector<ManifestEvalFile> eval;  // only splits with at least one record
  std::vector<ManifestFile> files;
  // Digest of the config, every input file, the tokenizer and the binary
  // (base/run_fingerprint.h): a rerun with the same one reuses the corpus. "" when absent.
  std::string fingerprint;

  std::string ToJson() const;  // pretty, deterministic
  // Errors: InvalidArgument naming `where` and the field (also: an eval file not listed in
  // "files" with the same size and checksum, an eval split other than valid / test).
  static Result<Manifest> Parse(std::string_view json, std::string_view where);
  // A few lines: tokenizer, chat template, per-source documents/tokens, tool_use records by
  // split, eval files, per-dataset totals and shards.
  std::string Summary() const;
};

// What evaluation and generation need from a built corpus, without opening its shards.
struct CorpusInfo {
  std::string dir;
  std::string tokenizer_path;      // <dir>/tokenizer.model
  std::string tokenizer_checksum;  // "xxh3:<hex>"
  int64_t vocab_size = 0;          // the tokenizer's
  int64_t max_document_tokens = 0;
  ChatTemplateOptions chat_template;  // render prompts with these to match training
  bool train_on_valid = false;
  // By split ("valid", "test"); path is <dir>/eval/<split>.jsonl. A split without records has
  // no entry.
  std::map<std::string, ManifestEvalFile> eval_files;
};

// Reads <corpus_dir>/manifest.json. Checks that the tokenizer and every eval file exist and
// that each eval file has the size the manifest records (`kgforge corpus verify` compares
// checksums). Errors: NotFound (no manifest, tokenizer or eval file; names the path),
// InvalidArgument / FailedPrecondition from Manifest::Parse, DataLoss for a size mismatch.
Result<CorpusInfo> ReadCorpusInfo(const std::string& corpus_dir);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_MANIFEST_H_
