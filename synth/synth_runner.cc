// Batch runner: per-pattern attempt streams, selection in shard order (no query twice in a
// run), TBB inside a rank, MPI ranks over shards, atomic files, resumable, exact counts or an
// error that says why. The algorithm is stated in synth_runner.h; this file schedules it.
#include "synth/synth_runner.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <unordered_set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "base/logging.h"
#include "base/progress.h"
#include "synth/templates.h"
#include "synth/tool_catalog.h"

namespace kgf::synth {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using KeySet = std::unordered_set<uint64_t>;
using PatternArray = std::array<uint64_t, kNumPatterns>;

constexpr int kUnknownCallKind = kNumCallKinds - 1;
constexpr char kAttemptsMagic[] = "kgforge-synth-attempts/2\n";

std::string ShardFile(uint64_t shard, const char* suffix) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "shard-%05" PRIu64 "%s", shard, suffix);
  return buf;
}
std::string StatsFileName(uint64_t shard) { return ShardFile(shard, ".stats.json"); }
// Phase-1 exchange file; ".tmp." in the name: a later run's start removes a killed run's.
std::string AttemptsFileName(uint64_t shard) { return ShardFile(shard, ".tmp.attempts"); }

double Round6(double x) { return std::round(x * 1e6) / 1e6; }
double Share(uint64_t part, uint64_t whole) { return whole == 0 ? 0.0 : double(part) / whole; }

// Everything that changes the output, as text; its hash identifies the run. The version is
// bumped whenever the algorithm changes what a given run produces.
std::string ConfigText(const KgRef& kg, const SynthOptions& o, const std::vector<double>& weights) {
  std::string s = "kgforge-synth/3 kg=" + kg.name + "@" + kg.checksum;
  s += " count=" + std::to_string(o.count) + " seed=" + std::to_string(o.seed);
  s += " shard_size=" + std::to_string(o.shard_size) +
       " max_attempts=" + std::to_string(o.max_attempts_per_record);
  s += " zstd=" + std::to_string(o.zstd_level) + " weights=";
  for (double w : weights) s += std::to_string(w) + ",";
  s += " cap=" + std::to_string(o.sampler.answer_cap) + " width=" + std::to_string(o.sampler.max_width) +
       " max_set=" + std::to_string(o.sampler.max_set) + " tries=" + std::to_string(o.sampler.hop_tries);
  s += " both_directions=" + std::to_string(o.sampler.both_directions) +
       " anchor_answers=" + std::to_string(o.sampler.allow_anchor_answers);
  s += " allow=";
  for (const auto& r : o.sampler.allow_relations) s += r + ",";
  s += " deny=";
  for (const auto& r : o.sampler.deny_relations) s += r + ",";
  if (!o.sampler.anchor_types.empty()) {
    s += " anchor_types=";
    for (const auto& t : o.sampler.anchor_types) s += t + ",";
  }
  const OutcomeOptions& oc = o.outcomes;
  if (oc.no_answer_share > 0 || oc.empty_step_share > 0 || oc.no_tool_share > 0) {
    s += " no_answer=" + std::to_string(oc.no_answer_share) + " empty_step=" +
         std::to_string(oc.empty_step_share) + " no_tool=" + std::to_string(oc.no_tool_share) +
         " outcome_tries=" + std::to_string(oc.tries);
  }
  s += " distractors=" + std::to_string(o.render.distractors) +
       " reflection=" + std::to_string(o.render.reflection_share);
  if (o.render.result_refs) s += " set_arguments=refs";
  if (o.render.hop_refs) s += " hop_arguments=refs";
  s += " valid=" + std::to_string(o.split.valid_fraction) + " test=" + std::to_string(o.split.test_fraction);
  if (o.split.by_facts) s += " split=facts";
  if (o.split.train_only) s += " train_only";
  return s;
}

// --- targets ---------------------------------------------------------------------------------

// What the options ask for; a pure function of the options.
struct RunPlan {
  bool quotas = false;
  std::vector<double> weights;  // per pattern (with quotas: the quotas)
  PatternArray requested{};     // records per pattern over the whole run
  uint64_t num_shards = 0;
  uint64_t stride = 0;  // item indices reserved per stream
};

// Largest-remainder apportionment of `total` over the patterns with eligible[p], in proportion
// to weights[p]; equal remainders go to the lower pattern index. REQUIRES: an eligible weight > 0.
PatternArray Apportion(uint64_t total, const std::vector<double>& weights,
                       const std::array<bool, kNumPatterns>& eligible) {
  double sum = 0;
  for (int p = 0; p < kNumPatterns; ++p) sum += eligible[p] ? weights[p] : 0.0;
  KGF_CHECK(sum > 0) << "apportioning over no pattern";
  PatternArray out{};
  std::array<double, kNumPatterns> rest{};
  std::vector<int> order;
  uint64_t given = 0;
  for (int p = 0; p < kNumPatterns; ++p) {
    if (!eligible[p] || weights[p] <= 0) continue;
    const double exact = double(total) * weights[p] / sum;
    out[p] = std::min<uint64_t>(static_cast<uint64_t>(std::floor(exact)), total - given);
    rest[p] = exact - double(out[p]);
    given += out[p];
    order.push_back(p);
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rest[a] > rest[b]; });
  for (size_t k = 0; given < total; ++k, ++given) ++out[order[k % order.size()]];
  return out;
}

// Shard s's records of each pattern: Q(hi) - Q(lo) with Q(x) = floor(T * x / count), [lo, hi)
// the shard's slice of count; over all shards they sum to T exactly.
PatternArray ShardTargets(const RunPlan& plan, const SynthOptions& o, uint64_t shard) {
  const uint64_t lo = shard * o.shard_size, hi = std::min(lo + o.shard_size, o.count);
  PatternArray t{};
  for (int p = 0; p < kNumPatterns; ++p) {
    const unsigned __int128 q = plan.requested[p];
    t[p] = static_cast<uint64_t>(q * hi / o.count - q * lo / o.count);
  }
  return t;
}

// --- per-record statistics -------------------------------------------------------------------

// The dedup key: the sampler's canonical QueryKey (it spells each hop's direction, "key^-1"
// for an inverse hop, so an empty `inverse` and an all-forward one are the same query), hashed.
// A query is used once in a run, whatever its dialogue's outcome.
uint64_t DedupKey(const kg::Graph& graph, const Query& q) { return Hash64(QueryKey(graph, q)); }

void AddRecordStats(const Record& r, Pattern pattern, Split split, const ToolCatalog& catalog,
                    SynthCounts* c) {
  ++c->records;
  ++c->records_by_pattern_split[static_cast<int>(pattern)][static_cast<int>(split)];
  uint64_t calls = 0;
  const int mistake_turn = MistakeTurn(r);
  int call_turn = 0;
  c->gold_calls_by_tool.resize(catalog.size());
  for (const Message& m : r.messages) {
    if (m.role != "assistant" || m.tool_calls.empty()) continue;
    ++c->call_turns;
    ++call_turn;
    c->max_calls_per_turn = std::max<uint64_t>(c->max_calls_per_turn, m.tool_calls.size());
    for (const ToolCall& call : m.tool_calls) {
      const Tool* tool = catalog.Find(call.name);
      const int kind = tool != nullptr ? static_cast<int>(tool->kind) : kUnknownCallKind;
      KGF_CHECK(tool == nullptr || kind < kUnknownCallKind)
          << "ToolKind grew: extend kNumCallKinds";
      ++c->calls_by_kind[kind];
      ++calls;
      if (tool != nullptr && call_turn != mistake_turn) {
        ++c->gold_calls_by_tool[static_cast<size_t>(tool - catalog.tools().data())];
      }
    }
  }
  c->max_calls_per_record = std::max(c->max_calls_per_record, calls);
  Result<RecordOutcome> outcome = ParseRecordOutcome(r.outcome, r.id);
  KGF_CHECK(outcome.ok()) << outcome.status().message();
  ++c->outcomes[static_cast<int>(*outcome)];
  if (*outcome == RecordOutcome::kAnswered) ++c->answer_sizes[AnswerBucket(r.answers.size())];
  const int mistake = MistakeTurn(r);
  c->reflections += mistake > 0;
  c->later_reflections += mistake > 1;
  c->question_hashes[static_cast<int>(pattern)].push_back(Hash64(MaskedQuestion(r)));
}

// The lookup tools no gold step calls, when the run is large enough for that to mean something:
// at least 20 gold lookup calls per lookup tool (a uniform spread would give each ~20, so a
// zero is no accident of a small sample). Empty otherwise.
std::vector<std::string> ToolsNeverCalled(const ToolCatalog& catalog, const SynthCounts& c) {
  uint64_t lookups = 0, calls = 0;
  std::vector<std::string> never;
  for (size_t t = 0; t < catalog.size(); ++t) {
    const Tool& tool = catalog.tools()[t];
    if (tool.kind == ToolKind::kSet) continue;
    ++lookups;
    const uint64_t n = t < c.gold_calls_by_tool.size() ? c.gold_calls_by_tool[t] : 0;
    calls += n;
    if (n == 0) never.push_back(tool.name);
  }
  if (lookups == 0 || calls < 20 * lookups) never.clear();
  return never;
}

void SortUnique(std::vector<uint64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Sums and maxima of two counts (the hash sets are merged by the caller: appended, then
// sorted once).
void AddScalars(const SynthCounts& o, SynthCounts* c) {
  c->records += o.records;
  c->attempts += o.attempts;
  for (int p = 0; p < kNumPatterns; ++p) {
    for (int s = 0; s < kNumSplits; ++s) {
      c->records_by_pattern_split[p][s] += o.records_by_pattern_split[p][s];
    }
    for (int r = 0; r < kNumRejectReasons; ++r) c->rejections[p][r] += o.rejections[p][r];
  }
  c->cross_shard_duplicates += o.cross_shard_duplicates;
  for (int k = 0; k < kNumCallKinds; ++k) c->calls_by_kind[k] += o.calls_by_kind[k];
  if (c->gold_calls_by_tool.size() < o.gold_calls_by_tool.size()) {
    c->gold_calls_by_tool.resize(o.gold_calls_by_tool.size());
  }
  for (size_t t = 0; t < o.gold_calls_by_tool.size(); ++t) {
    c->gold_calls_by_tool[t] += o.gold_calls_by_tool[t];
  }
  c->max_calls_per_record = std::max(c->max_calls_per_record, o.max_calls_per_record);
  c->call_turns += o.call_turns;
  c->max_calls_per_turn = std::max(c->max_calls_per_turn, o.max_calls_per_turn);
  for (int b = 0; b < kNumAnswerBuckets; ++b) c->answer_sizes[b] += o.answer_sizes[b];
  for (int k = 0; k < kNumRecordOutcomes; ++k) c->outcomes[k] += o.outcomes[k];
  c->reflections += o.reflections;
  c->later_reflections += o.later_reflections;
}

// --- shard stats file ------------------------------------------------------------------------

std::string HexList(const std::vector<uint64_t>& v) {
  std::string out;
  out.reserve(v.size() * 16);
  for (uint64_t x : v) out += Hex64(x);
  return out;
}

Result<std::vector<uint64_t>> ParseHexList(std::string_view s, const std::string& where,
                                           const char* field) {
  if (s.size() % 16 != 0) return DataLossError(where + ": field '" + field + "' is truncated");
  std::vector<uint64_t> out(s.size() / 16);
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t v = 0;
    for (char c : s.substr(i * 16, 16)) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return DataLossError(where + ": field '" + field + "' is not hex");
      v = v << 4 | static_cast<uint64_t>(d);
    }
    out[i] = v;
  }
  return out;
}

template <size_t N>
void WriteArray(Writer& w, const char* key, const std::array<uint64_t, N>& a) {
  if (key != nullptr) w.Key(key);
  w.StartArray();
  for (uint64_t v : a) w.Uint64(v);
  w.EndArray();
}

// `shorter_ok`: a row may be shorter than N, the missing tail read as zeros (the rejection
// reasons are only ever appended, so a file written before a reason existed stays readable).
template <size_t N>
Status ReadArray(const JsonValue& row, const std::string& where, const char* field,
                 std::array<uint64_t, N>* out, bool shorter_ok = false) {
  if (!row.IsArray() || row.Size() > N || (row.Size() < N && !shorter_ok)) {
    return DataLossError(where + ": field '" + field + "' has the wrong length; delete the file "
                         "to regenerate");
  }
  out->fill(0);
  for (size_t k = 0; k < row.Size(); ++k) {
    if (!row[k].IsUint64()) return DataLossError(where + ": non-integer count in " + field);
    (*out)[k] = row[k].GetUint64();
  }
  return Status::Ok();
}

template <size_t N>
Status ReadMatrix(const JsonValue& doc, const char* field, const std::string& where,
                  std::array<std::array<uint64_t, N>, kNumPatterns>* out, bool shorter_ok = false) {
  KGF_ASSIGN_OR_RETURN(const JsonValue* rows, JsonGetArray(doc, field, where));
  if (rows->Size() != kNumPatterns) {
    return DataLossError(where + ": field '" + field + "' must have " +
                         std::to_string(kNumPatterns) + " rows; delete the file to regenerate");
  }
  for (int p = 0; p < kNumPatterns; ++p) {
    KGF_RETURN_IF_ERROR(ReadArray((*rows)[p], where, field, &(*out)[p], shorter_ok));
  }
  return Status::Ok();
}

Result<uint64_t> ReadUint(const JsonValue& doc, const char* field, const std::string& where) {
  KGF_ASSIGN_OR_RETURN(int64_t v, JsonGetInt(doc, field, where));
  if (v < 0) return DataLossError(where + ": field '" + field + "' is negative");
  return static_cast<uint64_t>(v);
}

struct ShardStats {
  std::string fingerprint;
  std::string checksum;
  SynthCounts counts;
  std::vector<uint64_t> keys;  // sorted dedup keys of the shard's queries
  // Sorted dedup keys of the queries the shard's reshaped records (no_answer, empty_step) were
  // sampled as: each sampled query gives one record whatever its outcome.
  std::vector<uint64_t> base_keys;
};

std::string ShardStatsJson(uint64_t shard, const ShardStats& st) {
  const SynthCounts& c = st.counts;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("fingerprint"); w.String(st.fingerprint.c_str());
  w.Key("shard"); w.Uint64(shard);
  w.Key("file"); w.String(ShardFileName(shard).c_str());
  w.Key("checksum"); w.String(st.checksum.c_str());
  w.Key("records"); w.Uint64(c.records);
  w.Key("attempts"); w.Uint64(c.attempts);
  w.Key("records_by_pattern_split"); w.StartArray();
  for (const auto& row : c.records_by_pattern_split) WriteArray(w, nullptr, row);
  w.EndArray();
  w.Key("rejections_by_pattern_reason"); w.StartArray();
  for (const auto& row : c.rejections) WriteArray(w, nullptr, row);
  w.EndArray();
  w.Key("cross_shard_duplicates"); w.Uint64(c.cross_shard_duplicates);
  WriteArray(w, "calls_by_kind", c.calls_by_kind);
  w.Key("gold_calls_by_tool"); w.StartArray();
  for (uint64_t v : c.gold_calls_by_tool) w.Uint64(v);
  w.EndArray();
  w.Key("max_calls_per_record"); w.Uint64(c.max_calls_per_record);
  w.Key("call_turns"); w.Uint64(c.call_turns);
  w.Key("max_calls_per_turn"); w.Uint64(c.max_calls_per_turn);
  WriteArray(w, "answer_sizes", c.answer_sizes);
  WriteArray(w, "outcomes", c.outcomes);
  w.Key("reflections"); w.Uint64(c.reflections);
  w.Key("later_reflections"); w.Uint64(c.later_reflections);
  // 16 hex digits per value, sorted.
  w.Key("query_keys"); w.String(HexList(st.keys).c_str());
  w.Key("base_keys"); w.String(HexList(st.base_keys).c_str());
  w.Key("question_hashes"); w.StartArray();
  for (const auto& h : c.question_hashes) w.String(HexList(h).c_str());
  w.EndArray();
  w.Key("train_facts"); w.String(HexList(c.train_facts).c_str());
  w.Key("test_facts"); w.StartArray();
  for (const auto& f : c.test_facts) w.String(HexList(f).c_str());
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

Result<ShardStats> ReadShardStats(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, path));
  if (!doc.IsObject()) return DataLossError(path + ": expected a JSON object");
  ShardStats st;
  SynthCounts& c = st.counts;
  KGF_ASSIGN_OR_RETURN(st.fingerprint, JsonGetString(doc, "fingerprint", path));
  KGF_ASSIGN_OR_RETURN(st.checksum, JsonGetString(doc, "checksum", path));
  KGF_ASSIGN_OR_RETURN(c.records, ReadUint(doc, "records", path));
  KGF_ASSIGN_OR_RETURN(c.attempts, ReadUint(doc, "attempts", path));
  KGF_RETURN_IF_ERROR(
      ReadMatrix(doc, "records_by_pattern_split", path, &c.records_by_pattern_split));
  KGF_RETURN_IF_ERROR(ReadMatrix(doc, "rejections_by_pattern_reason", path, &c.rejections,
                                 /*shorter_ok=*/true));
  KGF_ASSIGN_OR_RETURN(c.cross_shard_duplicates, ReadUint(doc, "cross_shard_duplicates", path));
  KGF_ASSIGN_OR_RETURN(const JsonValue* kinds, JsonGetArray(doc, "calls_by_kind", path));
  KGF_RETURN_IF_ERROR(ReadArray(*kinds, path, "calls_by_kind", &c.calls_by_kind));
  if (const auto it = doc.FindMember("gold_calls_by_tool"); it != doc.MemberEnd()) {
    if (!it->value.IsArray()) {
      return DataLossError(path + ": field 'gold_calls_by_tool' is not an array; delete the "
                           "file to regenerate");
    }
    for (const JsonValue& v : it->value.GetArray()) {
      if (!v.IsUint64()) return DataLossError(path + ": non-integer count in gold_calls_by_tool");
      c.gold_calls_by_tool.push_back(v.GetUint64());
    }
  }
  KGF_ASSIGN_OR_RETURN(c.max_calls_per_record, ReadUint(doc, "max_calls_per_record", path));
  KGF_ASSIGN_OR_RETURN(c.call_turns, ReadUint(doc, "call_turns", path));
  KGF_ASSIGN_OR_RETURN(c.max_calls_per_turn, ReadUint(doc, "max_calls_per_turn", path));
  KGF_ASSIGN_OR_RETURN(const JsonValue* sizes, JsonGetArray(doc, "answer_sizes", path));
  KGF_RETURN_IF_ERROR(ReadArray(*sizes, path, "answer_sizes", &c.answer_sizes));
  KGF_ASSIGN_OR_RETURN(const JsonValue* outcomes, JsonGetArray(doc, "outcomes", path));
  KGF_RETURN_IF_ERROR(ReadArray(*outcomes, path, "outcomes", &c.outcomes));
  KGF_ASSIGN_OR_RETURN(c.reflections, ReadUint(doc, "reflections", path));
  KGF_ASSIGN_OR_RETURN(c.later_reflections, ReadUint(doc, "later_reflections", path));
  KGF_ASSIGN_OR_RETURN(std::string keys, JsonGetString(doc, "query_keys", path));
  KGF_ASSIGN_OR_RETURN(st.keys, ParseHexList(keys, path, "query_keys"));
  KGF_ASSIGN_OR_RETURN(std::string base_keys, JsonGetString(doc, "base_keys", path));
  KGF_ASSIGN_OR_RETURN(st.base_keys, ParseHexList(base_keys, path, "base_keys"));
  KGF_ASSIGN_OR_RETURN(const JsonValue* questions, JsonGetArray(doc, "question_hashes", path));
  if (questions->Size() != kNumPatterns) {
    return DataLossError(path + ": field 'question_hashes' must have one entry per pattern");
  }
  for (int p = 0; p < kNumPatterns; ++p) {
    const JsonValue& v = (*questions)[p];
    if (!v.IsString()) return DataLossError(path + ": field 'question_hashes' must hold strings");
    KGF_ASSIGN_OR_RETURN(
        c.question_hashes[p],
        ParseHexList({v.GetString(), v.GetStringLength()}, path, "question_hashes"));
  }
  KGF_ASSIGN_OR_RETURN(std::string train_facts, JsonGetString(doc, "train_facts", path));
  KGF_ASSIGN_OR_RETURN(c.train_facts, ParseHexList(train_facts, path, "train_facts"));
  KGF_ASSIGN_OR_RETURN(const JsonValue* test_facts, JsonGetArray(doc, "test_facts", path));
  for (const JsonValue& v : test_facts->GetArray()) {
    if (!v.IsString()) return DataLossError(path + ": field 'test_facts' must hold strings");
    KGF_ASSIGN_OR_RETURN(c.test_facts.emplace_back(),
                         ParseHexList({v.GetString(), v.GetStringLength()}, path, "test_facts"));
  }
  if (st.keys.size() != c.records) {
    return DataLossError(path + ": " + std::to_string(st.keys.size()) + " query keys for " +
                         std::to_string(c.records) + " records; delete the file to regenerate");
  }
  return st;
}

// --- streams ---------------------------------------------------------------------------------

// Per-run state shared by the workers (read-only while they run).
struct RunContext {
  const kg::Graph* graph;
  const SynthOptions* options;
  const QuerySampler* sampler;
  const OutcomeShaper* shaper;
  const DialogueRenderer* renderer;
  const ToolCatalog* catalog;
  const RunPlan* plan;
  std::string fingerprint;
  tbb::task_arena* arena;
};

// One attempt of a stream.
struct Attempt {
  uint64_t key = 0;      // dedup key of the sampled query (when sampled), after shaping
  uint64_t base = 0;     // dedup key of the query as sampled, before shaping (= key if unshaped)
  uint8_t reason = 0;    // RejectReason; kNone = a candidate
  uint8_t sampled = 0;   // 1 when the sampler produced a query (key is set)
};

// The attempts of stream (shard, pattern) made so far: a prefix of the stream.
struct Stream {
  std::vector<Attempt> attempts;
  // Within-stream duplicates: the keys of the stream's sampled queries (duplicates aside) and
  // the bases of its candidates (Step()).
  KeySet seen;
  uint64_t candidates = 0;
};

uint64_t StreamBase(const RunContext& ctx, uint64_t shard, int pattern) {
  return (shard * kNumPatterns + static_cast<uint64_t>(pattern)) * ctx.plan->stride;
}

uint64_t StreamLimit(const RunContext& ctx, uint64_t target) {
  return std::min(target * ctx.options->max_attempts_per_record, ctx.plan->stride);
}

// The sample of item `index`; Render() continues on the same rng. *base_key: the dedup key of
// the query as the sampler drew it, before the shaper swapped an anchor (when accepted).
SampleOutcome SampleItem(const RunContext& ctx, Pattern pattern, uint64_t index, Rng& rng,
                         uint64_t* base_key = nullptr) {
  rng = Rng::ForItem(ctx.options->seed, index);
  SampleOutcome sample = ctx.sampler->Sample(pattern, rng);
  if (sample.query) {
    if (base_key != nullptr) *base_key = DedupKey(*ctx.graph, *sample.query);
    ctx.shaper->Shape(&sample, rng);
  }
  return sample;
}

// Makes the stream's next attempt: sample, within-stream dedup, render (answer leak).
void Step(const RunContext& ctx, uint64_t shard, int p, Stream* st) {
  const uint64_t index = StreamBase(ctx, shard, p) + st->attempts.size();
  Rng rng(0);
  Attempt a;
  SampleOutcome sample = SampleItem(ctx, static_cast<Pattern>(p), index, rng, &a.base);
  if (!sample.query) {
    a.reason = static_cast<uint8_t>(sample.reason);
  } else {
    a.sampled = 1;
    a.key = DedupKey(*ctx.graph, *sample.query);
    // A duplicate when either the record's query or the query it was sampled as was used: a
    // sampled query gives one record whatever its outcome, so a reshaped record never adds to
    // its pattern what the graph's distinct queries ran out of, and the outcome shares hold
    // when quotas ask for nearly every distinct query (before: no_answer 16% of the closed
    // loop's records for a share of 3%).
    // A duplicate marks nothing: a draw reshaped onto a used query leaves the query it was
    // sampled as free. The base is used up only by a candidate (a leak or a held-out split is a
    // property of the reshaped query, not of its base).
    if (st->seen.count(a.key) != 0 || st->seen.count(a.base) != 0) {
      a.reason = static_cast<uint8_t>(RejectReason::kDuplicate);
    } else {
      st->seen.insert(a.key);
      // Only the question is needed to know whether Render() will keep it.
      const bool leaks = ctx.renderer->AnswerLeaks(sample, rng);
      a.reason = static_cast<uint8_t>(leaks ? RejectReason::kAnswerLeak : RejectReason::kNone);
      const SplitOptions& split = ctx.options->split;
      if (!leaks && split.train_only &&
          SampleSplit(*ctx.graph, *sample.query, sample.node_sets, split) != Split::kTrain) {
        a.reason = static_cast<uint8_t>(RejectReason::kHeldOut);
      }
      if (a.reason == static_cast<uint8_t>(RejectReason::kNone)) {
        st->seen.insert(a.base);
        ++st->candidates;
      }
    }
  }
  st->attempts.push_back(a);
}

// Attempts file: the magic, the run fingerprint and '\n', then per pattern a little-endian
// u64 n and n attempts of 18 bytes (reason, sampled, key and base as u64).
void PutU64(std::string* out, uint64_t v) {
  for (int b = 0; b < 8; ++b) out->push_back(static_cast<char>(v >> (8 * b) & 0xff));
}

uint64_t GetU64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (int b = 0; b < 8; ++b) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + b])) << (8 * b);
  }
  return v;
}

std::string AttemptsBytes(const std::string& fingerprint, const std::vector<Stream>& streams) {
  std::string out = kAttemptsMagic + fingerprint + "\n";
  for (const Stream& st : streams) {
    PutU64(&out, st.attempts.size());
    for (const Attempt& a : st.attempts) {
      out.push_back(static_cast<char>(a.reason));
      out.push_back(static_cast<char>(a.sampled));
      PutU64(&out, a.key);
      PutU64(&out, a.base);
    }
  }
  return out;
}

Result<std::vector<Stream>> ReadAttempts(const RunContext& ctx, uint64_t shard) {
  const std::string path = JoinPath(ctx.options->out_dir, AttemptsFileName(shard));
  KGF_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  const std::string head = kAttemptsMagic + ctx.fingerprint + "\n";
  auto corrupt = [&] { return DataLossError(path + ": corrupt (another run writing here?)"); };
  if (bytes.compare(0, head.size(), head) != 0) return corrupt();
  std::vector<Stream> streams(kNumPatterns);
  size_t at = head.size();
  for (Stream& st : streams) {
    if (bytes.size() < at + 8) return corrupt();
    const uint64_t n = GetU64(bytes, at);
    at += 8;
    if ((bytes.size() - at) / 18 < n) return corrupt();
    st.attempts.resize(n);
    for (Attempt& a : st.attempts) {
      a.reason = static_cast<uint8_t>(bytes[at]);
      a.sampled = static_cast<uint8_t>(bytes[at + 1]);
      a.key = GetU64(bytes, at + 2);
      a.base = GetU64(bytes, at + 10);
      at += 18;
      if (a.reason >= kNumRejectReasons) return corrupt();
      // As Step() marks them.
      if (a.sampled && a.reason != static_cast<uint8_t>(RejectReason::kDuplicate)) {
        st.seen.insert(a.key);
      }
      if (a.reason == 0) st.seen.insert(a.base);
      st.candidates += a.reason == 0 ? 1 : 0;
    }
  }
  if (at != bytes.size()) return corrupt();
  return streams;
}

// --- phase 1: stream prefixes ----------------------------------------------------------------

// The first attempts of each stream of `shard`: until the stream has its target plus a surplus
// for candidates later shards lose to earlier ones (shard 0 loses none), or its limit. The
// surplus only saves work: phase 2 extends a stream whose surplus was too small.
Status GeneratePrefixes(const RunContext& ctx, uint64_t shard, Progress& progress) {
  const PatternArray targets = ShardTargets(*ctx.plan, *ctx.options, shard);
  std::vector<Stream> streams(kNumPatterns);
  tbb::parallel_for(0, kNumPatterns, [&](int p) {
    const uint64_t t = targets[p];
    const uint64_t want = t + (shard == 0 || t == 0 ? 0 : t / 8 + 2);
    const uint64_t limit = StreamLimit(ctx, t);
    Stream& st = streams[p];
    uint64_t pending = 0;
    while (st.candidates < want && st.attempts.size() < limit) {
      const uint64_t before = st.candidates;
      Step(ctx, shard, p, &st);
      if (st.candidates > before && st.candidates <= t && ++pending == 64) {
        progress.Add(pending);
        pending = 0;
      }
    }
    progress.Add(pending);
  });
  return WriteFileAtomic(JoinPath(ctx.options->out_dir, AttemptsFileName(shard)),
                         AttemptsBytes(ctx.fingerprint, streams));
}

// --- phase 2: selection in shard order -------------------------------------------------------

// What shard s keeps of one stream.
struct Selection {
  std::vector<uint64_t> picked;  // attempt numbers j of the kept candidates, ascending
  std::vector<uint64_t> keys;    // their dedup keys
  std::vector<uint64_t> bases;   // the keys they were sampled as (Attempt::base)
  uint64_t consumed = 0;         // attempts 0..consumed-1 count as the shard's attempts
  std::array<uint64_t, kNumRejectReasons> rejections{};
  uint64_t cross_shard_duplicates = 0;
};

using ShardPlan = std::array<Selection, kNumPatterns>;

// The first `target` candidates of the stream whose keys no earlier shard kept, within the
// stream's limit; extends the stream where its prefix ends first.
Selection Select(const RunContext& ctx, uint64_t shard, int p, uint64_t target,
                 const KeySet& kept, Stream* st) {
  Selection sel;
  const uint64_t limit = StreamLimit(ctx, target);
  for (uint64_t j = 0; sel.picked.size() < target && j < limit; ++j) {
    if (j == st->attempts.size()) Step(ctx, shard, p, st);
    const Attempt& a = st->attempts[j];
    sel.consumed = j + 1;
    if (a.reason != 0) {
      ++sel.rejections[a.reason];
    } else if (kept.count(a.key) != 0 || kept.count(a.base) != 0) {
      ++sel.rejections[static_cast<int>(RejectReason::kDuplicate)];
      ++sel.cross_shard_duplicates;
    } else {
      sel.picked.push_back(j);
      sel.keys.push_back(a.key);
      sel.bases.push_back(a.base);
    }
  }
  return sel;
}

// Shard s's selection. With weights, the unfilled part of a stream that reached its limit goes
// to the shard's other patterns by weight, until the shard is full or every pattern ran out.
ShardPlan ResolveShard(const RunContext& ctx, uint64_t shard, const KeySet& kept,
                       std::vector<Stream>* streams) {
  PatternArray targets = ShardTargets(*ctx.plan, *ctx.options, shard);
  std::array<bool, kNumPatterns> dirty{}, given_up{};
  for (int p = 0; p < kNumPatterns; ++p) dirty[p] = targets[p] > 0;
  ShardPlan plan;
  for (;;) {
    tbb::parallel_for(0, kNumPatterns, [&](int p) {
      if (dirty[p]) plan[p] = Select(ctx, shard, p, targets[p], kept, &(*streams)[p]);
    });
    dirty = {};
    if (ctx.plan->quotas) break;
    uint64_t shortfall = 0;
    for (int p = 0; p < kNumPatterns; ++p) {
      if (given_up[p] || plan[p].picked.size() == targets[p]) continue;
      shortfall += targets[p] - plan[p].picked.size();
      given_up[p] = true;  // its selection stays as it is
    }
    std::array<bool, kNumPatterns> eligible{};
    bool any = false;
    for (int p = 0; p < kNumPatterns; ++p) {
      eligible[p] = !given_up[p] && ctx.plan->weights[p] > 0;
      any |= eligible[p];
    }
    if (shortfall == 0 || !any) break;
    const PatternArray extra = Apportion(shortfall, ctx.plan->weights, eligible);
    for (int p = 0; p < kNumPatterns; ++p) {
      if (extra[p] == 0) continue;
      targets[p] += extra[p];
      dirty[p] = true;
    }
  }
  return plan;
}

// Every rank runs this in shard order and gets the same plans; it keeps those of its shards to
// write. Complete shards contribute the keys in their stats.
Result<std::vector<std::optional<ShardPlan>>> ResolveShards(
    const RunContext& ctx, const std::vector<std::optional<ShardStats>>& done,
    const std::vector<bool>& mine) {
  std::vector<std::optional<ShardPlan>> plans(done.size());
  KeySet kept;
  for (uint64_t s = 0; s < done.size(); ++s) {
    if (done[s]) {
      kept.insert(done[s]->keys.begin(), done[s]->keys.end());
      kept.insert(done[s]->base_keys.begin(), done[s]->base_keys.end());
      continue;
    }
    KGF_ASSIGN_OR_RETURN(std::vector<Stream> streams, ReadAttempts(ctx, s));
    ShardPlan plan;
    ctx.arena->execute([&] { plan = ResolveShard(ctx, s, kept, &streams); });
    for (const Selection& sel : plan) {
      kept.insert(sel.keys.begin(), sel.keys.end());
      kept.insert(sel.bases.begin(), sel.bases.end());
    }
    if (mine[s]) plans[s] = std::move(plan);
  }
  return plans;
}

// --- phase 3: write a shard ------------------------------------------------------------------

// Re-renders the shard's records (a pure function of their item indices) in an order drawn
// from (seed, index), writes them, then the stats file.
Result<ShardStats> WriteShard(const RunContext& ctx, uint64_t shard, const ShardPlan& plan,
                              Progress& progress) {
  const SynthOptions& o = *ctx.options;
  struct Item {
    uint64_t order, index, key, base;
    int pattern;
  };
  std::vector<Item> items;
  ShardStats st;
  st.fingerprint = ctx.fingerprint;
  for (int p = 0; p < kNumPatterns; ++p) {
    const Selection& sel = plan[p];
    for (size_t k = 0; k < sel.picked.size(); ++k) {
      const uint64_t index = StreamBase(ctx, shard, p) + sel.picked[k];
      const uint64_t order = Mix64(Mix64(o.seed ^ 0x6f726465725f6b31ULL) ^ index);
      items.push_back({order, index, sel.keys[k], sel.bases[k], p});
    }
    st.counts.attempts += sel.consumed;
    st.counts.rejections[p] = sel.rejections;
    st.counts.cross_shard_duplicates += sel.cross_shard_duplicates;
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.order != b.order ? a.order < b.order : a.index < b.index;
  });
  const std::string path = JoinPath(o.out_dir, ShardFileName(shard));
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineWriter> writer, LineWriter::Open(path, o.zstd_level));
  std::string line;
  for (const Item& item : items) {
    const Pattern pattern = static_cast<Pattern>(item.pattern);
    Rng rng(0);
    SampleOutcome sample = SampleItem(ctx, pattern, item.index, rng);
    KGF_CHECK(sample.query && DedupKey(*ctx.graph, *sample.query) == item.key)
        << "item " << item.index << " did not re-sample to its query";
    const Split split = SampleSplit(*ctx.graph, *sample.query, sample.node_sets, o.split);
    std::optional<Record> record =
        ctx.renderer->Render(sample, SplitName(split), o.seed, item.index, rng);
    KGF_CHECK(record.has_value()) << "item " << item.index << " did not re-render";
    if (split != Split::kValid) {
      std::vector<uint64_t> facts;
      for (const kg::Triple& t : QueryFacts(*ctx.graph, *sample.query, sample.node_sets)) {
        facts.push_back(Mix64(Mix64(t.head.value() + 1) ^ (uint64_t{t.relation.value()} << 40) ^
                              (uint64_t{t.tail.value()} << 1)));
      }
      std::sort(facts.begin(), facts.end());
      auto& into = split == Split::kTrain ? st.counts.train_facts : st.counts.test_facts.emplace_back();
      into.insert(into.end(), facts.begin(), facts.end());
    }
    line.clear();
    AppendRecordJson(*record, &line);
    KGF_RETURN_IF_ERROR(writer->WriteLine(line));
    AddRecordStats(*record, pattern, split, *ctx.catalog, &st.counts);
    st.keys.push_back(item.key);
    if (item.base != item.key) st.base_keys.push_back(item.base);
    progress.Add(1);
  }
  KGF_RETURN_IF_ERROR(writer->Close());
  SortUnique(&st.keys);
  SortUnique(&st.base_keys);
  for (auto& h : st.counts.question_hashes) SortUnique(&h);
  SortUnique(&st.counts.train_facts);
  KGF_ASSIGN_OR_RETURN(st.checksum, FileChecksum(path));
  KGF_RETURN_IF_ERROR(
      WriteFileAtomic(JoinPath(o.out_dir, StatsFileName(shard)), ShardStatsJson(shard, st)));
  return st;
}

// A shard from an earlier run counts only if its stats match this run and its bytes verify.
std::optional<ShardStats> CompleteShard(const RunContext& ctx, uint64_t shard) {
  const std::string dir = ctx.options->out_dir;
  const std::string stats_path = JoinPath(dir, StatsFileName(shard));
  if (!FileExists(stats_path)) return std::nullopt;
  Result<ShardStats> st = ReadShardStats(stats_path);
  if (!st.ok() || st->fingerprint != ctx.fingerprint) return std::nullopt;
  Result<std::string> sum = FileChecksum(JoinPath(dir, ShardFileName(shard)));
  if (!sum.ok() || *sum != st->checksum) return std::nullopt;
  return std::move(st).value();
}

// --- reports ---------------------------------------------------------------------------------

// The numbers that say what the records teach; shared by manifest.json and --json.
void WriteTeaching(Writer& w, const SynthCounts& c) {
  w.Key("distinct_questions"); w.Uint64(c.DistinctQuestions());
  w.Key("test_records_with_only_train_facts"); w.Uint64(c.TestRecordsWithOnlyTrainFacts());
  w.Key("duplicates_across_shards"); w.Uint64(c.cross_shard_duplicates);
  w.Key("tool_calls"); w.StartObject();
  w.Key("total"); w.Uint64(c.Calls());
  for (int k = 0; k < kNumCallKinds; ++k) {
    w.Key(CallKindName(k).data()); w.Uint64(c.calls_by_kind[k]);
  }
  w.Key("per_dialogue_mean"); w.Double(Round6(Share(c.Calls(), c.records)));
  w.Key("per_dialogue_max"); w.Uint64(c.max_calls_per_record);
  w.Key("turns"); w.Uint64(c.call_turns);
  w.Key("per_turn_mean"); w.Double(Round6(Share(c.Calls(), c.call_turns)));
  w.Key("per_turn_max"); w.Uint64(c.max_calls_per_turn);
  w.EndObject();
  w.Key("answer_sizes"); w.StartObject();
  for (int b = 0; b < kNumAnswerBuckets; ++b) {
    w.Key(AnswerBucketName(b).data()); w.Uint64(c.answer_sizes[b]);
  }
  w.EndObject();
  w.Key("outcomes"); w.StartObject();
  for (int k = 0; k < kNumRecordOutcomes; ++k) {
    w.Key(RecordOutcomeName(static_cast<RecordOutcome>(k)).data()); w.Uint64(c.outcomes[k]);
  }
  w.EndObject();
  w.Key("self_reflection"); w.StartObject();
  w.Key("records"); w.Uint64(c.reflections);
  w.Key("after_first_turn"); w.Uint64(c.later_reflections);
  w.EndObject();
}

void WriteRejections(Writer& w, const SynthCounts& c) {
  w.Key("rejections"); w.StartObject();
  for (int r = 1; r < kNumRejectReasons; ++r) {
    w.Key(RejectReasonName(static_cast<RejectReason>(r)).data());
    w.Uint64(c.Rejections(static_cast<RejectReason>(r)));
  }
  w.EndObject();
}

void WriteOptions(Writer& w, const SynthOptions& o) {
  w.Key("options"); w.StartObject();
  w.Key("count"); w.Uint64(o.count);
  w.Key("seed"); w.Uint64(o.seed);
  w.Key("patterns"); w.String(o.patterns.c_str());
  w.Key("shard_size"); w.Uint64(o.shard_size);
  w.Key("max_attempts_per_record"); w.Uint64(o.max_attempts_per_record);
  w.Key("answer_cap"); w.Int(o.sampler.answer_cap);
  w.Key("max_width"); w.Int(o.sampler.max_width);
  w.Key("max_set"); w.Int(o.sampler.max_set);
  w.Key("hop_tries"); w.Int(o.sampler.hop_tries);
  w.Key("both_directions"); w.Bool(o.sampler.both_directions);
  w.Key("allow_anchor_answers"); w.Bool(o.sampler.allow_anchor_answers);
  w.Key("allow_relations"); w.StartArray();
  for (const std::string& r : o.sampler.allow_relations) w.String(r.c_str());
  w.EndArray();
  w.Key("deny_relations"); w.StartArray();
  for (const std::string& r : o.sampler.deny_relations) w.String(r.c_str());
  w.EndArray();
  w.Key("anchor_types"); w.StartArray();
  for (const std::string& t : o.sampler.anchor_types) w.String(t.c_str());
  w.EndArray();
  w.Key("distractors"); w.Int(o.render.distractors);
  w.Key("reflection_share"); w.Double(o.render.reflection_share);
  w.Key("set_arguments"); w.String(o.render.result_refs ? "refs" : "lists");
  w.Key("hop_arguments"); w.String(o.render.hop_refs ? "refs" : "names");
  w.Key("no_answer_share"); w.Double(o.outcomes.no_answer_share);
  w.Key("empty_step_share"); w.Double(o.outcomes.empty_step_share);
  w.Key("no_tool_share"); w.Double(o.outcomes.no_tool_share);
  w.Key("valid_fraction"); w.Double(o.split.valid_fraction);
  w.Key("test_fraction"); w.Double(o.split.test_fraction);
  if (o.split.train_only) { w.Key("train_only"); w.Bool(true); }
  w.EndObject();
}

struct ShardEntry {
  uint64_t records = 0, attempts = 0;
  std::string checksum;
};

std::string ManifestJson(const KgRef& kg, const SynthOptions& o, const std::string& fingerprint,
                         const PatternArray& requested, const std::vector<ShardEntry>& shards,
                         const SynthCounts& total, size_t num_tools,
                         const std::string& tools_checksum) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("format"); w.String("kgforge-synth/2");
  w.Key("kg"); w.StartObject();
  w.Key("name"); w.String(kg.name.c_str());
  w.Key("checksum"); w.String(kg.checksum.c_str());
  w.EndObject();
  w.Key("fingerprint"); w.String(fingerprint.c_str());
  WriteOptions(w, o);
  w.Key("records"); w.Uint64(total.records);
  w.Key("attempts"); w.Uint64(total.attempts);
  w.Key("splits"); w.StartObject();
  for (int s = 0; s < kNumSplits; ++s) {
    w.Key(SplitName(static_cast<Split>(s)).data());
    w.Uint64(total.RecordsOf(static_cast<Split>(s)));
  }
  w.EndObject();
  w.Key("patterns"); w.StartObject();
  for (Pattern p : AllPatterns()) {
    const int pi = static_cast<int>(p);
    w.Key(PatternName(p).data()); w.StartObject();
    w.Key("records"); w.Uint64(total.RecordsOf(p));
    w.Key("share"); w.Double(Round6(Share(total.RecordsOf(p), total.records)));
    w.Key("requested"); w.Uint64(requested[pi]);
    w.Key("requested_share"); w.Double(Round6(Share(requested[pi], o.count)));
    w.Key("distinct_questions"); w.Uint64(total.DistinctQuestions(p));
    for (int s = 0; s < kNumSplits; ++s) {
      w.Key(SplitName(static_cast<Split>(s)).data());
      w.Uint64(total.records_by_pattern_split[pi][s]);
    }
    w.Key("rejections"); w.StartObject();
    for (int r = 1; r < kNumRejectReasons; ++r) {
      if (total.rejections[pi][r] == 0) continue;
      w.Key(RejectReasonName(static_cast<RejectReason>(r)).data());
      w.Uint64(total.rejections[pi][r]);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  WriteRejections(w, total);
  WriteTeaching(w, total);
  w.Key("tools"); w.StartObject();
  w.Key("file"); w.String("tools.json");
  w.Key("count"); w.Uint64(num_tools);
  w.Key("checksum"); w.String(tools_checksum.c_str());
  w.EndObject();
  w.Key("system_prompts"); w.Uint64(NumSystemPrompts());
  w.Key("shards"); w.StartArray();
  for (size_t s = 0; s < shards.size(); ++s) {
    w.StartObject();
    w.Key("file"); w.String(ShardFileName(s).c_str());
    w.Key("records"); w.Uint64(shards[s].records);
    w.Key("attempts"); w.Uint64(shards[s].attempts);
    w.Key("checksum"); w.String(shards[s].checksum.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  JsonDoc doc;
  doc.Parse(sb.GetString());
  return JsonToPrettyString(doc) + "\n";
}

// The top 3 rejection reasons of a pattern, "identical_branches 50, broken 3".
std::string TopReasons(const SynthCounts& c, int p, std::vector<int>* reasons) {
  std::vector<int> order;
  for (int r = 1; r < kNumRejectReasons; ++r) {
    if (c.rejections[p][r] > 0) order.push_back(r);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return c.rejections[p][a] > c.rejections[p][b]; });
  if (order.size() > 3) order.resize(3);
  std::string out;
  for (int r : order) {
    if (!out.empty()) out += ", ";
    out += std::string(RejectReasonName(static_cast<RejectReason>(r))) + " " +
           std::to_string(c.rejections[p][r]);
    reasons->push_back(r);
  }
  return out.empty() ? "none" : out;
}

// What would fill the short patterns, for the rejection reasons among their top ones: ", a higher
// answer cap (--answer-cap, now 20)", ...
std::string WaysToFill(const SynthOptions& o, const std::vector<int>& reasons) {
  auto has = [&](RejectReason r) {
    return std::find(reasons.begin(), reasons.end(), static_cast<int>(r)) != reasons.end();
  };
  std::string m = "allow more attempts per record (--max-attempts-per-record, now " +
                  std::to_string(o.max_attempts_per_record) + ")";
  if (has(RejectReason::kTooManyAnswers)) {
    m += ", a higher answer cap (--answer-cap, now " + std::to_string(o.sampler.answer_cap) + ")";
  }
  if (has(RejectReason::kTooWide)) {
    m += ", wider hops (--max-width, now " + std::to_string(o.sampler.max_width) +
         "; --max-set, now " + std::to_string(o.sampler.max_set) + ")";
  }
  if (has(RejectReason::kBroken)) {
    m += ", more tries per hop (--hop-tries, now " + std::to_string(o.sampler.hop_tries) + ")";
  }
  m += ", or ask for fewer records of these patterns (--patterns / --count)";
  if (has(RejectReason::kDuplicate)) m += "; 'duplicate' means the graph holds few such queries";
  if (has(RejectReason::kRedundantBranch) || has(RejectReason::kIdenticalBranches)) {
    m += "; 'redundant_branch' / 'identical_branches' mean the graph holds few such queries "
         "whose every condition changes the answers";
  }
  return m;
}

// OK when the run met its targets; else the FailedPrecondition that says what fell short, why,
// and what to change.
Status CheckTargets(const RunPlan& plan, const SynthOptions& o, const SynthCounts& c) {
  std::vector<int> short_patterns;
  for (int p = 0; p < kNumPatterns; ++p) {
    if (c.RecordsOf(static_cast<Pattern>(p)) < plan.requested[p]) short_patterns.push_back(p);
  }
  // Quotas are met pattern by pattern; weights only need the count (the shares may move).
  if (c.records >= o.count && (!plan.quotas || short_patterns.empty())) return Status::Ok();
  std::stable_sort(short_patterns.begin(), short_patterns.end(), [&](int a, int b) {
    return c.RejectionsOf(static_cast<Pattern>(a)) > c.RejectionsOf(static_cast<Pattern>(b));
  });
  std::string m = "synth: made " + std::to_string(c.records) + " of " + std::to_string(o.count) +
                  " records; " + (plan.quotas ? "these quotas" : "these patterns' shares") +
                  " could not be filled from the graph within " +
                  std::to_string(o.max_attempts_per_record) + " attempts per record:";
  std::vector<int> reasons;
  for (int p : short_patterns) {
    m += "\n  " + std::string(PatternName(static_cast<Pattern>(p))) + ": " +
         std::to_string(c.RecordsOf(static_cast<Pattern>(p))) + " of " +
         std::to_string(plan.requested[p]) + " records (top rejections: " +
         TopReasons(c, p, &reasons) + ")";
  }
  m += "\nTo get them: " + WaysToFill(o, reasons);
  m += ". Changed options need a new output directory (this one, " + o.out_dir +
       ", keeps the finished shards: rerunning the same command reuses them).";
  return FailedPreconditionError(std::move(m));
}

// With weights: a pattern whose realised share is more than 2 points below its requested share
// is a warning naming the realised mix, why those patterns fell short and what would fill them.
void WarnOnShares(const RunPlan& plan, const SynthOptions& o, const SynthCounts& c) {
  if (plan.quotas || c.records == 0) return;
  uint64_t requested_total = 0;
  for (uint64_t r : plan.requested) requested_total += r;
  std::vector<int> short_patterns;
  for (int p = 0; p < kNumPatterns; ++p) {
    if (Share(c.RecordsOf(static_cast<Pattern>(p)), c.records) <
        Share(plan.requested[p], requested_total) - 0.02) {
      short_patterns.push_back(p);
    }
  }
  if (short_patterns.empty()) return;
  std::string m = "synth: the graph could not fill every pattern's share; realised (requested):";
  char buf[96];
  for (int p = 0; p < kNumPatterns; ++p) {
    if (plan.weights[p] <= 0) continue;
    const Pattern pattern = static_cast<Pattern>(p);
    std::snprintf(buf, sizeof(buf), " %s %.1f%% (%.1f%%)", PatternName(pattern).data(),
                  100.0 * Share(c.RecordsOf(pattern), c.records),
                  100.0 * Share(plan.requested[p], requested_total));
    m += buf;
  }
  m += ". Short, with their top rejections:";
  std::vector<int> reasons;
  for (int p : short_patterns) {
    m += "\n  " + std::string(PatternName(static_cast<Pattern>(p))) + ": " +
         TopReasons(c, p, &reasons);
  }
  m += "\nThe other patterns filled the count. To get the requested mix: " + WaysToFill(o, reasons) +
       " (--patterns with counts makes a short pattern an error instead).";
  KGF_LOG(WARNING) << m;
}

// --- run -------------------------------------------------------------------------------------

Status ValidateOptions(const SynthOptions& o) {
  if (o.out_dir.empty()) {
    return InvalidArgumentError("synth: no output directory; pass --out DIR");
  }
  if (o.count == 0) return InvalidArgumentError("synth: --count must be >= 1");
  if (o.shard_size == 0) return InvalidArgumentError("synth: --shard-size must be >= 1");
  if (o.max_attempts_per_record == 0) {
    return InvalidArgumentError("synth: --max-attempts-per-record must be >= 1");
  }
  if (o.threads < 0) return InvalidArgumentError("synth: --threads must be >= 0 (0 = all cores)");
  if (o.render.distractors < 0) return InvalidArgumentError("synth: --distractors must be >= 0");
  if (!(o.render.reflection_share >= 0 && o.render.reflection_share <= 1)) {
    return InvalidArgumentError("synth: --reflection-share must be in [0, 1]");
  }
  if (Status st = o.outcomes.Validate(); !st.ok()) {
    return InvalidArgumentError("synth: " + st.message());
  }
  if (!(o.split.valid_fraction >= 0 && o.split.test_fraction >= 0 &&
        o.split.valid_fraction + o.split.test_fraction < 1)) {
    return InvalidArgumentError(
        "synth: --valid-fraction and --test-fraction must be >= 0 and sum to less than 1");
  }
  // Every item index, (shards * patterns) * stride, must fit in 64 bits.
  const unsigned __int128 shards = (o.count + o.shard_size - 1) / o.shard_size;
  const unsigned __int128 stride =
      static_cast<unsigned __int128>(o.shard_size + kNumPatterns) * o.max_attempts_per_record;
  if (shards * kNumPatterns * stride >= (static_cast<unsigned __int128>(1) << 63)) {
    return InvalidArgumentError(
        "synth: the record count times the attempts per record is too large for 64-bit item "
        "indices; lower the count or the attempts per record");
  }
  return Status::Ok();
}

Result<RunPlan> MakePlan(const SynthOptions& options, uint64_t* count) {
  RunPlan plan;
  if (IsQuotaSpec(options.patterns)) {
    KGF_ASSIGN_OR_RETURN(std::vector<uint64_t> quotas, ParsePatternQuotas(options.patterns));
    plan.quotas = true;
    *count = 0;
    for (int p = 0; p < kNumPatterns; ++p) {
      plan.requested[p] = quotas[p];
      plan.weights.push_back(static_cast<double>(quotas[p]));
      *count += quotas[p];
    }
  } else {
    KGF_ASSIGN_OR_RETURN(plan.weights, ParsePatternMix(options.patterns));
    std::array<bool, kNumPatterns> all;
    all.fill(true);
    if (options.count > 0) plan.requested = Apportion(options.count, plan.weights, all);
  }
  return plan;
}

// Collective error agreement: if any rank failed, every rank returns an error.
Status AgreeOnStatus(dist::Communicator& comm, const Status& mine) {
  Result<int64_t> failures = comm.SumAll(mine.ok() ? 0 : 1);
  if (!failures.ok()) return failures.status();
  if (!mine.ok()) return mine;
  if (*failures > 0) return InternalError("synth: another MPI rank failed; see its error");
  return Status::Ok();
}

Status FirstError(const std::vector<Status>& errors) {
  for (const Status& e : errors) {
    if (!e.ok()) return e;
  }
  return Status::Ok();
}

// Rank 0 prepares the directory: checks it belongs to this run, removes temp files a killed
// run left behind, records the fingerprint.
Status PrepareDirectory(const std::string& dir, const std::string& fingerprint,
                        const std::string& config) {
  KGF_RETURN_IF_ERROR(CreateDirectories(dir).WithContext("synth: output directory"));
  const std::string run_path = JoinPath(dir, "run.json");
  if (FileExists(run_path)) {
    KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(run_path));
    KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, run_path));
    Result<std::string> old = doc.IsObject()
                                  ? JsonGetString(doc, "fingerprint", run_path)
                                  : Result<std::string>(DataLossError(run_path + ": not an object"));
    if (!old.ok() || *old != fingerprint) {
      return FailedPreconditionError(
          "synth: " + dir + " holds the output of a run with different options or graph (" +
          run_path + "); rerun with the same options to resume, or choose a new --out");
    }
  }
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  for (const std::string& name : names) {
    if (name.find(".tmp.") != std::string::npos) {
      KGF_RETURN_IF_ERROR(RemoveFile(JoinPath(dir, name)));
    }
  }
  return WriteFileAtomic(run_path, "{\"fingerprint\":" + JsonQuote(fingerprint) +
                                       ",\"config\":" + JsonQuote(config) + "}\n");
}

// Phase 0. Each rank checks its own shards (bytes against stats) and removes the stats of a
// shard that does not verify; after the barrier a stats file present means a complete shard,
// and every rank reads all of them (their keys seed the selection).
Result<std::vector<std::optional<ShardStats>>> FindCompleteShards(
    const RunContext& ctx, dist::Communicator& comm, const std::vector<uint64_t>& mine) {
  const std::string& dir = ctx.options->out_dir;
  std::vector<Status> errors(mine.size());
  ctx.arena->execute([&] {
    tbb::parallel_for(size_t{0}, mine.size(), [&](size_t k) {
      if (!CompleteShard(ctx, mine[k])) {
        errors[k] = RemoveFile(JoinPath(dir, StatsFileName(mine[k])));
      }
    });
  });
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, FirstError(errors)));
  std::vector<std::optional<ShardStats>> done(ctx.plan->num_shards);
  Status read;
  for (uint64_t s = 0; s < done.size() && read.ok(); ++s) {
    const std::string path = JoinPath(dir, StatsFileName(s));
    if (!FileExists(path)) continue;
    Result<ShardStats> st = ReadShardStats(path);
    if (!st.ok()) {
      read = st.status();
    } else if (st->fingerprint != ctx.fingerprint) {
      read = DataLossError(path + ": changed during the run (another run writing here?)");
    } else {
      done[s] = std::move(st).value();
    }
  }
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, read));
  return done;
}

// Phases 1-3 for the shards still to make; collective.
Status MakeShards(const RunContext& ctx, dist::Communicator& comm, const std::vector<uint64_t>& mine,
                  const std::vector<std::optional<ShardStats>>& done) {
  std::vector<uint64_t> todo;
  uint64_t reused_records = 0;
  for (uint64_t s : mine) {
    if (!done[s]) todo.push_back(s);
    if (done[s]) reused_records += done[s]->counts.records;
  }
  std::vector<Status> errors(todo.size());
  {
    Progress progress("synth", comm.size() == 1 ? ctx.options->count : 0, "records");
    progress.Add(reused_records);
    ctx.arena->execute([&] {
      tbb::parallel_for(size_t{0}, todo.size(), [&](size_t k) {
        errors[k] = GeneratePrefixes(ctx, todo[k], progress);
      });
    });
  }
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, FirstError(errors)));

  std::vector<bool> is_mine(done.size());
  for (uint64_t s : todo) is_mine[s] = true;
  Result<std::vector<std::optional<ShardPlan>>> plans = ResolveShards(ctx, done, is_mine);
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, plans.status()));

  uint64_t to_write = 0;
  for (uint64_t s : todo) {
    for (const Selection& sel : *(*plans)[s]) to_write += sel.picked.size();
  }
  Progress progress("synth write", to_write, "records");
  ctx.arena->execute([&] {
    tbb::parallel_for(size_t{0}, todo.size(), [&](size_t k) {
      Result<ShardStats> st = WriteShard(ctx, todo[k], *(*plans)[todo[k]], progress);
      errors[k] = st.status();
    });
  });
  progress.Finish();
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, FirstError(errors)));
  // Every rank has read every attempts file (the barrier above): each removes its own.
  Status removed;
  for (uint64_t s : todo) {
    Status r = RemoveFile(JoinPath(ctx.options->out_dir, AttemptsFileName(s)));
    if (removed.ok()) removed = r;
  }
  return AgreeOnStatus(comm, removed);
}

Result<SynthSummary> RunSynthImpl(const kg::Graph& graph, const KgRef& kg,
                                  const SynthOptions& options, dist::Communicator& comm,
                                  const RunPlan& plan_in,
                                  std::chrono::steady_clock::time_point start) {
  KGF_RETURN_IF_ERROR(ValidateOptions(options));
  KGF_ASSIGN_OR_RETURN(QuerySampler sampler, QuerySampler::Create(graph, options.sampler));
  KGF_ASSIGN_OR_RETURN(ToolCatalog catalog,
                       ToolCatalog::Build(graph, {.result_refs = options.render.result_refs,
                                                  .hop_refs = options.render.hop_refs}));
  OutcomeShaper shaper(graph, options.outcomes, options.sampler);
  DialogueRenderer renderer(graph, catalog, options.render, kg);
  RunPlan plan = plan_in;
  plan.num_shards = (options.count + options.shard_size - 1) / options.shard_size;
  plan.stride = (options.shard_size + kNumPatterns) * options.max_attempts_per_record;
  const std::string config = ConfigText(kg, options, plan.weights);
  const std::string fingerprint = "xxh3:" + Hex64(Hash64(config));
  const std::string& dir = options.out_dir;

  Status prepared;
  if (comm.rank() == 0) prepared = PrepareDirectory(dir, fingerprint, config);
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, prepared));

  std::vector<uint64_t> mine;
  for (uint64_t s = static_cast<uint64_t>(comm.rank()); s < plan.num_shards;
       s += static_cast<uint64_t>(comm.size())) {
    mine.push_back(s);
  }
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  const RunContext ctx{&graph, &options, &sampler, &shaper, &renderer, &catalog, &plan, fingerprint, &arena};
  KGF_ASSIGN_OR_RETURN(std::vector<std::optional<ShardStats>> done,
                       FindCompleteShards(ctx, comm, mine));
  SynthSummary summary;
  for (const auto& d : done) summary.shards_reused += d.has_value() ? 1 : 0;
  KGF_RETURN_IF_ERROR(MakeShards(ctx, comm, mine, done));
  done.clear();

  // Every rank merges the per-shard stats (the summary); rank 0 writes tools.json and then
  // manifest.json, whose presence marks a finished run.
  summary.out_dir = dir;
  summary.requested = plan.requested;
  summary.shards = plan.num_shards;
  summary.tools = catalog.size();
  std::vector<ShardEntry> entries;
  bool tool_counts_known = true;  // false when a reused shard predates gold_calls_by_tool
  Status merged = [&]() -> Status {
    for (uint64_t s = 0; s < plan.num_shards; ++s) {
      KGF_ASSIGN_OR_RETURN(ShardStats st, ReadShardStats(JoinPath(dir, StatsFileName(s))));
      if (st.counts.records > 0 && st.counts.gold_calls_by_tool.empty()) tool_counts_known = false;
      AddScalars(st.counts, &summary.counts);
      for (int p = 0; p < kNumPatterns; ++p) {
        auto& all = summary.counts.question_hashes[p];
        const auto& add = st.counts.question_hashes[p];
        all.insert(all.end(), add.begin(), add.end());
      }
      entries.push_back({st.counts.records, st.counts.attempts, st.checksum});
      auto& facts = summary.counts.train_facts;
      facts.insert(facts.end(), st.counts.train_facts.begin(), st.counts.train_facts.end());
      for (auto& f : st.counts.test_facts) summary.counts.test_facts.push_back(std::move(f));
    }
    for (auto& h : summary.counts.question_hashes) SortUnique(&h);
    SortUnique(&summary.counts.train_facts);
    return Status::Ok();
  }();
  if (tool_counts_known) summary.tools_never_called = ToolsNeverCalled(catalog, summary.counts);
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, merged));
  Status met = CheckTargets(plan, options, summary.counts);
  if (!met.ok()) {
    if (comm.rank() == 0) return met;
    return FailedPreconditionError("synth: the run fell short of its targets (rank 0 says how)");
  }
  Status written;
  if (comm.rank() == 0) {
    WarnOnShares(plan, options, summary.counts);
    written = [&]() -> Status {
      const std::string tools_path = JoinPath(dir, "tools.json");
      KGF_RETURN_IF_ERROR(catalog.WriteToolsJson(tools_path));
      KGF_ASSIGN_OR_RETURN(std::string tools_sum, FileChecksum(tools_path));
      return WriteFileAtomic(JoinPath(dir, "manifest.json"),
                             ManifestJson(kg, options, fingerprint, plan.requested, entries,
                                          summary.counts, catalog.size(), tools_sum));
    }();
  }
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, written));
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

std::string ShardFileName(uint64_t shard) { return ShardFile(shard, ".jsonl.zst"); }

std::string_view CallKindName(int kind) {
  if (kind == kUnknownCallKind) return "unknown";
  return ToolKindName(static_cast<ToolKind>(kind));
}

int AnswerBucket(size_t n) {
  if (n <= 1) return 0;
  if (n == 2) return 1;
  if (n <= 5) return 2;
  if (n <= 10) return 3;
  if (n <= 20) return 4;
  return 5;
}

std::string_view AnswerBucketName(int bucket) {
  static constexpr std::string_view kNames[kNumAnswerBuckets] = {"1",    "2",     "3-5",
                                                                 "6-10", "11-20", ">20"};
  return kNames[bucket];
}

std::string MaskedQuestion(const Record& record) {
  const std::string* question = nullptr;
  for (const Message& m : record.messages) {
    if (m.role == "user") {
      question = &m.content;
      break;
    }
  }
  if (question == nullptr) return "";
  std::vector<std::string_view> names;
  for (const AnchorRef& a : record.anchors) {
    if (!a.name.empty()) names.push_back(a.name);
  }
  std::sort(names.begin(), names.end(), [](std::string_view a, std::string_view b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  std::string out;
  const std::string_view q = *question;
  for (size_t i = 0; i < q.size();) {
    bool matched = false;
    for (std::string_view name : names) {
      if (q.compare(i, name.size(), name) == 0) {
        out += "<entity>";
        i += name.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += q[i++];
  }
  return out;
}

uint64_t SynthCounts::TestRecordsWithOnlyTrainFacts() const {
  uint64_t n = 0;
  for (const auto& f : test_facts) {
    n += std::includes(train_facts.begin(), train_facts.end(), f.begin(), f.end());
  }
  return n;
}

uint64_t SynthCounts::RecordsOf(Pattern p) const {
  uint64_t n = 0;
  for (uint64_t v : records_by_pattern_split[static_cast<int>(p)]) n += v;
  return n;
}

uint64_t SynthCounts::RecordsOf(Split s) const {
  uint64_t n = 0;
  for (const auto& row : records_by_pattern_split) n += row[static_cast<int>(s)];
  return n;
}

uint64_t SynthCounts::Rejections(RejectReason r) const {
  uint64_t n = 0;
  for (const auto& row : rejections) n += row[static_cast<int>(r)];
  return n;
}

uint64_t SynthCounts::RejectionsOf(Pattern p) const {
  uint64_t n = 0;
  for (uint64_t v : rejections[static_cast<int>(p)]) n += v;
  return n;
}

uint64_t SynthCounts::Calls() const {
  uint64_t n = 0;
  for (uint64_t v : calls_by_kind) n += v;
  return n;
}

uint64_t SynthCounts::DistinctQuestions(Pattern p) const {
  return question_hashes[static_cast<int>(p)].size();
}

uint64_t SynthCounts::DistinctQuestions() const {
  std::vector<uint64_t> all;
  for (const auto& h : question_hashes) all.insert(all.end(), h.begin(), h.end());
  SortUnique(&all);
  return all.size();
}

std::string SynthSummary::ToText() const {
  const SynthCounts& c = counts;
  std::string out;
  char buf[320];
  const double rate = seconds > 0 ? c.records / seconds : 0;
  std::snprintf(buf, sizeof(buf),
                "synth: %" PRIu64 " records from %" PRIu64 " attempts in %.1fs (%s records/s), "
                "%" PRIu64 " shards (%" PRIu64 " reused), %" PRIu64 " tools\n",
                c.records, c.attempts, seconds, HumanCount(rate).c_str(), shards, shards_reused,
                tools);
  out += buf;
  std::snprintf(buf, sizeof(buf), "  out: %s (manifest.json, tools.json)\n", out_dir.c_str());
  out += buf;
  std::snprintf(buf, sizeof(buf),
                "  splits: train %" PRIu64 ", valid %" PRIu64 ", test %" PRIu64
                " (%" PRIu64 " test records read only facts that train records read too)\n",
                c.RecordsOf(Split::kTrain), c.RecordsOf(Split::kValid), c.RecordsOf(Split::kTest),
                c.TestRecordsWithOnlyTrainFacts());
  out += buf;
  uint64_t requested_total = 0;
  for (uint64_t r : requested) requested_total += r;
  out += "  pattern   records   share  wanted  questions  rejected\n";
  for (Pattern p : AllPatterns()) {
    const int pi = static_cast<int>(p);
    if (c.RecordsOf(p) == 0 && c.RejectionsOf(p) == 0 && requested[pi] == 0) continue;
    std::snprintf(buf, sizeof(buf),
                  "  %-7s %9" PRIu64 " %6.1f%% %6.1f%% %10" PRIu64 " %9" PRIu64 "\n",
                  PatternName(p).data(), c.RecordsOf(p), 100.0 * Share(c.RecordsOf(p), c.records),
                  100.0 * Share(requested[pi], requested_total), c.DistinctQuestions(p),
                  c.RejectionsOf(p));
    out += buf;
  }
  std::snprintf(buf, sizeof(buf),
                "  questions: %" PRIu64 " distinct with anchors masked (%.1f%% of records)\n",
                c.DistinctQuestions(), 100.0 * Share(c.DistinctQuestions(), c.records));
  out += buf;
  out += "  tool calls: " + std::to_string(c.Calls()) + " (";
  for (int k = 0; k < kNumCallKinds; ++k) {
    out += std::string(k > 0 ? ", " : "") + std::string(CallKindName(k)) + " " +
           std::to_string(c.calls_by_kind[k]);
  }
  std::snprintf(buf, sizeof(buf),
                ")\n  calls per dialogue %.1f mean, %" PRIu64 " max; parallel calls per turn "
                "%.2f mean, %" PRIu64 " max\n",
                Share(c.Calls(), c.records), c.max_calls_per_record, Share(c.Calls(), c.call_turns),
                c.max_calls_per_turn);
  out += buf;
  if (!tools_never_called.empty()) {
    std::string names;
    for (const std::string& n : tools_never_called) names += (names.empty() ? "" : ", ") + n;
    out += "  warning: " + std::to_string(tools_never_called.size()) +
           " lookup tools are never called in a gold step (a model trained on this learns not\n"
           "    to call them): " + names +
           "\n    usually their results are wider than --max-set or --answer-cap allow (rejections "
           "too_wide,\n    too_many_answers): raise those, or mix in patterns that intersect "
           "them (2i, 3i, pi)\n";
  }
  out += "  answers:";
  for (int b = 0; b < kNumAnswerBuckets; ++b) {
    out += std::string(b > 0 ? "," : "") + " " + std::string(AnswerBucketName(b)) + ": " +
           std::to_string(c.answer_sizes[b]);
  }
  out += "\n  without answers:";
  for (int k = 1; k < kNumRecordOutcomes; ++k) {
    out += std::string(k > 1 ? "," : "") + " " +
           std::string(RecordOutcomeName(static_cast<RecordOutcome>(k))) + " " +
           std::to_string(c.outcomes[k]);
  }
  std::snprintf(buf, sizeof(buf), "; self-reflection %" PRIu64 " (%" PRIu64 " after turn 1)",
                c.reflections, c.later_reflections);
  out += buf;
  // Rejection reasons, wrapped at about 96 columns.
  std::string line = "\n  rejections:";
  bool any = false;
  for (int r = 1; r < kNumRejectReasons; ++r) {
    uint64_t n = c.Rejections(static_cast<RejectReason>(r));
    if (n == 0) continue;
    std::string item = std::string(RejectReasonName(static_cast<RejectReason>(r))) + " " +
                       std::to_string(n);
    if (r == static_cast<int>(RejectReason::kDuplicate)) {
      item += " (" + std::to_string(c.cross_shard_duplicates) + " across shards)";
    }
    if (any) line += ",";
    if (line.size() + item.size() > 96) {
      out += line;
      line = "\n   ";
    }
    line += " " + item;
    any = true;
  }
  out += line + (any ? "\n" : " none\n");
  return out;
}

std::string SynthSummary::ToJson() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("out"); w.String(out_dir.c_str());
  w.Key("records"); w.Uint64(counts.records);
  w.Key("attempts"); w.Uint64(counts.attempts);
  w.Key("shards"); w.Uint64(shards);
  w.Key("shards_reused"); w.Uint64(shards_reused);
  w.Key("tools"); w.Uint64(tools);
  w.Key("tools_never_called"); w.StartArray();
  for (const std::string& n : tools_never_called) w.String(n.c_str());
  w.EndArray();
  w.Key("seconds"); w.Double(seconds);
  w.Key("splits"); w.StartObject();
  for (int s = 0; s < kNumSplits; ++s) {
    w.Key(SplitName(static_cast<Split>(s)).data());
    w.Uint64(counts.RecordsOf(static_cast<Split>(s)));
  }
  w.EndObject();
  w.Key("patterns"); w.StartObject();
  for (Pattern p : AllPatterns()) {
    w.Key(PatternName(p).data());
    w.Uint64(counts.RecordsOf(p));
  }
  w.EndObject();
  uint64_t requested_total = 0;
  for (uint64_t r : requested) requested_total += r;
  w.Key("pattern_shares"); w.StartObject();
  for (Pattern p : AllPatterns()) {
    w.Key(PatternName(p).data()); w.StartObject();
    w.Key("share"); w.Double(Round6(Share(counts.RecordsOf(p), counts.records)));
    w.Key("requested_share");
    w.Double(Round6(Share(requested[static_cast<int>(p)], requested_total)));
    w.Key("distinct_questions"); w.Uint64(counts.DistinctQuestions(p));
    w.EndObject();
  }
  w.EndObject();
  WriteRejections(w, counts);
  WriteTeaching(w, counts);
  w.EndObject();
  return sb.GetString();
}

Result<SynthSummary> RunSynth(const kg::Graph& graph, const KgRef& kg, const SynthOptions& options,
                              dist::Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  SynthOptions effective = options;
  // Held-out fractions as used on this graph (at least min_held_out entities each).
  if (!options.split.by_facts) effective.split = ResolveSplit(options.split, graph.num_entities());
  KGF_ASSIGN_OR_RETURN(RunPlan plan, MakePlan(options, &effective.count));
  return RunSynthImpl(graph, kg, effective, comm, plan, start);
}

}  // namespace kgf::synth
