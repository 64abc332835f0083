// Throughput of the text-quality rules and MinHash signatures, one thread (= per core).
// Input: a JSONL file with a "text" field, from --text=PATH, else $KGF_BROWN_JSONL, else
// data/brown/brown.jsonl (the Brown corpus, examples/brown/fetch.sh); without one, generated
// prose from a fixed seed. The label of each result says which ("brown" / "generated").
// Targets (issue 4): >= 30 MB/s per core for the full rule chain, >= 20 MB/s for signatures.
// Usage: filters_benchmark [--text=PATH] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/rng.h"
#include "filters/filter_factory.h"
#include "filters/minhash.h"
#include "filters/text/text_filter.h"

namespace kgf::filters {
namespace {

struct Corpus {
  std::vector<std::string> texts;
  int64_t bytes = 0;
  std::string label;
};

std::string& TextPath() {  // set by --text in main()
  static std::string path;
  return path;
}

const Corpus& TheCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const char* env = std::getenv("KGF_BROWN_JSONL");
    std::string path = !TextPath().empty() ? TextPath()
                       : env != nullptr    ? env
                                           : "data/brown/brown.jsonl";
    if (FileExists(path)) {
      auto reader = LineReader::Open(path);
      std::string line;
      while (reader.ok() && (*reader)->Next(&line)) {
        auto doc = ParseJson(line, path);
        if (doc.ok() && doc->HasMember("text")) c.texts.push_back((*doc)["text"].GetString());
      }
      c.label = path.find("brown") != std::string::npos ? "brown" : "text";
    }
    if (c.texts.empty()) {
      static const char* kWords[] = {"the", "river", "and", "garden", "of", "village", "to",
                                     "morning", "a", "teacher", "with", "letter", "that",
                                     "market", "in", "winter", "is", "history", "council"};
      Rng rng(42);
      for (int d = 0; d < 500; ++d) {
        std::string text;
        for (int s = 0; s < 120; ++s) {
          std::string sent = "The";
          for (int k = 0; k < 18; ++k) sent += std::string(" ") + kWords[rng.Uniform(19)];
          text += (s ? "\n" : "") + sent + ".";
        }
        c.texts.push_back(std::move(text));
      }
      c.label = "generated";
    }
    for (const auto& t : c.texts) c.bytes += static_cast<int64_t>(t.size());
    return c;
  }();
  return corpus;
}

// The shared development machine is noisy; with --benchmark_repetitions the minimum (least
// disturbed run) is reported beside the mean and median.
double MinOf(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

std::unique_ptr<Filter> Make(const std::string& spec) {
  auto doc = ParseJson(spec, "bench");
  FactoryContext ctx{"bench", "text", "", {}};
  auto f = MakeFilter(*doc, ctx);
  if (!f.ok()) std::abort();
  return std::move(f).value();
}

void RunRules(benchmark::State& state, const std::vector<std::string>& specs) {
  const Corpus& corpus = TheCorpus();
  std::vector<std::unique_ptr<Filter>> filters;
  for (const auto& s : specs) filters.push_back(Make(s));
  std::string rewritten;
  for (auto _ : state) {
    int64_t kept = 0;
    for (const std::string& text : corpus.texts) {
      std::string current = text;
      bool keep = true;
      for (const auto& f : filters) {
        bool changed = false;
        Verdict v = static_cast<const TextFilter&>(*f).Check(current, &rewritten, &changed);
        if (!v.keep) {
          keep = false;
          break;
        }
        if (changed) current.swap(rewritten);
      }
      kept += keep;
    }
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetLabel(corpus.label);
}

void BM_TextRules_FullChain(benchmark::State& state) {
  RunRules(state, {R"({"type":"script"})", R"({"type":"pii"})", R"({"type":"c4"})",
                   R"({"type":"gopher_quality"})", R"({"type":"gopher_repetition"})",
                   R"({"type":"fineweb"})"});
}
BENCHMARK(BM_TextRules_FullChain)->Unit(benchmark::kMillisecond)->ComputeStatistics("min", MinOf);

void BM_TextRules_Single(benchmark::State& state, const char* spec) { RunRules(state, {spec}); }
BENCHMARK_CAPTURE(BM_TextRules_Single, script, R"({"type":"script"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);
BENCHMARK_CAPTURE(BM_TextRules_Single, pii, R"({"type":"pii"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);
BENCHMARK_CAPTURE(BM_TextRules_Single, c4, R"({"type":"c4"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);
BENCHMARK_CAPTURE(BM_TextRules_Single, gopher_quality, R"({"type":"gopher_quality"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);
BENCHMARK_CAPTURE(BM_TextRules_Single, gopher_repetition, R"({"type":"gopher_repetition"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);
BENCHMARK_CAPTURE(BM_TextRules_Single, fineweb, R"({"type":"fineweb"})")
    ->Unit(benchmark::kMillisecond)
    ->ComputeStatistics("min", MinOf);

void BM_MinHash_Signatures(benchmark::State& state) {
  const Corpus& corpus = TheCorpus();
  MinHasher hasher(MinHashParams{});  // 5-grams, 14 x 8
  std::vector<uint64_t> sig;
  for (auto _ : state) {
    for (const std::string& text : corpus.texts) {
      hasher.Signature(text, &sig);
      benchmark::DoNotOptimize(sig.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * corpus.bytes);
  state.SetLabel(corpus.label);
}
BENCHMARK(BM_MinHash_Signatures)->Unit(benchmark::kMillisecond)->ComputeStatistics("min", MinOf);

}  // namespace
}  // namespace kgf::filters

int main(int argc, char** argv) {
  // Our own flag first; the rest goes to Google Benchmark.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--text=")) {
      kgf::filters::TextPath() = std::string(a.substr(7));
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  const auto& corpus = kgf::filters::TheCorpus();
  std::fprintf(stderr, "input: %s, %zu documents, %lld bytes\n", corpus.label.c_str(),
               corpus.texts.size(), static_cast<long long>(corpus.bytes));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
