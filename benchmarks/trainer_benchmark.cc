// Trainer throughput against the machine's own sgemm, measured in the same run:
//   BM_Sgemm_OneThread / BM_Sgemm_AllCores: cblas_sgemm on 1024^3 (all cores: TBB over row
//     blocks with single-threaded OpenBLAS, as the model's kernels run), items = FLOPs.
//   BM_TrainStep_SmallDense / BM_TrainStep_SmallMoe: one optimizer step of the `small-dense` and
//     `small` presets (zero grads, ForwardBackward, clip, AdamW) on a (B=2, T=256) batch;
//     items = tokens; counter model_GFLOP/s = ModelConfig::TrainingFlopsPerToken x tokens/s.
//     *OneCore: TBB limited to one thread, rates per CPU second (comparable with
//     BM_Sgemm_OneThread even on a loaded machine); the others: all cores, rates per wall second.
// benchmarks/README.md ("## trainer") turns these into the two target ratios.
// OPENBLAS_CORETYPE=SkylakeX is set by re-exec as cli/main.cc does (Debian's OpenBLAS
// misdetects the AMD EPYC machines).
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include "base/memory_budget.h"
#include "base/rng.h"
#include "trainer/model/bf16_gemm.h"
#include "trainer/model/model.h"
#include "trainer/model/model_config.h"
#include "trainer/train/optimizer.h"

namespace kgf::trainer {
namespace {

constexpr int kGemm = 1024;  // M = N = K

std::vector<float> RandomMatrix(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> m(n);
  for (float& x : m) x = static_cast<float>(rng.Normal());
  return m;
}

void BM_Sgemm_OneThread(benchmark::State& state) {
  openblas_set_num_threads(1);
  const int n = kGemm;
  const auto a = RandomMatrix(int64_t{n} * n, 1), b = RandomMatrix(int64_t{n} * n, 2);
  std::vector<float> c(int64_t{n} * n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * n * n * n;
  state.SetItemsProcessed(static_cast<int64_t>(flops) * state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
}
// CPU time (one thread does all the work): robust to other processes on a shared machine.
BENCHMARK(BM_Sgemm_OneThread)->Unit(benchmark::kMillisecond);

// The bf16 product the trainer uses under --precision bf16 (operands rounded to bf16 on every
// call, included in the time; fp32 accumulation), same shape as BM_Sgemm_OneThread.
void BM_Bf16Gemm_OneThread(benchmark::State& state) {
  if (!CpuHasBf16()) {
    state.SkipWithError("no AVX-512 BF16 on this CPU");
    return;
  }
  const int n = kGemm;
  const auto a = RandomMatrix(int64_t{n} * n, 1), b = RandomMatrix(int64_t{n} * n, 2);
  std::vector<float> c(int64_t{n} * n);
  for (auto _ : state) {
    GemmBf16(false, true, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * n * n * n;
  state.SetItemsProcessed(static_cast<int64_t>(flops) * state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Bf16Gemm_OneThread)->Unit(benchmark::kMillisecond);

void BM_Sgemm_AllCores(benchmark::State& state) {
  openblas_set_num_threads(1);
  const int n = kGemm;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int rows = n / cores;
  const auto a = RandomMatrix(int64_t{n} * n, 1), b = RandomMatrix(int64_t{n} * n, 2);
  std::vector<float> c(int64_t{n} * n);
  for (auto _ : state) {
    tbb::parallel_for(0, cores, [&](int i) {
      const int r0 = i * rows, r1 = i + 1 == cores ? n : r0 + rows;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, n, n, 1.0f,
                  a.data() + int64_t{r0} * n, n, b.data(), n, 0.0f, c.data() + int64_t{r0} * n, n);
    });
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * n * n * n;
  state.SetItemsProcessed(static_cast<int64_t>(flops) * state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["cores"] = cores;
}
BENCHMARK(BM_Sgemm_AllCores)->Unit(benchmark::kMillisecond)->UseRealTime();

// threads = 1: TBB confined to the calling thread, so CPU time measures all the work.
void TrainStep(benchmark::State& state, const char* preset, int threads,
               MatmulPrecision precision = MatmulPrecision::kFp32) {
  if (precision == MatmulPrecision::kBf16 && !CpuHasBf16()) {
    state.SkipWithError("no AVX-512 BF16 on this CPU");
    return;
  }
  ScopedMatmulPrecision scoped(precision);
  std::optional<tbb::global_control> limit;
  if (threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, threads);
  constexpr int B = 2, T = 256;
  auto config = ModelConfig::Preset(preset);
  KGF_CHECK(config.ok()) << config.status().ToString();
  auto model = Model::Create(*config, 1);
  KGF_CHECK(model.ok()) << model.status().ToString();
  ParameterList params = model->parameters();
  Optimizer optimizer(params, OptimizerOptions{});
  Batch batch;
  batch.B = B;
  batch.T = T;
  Rng rng(7);
  for (int i = 0; i < B * (T + 1); ++i) {
    batch.tokens.push_back(static_cast<int32_t>(rng.Uniform(config->vocab_size)));
  }
  batch.targets.assign(batch.tokens.begin() + 1, batch.tokens.end());
  batch.tokens.resize(B * T);
  batch.targets.resize(B * T);
  batch.loss_mask.assign(B * T, 1.0f);
  int64_t step = 0;
  auto one_step = [&] {
    ZeroGradients(params);
    LossParts loss = model->ForwardBackward(batch, step++, 1.0f);
    benchmark::DoNotOptimize(loss.loss);
    // As the trainer does: the clipping factor applied inside the optimizer's pass.
    optimizer.Step(1e-4, GradClipScale(GlobalGradNorm(params), 1.0));
  };
  one_step();  // warm-up: first-touch of gradient and optimizer buffers
  for (auto _ : state) one_step();
  const double tokens = static_cast<double>(B) * T * state.iterations();
  state.SetItemsProcessed(static_cast<int64_t>(tokens));
  state.counters["model_GFLOP/s"] = benchmark::Counter(
      config->TrainingFlopsPerToken(T) * tokens * 1e-9, benchmark::Counter::kIsRate);
  state.counters["active_params_M"] = config->NumActiveParameters() / 1e6;
  state.counters["params_M"] = config->NumParameters() / 1e6;
  state.counters["MFLOP/token"] = config->TrainingFlopsPerToken(T) / 1e6;
}

void BM_TrainStep_SmallDenseOneCore(benchmark::State& state) { TrainStep(state, "small-dense", 1); }
void BM_TrainStep_SmallMoeOneCore(benchmark::State& state) { TrainStep(state, "small", 1); }
void BM_TrainStep_SmallDense(benchmark::State& state) { TrainStep(state, "small-dense", 0); }
void BM_TrainStep_SmallMoe(benchmark::State& state) { TrainStep(state, "small", 0); }
void BM_TrainStep_SmallDenseBf16(benchmark::State& state) {
  TrainStep(state, "small-dense", 0, MatmulPrecision::kBf16);
}
void BM_TrainStep_SmallMoeBf16(benchmark::State& state) {
  TrainStep(state, "small", 0, MatmulPrecision::kBf16);
}
void BM_TrainStep_SmallMoeBf16OneCore(benchmark::State& state) {
  TrainStep(state, "small", 1, MatmulPrecision::kBf16);
}
void BM_TrainStep_SmallDenseBf16OneCore(benchmark::State& state) {
  TrainStep(state, "small-dense", 1, MatmulPrecision::kBf16);
}
void BM_TrainStep_LingLiteShapeOneCore(benchmark::State& state) {
  TrainStep(state, "ling-lite-shape", 1);
}
void BM_TrainStep_LingLiteShapeBf16OneCore(benchmark::State& state) {
  TrainStep(state, "ling-lite-shape", 1, MatmulPrecision::kBf16);
}
BENCHMARK(BM_TrainStep_SmallDenseBf16OneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_LingLiteShapeOneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_LingLiteShapeBf16OneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallDenseBf16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallMoeBf16)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallMoeBf16OneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallDenseOneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallMoeOneCore)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallDense)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_TrainStep_SmallMoe)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace kgf::trainer

int main(int argc, char** argv) {
  // As cli/main.cc: OpenBLAS reads OPENBLAS_CORETYPE when loaded, so set it and re-exec once
  // (AVX-512 CPUs only; a value the user set is respected).
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && __builtin_cpu_supports("avx512f")) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", /*overwrite=*/1);
    execv("/proc/self/exe", argv);
  }
  kgf::TuneAllocator();  // as the kgforge binary does, so steps are measured as `train` runs them
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
