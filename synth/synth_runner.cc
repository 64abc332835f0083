// Batch runner: deterministic shards, TBB across shards, atomic files, resumable, MPI ranks.
#include "synth/synth_runner.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "base/progress.h"
#include "synth/record.h"
#include "synth/templates.h"
#include "synth/tool_catalog.h"

namespace kgf::synth {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string StatsFileName(uint64_t shard) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "shard-%05" PRIu64 ".stats.json", shard);
  return buf;
}

// Everything that changes the output, as text; its hash identifies the run.
std::string ConfigText(const KgRef& kg, const SynthOptions& o, const std::vector<double>& weights) {
  std::string s = "kgforge-synth/1 kg=" + kg.name + "@" + kg.checksum;
  s += " count=" + std::to_string(o.count) + " seed=" + std::to_string(o.seed);
  s += " shard_size=" + std::to_string(o.shard_size) +
       " max_attempts=" + std::to_string(o.max_attempts_per_record);
  s += " zstd=" + std::to_string(o.zstd_level) + " weights=";
  for (double w : weights) s += std::to_string(w) + ",";
  s += " cap=" + std::to_string(o.sampler.answer_cap) + " width=" + std::to_string(o.sampler.max_width) +
       " max_set=" + std::to_string(o.sampler.max_set) + " tries=" + std::to_string(o.sampler.hop_tries);
  s += " allow=";
  for (const auto& r : o.sampler.allow_relations) s += r + ",";
  s += " deny=";
  for (const auto& r : o.sampler.deny_relations) s += r + ",";
  s += " distractors=" + std::to_string(o.render.distractors) +
       " reflection=" + std::to_string(o.render.reflection_share);
  s += " valid=" + std::to_string(o.split.valid_fraction) + " test=" + std::to_string(o.split.test_fraction);
  return s;
}

void WriteCounts(Writer& w, const SynthCounts& c) {
  w.Key("records"); w.Uint64(c.records);
  w.Key("attempts"); w.Uint64(c.attempts);
  w.Key("records_by_pattern_split"); w.StartArray();
  for (const auto& row : c.records_by_pattern_split) {
    w.StartArray();
    for (uint64_t v : row) w.Uint64(v);
    w.EndArray();
  }
  w.EndArray();
  w.Key("rejections_by_pattern_reason"); w.StartArray();
  for (const auto& row : c.rejections) {
    w.StartArray();
    for (uint64_t v : row) w.Uint64(v);
    w.EndArray();
  }
  w.EndArray();
}

template <size_t N>
Status ReadMatrix(const JsonValue& doc, const char* field, const std::string& where,
                  std::array<std::array<uint64_t, N>, kNumPatterns>* out) {
  KGF_ASSIGN_OR_RETURN(const JsonValue* rows, JsonGetArray(doc, field, where));
  if (rows->Size() != kNumPatterns) {
    return DataLossError(where + ": field '" + field + "' must have " +
                         std::to_string(kNumPatterns) + " rows; delete the file to regenerate");
  }
  for (int p = 0; p < kNumPatterns; ++p) {
    const JsonValue& row = (*rows)[p];
    if (!row.IsArray() || row.Size() != N) {
      return DataLossError(where + ": field '" + field + "' row " + std::to_string(p) +
                           " has the wrong length; delete the file to regenerate");
    }
    for (size_t k = 0; k < N; ++k) {
      if (!row[k].IsUint64()) return DataLossError(where + ": non-integer count in " + field);
      (*out)[p][k] = row[k].GetUint64();
    }
  }
  return Status::Ok();
}

struct ShardStats {
  std::string fingerprint;
  std::string checksum;
  SynthCounts counts;
};

std::string ShardStatsJson(uint64_t shard, const ShardStats& st) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("fingerprint"); w.String(st.fingerprint.c_str());
  w.Key("shard"); w.Uint64(shard);
  w.Key("file"); w.String(ShardFileName(shard).c_str());
  w.Key("checksum"); w.String(st.checksum.c_str());
  WriteCounts(w, st.counts);
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

Result<ShardStats> ReadShardStats(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, path));
  if (!doc.IsObject()) return DataLossError(path + ": expected a JSON object");
  ShardStats st;
  KGF_ASSIGN_OR_RETURN(st.fingerprint, JsonGetString(doc, "fingerprint", path));
  KGF_ASSIGN_OR_RETURN(st.checksum, JsonGetString(doc, "checksum", path));
  KGF_ASSIGN_OR_RETURN(int64_t records, JsonGetInt(doc, "records", path));
  KGF_ASSIGN_OR_RETURN(int64_t attempts, JsonGetInt(doc, "attempts", path));
  st.counts.records = static_cast<uint64_t>(records);
  st.counts.attempts = static_cast<uint64_t>(attempts);
  KGF_RETURN_IF_ERROR(ReadMatrix(doc, "records_by_pattern_split", path,
                                 &st.counts.records_by_pattern_split));
  KGF_RETURN_IF_ERROR(ReadMatrix(doc, "rejections_by_pattern_reason", path, &st.counts.rejections));
  return st;
}

// Per-run state shared by the shard workers (all read-only while workers run).
struct RunContext {
  const kg::Graph* graph;
  const SynthOptions* options;
  const QuerySampler* sampler;
  const DialogueRenderer* renderer;
  std::vector<double> weights;
  std::vector<uint64_t> quotas;  // empty unless the mix is given as quotas
  std::string fingerprint;
  Progress* progress;
};

uint64_t QueryIdHash(const Query& q) {
  uint64_t h = Mix64(static_cast<uint64_t>(q.pattern) + 1);
  for (kg::EntityId a : q.anchors) h = Mix64(h ^ (a.value() + 0x100000000ULL));
  for (kg::RelationId r : q.relations) h = Mix64(h ^ (r.value() + 0x200000000ULL));
  return h;
}

Result<ShardStats> GenerateShard(const RunContext& ctx, uint64_t shard) {
  const SynthOptions& o = *ctx.options;
  uint64_t target = std::min(o.shard_size, o.count - shard * o.shard_size);
  // Quotas: this shard's share of each pattern, Q(s+1) - Q(s) with Q(x) = floor(q * x / N),
  // x the records before shard x; the shares sum to q over all shards.
  std::vector<double> remaining;
  if (!ctx.quotas.empty()) {
    remaining.resize(kNumPatterns);
    target = 0;
    const uint64_t lo = shard * o.shard_size, hi = lo + std::min(o.shard_size, o.count - lo);
    for (int p = 0; p < kNumPatterns; ++p) {
      const unsigned __int128 q = ctx.quotas[p];
      uint64_t share = static_cast<uint64_t>(q * hi / o.count - q * lo / o.count);
      remaining[p] = static_cast<double>(share);
      target += share;
    }
  }
  const uint64_t limit = o.shard_size * o.max_attempts_per_record;
  const uint64_t base = shard * limit;
  const std::string path = JoinPath(o.out_dir, ShardFileName(shard));
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineWriter> writer, LineWriter::Open(path, o.zstd_level));
  ShardStats st;
  st.fingerprint = ctx.fingerprint;
  std::unordered_set<uint64_t> seen;
  std::string line;
  uint64_t pending_progress = 0;
  for (uint64_t j = 0; j < limit && st.counts.records < target; ++j) {
    const uint64_t index = base + j;
    Rng rng = Rng::ForItem(o.seed, index);
    const Pattern pattern =
        static_cast<Pattern>(rng.Weighted(remaining.empty() ? ctx.weights : remaining));
    auto& rejections = st.counts.rejections[static_cast<int>(pattern)];
    ++st.counts.attempts;
    SampleOutcome sample = ctx.sampler->Sample(pattern, rng);
    if (!sample.query) {
      ++rejections[static_cast<int>(sample.reason)];
      continue;
    }
    if (!seen.insert(QueryIdHash(*sample.query)).second) {
      ++rejections[static_cast<int>(RejectReason::kDuplicate)];
      continue;
    }
    Split split = QuerySplit(*ctx.graph, sample.query->anchors, o.split);
    std::optional<Record> record =
        ctx.renderer->Render(sample, SplitName(split), o.seed, index, rng);
    if (!record) {
      ++rejections[static_cast<int>(RejectReason::kAnswerLeak)];
      continue;
    }
    line.clear();
    AppendRecordJson(*record, &line);
    KGF_RETURN_IF_ERROR(writer->WriteLine(line));
    ++st.counts.records;
    ++st.counts.records_by_pattern_split[static_cast<int>(pattern)][static_cast<int>(split)];
    if (!remaining.empty()) remaining[static_cast<int>(pattern)] -= 1;
    if (++pending_progress == 256) {
      ctx.progress->Add(pending_progress);
      pending_progress = 0;
    }
  }
  ctx.progress->Add(pending_progress);
  KGF_RETURN_IF_ERROR(writer->Close());
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

std::string ManifestJson(const KgRef& kg, const SynthOptions& o, const std::string& fingerprint,
                         const std::vector<ShardStats>& shards, const SynthCounts& total,
                         size_t num_tools, const std::string& tools_checksum) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("format"); w.String("kgforge-synth/1");
  w.Key("kg"); w.StartObject();
  w.Key("name"); w.String(kg.name.c_str());
  w.Key("checksum"); w.String(kg.checksum.c_str());
  w.EndObject();
  w.Key("fingerprint"); w.String(fingerprint.c_str());
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
  w.Key("distractors"); w.Int(o.render.distractors);
  w.Key("reflection_share"); w.Double(o.render.reflection_share);
  w.Key("valid_fraction"); w.Double(o.split.valid_fraction);
  w.Key("test_fraction"); w.Double(o.split.test_fraction);
  w.EndObject();
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
  w.Key("rejections"); w.StartObject();
  for (int r = 1; r < kNumRejectReasons; ++r) {
    w.Key(RejectReasonName(static_cast<RejectReason>(r)).data());
    w.Uint64(total.Rejections(static_cast<RejectReason>(r)));
  }
  w.EndObject();
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
    w.Key("records"); w.Uint64(shards[s].counts.records);
    w.Key("attempts"); w.Uint64(shards[s].counts.attempts);
    w.Key("checksum"); w.String(shards[s].checksum.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  JsonDoc doc;
  doc.Parse(sb.GetString());
  return JsonToPrettyString(doc) + "\n";
}

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
  if (!(o.split.valid_fraction >= 0 && o.split.test_fraction >= 0 &&
        o.split.valid_fraction + o.split.test_fraction < 1)) {
    return InvalidArgumentError(
        "synth: --valid-fraction and --test-fraction must be >= 0 and sum to less than 1");
  }
  return Status::Ok();
}

// Collective error agreement: if any rank failed, every rank returns an error.
Status AgreeOnStatus(Communicator& comm, const Status& mine) {
  Result<int64_t> failures = comm.SumAll(mine.ok() ? 0 : 1);
  if (!failures.ok()) return failures.status();
  if (!mine.ok()) return mine;
  if (*failures > 0) return InternalError("synth: another MPI rank failed; see its error");
  return Status::Ok();
}

}  // namespace

std::string ShardFileName(uint64_t shard) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "shard-%05" PRIu64 ".jsonl.zst", shard);
  return buf;
}

void SynthCounts::Add(const SynthCounts& o) {
  records += o.records;
  attempts += o.attempts;
  for (int p = 0; p < kNumPatterns; ++p) {
    for (int s = 0; s < kNumSplits; ++s) records_by_pattern_split[p][s] += o.records_by_pattern_split[p][s];
    for (int r = 0; r < kNumRejectReasons; ++r) rejections[p][r] += o.rejections[p][r];
  }
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

std::string SynthSummary::ToText() const {
  std::string out;
  char buf[256];
  const double rate = seconds > 0 ? counts.records / seconds : 0;
  std::snprintf(buf, sizeof(buf),
                "synth: %" PRIu64 " records from %" PRIu64 " attempts in %.1fs (%s records/s), "
                "%" PRIu64 " shards (%" PRIu64 " reused), %" PRIu64 " tools\n",
                counts.records, counts.attempts, seconds, HumanCount(rate).c_str(), shards,
                shards_reused, tools);
  out += buf;
  std::snprintf(buf, sizeof(buf), "  out: %s (manifest.json, tools.json)\n", out_dir.c_str());
  out += buf;
  std::snprintf(buf, sizeof(buf), "  splits: train %" PRIu64 ", valid %" PRIu64 ", test %" PRIu64 "\n",
                counts.RecordsOf(Split::kTrain), counts.RecordsOf(Split::kValid),
                counts.RecordsOf(Split::kTest));
  out += buf;
  out += "  pattern   records  rejected\n";
  for (Pattern p : AllPatterns()) {
    uint64_t rej = 0;
    for (uint64_t v : counts.rejections[static_cast<int>(p)]) rej += v;
    if (counts.RecordsOf(p) == 0 && rej == 0) continue;
    std::snprintf(buf, sizeof(buf), "  %-7s %9" PRIu64 " %9" PRIu64 "\n", PatternName(p).data(),
                  counts.RecordsOf(p), rej);
    out += buf;
  }
  out += "  rejections:";
  bool any = false;
  for (int r = 1; r < kNumRejectReasons; ++r) {
    uint64_t n = counts.Rejections(static_cast<RejectReason>(r));
    if (n == 0) continue;
    out += " " + std::string(RejectReasonName(static_cast<RejectReason>(r))) + " " + std::to_string(n);
    any = true;
  }
  out += any ? "\n" : " none\n";
  return out;
}

namespace {
Result<SynthSummary> RunSynthImpl(const kg::Graph& graph, const KgRef& kg,
                                  const SynthOptions& options, Communicator& comm,
                                  std::vector<double> weights, std::vector<uint64_t> quotas,
                                  std::chrono::steady_clock::time_point start);
}  // namespace

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
  w.Key("rejections"); w.StartObject();
  for (int r = 1; r < kNumRejectReasons; ++r) {
    w.Key(RejectReasonName(static_cast<RejectReason>(r)).data());
    w.Uint64(counts.Rejections(static_cast<RejectReason>(r)));
  }
  w.EndObject();
  w.EndObject();
  return sb.GetString();
}

Result<SynthSummary> RunSynth(const kg::Graph& graph, const KgRef& kg, const SynthOptions& options,
                              Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> weights;
  std::vector<uint64_t> quotas;
  SynthOptions effective = options;
  if (IsQuotaSpec(options.patterns)) {
    KGF_ASSIGN_OR_RETURN(quotas, ParsePatternQuotas(options.patterns));
    effective.count = 0;
    for (uint64_t q : quotas) {
      effective.count += q;
      weights.push_back(static_cast<double>(q));
    }
  } else {
    KGF_ASSIGN_OR_RETURN(weights, ParsePatternMix(options.patterns));
  }
  return RunSynthImpl(graph, kg, effective, comm, std::move(weights), std::move(quotas), start);
}

namespace {

Result<SynthSummary> RunSynthImpl(const kg::Graph& graph, const KgRef& kg,
                                  const SynthOptions& options, Communicator& comm,
                                  std::vector<double> weights, std::vector<uint64_t> quotas,
                                  std::chrono::steady_clock::time_point start) {
  KGF_RETURN_IF_ERROR(ValidateOptions(options));
  KGF_ASSIGN_OR_RETURN(QuerySampler sampler, QuerySampler::Create(graph, options.sampler));
  KGF_ASSIGN_OR_RETURN(ToolCatalog catalog, ToolCatalog::Build(graph));
  DialogueRenderer renderer(graph, catalog, options.render, kg);
  const std::string fingerprint = "xxh3:" + Hex64(Hash64(ConfigText(kg, options, weights)));
  const std::string& dir = options.out_dir;

  // Rank 0 prepares the directory: checks it belongs to this run, removes temp files a killed
  // run left behind, records the fingerprint.
  Status prepared;
  if (comm.rank() == 0) {
    prepared = [&]() -> Status {
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
                                           ",\"config\":" +
                                           JsonQuote(ConfigText(kg, options, weights)) + "}\n");
    }();
  }
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, prepared));

  const uint64_t num_shards = (options.count + options.shard_size - 1) / options.shard_size;
  std::vector<uint64_t> mine;
  for (uint64_t s = static_cast<uint64_t>(comm.rank()); s < num_shards;
       s += static_cast<uint64_t>(comm.size())) {
    mine.push_back(s);
  }
  Progress progress("synth", comm.size() == 1 ? options.count : 0, "records");
  RunContext ctx{&graph, &options, &sampler, &renderer, weights, quotas, fingerprint, &progress};
  std::vector<Status> errors(mine.size());
  std::atomic<uint64_t> reused{0};
  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, mine.size(), [&](size_t k) {
      const uint64_t s = mine[k];
      if (std::optional<ShardStats> done = CompleteShard(ctx, s)) {
        ++reused;
        progress.Add(done->counts.records);
        return;
      }
      Result<ShardStats> st = GenerateShard(ctx, s);
      if (!st.ok()) errors[k] = st.status();
    });
  });
  progress.Finish();
  Status work;
  for (const Status& e : errors) {
    if (!e.ok()) {
      work = e;
      break;
    }
  }
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, work));
  Result<int64_t> total_reused = comm.SumAll(static_cast<int64_t>(reused.load()));
  KGF_RETURN_IF_ERROR(total_reused.status());

  // Rank 0 merges the per-shard stats into manifest.json (written last: its presence marks a
  // finished run).
  SynthSummary summary;
  summary.out_dir = dir;
  summary.shards = num_shards;
  summary.shards_reused = static_cast<uint64_t>(*total_reused);
  summary.tools = catalog.size();
  Status merged = [&]() -> Status {
    std::vector<ShardStats> all;
    for (uint64_t s = 0; s < num_shards; ++s) {
      KGF_ASSIGN_OR_RETURN(ShardStats st, ReadShardStats(JoinPath(dir, StatsFileName(s))));
      summary.counts.Add(st.counts);
      all.push_back(std::move(st));
    }
    if (comm.rank() != 0) return Status::Ok();
    const std::string tools_path = JoinPath(dir, "tools.json");
    KGF_RETURN_IF_ERROR(catalog.WriteToolsJson(tools_path));
    KGF_ASSIGN_OR_RETURN(std::string tools_sum, FileChecksum(tools_path));
    return WriteFileAtomic(JoinPath(dir, "manifest.json"),
                           ManifestJson(kg, options, fingerprint, all, summary.counts,
                                        catalog.size(), tools_sum));
  }();
  KGF_RETURN_IF_ERROR(AgreeOnStatus(comm, merged));
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace

}  // namespace kgf::synth
