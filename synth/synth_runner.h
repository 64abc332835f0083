// RunSynth: the batch runner behind `kgforge synth`. It makes exactly the records asked for
// (count, or the per-pattern quotas) or fails naming what fell short, with no query twice in
// the whole run, and the output is a pure function of (graph, options minus threads):
// byte-identical for any thread count and any number of MPI ranks (rank r makes shards r, r+K).
//
// Streams. The run wants T[p] records of pattern p (the quotas, or count apportioned by the
// weights, largest remainder); shard s, holding the slice [lo, hi) of count N (lo = s *
// shard_size), wants t[s][p] = floor(T[p] * hi / N) - floor(T[p] * lo / N). Stream (s, p) is the
// sequence of attempts j = 0, 1, ... with item index (s * kNumPatterns + p) * S + j, where
// S = (shard_size + kNumPatterns) * max_attempts_per_record; item i samples pattern p with
// Rng::ForItem(seed, i), so a stream depends on nothing but (s, p). An attempt is a candidate,
// a rejection, or a duplicate of an earlier candidate of its stream. An attempt has two queries:
// the one its record asks (after the OutcomeShaper swapped an anchor, for no_answer and
// empty_step) and the one it was sampled as (its base; the same query otherwise); a record uses
// up both, so a sampled query gives one record whatever its outcome. A duplicate is an attempt
// either of whose queries an earlier attempt of the stream asked, or an earlier candidate was
// sampled as.
// Selection (shard order). K(s) = both queries of every record kept by shards 0..s-1 (a query
// is its QueryKey, synth/query.h, hashed to 64 bits). Shard s keeps, of each stream, the first
// t[s][p] candidates neither of whose queries is in K(s); a candidate in K(s) counts as a
// duplicate (and in cross_shard_duplicates). A stream is given at most t[s][p] * max_attempts_per_record
// attempts. With weights (not quotas), the share of a stream that runs out goes to the shard's
// other patterns in proportion to their weights; with quotas it stays short. Records are
// written in an order drawn from (seed, index).
// Schedule (the result does not depend on it): every stream's first attempts, with a surplus,
// in parallel (phase 1, each rank its own shards; written to shard-NNNNN.tmp.attempts for the
// other ranks); the selection in shard order on every rank, extending a stream where the
// surplus did not suffice (phase 2); each rank then re-renders and writes its shards (phase 3).
// The bytes cannot depend on the schedule: attempt j of stream (s, p) is a function of
// (s, p, j); K(s) is a function of the selections of shards < s; a selection never looks past
// its t-th pick or its limit, so how far a prefix was computed ahead does not matter. A resumed
// run takes K from the stats of the shards it keeps, which hold exactly those keys.
// Files in out_dir: shard-NNNNN.jsonl.zst (records), shard-NNNNN.stats.json (its counts, the
// dedup keys of its queries and of the bases its reshaped records were sampled as, the hashes of its anchor-masked questions, its checksum; written
// after the shard), tools.json, run.json (the options fingerprint) and manifest.json (written
// last by rank 0, and only for a run that met its targets). All writes are atomic; a killed run
// leaves complete shards, which a rerun of the same command verifies and keeps.
#ifndef KGF_SYNTH_SYNTH_RUNNER_H_
#define KGF_SYNTH_SYNTH_RUNNER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dist/communicator.h"
#include "kg/graph.h"
#include "synth/dialogue_renderer.h"
#include "synth/outcome_shaper.h"
#include "synth/pattern.h"
#include "synth/query_sampler.h"
#include "synth/record.h"
#include "synth/split.h"

namespace kgf::synth {

struct SynthOptions {
  std::string out_dir;       // required
  uint64_t count = 1000;     // records wanted: exactly this many, or RunSynth fails
  uint64_t seed = 1;
  // Pattern mix. Weights (ParsePatternMix): "all", "positive", "1p,2i:2", ...: count is
  // apportioned over the patterns by weight (largest remainder); a pattern the graph cannot fill
  // leaves its share to the others (a warning names the realised shares). Quotas
  // (ParsePatternQuotas): "1p=500,2in=100": exactly these records per pattern, or RunSynth
  // fails; count is then their sum and the option is ignored.
  std::string patterns = "all";
  uint64_t shard_size = 10000;   // records per shard (a shard may differ by < kNumPatterns)
  // Attempts a shard may spend per record it wants of a pattern before that pattern counts as
  // unfillable in the shard.
  uint64_t max_attempts_per_record = 50;
  int threads = 0;               // 0 = all cores; never changes the output
  int zstd_level = 3;
  SamplerOptions sampler;
  OutcomeOptions outcomes;  // shares of dialogues that end without answers
  RenderOptions render;
  SplitOptions split;
};

// Tool calls by the kind of the tool called: ToolKind relation, inverse, set, then calls of a
// name the catalog does not have (the deliberate wrong calls of self-reflection samples).
inline constexpr int kNumCallKinds = 4;
std::string_view CallKindName(int kind);  // "relation", "inverse", "set", "unknown"
// Answer-set sizes 1, 2, 3-5, 6-10, 11-20, >20.
inline constexpr int kNumAnswerBuckets = 6;
int AnswerBucket(size_t answers);
std::string_view AnswerBucketName(int bucket);  // "1", "2", "3-5", "6-10", "11-20", ">20"

// The record's user question with every anchor name replaced by "<entity>" (one left-to-right
// scan, longest name first at each position, so nested names and the placeholder itself are
// never re-matched). Counting distinct masked questions measures question variety apart from
// the entities.
std::string MaskedQuestion(const Record& record);

// Counts of one shard or of a whole run.
struct SynthCounts {
  uint64_t records = 0;
  uint64_t attempts = 0;  // records + rejections (attempts a stream made past its last record
                          // are not counted: they are not part of the output)
  std::array<std::array<uint64_t, kNumSplits>, kNumPatterns> records_by_pattern_split{};
  std::array<std::array<uint64_t, kNumRejectReasons>, kNumPatterns> rejections{};
  uint64_t cross_shard_duplicates = 0;  // the part of the kDuplicate rejections kept earlier
                                        // by another shard
  // What the records teach.
  std::array<uint64_t, kNumCallKinds> calls_by_kind{};
  // Calls in the gold steps (not a deliberate wrong call) by tool, in catalog order.
  std::vector<uint64_t> gold_calls_by_tool;
  uint64_t max_calls_per_record = 0;
  uint64_t call_turns = 0;  // assistant turns with at least one tool call
  uint64_t max_calls_per_turn = 0;
  std::array<uint64_t, kNumAnswerBuckets> answer_sizes{};  // answered records only
  std::array<uint64_t, kNumRecordOutcomes> outcomes{};     // records by RecordOutcome
  uint64_t reflections = 0;        // records with a deliberate wrong call (MistakeTurn > 0)
  uint64_t later_reflections = 0;  // of those, wrong calls after the first call turn
  // Per pattern: the sorted, distinct Hash64 values of MaskedQuestion(record).
  std::array<std::vector<uint64_t>, kNumPatterns> question_hashes;
  // Facts (triples) read by the gold calls, as hashes: every train record's (sorted, distinct)
  // and each test record's own (sorted), to count test records that teach nothing new.
  std::vector<uint64_t> train_facts;
  std::vector<std::vector<uint64_t>> test_facts;

  uint64_t RecordsOf(Pattern p) const;
  uint64_t RecordsOf(Split s) const;
  uint64_t Rejections(RejectReason r) const;
  uint64_t RejectionsOf(Pattern p) const;
  uint64_t Calls() const;  // sum of calls_by_kind
  // Distinct masked questions (exact up to 64-bit hash collisions) of one pattern / overall.
  uint64_t DistinctQuestions(Pattern p) const;
  uint64_t DistinctQuestions() const;
  // Test records every fact of which a train record also reads.
  uint64_t TestRecordsWithOnlyTrainFacts() const;
};

struct SynthSummary {
  std::string out_dir;
  SynthCounts counts;
  // Records asked for per pattern: the quotas, or count apportioned by the weights.
  std::array<uint64_t, kNumPatterns> requested{};
  uint64_t shards = 0;
  uint64_t shards_reused = 0;  // complete shards found from an earlier, interrupted run
  uint64_t tools = 0;
  // Lookup tools (relation and inverse) no gold step of the run calls: a model trained on the
  // data learns never to call them. Names, in catalog order.
  std::vector<std::string> tools_never_called;
  double seconds = 0;
  // One screen of text: totals, per-pattern table (records, share, requested share, distinct
  // questions, rejections), tool calls by kind, answer sizes, rejection reasons.
  std::string ToText() const;
  // Machine-readable summary (one JSON object): the numbers of ToText.
  std::string ToJson() const;
};

// Runs (or resumes) a synthesis into options.out_dir. Collective over `comm`.
// Errors: InvalidArgument (bad options, unknown pattern, empty graph), IoError (out_dir not
// writable), FailedPrecondition (out_dir holds a run with different options; or the graph
// could not fill the request: a quota, or with weights the count, was not met. The message
// names each pattern that fell short, its records vs requested and its top rejection reasons,
// and what to change. The shards stay, so the same command fails again quickly; manifest.json
// is not written).
Result<SynthSummary> RunSynth(const kg::Graph& graph, const KgRef& kg, const SynthOptions& options,
                              dist::Communicator& comm);

// "shard-00003.jsonl.zst"
std::string ShardFileName(uint64_t shard);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_SYNTH_RUNNER_H_
