// Knowledge-graph store throughput on this machine: import (parse + intern + SQLite write +
// entity indexes + checksum) in triples/s on WordNet (KGF_WORDNET_DIR, the folder made by
// examples/wordnet/fetch.sh; skipped when absent) and on generated graphs of 1M, 5M and 10M
// triples (--benchmark_filter=Generated1M for one); CSR build in edges/s; Tails/Heads look-up
// latency.
// Inputs are written before the timed loops from fixed seeds.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <string>

#include "base/file_util.h"
#include "base/line_writer.h"
#include "base/rng.h"
#include "kg/graph.h"
#include "kg/graph_store.h"

namespace kgf::kg {
namespace {

namespace fs = std::filesystem;

std::string ScratchDir() {
  static const std::string dir = [] {
    std::string d = (fs::temp_directory_path() / ("kgf_kg_bench_" + std::to_string(::getpid()))).string();
    fs::create_directories(d);
    std::atexit([] { fs::remove_all((fs::temp_directory_path() / ("kgf_kg_bench_" + std::to_string(::getpid())))); });
    return d;
  }();
  return dir;
}

// A generated TSV graph: `triples` triples over triples/4 entities and 20 relations, skewed
// tails (hubs) like real graphs. Written once per size.
std::string GeneratedTsv(int64_t triples) {
  const std::string path = ScratchDir() + "/gen_" + std::to_string(triples) + ".tsv";
  if (FileExists(path)) return path;
  Rng rng(7);
  const uint64_t n = static_cast<uint64_t>(triples / 4);
  auto w = LineWriter::Open(path);
  KGF_CHECK(w.ok());
  std::string line;
  for (int64_t i = 0; i < triples; ++i) {
    const double u = rng.UniformDouble();
    line = "e" + std::to_string(rng.Uniform(n)) + "\tr" + std::to_string(rng.Uniform(20)) + "\te" +
           std::to_string(static_cast<uint64_t>(u * u * n));
    KGF_CHECK((*w)->WriteLine(line).ok());
  }
  KGF_CHECK((*w)->Close().ok());
  return path;
}

void ImportLoop(benchmark::State& state, const std::vector<std::string>& files, ImportOptions options) {
  const std::string db = ScratchDir() + "/import.db";
  uint64_t triples = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(db + s);
    state.ResumeTiming();
    Result<ImportReport> r = ImportIntoStore(db, files, options);
    KGF_CHECK(r.ok()) << r.status().ToString();
    triples = r->triples_read;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * triples));
  state.counters["triples"] = static_cast<double>(triples);
}

void BM_Import_Generated(benchmark::State& state) {
  ImportLoop(state, {GeneratedTsv(state.range(0))}, {});
}
BENCHMARK(BM_Import_Generated)->Arg(1'000'000)->Name("BM_Import_Generated1M")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_Import_Generated)->Arg(5'000'000)->Name("BM_Import_Generated5M")->Unit(benchmark::kMillisecond)->Iterations(1);
// Linearity (issue 12): per-triple cost at 10M over 1M; benchmarks/kg_import_scaling.sh runs
// the CLI at 1M/2M/5M/10M, old binary beside new, with CPU seconds and peak RSS.
BENCHMARK(BM_Import_Generated)->Arg(10'000'000)->Name("BM_Import_Generated10M")->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Import_WordNet(benchmark::State& state) {
  const char* dir = std::getenv("KGF_WORDNET_DIR");
  if (dir == nullptr || !FileExists(std::string(dir) + "/triples.tsv")) {
    state.SkipWithError("set KGF_WORDNET_DIR to the folder made by examples/wordnet/fetch.sh");
    return;
  }
  ImportOptions o;
  o.entities = std::string(dir) + "/entities.tsv";
  o.relations = std::string(dir) + "/relations.tsv";
  ImportLoop(state, {std::string(dir) + "/triples.tsv"}, o);
}
BENCHMARK(BM_Import_WordNet)->Unit(benchmark::kMillisecond)->Iterations(3);

struct Generated {
  std::vector<EntityInfo> entities;
  std::vector<RelationInfo> relations;
  std::vector<Triple> triples;
};

Generated MakeGraphInput(uint32_t n, uint32_t r, uint32_t t) {
  Generated g;
  for (uint32_t i = 0; i < n; ++i) g.entities.push_back({"k" + std::to_string(i), "n" + std::to_string(i), "", {}});
  for (uint32_t i = 0; i < r; ++i) g.relations.push_back({"r" + std::to_string(i), "r" + std::to_string(i), "", "", "", "", ""});
  Rng rng(11);
  for (uint32_t i = 0; i < t; ++i) {
    const double u = rng.UniformDouble();
    g.triples.push_back({EntityId(static_cast<uint32_t>(rng.Uniform(n))), RelationId(static_cast<uint32_t>(rng.Uniform(r))),
                         EntityId(static_cast<uint32_t>(u * u * n))});
  }
  return g;
}

// Graph::Build end to end: name/key maps, sort + dedup, both Boost CSRs, group indexes.
void BM_Csr_Build(benchmark::State& state) {
  const uint32_t t = static_cast<uint32_t>(state.range(0));
  Generated input = MakeGraphInput(t / 4, 20, t);
  for (auto _ : state) {
    state.PauseTiming();
    Generated copy = input;
    state.ResumeTiming();
    Result<Graph> g = Graph::Build(std::move(copy.entities), std::move(copy.relations), std::move(copy.triples));
    benchmark::DoNotOptimize(g);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(t));
}
BENCHMARK(BM_Csr_Build)->Arg(500'000)->Arg(5'000'000)->Unit(benchmark::kMillisecond)->Iterations(3);

const Graph& LookupGraph() {
  static const Graph* g = [] {
    Generated in = MakeGraphInput(1'250'000, 20, 5'000'000);
    return new Graph(std::move(Graph::Build(std::move(in.entities), std::move(in.relations), std::move(in.triples))).value());
  }();
  return *g;
}

// Random (entity, relation) probes, most of them misses like a sampler's; latency per probe.
void BM_Lookup_Tails(benchmark::State& state) {
  const Graph& g = LookupGraph();
  Rng rng(3);
  std::vector<std::pair<EntityId, RelationId>> probes(1 << 16);
  for (auto& p : probes) p = {EntityId(static_cast<uint32_t>(rng.Uniform(g.num_entities()))), RelationId(static_cast<uint32_t>(rng.Uniform(20)))};
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const auto& [e, r] = probes[i++ & (probes.size() - 1)];
    auto span = g.Tails(e, r);
    found += span.size();
    benchmark::DoNotOptimize(span.data());
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup_Tails);

void BM_Lookup_Heads(benchmark::State& state) {
  const Graph& g = LookupGraph();
  Rng rng(4);
  std::vector<std::pair<EntityId, RelationId>> probes(1 << 16);
  for (auto& p : probes) p = {EntityId(static_cast<uint32_t>(rng.Uniform(g.num_entities()))), RelationId(static_cast<uint32_t>(rng.Uniform(20)))};
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const auto& [e, r] = probes[i++ & (probes.size() - 1)];
    auto span = g.Heads(r, e);
    found += span.size();
    benchmark::DoNotOptimize(span.data());
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup_Heads);

}  // namespace
}  // namespace kgf::kg

BENCHMARK_MAIN();
