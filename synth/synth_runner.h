// RunSynth: the batch runner behind `kgforge synth`. Work is cut into shards: shard s holds
// records from the item indices [s*L, (s+1)*L) (L = shard_size * max_attempts_per_record);
// item i uses Rng::ForItem(seed, i) and yields one record or one counted rejection, and shard s
// stops at its record target (shard_size, the last shard the remainder of count). Output is
// therefore a pure function of (graph, options minus threads): byte-identical for any thread
// count and any number of MPI ranks (rank r takes shards r, r+K, ...).
// Files in out_dir: shard-NNNNN.jsonl.zst (records), shard-NNNNN.stats.json (its counts and
// checksum, written after the shard), tools.json, run.json (the options fingerprint) and
// manifest.json (written last by rank 0). All writes are atomic, so a killed run leaves only
// complete shards; rerunning the same command verifies and keeps them and makes the rest.
// Duplicate queries are rejected within a shard (not across shards).
#ifndef KGF_SYNTH_SYNTH_RUNNER_H_
#define KGF_SYNTH_SYNTH_RUNNER_H_

#include <array>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "kg/graph.h"
#include "synth/communicator.h"
#include "synth/dialogue_renderer.h"
#include "synth/pattern.h"
#include "synth/query_sampler.h"
#include "synth/split.h"

namespace kgf::synth {

struct SynthOptions {
  std::string out_dir;       // required
  uint64_t count = 1000;     // records wanted (fewer only when patterns cannot be filled)
  uint64_t seed = 1;
  // Pattern mix. Weights (ParsePatternMix): "all", "positive", "1p,2i:2", ...; each attempt
  // draws its pattern. Quotas (ParsePatternQuotas): "1p=500,2in=100": exact record counts per
  // pattern (spread evenly over the shards); count is then their sum and the option is ignored.
  std::string patterns = "all";
  uint64_t shard_size = 10000;   // records per shard
  uint64_t max_attempts_per_record = 50;  // a shard gives up after shard_size * this attempts
  int threads = 0;               // 0 = all cores; never changes the output
  int zstd_level = 3;
  SamplerOptions sampler;
  RenderOptions render;
  SplitOptions split;
};

// Counts of one shard or of a whole run.
struct SynthCounts {
  uint64_t records = 0;
  uint64_t attempts = 0;
  std::array<std::array<uint64_t, kNumSplits>, kNumPatterns> records_by_pattern_split{};
  std::array<std::array<uint64_t, kNumRejectReasons>, kNumPatterns> rejections{};
  void Add(const SynthCounts& other);
  uint64_t RecordsOf(Pattern p) const;
  uint64_t RecordsOf(Split s) const;
  uint64_t Rejections(RejectReason r) const;
};

struct SynthSummary {
  std::string out_dir;
  SynthCounts counts;
  uint64_t shards = 0;
  uint64_t shards_reused = 0;  // complete shards found from an earlier, interrupted run
  uint64_t tools = 0;
  double seconds = 0;
  // One screen of text: totals, per-pattern table, rejection reasons.
  std::string ToText() const;
  // Machine-readable summary (one JSON object): the counts of ToText.
  std::string ToJson() const;
};

// Runs (or resumes) a synthesis into options.out_dir. Collective over `comm`.
// Errors: InvalidArgument (bad options, unknown pattern, empty graph), IoError (out_dir not
// writable), FailedPrecondition (out_dir holds a run with different options).
Result<SynthSummary> RunSynth(const kg::Graph& graph, const KgRef& kg, const SynthOptions& options,
                              Communicator& comm);

// "shard-00003.jsonl.zst"
std::string ShardFileName(uint64_t shard);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_SYNTH_RUNNER_H_
