// bf16 products: against a naive reference on bf16-rounded operands, the linear kernels against
// their fp32 results within bf16 tolerance, determinism for any thread count, and precision
// names. Skipped on CPUs without AVX-512 BF16 (the fp32 path is the whole trainer there).
#include "trainer/model/bf16_gemm.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "base/rng.h"
#include "trainer/model/kernels.h"

namespace kgf::trainer {
namespace {

std::vector<float> Random(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.Normal());
  return v;
}

TEST(Bf16GemmTest, RoundingIsToNearestEven) {
  EXPECT_EQ(RoundToBf16(1.0f), 1.0f);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  EXPECT_EQ(RoundToBf16(1.0f + 0x1p-8f), 1.0f);
  EXPECT_EQ(RoundToBf16(1.0f + 0x1p-8f + 0x1p-20f), 1.0f + 0x1p-7f);
  EXPECT_EQ(RoundToBf16(-3.0f), -3.0f);
  EXPECT_TRUE(std::isnan(RoundToBf16(NAN)));
  EXPECT_TRUE(std::isinf(RoundToBf16(INFINITY)));
}

TEST(Bf16GemmTest, PrecisionNames) {
  EXPECT_EQ(*ResolveMatmulPrecision("fp32"), MatmulPrecision::kFp32);
  const std::string_view hw = Bf16Hardware();
  EXPECT_EQ(*ResolveMatmulPrecision("auto"), hw == "amx" || hw == "amd avx512_bf16"
                                                 ? MatmulPrecision::kBf16
                                                 : MatmulPrecision::kFp32)
      << hw;
  EXPECT_EQ(hw == "no avx512_bf16", !CpuHasBf16());
  Result<MatmulPrecision> bad = ResolveMatmulPrecision("fp16");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected fp32, bf16 or auto"), std::string::npos);
  if (!CpuHasBf16()) {
    EXPECT_NE(ResolveMatmulPrecision("bf16").status().message().find("avx512_bf16"),
              std::string::npos);
  }
}

// bf16 by default only where its products beat fp32: AMX, or AMD's two-per-FMA vdpbf16ps; not
// on Intel cores whose vdpbf16ps issues on one port (0.58x sgemm measured), nor without it.
TEST(Bf16GemmTest, AutoPicksBf16OnlyWhereItIsFaster) {
  EXPECT_EQ(AutoMatmulPrecision(true, true, false), MatmulPrecision::kBf16);
  EXPECT_EQ(AutoMatmulPrecision(true, false, true), MatmulPrecision::kBf16);
  EXPECT_EQ(AutoMatmulPrecision(true, true, true), MatmulPrecision::kBf16);
  EXPECT_EQ(AutoMatmulPrecision(true, false, false), MatmulPrecision::kFp32);
  EXPECT_EQ(AutoMatmulPrecision(false, false, true), MatmulPrecision::kFp32);
  EXPECT_EQ(AutoMatmulPrecision(false, false, false), MatmulPrecision::kFp32);
}

TEST(Bf16GemmTest, MatchesTheNaiveProductOfRoundedOperandsForEveryTranspose) {
  if (!CpuHasBf16()) GTEST_SKIP() << "no AVX-512 BF16";
  const int M = 37, N = 29, K = 70;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (float beta : {0.0f, 0.5f}) {
        const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
        std::vector<float> A = Random(size_t(ta ? K : M) * lda, 1);
        std::vector<float> B = Random(size_t(tb ? N : K) * ldb, 2);
        std::vector<float> C = Random(size_t(M) * ldc, 3), C0 = C;
        const float alpha = 0.75f;
        GemmBf16(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
        for (int i = 0; i < M; ++i) {
          for (int j = 0; j < N; ++j) {
            double want = 0;
            for (int k = 0; k < K; ++k) {
              const float a = ta ? A[size_t(k) * lda + i] : A[size_t(i) * lda + k];
              const float b = tb ? B[size_t(j) * ldb + k] : B[size_t(k) * ldb + j];
              want += double(RoundToBf16(a)) * RoundToBf16(b);
            }
            want = alpha * want + beta * C0[size_t(i) * ldc + j];
            EXPECT_NEAR(C[size_t(i) * ldc + j], want, 1e-4 * (1 + std::fabs(want)))
                << "ta=" << ta << " tb=" << tb << " beta=" << beta << " at " << i << "," << j;
          }
        }
        // The padding between rows is left alone.
        EXPECT_EQ(C[N], C0[N]);
      }
    }
  }
}

class Bf16LinearTest : public ::testing::TestWithParam<std::tuple<int, int, int>> {};

// Shapes reaching every branch of the linear kernels: row blocks (M >= N), column blocks, and
// the long reduction (N >= 8 max(M, K): the LM head's backward).
INSTANTIATE_TEST_SUITE_P(Shapes, Bf16LinearTest,
                         ::testing::Values(std::make_tuple(300, 96, 200),
                                           std::make_tuple(40, 64, 200),
                                           std::make_tuple(8, 16, 512)));

TEST_P(Bf16LinearTest, TrackFp32WithinBf16ToleranceAndStayDeterministic) {
  if (!CpuHasBf16()) GTEST_SKIP() << "no AVX-512 BF16";
  const auto [M, K, N] = GetParam();
  std::vector<float> X = Random(size_t(M) * K, 4), W = Random(size_t(N) * K, 5);
  std::vector<float> dY = Random(size_t(M) * N, 6);
  auto run = [&](MatmulPrecision p, int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    ScopedMatmulPrecision scoped(p);
    std::vector<float> Y(size_t(M) * N), dX(size_t(M) * K), dW(size_t(N) * K, 0.0f);
    LinearForward(X.data(), W.data(), M, K, N, Y.data());
    LinearBackwardInput(dY.data(), W.data(), M, K, N, dX.data());
    LinearBackwardWeight(dY.data(), X.data(), M, K, N, dW.data());
    std::vector<float> all = Y;
    all.insert(all.end(), dX.begin(), dX.end());
    all.insert(all.end(), dW.begin(), dW.end());
    return all;
  };
  const std::vector<float> fp32 = run(MatmulPrecision::kFp32, 2);
  const std::vector<float> bf16 = run(MatmulPrecision::kBf16, 2);
  EXPECT_EQ(GetMatmulPrecision(), MatmulPrecision::kFp32);  // restored
  double err = 0, norm = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    err += (bf16[i] - fp32[i]) * double(bf16[i] - fp32[i]);
    norm += fp32[i] * double(fp32[i]);
  }
  // bf16 keeps 8 mantissa bits: relative rounding 2^-9 per operand.
  EXPECT_LT(std::sqrt(err / norm), 8e-3);
  EXPECT_GT(std::sqrt(err / norm), 1e-5);  // it did run in bf16
  EXPECT_EQ(run(MatmulPrecision::kBf16, 1), bf16);
}

TEST_P(Bf16LinearTest, SharedConversionsGiveTheSameBitsAsSeparateCalls) {
  // LinearBackward (dY converted once) and PreparedWeight (W converted once) against the
  // one-product-per-call kernels, in both precisions.
  const auto [M, K, N] = GetParam();
  std::vector<float> X = Random(size_t(M) * K, 7), W = Random(size_t(N) * K, 8);
  std::vector<float> dY = Random(size_t(M) * N, 9);
  std::vector<MatmulPrecision> precisions = {MatmulPrecision::kFp32};
  if (CpuHasBf16()) precisions.push_back(MatmulPrecision::kBf16);
  for (MatmulPrecision p : precisions) {
    ScopedMatmulPrecision scoped(p);
    std::vector<float> Y1(size_t(M) * N), dX1(size_t(M) * K, 1.0f), dW1(size_t(N) * K, 0.5f);
    std::vector<float> Y2 = Y1, dX2 = dX1, dW2 = dW1, dX3 = dX1, dW3 = dW1;
    LinearForward(X.data(), W.data(), M, K, N, Y1.data());
    LinearBackwardInput(dY.data(), W.data(), M, K, N, dX1.data(), /*accumulate=*/true);
    LinearBackwardWeight(dY.data(), X.data(), M, K, N, dW1.data());
    LinearBackward(dY.data(), X.data(), W.data(), M, K, N, dX2.data(), dW2.data(), true);
    const PreparedWeight<float> w(W.data(), N, K);
    EXPECT_EQ(w.bf16() != nullptr, p == MatmulPrecision::kBf16);
    LinearForward(X.data(), w, M, K, N, Y2.data());
    LinearBackward(dY.data(), X.data(), w, M, K, N, dX3.data(), dW3.data(), true);
    const std::string name(MatmulPrecisionName(p));
    EXPECT_EQ(Y1, Y2) << name;
    EXPECT_EQ(dX1, dX2) << name;
    EXPECT_EQ(dW1, dW2) << name;
    EXPECT_EQ(dX1, dX3) << name;
    EXPECT_EQ(dW1, dW3) << name;
  }
}

}  // namespace
}  // namespace kgf::trainer
