// Synthesis throughput, single thread (= per core): sample + execute + render + JSON per
// accepted record, per pattern, with and without re-executing every call (verification), and
// the whole batch runner with zstd shards. The graph is generated with WN18RR's shape
// (40,943 entities, 11 relations, ~87k triples, skewed in-degrees), built before the loops,
// or the real WordNet 3.0 store named by KGF_WORDNET_STORE.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/rng.h"
#include "kg/graph.h"
#include "kg/graph_store.h"
#include "synth/dialogue_renderer.h"
#include "synth/executor.h"
#include "synth/query_sampler.h"
#include "synth/record.h"
#include "synth/synth_runner.h"
#include "synth/tool_catalog.h"

namespace kgf::synth {
namespace {

// The real WordNet store when KGF_WORDNET_STORE names one (`kgforge kg import` of
// examples/wordnet/fetch.sh's folder), else the generated WN18RR-shaped graph.
kg::Graph* WordNetStoreGraph() {
  const char* path = std::getenv("KGF_WORDNET_STORE");
  if (path == nullptr) return nullptr;
  auto store = kg::GraphStore::Open(path, kg::GraphStore::Mode::kReadOnly);
  KGF_CHECK(store.ok()) << store.status().ToString();
  auto graph = store->LoadGraph();
  KGF_CHECK(graph.ok()) << graph.status().ToString();
  return new kg::Graph(std::move(graph).value());
}

const kg::Graph& BenchGraph() {
  static const kg::Graph* graph = [] {
    if (kg::Graph* real = WordNetStoreGraph()) return real;
    const uint32_t n = 40943, relations = 11, triples = 87000;
    Rng rng(2024);
    std::vector<kg::EntityInfo> e;
    e.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "synset %06u", i);
      e.push_back({"wn:" + std::to_string(i), name, "synset", {}});
    }
    std::vector<kg::RelationInfo> r;
    for (uint32_t k = 0; k < relations; ++k) {
      r.push_back({"_rel" + std::to_string(k), "relation_" + std::to_string(k), "", "synset",
                   "synset", "", ""});
    }
    std::vector<kg::Triple> t;
    t.reserve(triples);
    for (uint32_t i = 0; i < triples; ++i) {
      uint32_t h = static_cast<uint32_t>(rng.Uniform(n));
      // Tails skewed towards low ids (hypernym-like hubs): u^3 concentrates mass.
      double u = rng.UniformDouble();
      uint32_t tl = static_cast<uint32_t>(u * u * u * n);
      t.push_back({kg::EntityId(h), kg::RelationId(static_cast<uint32_t>(rng.Uniform(relations))),
                   kg::EntityId(tl)});
    }
    return new kg::Graph(std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value());
  }();
  return *graph;
}

struct Fixture {
  Fixture()
      : catalog(*ToolCatalog::Build(BenchGraph())),
        sampler(*QuerySampler::Create(BenchGraph(), {})),
        renderer(BenchGraph(), catalog, {}, {"wn18rr-shaped", "xxh3:0"}),
        executor(BenchGraph(), catalog) {}
  ToolCatalog catalog;
  QuerySampler sampler;
  DialogueRenderer renderer;
  Executor executor;
};

Fixture& GetFixture() {
  static Fixture* f = new Fixture();
  return *f;
}

void RunPattern(benchmark::State& state, bool verify) {
  const Pattern pattern = AllPatterns()[state.range(0)];
  Fixture& f = GetFixture();
  uint64_t index = 0, records = 0, attempts = 0, bytes = 0;
  std::string line;
  for (auto _ : state) {
    // One accepted (and verified) record per iteration; a pattern the graph never yields stops
    // the benchmark with a zero-yield error instead of looping for ever.
    for (uint64_t tries = 0;; ++tries) {
      if (tries == 1'000'000) {
        state.SkipWithError("zero yield: no record accepted in 1,000,000 attempts");
        break;
      }
      Rng rng = Rng::ForItem(7, index);
      ++attempts;
      SampleOutcome s = f.sampler.Sample(pattern, rng);
      if (!s.query) {
        ++index;
        continue;
      }
      std::optional<Record> r = f.renderer.Render(s, "train", 7, index++, rng);
      if (!r) continue;
      line.clear();
      AppendRecordJson(*r, &line);
      if (verify) {
        bool ok = true;
        std::vector<std::string> earlier;
        for (const ExecutedCall& c : CallsOf(*r)) {
          ok = ok && ObservationJson(f.executor.Execute(c.call.name, c.call.arguments, earlier)) ==
                         c.observation;
          earlier.push_back(c.observation);
        }
        if (!ok) state.SkipWithError("a recorded call did not re-execute to its observation");
      }
      bytes += line.size();
      benchmark::DoNotOptimize(line.data());
      ++records;
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["accept_rate"] = attempts ? static_cast<double>(records) / attempts : 0;
  state.SetLabel(std::string(PatternName(pattern)));
}

void BM_Synth_Record(benchmark::State& state) { RunPattern(state, false); }
void BM_Synth_RecordVerified(benchmark::State& state) { RunPattern(state, true); }
BENCHMARK(BM_Synth_Record)->DenseRange(0, kNumPatterns - 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Synth_RecordVerified)->DenseRange(0, kNumPatterns - 1)->Unit(benchmark::kMicrosecond);

// The whole runner, one thread, positive patterns, zstd shards in a temp directory.
void BM_Synth_Runner(benchmark::State& state) {
  const kg::Graph& g = BenchGraph();
  const std::string dir = (std::filesystem::temp_directory_path() / "kgf_synth_bench").string();
  uint64_t records = 0;
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    SynthOptions o;
    o.out_dir = dir;
    o.count = static_cast<uint64_t>(state.range(0));
    o.shard_size = 5000;
    o.patterns = "positive";
    o.threads = 1;
    dist::LocalCommunicator comm;
    auto s = RunSynth(g, {"wn18rr-shaped", "xxh3:0"}, o, comm);
    if (!s.ok()) state.SkipWithError(s.status().ToString().c_str());
    records += s.ok() ? s->counts.records : 0;
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(records));
}
BENCHMARK(BM_Synth_Runner)->Arg(20000)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace kgf::synth

BENCHMARK_MAIN();
