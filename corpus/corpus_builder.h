// Builds the token corpus from a mix config: reads every source, tokenizes in parallel (TBB),
// resolves epochs/weights, shuffles by seed, and writes Megatron shards (SPEC §3) plus
// manifest.json, a SQLite catalog and a copy of the tokenizer into a fresh output folder.
// tool_use records honour their "split": train records (and valid ones with "train_on_valid")
// become sft samples; valid and test records are also written, unchanged, as eval files. Test
// records never reach the shards.
//
// Output folder (written as <out>.tmp-<pid>, renamed onto <out> only when complete):
//   tokenizer.model                       the tokenizer the tokens came from
//   pretrain_00000.{bin,idx} ...          text documents (one per sequence)
//   sft_00000.{bin,idx}, sft_00000_mask.{bin,idx} ...  tool-use samples + uint8 loss masks
//   eval/valid.jsonl, eval/test.jsonl     held-out tool_use records: the original JSON lines,
//                                         byte for byte, one per line, in input order (sources
//                                         in config order); a split without records has no file
//   manifest.json                         tokenizer checksum, chat template, per-source counts
//                                         (tool_use: records by split), eval files, per-file xxh3
//   catalog.sqlite                        for data engineers:
//     shards(path, dataset, kind 'tokens'|'mask', documents, tokens, bytes, bin_checksum,
//            idx_checksum), shard_sources(shard, source, documents, tokens),
//     sources(name, kind, dataset, records, epochs, documents, tokens, trained_tokens,
//             dropped_no_trained_tokens, train_records, valid_records, test_records),
//     documents(dataset, shard, seq, source, record_id, input, tokens, trained_tokens): every
//             sequence of every shard and where it came from (the record's id for tool_use,
//             the input's "file:line" always), so a token can be traced to its record
// Determinism: same inputs, config and tokenizer -> byte-identical shards, eval files and
// manifest for any thread count (documents are tokenized in parallel and merged in input order;
// order depends only on the seed). Errors too: a read error (missing file, blank line, invalid
// UTF-8) wins over any processing error, and the first processing error by input position wins.
#ifndef KGF_CORPUS_CORPUS_BUILDER_H_
#define KGF_CORPUS_CORPUS_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "corpus/manifest.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus {

struct CorpusBuildOptions {
  std::string config;     // mix config JSON (corpus/mix_config.h)
  std::string out;        // output folder; must not exist or be empty
  std::string tokenizer;  // overrides the config's "tokenizer" when set
  int threads = 0;        // 0: all cores
  // Build even when `out` holds a finished corpus (same fingerprint or not): it is replaced
  // once the new one is complete. A folder that is not a finished corpus is never replaced,
  // nor one holding a review store (review.sqlite: its decisions would be deleted).
  bool force = false;
};

struct BuildSummary {
  std::string out;
  Manifest manifest;  // as written to out/manifest.json; manifest.Summary() for people
  // `out` already held a corpus built from the same config, input files, tokenizer and
  // kgforge binary (manifest.fingerprint): nothing was rebuilt.
  bool reused = false;
};

// Sources are read, tokenized and merged as a pipeline over chunks of this many input lines
// (corpus_builder.cc); the output does not depend on it. Exposed for tests of chunk boundaries.
inline constexpr int64_t kBuildChunkLines = 64;

// Errors: config and input errors as in mix_config.h / source_reader.h / chat_template.h
// (file:line named; a tool_use "split" other than train / valid / test included), NotFound / FailedPrecondition for the tokenizer, AlreadyExists when `out`
// holds files other than a finished corpus of the same fingerprint (reused, see BuildSummary;
// `force` replaces a finished corpus; FailedPrecondition when it holds review.sqlite),
// InvalidArgument for a document over max_document_tokens when splitting or
// truncation is off. On any error nothing is left at `out` (nor the temporary folder).
Result<BuildSummary> BuildCorpus(const CorpusBuildOptions& options);

struct TokenizerTrainJob {
  std::string config;               // mix config: train on its sources (optional)
  std::vector<std::string> inputs;  // extra .jsonl/.jsonl.zst text files (optional)
  std::string out = "tokenizer.model";
  TokenizerTrainOptions train;
};

// Reads the job's texts (tool-use records rendered as plain chat text with the config's chat
// template, only the splits the build trains on; kg facts verbalised), trains
// (corpus/tokenizer.h) and writes the model atomically. Returns its checksum.
Result<std::string> TrainTokenizerJob(const TokenizerTrainJob& job);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_CORPUS_BUILDER_H_
