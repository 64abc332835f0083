#include "trainer/model/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/model/grad_check.h"

namespace kgf::trainer {
namespace {

using testing::CheckGradient;
using testing::Dot;
using testing::RandomVector;

std::vector<float> ToFloat(const std::vector<double>& v) { return {v.begin(), v.end()}; }

TEST(KernelsTest, VectorExpMatchesStdExp) {
  // Values across the range the softmaxes see (shifted by the max: <= 0), including the
  // underflowing tail.
  std::vector<float> in;
  for (int i = 0; i <= 1803; ++i) in.push_back(-100.0f + 0.1f * i);  // not a multiple of 8
  std::vector<float> out(in.size());
  const double sum = ExpShiftSum(in.data(), 2.0f, out.data(), int64_t(in.size()));
  double ref_sum = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const double ref = std::exp(double(in[i] - 2.0f));  // the same float argument
    ref_sum += ref;
    if (ref > 1e-37) {
      ASSERT_NEAR(out[i], ref, 5e-7 * ref) << in[i];
    } else {
      ASSERT_LE(out[i], 2e-37) << in[i];
    }
  }
  EXPECT_NEAR(sum, ref_sum, 1e-6 * ref_sum);
  // In place works too.
  std::vector<float> x = {0.0f, 1.0f, -1.0f};
  ExpShiftSum(x.data(), 0.0f, x.data(), 3);
  EXPECT_NEAR(x[1], std::exp(1.0), 1e-6);
}

TEST(KernelsTest, FastLinearMatchesNaive) {
  // Shapes cross the 64-row chunk boundary and are not multiples of any SIMD width.
  const int M = 131, K = 37, N = 70;
  const auto X = ToFloat(RandomVector(size_t(M) * K, 1));
  const auto W = ToFloat(RandomVector(size_t(N) * K, 2));
  const auto dY = ToFloat(RandomVector(size_t(M) * N, 3));
  std::vector<float> y(M * N), y_ref(M * N), dx(M * K), dx_ref(M * K);
  std::vector<float> dw(N * K, 0.5f), dw_ref(N * K, 0.5f);
  LinearForward(X.data(), W.data(), M, K, N, y.data());
  LinearForwardNaive(X.data(), W.data(), M, K, N, y_ref.data());
  LinearBackwardInput(dY.data(), W.data(), M, K, N, dx.data());
  LinearBackwardInputNaive(dY.data(), W.data(), M, K, N, dx_ref.data());
  LinearBackwardWeight(dY.data(), X.data(), M, K, N, dw.data());
  LinearBackwardWeightNaive(dY.data(), X.data(), M, K, N, dw_ref.data());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], y_ref[i], 1e-4) << i;
  for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx[i], dx_ref[i], 1e-4) << i;
  for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], dw_ref[i], 1e-3) << i;
}

TEST(KernelsTest, LongReductionBackwardInputMatchesNaive) {
  // N >= 8 max(M, K): the reduction is split into chunks (the LM head's shape).
  const int M = 5, K = 3, N = 700;
  const auto dY = ToFloat(RandomVector(size_t(M) * N, 4));
  const auto W = ToFloat(RandomVector(size_t(N) * K, 5));
  std::vector<float> dx(M * K, 1.0f), ref(M * K);
  LinearBackwardInput(dY.data(), W.data(), M, K, N, dx.data(), /*accumulate=*/true);
  LinearBackwardInputNaive(dY.data(), W.data(), M, K, N, ref.data());
  for (int i = 0; i < M * K; ++i) ASSERT_NEAR(dx[i], ref[i] + 1.0f, 1e-3) << i;
  LinearBackwardInput(dY.data(), W.data(), M, K, N, dx.data());
  for (int i = 0; i < M * K; ++i) ASSERT_NEAR(dx[i], ref[i], 1e-3) << i;
}

TEST(KernelsTest, LinearBackwardMatchesCentralDifference) {
  const int M = 5, K = 4, N = 3;
  auto X = RandomVector(M * K, 1), W = RandomVector(N * K, 2);
  const auto R = RandomVector(M * N, 3);  // loss = <Y, R>
  auto loss = [&] {
    std::vector<double> y(M * N);
    LinearForward(X.data(), W.data(), M, K, N, y.data());
    return Dot(y, R);
  };
  std::vector<double> dX(M * K), dW(N * K, 0.0);
  LinearBackwardInput(R.data(), W.data(), M, K, N, dX.data());
  LinearBackwardWeight(R.data(), X.data(), M, K, N, dW.data());
  CheckGradient(X, dX, loss, "dX");
  CheckGradient(W, dW, loss, "dW");
}

TEST(KernelsTest, RmsNormBackwardMatchesCentralDifference) {
  const int M = 70, C = 6;  // two row chunks for the dw reduction
  auto x = RandomVector(M * C, 4), w = RandomVector(C, 5);
  const auto R = RandomVector(M * C, 6);
  auto loss = [&] {
    std::vector<double> y(M * C), rstd(M);
    RmsNormForward(x.data(), w.data(), M, C, 1e-6, y.data(), rstd.data());
    return Dot(y, R);
  };
  std::vector<double> y(M * C), rstd(M), dx(M * C, 0.0), dw(C, 0.0);
  RmsNormForward(x.data(), w.data(), M, C, 1e-6, y.data(), rstd.data());
  RmsNormBackward(R.data(), x.data(), w.data(), rstd.data(), M, C, dx.data(), dw.data());
  CheckGradient(x, dx, loss, "dx");
  CheckGradient(w, dw, loss, "dw");
}

TEST(KernelsTest, RopeRotatesHalvesAndBackwardMatchesCentralDifference) {
  const int B = 2, T = 3, heads = 2, d = 4, stride = 10;  // stride > heads * d: gaps untouched
  const RopeTable table = MakeRopeTable(0, T, d, 10000.0);
  // Position 0 is the identity; position 1 rotates pair (0, 2) by 1 radian.
  std::vector<double> x = RandomVector(B * T * stride, 7);
  std::vector<double> y = x;
  RopeForward(y.data(), B, T, heads, d, stride, table);
  for (int i = 0; i < heads * d; ++i) EXPECT_NEAR(y[i], x[i], 1e-15);
  EXPECT_NEAR(y[stride + 0], x[stride] * std::cos(1.0) - x[stride + 2] * std::sin(1.0), 1e-12);
  EXPECT_NEAR(y[stride + 2], x[stride + 2] * std::cos(1.0) + x[stride] * std::sin(1.0), 1e-12);
  EXPECT_EQ(y[8], x[8]);  // outside the heads
  const auto R = RandomVector(x.size(), 8);
  auto loss = [&] {
    std::vector<double> z = x;
    RopeForward(z.data(), B, T, heads, d, stride, table);
    return Dot(z, R);
  };
  std::vector<double> dx = R;
  RopeBackward(dx.data(), B, T, heads, d, stride, table);
  CheckGradient(x, dx, loss, "rope dx");
}

TEST(KernelsTest, SwigluBackwardMatchesCentralDifference) {
  const int n = 20;
  auto g = RandomVector(n, 9, 2.0), u = RandomVector(n, 10);
  const auto R = RandomVector(n, 11);
  auto loss = [&] {
    std::vector<double> a(n);
    SwigluForward(g.data(), u.data(), n, a.data());
    return Dot(a, R);
  };
  std::vector<double> dg(n), du(n);
  SwigluBackward(R.data(), g.data(), u.data(), n, dg.data(), du.data());
  CheckGradient(g, dg, loss, "dg");
  CheckGradient(u, du, loss, "du");
}

TEST(KernelsTest, VectorSwigluMatchesDouble) {
  const int n = 77;  // vector body and scalar tail
  const auto gd = RandomVector(n, 15, 4.0), ud = RandomVector(n, 16), dd = RandomVector(n, 17);
  const auto g = ToFloat(gd), u = ToFloat(ud), da = ToFloat(dd);
  std::vector<float> act(n), dg(n), du(n);
  std::vector<double> act_ref(n), dg_ref(n), du_ref(n);
  SwigluForward(g.data(), u.data(), n, act.data());
  SwigluBackward(da.data(), g.data(), u.data(), n, dg.data(), du.data());
  const std::vector<double> g2(g.begin(), g.end()), u2(u.begin(), u.end()), d2(da.begin(), da.end());
  SwigluForward(g2.data(), u2.data(), n, act_ref.data());
  SwigluBackward(d2.data(), g2.data(), u2.data(), n, dg_ref.data(), du_ref.data());
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(act[i], act_ref[i], 1e-6 * (1 + std::abs(act_ref[i]))) << i;
    EXPECT_NEAR(dg[i], dg_ref[i], 1e-6 * (1 + std::abs(dg_ref[i]))) << i;
    EXPECT_NEAR(du[i], du_ref[i], 1e-6 * (1 + std::abs(du_ref[i]))) << i;
  }
}

TEST(KernelsTest, MaskedCrossEntropyValueAndGradient) {
  const int M = 5, V = 7;
  auto logits = RandomVector(M * V, 12);
  const std::vector<int32_t> targets = {0, 6, 3, 3, 1};
  const std::vector<float> mask = {1, 0, 1, 1, 0};
  // Value: mean over the three masked rows of logsumexp - logit[target].
  double expect = 0;
  for (int m : {0, 2, 3}) {
    double s = 0;
    for (int v = 0; v < V; ++v) s += std::exp(logits[m * V + v]);
    expect += std::log(s) - logits[m * V + targets[m]];
  }
  auto loss = [&] {
    return CrossEntropyMasked(logits.data(), targets.data(), mask.data(), M, V, 3.0, 1.0,
                              static_cast<double*>(nullptr)) / 3.0;
  };
  EXPECT_NEAR(loss(), expect / 3, 1e-12);
  std::vector<double> dl(M * V);
  CrossEntropyMasked(logits.data(), targets.data(), mask.data(), M, V, 3.0, 1.0, dl.data());
  for (int v = 0; v < V; ++v) EXPECT_EQ(dl[1 * V + v], 0.0);  // unmasked row: no gradient
  CheckGradient(logits, dl, loss, "dlogits");
}

TEST(KernelsTest, NormHeadNormalisesColumnsOverVocabWithDetachedDenominator) {
  const int V = 6, C = 3;
  auto W = RandomVector(V * C, 13);
  std::vector<double> We(V * C), inv(C);
  NormHeadForward(W.data(), V, C, We.data(), inv.data());
  for (int c = 0; c < C; ++c) {
    double ss = 0;
    for (int v = 0; v < V; ++v) ss += We[v * C + c] * We[v * C + c];
    EXPECT_NEAR(ss, 1.0, 1e-6) << "column " << c;
  }
  // With the denominator held fixed, the gradient is dW_eff / norm: check against a central
  // difference of the function with the norm frozen at its current value.
  const auto R = RandomVector(V * C, 14);
  const std::vector<double> frozen = inv;
  auto loss = [&] {
    double s = 0;
    for (int v = 0; v < V; ++v)
      for (int c = 0; c < C; ++c) s += W[v * C + c] * frozen[c] * R[v * C + c];
    return s;
  };
  std::vector<double> dW(V * C, 0.0);
  NormHeadBackward(R.data(), inv.data(), V, C, dW.data());
  CheckGradient(W, dW, loss, "NormHead dW");
}

}  // namespace
}  // namespace kgf::trainer
