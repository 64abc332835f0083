// Corpus throughput: tokenize-and-write (our Tokenizer + Megatron writer) against
// sentencepiece's own Encode on the same text in the same run, and the full corpus build
// (read JSONL, tokenize with TBB, shuffle, write shards, checksums) at 1 and 2 threads.
// BM_SentencePiece_EncodeFile is the bare-sentencepiece baseline for a real JSONL file
// (KGF_BENCH_JSONL, KGF_BENCH_TOKENIZER); benchmarks/corpus_vs_sentencepiece.sh runs it side by
// side with `kgforge corpus build` on the same file.
#include <benchmark/benchmark.h>
#include <sentencepiece_processor.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/rng.h"
#include "corpus/corpus_builder.h"
#include "corpus/indexed_dataset.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus {
namespace {

std::string Paragraph(Rng& rng, int sentences) {
  static const char* kWords[] = {
      "the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with", "as",
      "his", "on", "be", "at", "by", "had", "country", "capital", "river", "border", "population",
      "language", "city", "mountain", "government", "people", "north", "south", "between",
      "large", "small", "ancient", "trade", "century", "kingdom", "island", "merchants",
      "harbour", "parliament", "republic", "coast", "valley", "1848", "2024", "café", "Zürich"};
  std::string out;
  for (int s = 0; s < sentences; ++s) {
    const int n = static_cast<int>(rng.UniformInt(6, 20));
    for (int w = 0; w < n; ++w) {
      std::string word = kWords[rng.Uniform(std::size(kWords))];
      if (w == 0 && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 32);
      out += word;
      out += w + 1 < n ? (rng.Bernoulli(0.08) ? ", " : " ") : ". ";
    }
  }
  return out;
}

struct Fixture {
  std::vector<std::string> docs;  // ~1 MB of text in 2,000 documents
  int64_t bytes = 0;
  std::unique_ptr<Tokenizer> tokenizer;
  sentencepiece::SentencePieceProcessor sp;
  std::string dir;

  Fixture() {
    Rng rng(42);
    for (int i = 0; i < 2000; ++i) {
      docs.push_back(Paragraph(rng, 8));
      bytes += static_cast<int64_t>(docs.back().size());
    }
    TokenizerTrainOptions options;
    options.vocab_size = 4000;
    auto model = TrainTokenizer(docs, options);
    KGF_CHECK(model.ok()) << model.status().ToString();
    tokenizer = std::make_unique<Tokenizer>(std::move(Tokenizer::FromSerialized(*model, "bench")).value());
    KGF_CHECK(sp.LoadFromSerializedProto(*model).ok());
    dir = "/tmp/kgf_corpus_bench_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    KGF_CHECK(WriteFileAtomic(dir + "/tokenizer.model", *model).ok());
    std::string jsonl;
    for (const auto& d : docs) jsonl += "{\"text\":" + JsonQuote(d) + "}\n";
    KGF_CHECK(WriteFileAtomic(dir + "/text.jsonl", jsonl).ok());
    KGF_CHECK(WriteFileAtomic(dir + "/mix.json",
                              R"({"seed":1,"tokenizer":"tokenizer.model","sources":[)"
                              R"({"name":"text","kind":"text","paths":["text.jsonl"],"epochs":1}]})")
                  .ok());
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

// sentencepiece's own Encode: the baseline.
void BM_SentencePiece_Encode(benchmark::State& state) {
  Fixture& f = F();
  std::vector<int> ids;
  int64_t tokens = 0;
  for (auto _ : state) {
    for (const auto& d : f.docs) {
      KGF_CHECK(f.sp.Encode(d, &ids).ok());
      tokens += static_cast<int64_t>(ids.size());
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(state.iterations() * f.bytes);
}
BENCHMARK(BM_SentencePiece_Encode)->Unit(benchmark::kMillisecond);

// Our path for one core: Tokenizer::EncodeAppend + end-of-text + MMIDIDX writer to disk.
void BM_Corpus_TokenizeAndWrite(benchmark::State& state) {
  Fixture& f = F();
  std::vector<int32_t> ids;
  int64_t tokens = 0;
  for (auto _ : state) {
    auto w = IndexedDatasetWriter::Open(f.dir + "/bench_shard", {});
    KGF_CHECK(w.ok());
    for (const auto& d : f.docs) {
      ids.clear();
      KGF_CHECK(f.tokenizer->EncodeAppend(d, &ids).ok());
      ids.push_back(SpecialId(Special::kEndOfText));
      KGF_CHECK((*w)->AddDocument(ids).ok());
      tokens += static_cast<int64_t>(ids.size());
    }
    KGF_CHECK((*w)->Finish().ok());
  }
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(state.iterations() * f.bytes);
}
BENCHMARK(BM_Corpus_TokenizeAndWrite)->Unit(benchmark::kMillisecond);

// The whole `kgforge corpus build` (2,000 documents, one epoch) at N threads.
void BM_Corpus_Build(benchmark::State& state) {
  Fixture& f = F();
  int64_t tokens = 0;
  int run = 0;
  for (auto _ : state) {
    CorpusBuildOptions options;
    options.config = f.dir + "/mix.json";
    options.out = f.dir + "/out" + std::to_string(run++);
    options.threads = static_cast<int>(state.range(0));
    auto summary = BuildCorpus(options);
    KGF_CHECK(summary.ok()) << summary.status().ToString();
    tokens += summary->manifest.datasets[0].tokens;
    state.PauseTiming();
    std::filesystem::remove_all(options.out);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(tokens);
}
BENCHMARK(BM_Corpus_Build)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Bare sentencepiece on a real file: the "text" of every line of $KGF_BENCH_JSONL (read and
// parsed before the timed loop), SentencePieceProcessor::Encode on each with N std::threads
// taking 16 documents at a time, model $KGF_BENCH_TOKENIZER. No TBB, no kgforge code timed.
struct FileFixture {
  std::vector<std::string> docs;
  int64_t bytes = 0;
  sentencepiece::SentencePieceProcessor sp;
  std::string error;

  FileFixture() {
    const char* jsonl = std::getenv("KGF_BENCH_JSONL");
    const char* model = std::getenv("KGF_BENCH_TOKENIZER");
    if (jsonl == nullptr || model == nullptr) {
      error = "set KGF_BENCH_JSONL and KGF_BENCH_TOKENIZER";
      return;
    }
    auto reader = LineReader::Open(jsonl, size_t{64} << 20);
    KGF_CHECK(reader.ok()) << reader.status().ToString();
    std::string line;
    while ((*reader)->Next(&line)) {
      auto doc = ParseJson(line, jsonl);
      KGF_CHECK(doc.ok()) << doc.status().ToString();
      auto text = JsonGetString(*doc, "text", jsonl);
      KGF_CHECK(text.ok()) << text.status().ToString();
      bytes += static_cast<int64_t>(text->size());
      docs.push_back(std::move(text).value());
    }
    KGF_CHECK(sp.Load(model).ok()) << model;
  }
};

// User + system CPU seconds of the whole process so far (all threads).
double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

FileFixture& FF() {
  static FileFixture* f = new FileFixture();
  return *f;
}

void BM_SentencePiece_EncodeFile(benchmark::State& state) {
  FileFixture& f = FF();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  int64_t tokens = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    std::atomic<size_t> next{0};
    std::atomic<int64_t> count{0};
    auto work = [&] {
      std::vector<int> ids;
      int64_t n = 0;
      for (size_t begin; (begin = next.fetch_add(16)) < f.docs.size();) {
        for (size_t i = begin; i < std::min(begin + 16, f.docs.size()); ++i) {
          KGF_CHECK(f.sp.Encode(f.docs[i], &ids).ok());
          n += static_cast<int64_t>(ids.size());
          benchmark::DoNotOptimize(ids.data());
        }
      }
      count += n;
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    tokens += count;
  }
  // CPU of all threads per iteration (Google Benchmark's cpu_time is the main thread's only).
  state.counters["process_cpu_ms"] =
      1e3 * (ProcessCpuSeconds() - cpu_start) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(state.iterations() * f.bytes);
}
BENCHMARK(BM_SentencePiece_EncodeFile)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace kgf::corpus

BENCHMARK_MAIN();
