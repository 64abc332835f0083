// Mixed precision for the matrix products (SPEC §4; Ling trains in bf16): a float GEMM whose
// operands are rounded to bfloat16 (round to nearest even) and multiplied with fp32
// accumulation and an fp32 result, on CPUs with AVX-512 BF16 (vdpbf16ps: twice the
// multiply-adds of an fp32 FMA per instruction). Master weights, gradients, optimizer state,
// norms, softmax and losses stay fp32; only Gemm<float> (kernels.h) dispatches here.
//
// The products run in oneDNN's bf16 matmul (Debian libdnnl-dev), chosen over hand-written
// AVX-512 BF16 kernels by measurement: 1.6-1.8x OpenBLAS sgemm per core at the trainer's
// shapes, conversion included (benchmarks/README.md). One thread per call, like the BLAS path:
// TBB stays the only source of parallelism, so results are bit-identical for any thread count.
//
// Process-wide setting: SetMatmulPrecision() before training or inference; fp32 by default.
#ifndef KGF_TRAINER_MODEL_BF16_GEMM_H_
#define KGF_TRAINER_MODEL_BF16_GEMM_H_

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace kgf::trainer {

enum class MatmulPrecision : uint8_t { kFp32, kBf16 };

std::string_view MatmulPrecisionName(MatmulPrecision p);  // "fp32" | "bf16"

// True when the CPU executes AVX-512 BF16 (or AMX-BF16) instructions.
bool CpuHasBf16();

// What `auto` chooses: bf16 only where its products beat fp32. AVX-512 BF16's vdpbf16ps does
// 32 multiply-adds a cycle on AMD Zen 4/5 (twice their fp32 FMAs) but issues on one port on Intel
// cores, half their two FMA ports: measured there, oneDNN's bf16 GEMM without AMX runs at 0.58x
// OpenBLAS sgemm and a training step at 0.8x fp32, while with AMX tiles it runs at 3.1x
// (benchmarks/README.md). So bf16 where the CPU has the instructions and either oneDNN runs on
// AMX here (the CPU has it and the kernel lets the process use it) or the CPU is AMD.
MatmulPrecision AutoMatmulPrecision(bool has_bf16, bool amx, bool amd);

// "amx", "amd avx512_bf16", "avx512_bf16 without amx" (not AMD) or "no avx512_bf16": the
// inputs of AutoMatmulPrecision on this CPU, for logs.
std::string_view Bf16Hardware();

// "fp32", "bf16" or "auto" (AutoMatmulPrecision on this CPU). Errors: another name, or bf16
// asked for on a CPU without it (InvalidArgument saying what the CPU lacks).
Result<MatmulPrecision> ResolveMatmulPrecision(std::string_view name);

void SetMatmulPrecision(MatmulPrecision p);
MatmulPrecision GetMatmulPrecision();

// Sets the precision for its lifetime and restores the previous one.
class ScopedMatmulPrecision {
 public:
  explicit ScopedMatmulPrecision(MatmulPrecision p) : previous_(GetMatmulPrecision()) {
    SetMatmulPrecision(p);
  }
  ~ScopedMatmulPrecision() { SetMatmulPrecision(previous_); }
  ScopedMatmulPrecision(const ScopedMatmulPrecision&) = delete;
  ScopedMatmulPrecision& operator=(const ScopedMatmulPrecision&) = delete;

 private:
  MatmulPrecision previous_;
};

// C (M, N) = alpha * op(A) op(B) + beta * C, row-major, with op(A) and op(B) rounded to bf16.
// REQUIRES: CpuHasBf16(); M, N, K > 0.
void GemmBf16(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
              int lda, const float* B, int ldb, float beta, float* C, int ldc);

// rows x cols floats at `src` (leading dimension ld) -> compact bf16 bits, rounded to nearest
// even. REQUIRES: CpuHasBf16(). Thread-safe (callers convert disjoint blocks in parallel).
void ConvertToBf16(const float* src, int64_t rows, int64_t cols, int64_t ld, uint16_t* dst);

// As GemmBf16 on operands already converted (ConvertToBf16): A and B are bf16 bits with leading
// dimensions lda and ldb in elements. Same results as GemmBf16 on their float originals; lets a
// caller that splits one product into chunks convert each operand once instead of per chunk.
void GemmBf16Converted(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                       const uint16_t* A, int lda, const uint16_t* B, int ldb, float beta,
                       float* C, int ldc);

// x rounded to the nearest bf16 (ties to even), as a float. NaN stays NaN.
float RoundToBf16(float x);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_BF16_GEMM_H_
