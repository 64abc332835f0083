// Human views of corpus data for `kgforge corpus render` and `kgforge corpus inspect`.
#ifndef KGF_CORPUS_INSPECT_H_
#define KGF_CORPUS_INSPECT_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace kgf::corpus {

struct RenderOptions {
  std::string record;     // a .json/.jsonl/.jsonl.zst file, or the record JSON itself ("{...")
  int64_t line = 1;       // 1-based line of a .jsonl file
  std::string tokenizer;  // optional: also count tokens and trained tokens
  bool color = false;     // trained spans in ANSI green, else between ⟦ and ⟧
};

// The rendered chat text with trained spans highlighted (+ token counts with a tokenizer).
// Errors: NotFound (file), InvalidArgument (line out of range, record errors naming file:line).
Result<std::string> RenderRecord(const RenderOptions& options);

struct InspectOptions {
  std::string shard;      // prefix, or the .bin / .idx path
  int64_t doc = -1;       // >= 0: decode this document
  std::string tokenizer;  // default: tokenizer.model beside the shard
  bool color = false;
};

// Header facts (dtype, counts, length statistics, mask shard present) and, with doc >= 0, the
// decoded document with trained tokens highlighted when a <prefix>_mask shard exists, and its
// origin from the catalog beside the shard (source, record id, input file:line).
// Errors: as IndexedDataset::Open; InvalidArgument for doc out of range.
Result<std::string> InspectShard(const InspectOptions& options);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_INSPECT_H_
