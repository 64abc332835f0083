// bf16 matrix products on oneDNN (see bf16_gemm.h).
#include "trainer/model/bf16_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <atomic>
#include <cstring>
#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "base/check.h"

namespace kgf::trainer {
namespace {

std::atomic<MatmulPrecision> g_precision{MatmulPrecision::kFp32};

uint16_t Bf16Bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

// rows x cols floats at `src` (leading dimension ld) -> compact bf16 rows x cols.
__attribute__((target("avx512f,avx512bf16"))) void ToBf16(const float* src, int rows, int cols,
                                                          int ld, uint16_t* dst) {
  for (int r = 0; r < rows; ++r) {
    const float* s = src + int64_t{r} * ld;
    uint16_t* d = dst + int64_t{r} * cols;
    int c = 0;
    for (; c + 16 <= cols; c += 16) {
      const __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + c));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + c), reinterpret_cast<const __m256i&>(v));
    }
    for (; c < cols; ++c) d[c] = Bf16Bits(s[c]);
  }
}

const dnnl::engine& Engine() {
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// One matmul primitive per shape and operand strides, per thread (primitives and streams are
// used by one thread).
using Shape = std::tuple<bool, bool, int, int, int, int, int, int, float, float>;

// op(A) (M, K) is A (M, K) row-major (row stride lda) or A (K, M) row-major read transposed;
// likewise op(B) (K, N).
dnnl::memory::desc ADesc(bool ta, int M, int K, int lda) {
  using dims = dnnl::memory::dims;
  return {{M, K}, dnnl::memory::data_type::bf16, ta ? dims{1, lda} : dims{lda, 1}};
}
dnnl::memory::desc BDesc(bool tb, int K, int N, int ldb) {
  using dims = dnnl::memory::dims;
  return {{K, N}, dnnl::memory::data_type::bf16, tb ? dims{1, ldb} : dims{ldb, 1}};
}

dnnl::matmul MakeMatmul(const Shape& s) {
  const auto [ta, tb, M, N, K, lda, ldb, ldc, alpha, beta] = s;
  using dt = dnnl::memory::data_type;
  using dims = dnnl::memory::dims;
  const dnnl::memory::desc a = ADesc(ta, M, K, lda);
  const dnnl::memory::desc b = BDesc(tb, K, N, ldb);
  const dnnl::memory::desc c({M, N}, dt::f32, dims{ldc, 1});
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  if (beta != 0.0f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  return dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, Engine()));
}

}  // namespace

std::string_view MatmulPrecisionName(MatmulPrecision p) {
  return p == MatmulPrecision::kBf16 ? "bf16" : "fp32";
}

bool CpuHasBf16() {
  static const bool has = __builtin_cpu_supports("avx512bf16");
  return has;
}

MatmulPrecision AutoMatmulPrecision(bool has_bf16, bool amx, bool amd) {
  return has_bf16 && (amx || amd) ? MatmulPrecision::kBf16 : MatmulPrecision::kFp32;
}

namespace {
// oneDNN's effective ISA: AMX only where the CPU has it and the kernel granted the tile state
// (ONEDNN_MAX_CPU_ISA can lower it).
bool OneDnnUsesAmx() {
  // The ISA values are cumulative bit sets: any later AMX level contains avx512_core_amx's bits.
  static const bool amx = [] {
    const auto want = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_amx);
    return (static_cast<unsigned>(dnnl::get_effective_cpu_isa()) & want) == want;
  }();
  return amx;
}
bool CpuIsAmd() {
  static const bool amd = (__builtin_cpu_init(), __builtin_cpu_is("amd"));
  return amd;
}
}  // namespace

std::string_view Bf16Hardware() {
  if (!CpuHasBf16()) return "no avx512_bf16";
  if (OneDnnUsesAmx()) return "amx";
  return CpuIsAmd() ? "amd avx512_bf16" : "avx512_bf16 without amx";
}

Result<MatmulPrecision> ResolveMatmulPrecision(std::string_view name) {
  if (name == "fp32") return MatmulPrecision::kFp32;
  if (name == "auto") {
    return AutoMatmulPrecision(CpuHasBf16(), CpuHasBf16() && OneDnnUsesAmx(), CpuIsAmd());
  }
  if (name == "bf16") {
    if (!CpuHasBf16()) {
      return InvalidArgumentError(
          "precision bf16 needs a CPU with AVX-512 BF16 (avx512_bf16 in /proc/cpuinfo), which "
          "this one lacks; use fp32 or auto");
    }
    return MatmulPrecision::kBf16;
  }
  return InvalidArgumentError("precision is '" + std::string(name) +
                              "'; expected fp32, bf16 or auto");
}

void SetMatmulPrecision(MatmulPrecision p) {
  KGF_CHECK(p == MatmulPrecision::kFp32 || CpuHasBf16()) << "bf16 products on a CPU without them";
  g_precision.store(p, std::memory_order_relaxed);
}

MatmulPrecision GetMatmulPrecision() { return g_precision.load(std::memory_order_relaxed); }

float RoundToBf16(float x) {
  const uint32_t u = uint32_t{Bf16Bits(x)} << 16;
  float out;
  std::memcpy(&out, &u, 4);
  return out;
}

void ConvertToBf16(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst) {
  KGF_CHECK(CpuHasBf16());
  for (int64_t r = 0; r < rows; ++r) {
    ToBf16(src + r * ld, 1, static_cast<int>(cols), static_cast<int>(cols), dst + r * cols);
  }
}

void GemmBf16Converted(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                       const uint16_t* A, int lda, const uint16_t* B, int ldb, float beta,
                       float* C, int ldc) {
  KGF_CHECK(CpuHasBf16() && M > 0 && N > 0 && K > 0);
  // oneDNN runs on OpenMP: one thread inside each caller (a TBB task).
  thread_local const bool one_thread = (omp_set_num_threads(1), true);
  (void)one_thread;
  thread_local std::map<Shape, dnnl::matmul> primitives;
  thread_local dnnl::stream stream(Engine());
  const Shape shape{trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta};
  auto it = primitives.find(shape);
  if (it == primitives.end()) {
    if (primitives.size() >= 512) primitives.clear();
    it = primitives.emplace(shape, MakeMatmul(shape)).first;
  }
  using dt = dnnl::memory::data_type;
  using dims = dnnl::memory::dims;
  dnnl::memory am(ADesc(trans_a, M, K, lda), Engine(), const_cast<uint16_t*>(A));
  dnnl::memory bm(BDesc(trans_b, K, N, ldb), Engine(), const_cast<uint16_t*>(B));
  dnnl::memory cm({{M, N}, dt::f32, dims{ldc, 1}}, Engine(), C);
  it->second.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  stream.wait();
}

void GemmBf16(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
              int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  KGF_CHECK(CpuHasBf16() && M > 0 && N > 0 && K > 0);
  thread_local std::vector<uint16_t> a, b;
  a.resize(size_t(M) * K);
  b.resize(size_t(K) * N);
  // Compact copies in the stored orientation.
  ToBf16(A, trans_a ? K : M, trans_a ? M : K, lda, a.data());
  ToBf16(B, trans_b ? N : K, trans_b ? K : N, ldb, b.data());
  GemmBf16Converted(trans_a, trans_b, M, N, K, alpha, a.data(), trans_a ? M : K, b.data(),
                    trans_b ? K : N, beta, C, ldc);
}

}  // namespace kgf::trainer
