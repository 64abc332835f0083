#include "trainer/model/moe.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/model/grad_check.h"

namespace kgf::trainer {
namespace {

using testing::CheckGradient;
using testing::Dot;
using testing::RandomVector;

// Router forward/backward as a function of the logits s: loss = <gates, Rg> + <probs, Rp>.
void CheckRouter(bool norm_topk, double a, int K = 2) {
  const int N = 6, E = 5;
  auto s = RandomVector(N * E, 1);
  const auto noise = RandomVector(N * E, 2);
  const auto Rg = RandomVector(N * K, 3), Rp = RandomVector(N * E, 4);
  const double* nz = a == 1.0 ? nullptr : noise.data();
  std::vector<double> probs(N * E), gates(N * K);
  std::vector<int32_t> topk(N * K);
  RouteForward(s.data(), nz, a, N, E, K, norm_topk, probs.data(), topk.data(), gates.data());
  const std::vector<int32_t> chosen = topk;
  auto loss = [&] {
    std::vector<double> p(N * E), g(N * K);
    std::vector<int32_t> ids(N * K);
    RouteForward(s.data(), nz, a, N, E, K, norm_topk, p.data(), ids.data(), g.data());
    EXPECT_EQ(ids, chosen) << "a finite-difference step changed the top-k";
    return Dot(g, Rg) + Dot(p, Rp);
  };
  std::vector<double> ds(N * E, 0.0);
  RouteBackward(probs.data(), topk.data(), gates.data(), Rg.data(), Rp.data(), a, N, E, K,
                norm_topk, ds.data());
  CheckGradient(s, ds, loss, "router ds");
}

TEST(MoeTest, RouterBackwardMatchesCentralDifference) { CheckRouter(true, 1.0); }
TEST(MoeTest, RouterBackwardWithoutRenormMatchesCentralDifference) { CheckRouter(false, 1.0); }
TEST(MoeTest, WarmupRouterBackwardMatchesCentralDifference) { CheckRouter(true, 0.3); }
TEST(MoeTest, TopOneRouterBackwardMatchesCentralDifference) { CheckRouter(true, 1.0, 1); }

TEST(MoeTest, TopOneGateIsTheProbabilityAsInHf) {
  const int N = 3, E = 4, K = 1;
  const auto s = RandomVector(N * E, 21);
  std::vector<double> probs(N * E), gates(N * K);
  std::vector<int32_t> topk(N * K);
  RouteForward(s.data(), static_cast<const double*>(nullptr), 1.0, N, E, K, true, probs.data(),
               topk.data(), gates.data());
  for (int t = 0; t < N; ++t) {
    EXPECT_EQ(gates[t], probs[t * E + topk[t]]);
    EXPECT_LT(gates[t], 1.0);
  }
}

TEST(MoeTest, WarmupRoutesOnTheNoiseAtStepZero) {
  // a = 0: s' = noise, so the logits do not matter.
  const int N = 4, E = 3, K = 1;
  const auto s1 = RandomVector(N * E, 5), s2 = RandomVector(N * E, 6);
  const auto noise = RandomVector(N * E, 7, 3.0);
  std::vector<double> p1(N * E), p2(N * E), g(N * K);
  std::vector<int32_t> t1(N * K), t2(N * K);
  RouteForward(s1.data(), noise.data(), 0.0, N, E, K, true, p1.data(), t1.data(), g.data());
  RouteForward(s2.data(), noise.data(), 0.0, N, E, K, true, p2.data(), t2.data(), g.data());
  EXPECT_EQ(t1, t2);
  for (int i = 0; i < N * E; ++i) EXPECT_NEAR(p1[i], p2[i], 1e-15);
}

TEST(MoeTest, GatesSumToOneAndEveryTokenIsRoutedKTimes) {
  const int N = 50, E = 8, K = 3, C = 4;
  const auto s = RandomVector(N * E, 8);
  std::vector<double> probs(N * E), gates(N * K);
  std::vector<int32_t> topk(N * K);
  RouteForward(s.data(), static_cast<const double*>(nullptr), 1.0, N, E, K, true, probs.data(),
               topk.data(), gates.data());
  for (int t = 0; t < N; ++t) {
    double sum = 0;
    std::set<int32_t> distinct;
    for (int k = 0; k < K; ++k) {
      sum += gates[t * K + k];
      distinct.insert(topk[t * K + k]);
      if (k > 0) {
        EXPECT_GE(gates[t * K + k - 1], gates[t * K + k]);
      }
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_EQ(distinct.size(), size_t(K)) << "token " << t;
    // The chosen experts are the K most probable.
    double worst_chosen = 1, best_other = 0;
    for (int e = 0; e < E; ++e) {
      if (distinct.count(e)) {
        worst_chosen = std::min(worst_chosen, probs[t * E + e]);
      } else {
        best_other = std::max(best_other, probs[t * E + e]);
      }
    }
    EXPECT_GE(worst_chosen, best_other);
  }
  // Dropless: the layer groups every slot exactly once.
  MoeWeights<double> w;
  const auto router = RandomVector(E * C, 9);
  std::vector<std::vector<double>> ew(E);
  w.router = router.data();
  w.C = C;
  w.E = E;
  w.K = K;
  for (int e = 0; e < E; ++e) {
    ew[e] = RandomVector(3 * 2 * C, 10 + e);
    w.experts.push_back({ew[e].data(), ew[e].data() + 2 * C, ew[e].data() + 4 * C, C, 2});
  }
  const auto x = RandomVector(N * C, 30);
  MoeSaved<double> saved;
  std::vector<double> y(N * C);
  MoeForward(w, x.data(), N, static_cast<const double*>(nullptr), MoeOptions{}, &saved, y.data());
  std::vector<int> seen(N * K, 0);
  int64_t total = 0;
  for (int e = 0; e < E; ++e) {
    EXPECT_EQ(saved.load[e], int64_t(saved.slots[e].size()));
    total += saved.load[e];
    for (int32_t slot : saved.slots[e]) {
      EXPECT_EQ(saved.topk[slot], e);
      ++seen[slot];
    }
  }
  EXPECT_EQ(total, N * K);
  for (int v : seen) EXPECT_EQ(v, 1);
}

TEST(MoeTest, BalanceLossIsSwitchFormAndGradientMatches) {
  const int N = 4, E = 3, K = 1;
  // Uniform probabilities and a uniform assignment give coef * E * E * (1/E)(1/E) = coef.
  std::vector<double> uniform(N * E, 1.0 / 3);
  const std::vector<int32_t> even = {0, 1, 2, 0};
  EXPECT_NEAR(BalanceLoss(uniform.data(), even.data(), N, E, K, 0.5, 1.0,
                          static_cast<double*>(nullptr)),
              0.5, 1e-12);
  auto probs = RandomVector(N * E, 11);
  const std::vector<int32_t> topk = {2, 2, 0, 1};
  auto loss = [&] {
    return BalanceLoss(probs.data(), topk.data(), N, E, K, 0.015, 1.0,
                       static_cast<double*>(nullptr));
  };
  std::vector<double> dp(N * E, 0.0);
  BalanceLoss(probs.data(), topk.data(), N, E, K, 0.015, 1.0, dp.data());
  CheckGradient(probs, dp, loss, "balance dprobs");
}

TEST(MoeTest, ZLossGradientMatches) {
  const int N = 5, E = 4;
  auto s = RandomVector(N * E, 12, 2.0);
  auto loss = [&] { return ZLoss(s.data(), N, E, 1e-4, 1.0, static_cast<double*>(nullptr)); };
  std::vector<double> ds(N * E, 0.0);
  ZLoss(s.data(), N, E, 1e-4, 1.0, ds.data());
  CheckGradient(s, ds, loss, "z ds");
}

// A small MoE layer whose weights live in one vector per tensor (double).
struct MoeFixture {
  int N = 10, C = 6, E = 4, K = 2, I = 5, Is = 7;
  std::vector<double> router;
  std::vector<std::vector<double>> eg, eu, ed;
  std::vector<double> sg, su, sd, x;
  explicit MoeFixture(uint64_t seed) {
    router = RandomVector(E * C, seed);
    for (int e = 0; e < E; ++e) {
      eg.push_back(RandomVector(I * C, seed + 10 + e, 0.5));
      eu.push_back(RandomVector(I * C, seed + 20 + e, 0.5));
      ed.push_back(RandomVector(C * I, seed + 30 + e, 0.5));
    }
    sg = RandomVector(Is * C, seed + 1, 0.5);
    su = RandomVector(Is * C, seed + 2, 0.5);
    sd = RandomVector(C * Is, seed + 3, 0.5);
    x = RandomVector(N * C, seed + 4);
  }
  MoeWeights<double> Weights() const {
    MoeWeights<double> w;
    w.router = router.data();
    w.C = C;
    w.E = E;
    w.K = K;
    for (int e = 0; e < E; ++e) w.experts.push_back({eg[e].data(), eu[e].data(), ed[e].data(), C, I});
    w.shared = {sg.data(), su.data(), sd.data(), C, Is};
    return w;
  }
};

void CheckMoeLayer(double a) {
  MoeFixture f(100);
  const auto noise = RandomVector(f.N * f.E, 5);
  const double* nz = a == 1.0 ? nullptr : noise.data();
  const MoeOptions opt{0.3, 0.01, a};  // large coefficients so the aux gradients matter
  const auto R = RandomVector(f.N * f.C, 6);
  std::vector<int32_t> chosen;
  auto loss = [&] {
    MoeSaved<double> sv;
    std::vector<double> y(f.N * f.C);
    MoeForward(f.Weights(), f.x.data(), f.N, nz, opt, &sv, y.data());
    if (!chosen.empty()) {
      EXPECT_EQ(sv.topk, chosen) << "a step changed the routing";
    }
    return Dot(y, R) + sv.balance_loss + sv.z_loss;
  };
  MoeSaved<double> sv;
  std::vector<double> y(f.N * f.C);
  MoeForward(f.Weights(), f.x.data(), f.N, nz, opt, &sv, y.data());
  chosen = sv.topk;
  std::vector<double> drouter(f.router.size(), 0.0), dx(f.x.size(), 0.0);
  std::vector<std::vector<double>> dg(f.E), du(f.E), dd(f.E);
  std::vector<double> dsg(f.sg.size(), 0.0), dsu(f.su.size(), 0.0), dsd(f.sd.size(), 0.0);
  MoeGrads<double> g;
  g.router = drouter.data();
  for (int e = 0; e < f.E; ++e) {
    dg[e].assign(f.eg[e].size(), 0.0);
    du[e].assign(f.eu[e].size(), 0.0);
    dd[e].assign(f.ed[e].size(), 0.0);
    g.experts.push_back({dg[e].data(), du[e].data(), dd[e].data()});
  }
  g.shared = {dsg.data(), dsu.data(), dsd.data()};
  MoeBackward(f.Weights(), f.x.data(), sv, R.data(), f.N, opt, 1.0, g, dx.data());
  CheckGradient(f.x, dx, loss, "moe dx");
  CheckGradient(f.router, drouter, loss, "moe drouter");
  for (int e = 0; e < f.E; ++e) {
    if (sv.load[e] == 0) continue;
    CheckGradient(f.eg[e], dg[e], loss, "expert gate_proj", 1e-5, 16);
    CheckGradient(f.eu[e], du[e], loss, "expert up_proj", 1e-5, 16);
    CheckGradient(f.ed[e], dd[e], loss, "expert down_proj", 1e-5, 16);
  }
  CheckGradient(f.sg, dsg, loss, "shared gate_proj", 1e-5, 16);
  CheckGradient(f.su, dsu, loss, "shared up_proj", 1e-5, 16);
  CheckGradient(f.sd, dsd, loss, "shared down_proj", 1e-5, 16);
}

TEST(MoeTest, LayerBackwardMatchesCentralDifference) { CheckMoeLayer(1.0); }
TEST(MoeTest, WarmupLayerBackwardMatchesCentralDifference) { CheckMoeLayer(0.25); }

TEST(MoeTest, GroupedForwardMatchesNaivePerTokenForward) {
  MoeFixture f(200);
  f.N = 70;  // more than one 64-token chunk
  f.x = RandomVector(f.N * f.C, 7);
  const auto noise = RandomVector(f.N * f.E, 8);
  for (double a : {1.0, 0.5}) {
    const double* nz = a == 1.0 ? nullptr : noise.data();
    MoeSaved<double> sv;
    std::vector<double> y(f.N * f.C), ref(f.N * f.C);
    MoeForward(f.Weights(), f.x.data(), f.N, nz, MoeOptions{0, 0, a}, &sv, y.data());
    MoeForwardNaive(f.Weights(), f.x.data(), f.N, nz, MoeOptions{0, 0, a}, ref.data());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-10) << i;
  }
}

}  // namespace
}  // namespace kgf::trainer
