// Mix config: which sources go into the corpus, how much of each, and how the build behaves.
// JSON (relative paths resolve against the config file's folder):
//   {"seed": 1, "tokenizer": "tokenizer.model", "max_document_tokens": 4096,
//    "max_document_bytes": 1048576,
//    "max_shard_tokens": 50000000, "split_long_documents": true, "truncate_sft": true,
//    "train_on_valid": false,
//    "chat_template": {"compact_prompts": false, "always_render_tools": false,
//                      "train_on_failed_calls": false},
//    "sources": [
//      {"name": "brown", "kind": "text", "paths": ["brown.jsonl"], "weight": 2},
//      {"name": "facts", "kind": "text", "paths": ["facts.jsonl"], "weight": 1},
//      {"name": "tool_use", "kind": "tool_use", "paths": ["synth_out"], "epochs": 2}]}
// kinds: "text" (.jsonl/.jsonl.zst lines with a string `text`; a graph's facts in words come
// from `kgforge kg export --format sentences`), "tool_use" (canonical records, OpenAI chat
// shape). text goes to the "pretrain" dataset, tool_use to "sft" (with loss masks). A folder in `paths` means every
// *.jsonl / *.jsonl.zst directly inside it, sorted by name.
// tool_use records honour their "split" (corpus/source_reader.h): train records go to "sft";
// valid and test records are held out as evaluation files (corpus_builder.h), and never trained
// on, except valid with "train_on_valid" (a final run). Test records are never trained on.
// "chat_template" (every key optional, default false; corpus/chat_template.h) renders every
// tool_use sample; the manifest records it so evaluation renders prompts the same way.
// Amount: `epochs` (default 1; 2.5 = every document twice plus a seeded half) or `weight`:
// within a dataset either every source has a weight or none does; with weights, source i gets
// epochs_i = (w_i / sum w) * (dataset tokens) / tokens_i, so the dataset keeps its natural size
// and each source its share (Megatron BlendedDataset semantics, resolved at build time).
#ifndef KGF_CORPUS_MIX_CONFIG_H_
#define KGF_CORPUS_MIX_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "corpus/chat_template.h"

namespace kgf::corpus {

enum class SourceKind { kText, kToolUse };
std::string_view SourceKindName(SourceKind kind);
// "pretrain" for text, "sft" for tool_use.
std::string_view DatasetOf(SourceKind kind);

struct SourceConfig {
  std::string name;  // [A-Za-z0-9_-]+, unique
  SourceKind kind = SourceKind::kText;
  std::vector<std::string> paths;  // text / tool_use: files or folders (resolved)
  double epochs = 1.0;
  std::optional<double> weight;
};

struct MixConfig {
  uint64_t seed = 1;
  std::string tokenizer;  // resolved path; may be empty when given on the command line
  int64_t max_document_tokens = 4096;
  // A text document longer than this many bytes is cut there (at a UTF-8 boundary) before it
  // is tokenized, and counted ("cut" in the manifest): one 20 MB line would otherwise cost a
  // minute and gigabytes. A tool_use record longer than this is an error (a malformed record).
  int64_t max_document_bytes = 1 << 20;
  int64_t max_shard_tokens = 50'000'000;
  bool split_long_documents = true;  // pretrain: split, else error
  bool truncate_sft = true;          // sft: truncate (dropping all-zero masks), else error
  bool train_on_valid = false;       // tool_use: valid records also go to sft (test never)
  ChatTemplateOptions chat_template;  // how every tool_use record is rendered
  std::vector<SourceConfig> sources;
};

// Errors name `where` and the field ("mix.json: sources[2].kind 'txt' is not one of ...").
Result<MixConfig> ParseMixConfig(std::string_view json, std::string_view base_dir,
                                 std::string_view where);
Result<MixConfig> LoadMixConfig(const std::string& path);

// The input files of a text / tool_use source: files as given, folders expanded.
// Errors: NotFound naming the missing path, InvalidArgument for a folder with no .jsonl files.
Result<std::vector<std::string>> ExpandSourcePaths(const SourceConfig& source);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_MIX_CONFIG_H_
