// MoE feed-forward, router and auxiliary losses (see moe.h).
#include "trainer/model/moe.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "trainer/model/kernels.h"

namespace kgf::trainer {

template <typename S>
void FfnForward(const FfnWeights<S>& w, const S* x, int n, S* g, S* u, S* y) {
  if (n == 0) return;
  const PreparedWeight<S> xr(x, n, w.C);  // bf16: x converted once for gate and up
  LinearForward(xr, PreparedWeight<S>(w.gate, w.I, w.C), n, w.C, w.I, g);  // (n, I)
  LinearForward(xr, PreparedWeight<S>(w.up, w.I, w.C), n, w.C, w.I, u);    // (n, I)
  auto act = Scratch<S>(static_cast<size_t>(n) * w.I);  // (n, I)
  SwigluForward(g, u, int64_t{n} * w.I, act.get());
  LinearForward(act.get(), w.down, n, w.I, w.C, y);  // (n, C)
}

template <typename S>
void FfnBackward(const FfnWeights<S>& w, const S* x, const S* g, const S* u, const S* dy, int n,
                 const FfnGrads<S>& grads, S* dx) {
  if (n == 0) return;
  const size_t nI = static_cast<size_t>(n) * w.I;
  auto act = Scratch<S>(nI), dact = Scratch<S>(nI);  // (n, I)
  auto dg = Scratch<S>(nI), du = Scratch<S>(nI);      // (n, I)
  SwigluForward(g, u, int64_t(nI), act.get());
  LinearBackward(dy, act.get(), w.down, n, w.I, w.C, dact.get(), grads.down);
  SwigluBackward(dact.get(), g, u, int64_t(nI), dg.get(), du.get());
  const PreparedWeight<S> xr(x, n, w.C);  // bf16: x converted once for both weight gradients
  LinearBackward(dg.get(), xr, PreparedWeight<S>(w.gate, w.I, w.C), n, w.C, w.I, dx, grads.gate);
  LinearBackward(du.get(), xr, PreparedWeight<S>(w.up, w.I, w.C), n, w.C, w.I, dx, grads.up,
                 /*accumulate=*/true);
}

template <typename S>
void RouteForward(const S* s, const S* noise, double a, int N, int E, int K, bool norm_topk,
                  S* probs, int32_t* topk, S* gates) {
  KGF_CHECK(noise != nullptr || a == 1.0);
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    std::vector<double> sp(E);  // (E) s' of one token
    for (int64_t t = t0; t < t1; ++t) {
      const S* st = s + t * E;
      // Ling eq. 3: s' = a s + (1 - a)(mu + sigma eps).
      for (int e = 0; e < E; ++e) {
        sp[e] = noise == nullptr ? double(st[e]) : a * st[e] + (1.0 - a) * noise[t * E + e];
      }
      const double mx = *std::max_element(sp.begin(), sp.end());
      double sum = 0;
      for (int e = 0; e < E; ++e) sum += std::exp(sp[e] - mx);
      S* p = probs + t * E;
      for (int e = 0; e < E; ++e) p[e] = static_cast<S>(std::exp(sp[e] - mx) / sum);
      int32_t* ids = topk + t * K;
      for (int k = 0; k < K; ++k) {
        int best = -1;
        for (int e = 0; e < E; ++e) {
          bool taken = false;
          for (int j = 0; j < k; ++j) taken = taken || ids[j] == e;
          if (!taken && (best < 0 || p[e] > p[best])) best = e;
        }
        ids[k] = best;
      }
      double z = 0;
      for (int k = 0; k < K; ++k) z += p[ids[k]];
      for (int k = 0; k < K; ++k) {
        gates[t * K + k] = norm_topk && K > 1 ? static_cast<S>(p[ids[k]] / z) : p[ids[k]];
      }
    }
  });
}

template <typename S>
void RouteBackward(const S* probs, const int32_t* topk, const S* gates, const S* dgates,
                   const S* dprobs, double a, int N, int E, int K, bool norm_topk, S* ds) {
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    std::vector<double> dp(E);  // (E) gradient w.r.t. the probabilities of one token
    for (int64_t t = t0; t < t1; ++t) {
      const S* p = probs + t * E;
      for (int e = 0; e < E; ++e) dp[e] = dprobs == nullptr ? 0.0 : double(dprobs[t * E + e]);
      const int32_t* ids = topk + t * K;
      const S* g = gates + t * K;
      const S* dg = dgates + t * K;
      if (norm_topk && K > 1) {
        // g_j = p_j / Z, Z = sum_l p_l:  dp_j = (dg_j - sum_l dg_l g_l) / Z.
        double z = 0, dot = 0;
        for (int k = 0; k < K; ++k) {
          z += p[ids[k]];
          dot += double(dg[k]) * g[k];
        }
        for (int k = 0; k < K; ++k) dp[ids[k]] += (dg[k] - dot) / z;
      } else {
        for (int k = 0; k < K; ++k) dp[ids[k]] += dg[k];
      }
      // Softmax: ds'_e = p_e (dp_e - sum_f p_f dp_f); ds = a ds' (Ling eq. 3, noise detached).
      double dot = 0;
      for (int e = 0; e < E; ++e) dot += double(p[e]) * dp[e];
      for (int e = 0; e < E; ++e) ds[t * E + e] += static_cast<S>(a * p[e] * (dp[e] - dot));
    }
  });
}

template <typename S>
double BalanceLoss(const S* probs, const int32_t* topk, int N, int E, int K, double coef,
                   double grad_scale, S* dprobs) {
  if (N == 0) return 0;
  std::vector<double> f(E, 0.0), P(E, 0.0);  // (E)
  for (int64_t i = 0; i < int64_t{N} * K; ++i) f[topk[i]] += 1.0;
  for (int e = 0; e < E; ++e) f[e] /= double(N) * K;
  for (int t = 0; t < N; ++t)
    for (int e = 0; e < E; ++e) P[e] += probs[int64_t{t} * E + e];
  double loss = 0;
  for (int e = 0; e < E; ++e) loss += f[e] * P[e] / N;
  loss *= coef * E;  // Switch eq. 4: alpha * E * sum_i f_i P_i
  if (dprobs != nullptr) {
    for (int t = 0; t < N; ++t)
      for (int e = 0; e < E; ++e)
        dprobs[int64_t{t} * E + e] += static_cast<S>(grad_scale * coef * E * f[e] / N);
  }
  return loss;
}

template <typename S>
double ZLoss(const S* s, int N, int E, double coef, double grad_scale, S* ds) {
  if (N == 0) return 0;
  std::vector<double> z(N);  // (N) logsumexp per token
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const S* st = s + t * E;
      const double mx = *std::max_element(st, st + E);
      double sum = 0;
      for (int e = 0; e < E; ++e) sum += std::exp(st[e] - mx);
      z[t] = mx + std::log(sum);
      if (ds != nullptr) {
        // d/ds_e z^2 = 2 z softmax(s)_e
        const double k = grad_scale * coef * 2.0 * z[t] / N;
        for (int e = 0; e < E; ++e) ds[t * E + e] += static_cast<S>(k * std::exp(st[e] - z[t]));
      }
    }
  });
  double acc = 0;
  for (int t = 0; t < N; ++t) acc += z[t] * z[t];
  return coef * acc / N;  // ST-MoE eq. 5
}

template <typename S>
void MoeForward(const MoeWeights<S>& w, const S* x, int N, const S* noise,
                const MoeOptions& options, MoeSaved<S>* saved, S* y) {
  const int C = w.C, E = w.E, K = w.K;
  MoeSaved<S>& sv = *saved;
  // Every entry below is overwritten: resize keeps the capacity of earlier calls.
  sv.logits.resize(size_t(N) * E);
  sv.probs.resize(size_t(N) * E);
  sv.topk.resize(size_t(N) * K);
  sv.gates.resize(size_t(N) * K);
  LinearForward(x, w.router, N, C, E, sv.logits.data());  // (N, E)
  RouteForward(sv.logits.data(), noise, options.a, N, E, K, w.norm_topk, sv.probs.data(),
               sv.topk.data(), sv.gates.data());
  // Dropless grouping: every slot goes to its expert, in token order.
  sv.slots.resize(E);
  for (auto& slots : sv.slots) slots.clear();
  sv.load.assign(E, 0);
  for (int64_t i = 0; i < int64_t{N} * K; ++i) {
    sv.slots[sv.topk[i]].push_back(static_cast<int32_t>(i));
    ++sv.load[sv.topk[i]];
  }
  sv.g.resize(E);
  sv.u.resize(E);
  sv.out.resize(size_t(N) * K * C);  // every slot is written by its expert
  tbb::parallel_for(0, E, [&](int e) {
    const auto& slots = sv.slots[e];
    const int n = static_cast<int>(slots.size());
    if (n == 0) return;
    const int I = w.experts[e].I;
    auto xe = Scratch<S>(size_t(n) * C), ye = Scratch<S>(size_t(n) * C);  // (n_e, C) in / out
    for (int r = 0; r < n; ++r) {
      const S* src = x + int64_t(slots[r] / K) * C;
      std::copy(src, src + C, xe.get() + int64_t{r} * C);
    }
    sv.g[e].resize(size_t(n) * I);
    sv.u[e].resize(size_t(n) * I);
    FfnForward(w.experts[e], xe.get(), n, sv.g[e].data(), sv.u[e].data(), ye.get());
    for (int r = 0; r < n; ++r) {  // scatter to the slot
      std::copy(ye.get() + int64_t{r} * C, ye.get() + int64_t{r + 1} * C,
                sv.out.data() + int64_t{slots[r]} * C);
    }
  });
  if (w.shared.I > 0) {
    sv.shared_g.resize(size_t(N) * w.shared.I);
    sv.shared_u.resize(size_t(N) * w.shared.I);
    FfnForward(w.shared, x, N, sv.shared_g.data(), sv.shared_u.data(), y);
  } else {
    std::fill(y, y + int64_t{N} * C, S(0));
  }
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int k = 0; k < K; ++k) {
        const S gk = sv.gates[t * K + k];
        const S* o = sv.out.data() + (t * K + k) * C;
        for (int c = 0; c < C; ++c) y[t * C + c] += gk * o[c];
      }
  });
  sv.balance_loss = BalanceLoss(sv.probs.data(), sv.topk.data(), N, E, K, options.aux_coef, 0.0,
                                static_cast<S*>(nullptr));
  sv.z_loss = ZLoss(sv.logits.data(), N, E, options.z_coef, 0.0, static_cast<S*>(nullptr));
}

template <typename S>
void MoeBackward(const MoeWeights<S>& w, const S* x, const MoeSaved<S>& sv, const S* dy, int N,
                 const MoeOptions& options, double grad_scale, const MoeGrads<S>& grads, S* dx) {
  const int C = w.C, E = w.E, K = w.K;
  // dgates (N, K) = <dy_t, out_tk>
  auto dgates = Scratch<S>(size_t(N) * K);
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int k = 0; k < K; ++k) {
        const S* o = sv.out.data() + (t * K + k) * C;
        double acc = 0;
        for (int c = 0; c < C; ++c) acc += double(dy[t * C + c]) * o[c];
        dgates[t * K + k] = static_cast<S>(acc);
      }
  });
  // Routed experts: gather gated dy, backward, scatter dx per slot.
  auto dslot = Scratch<S>(size_t(N) * K * C);  // (N K, C): every slot written by its expert
  tbb::parallel_for(0, E, [&](int e) {
    const auto& slots = sv.slots[e];
    const int n = static_cast<int>(slots.size());
    if (n == 0) return;
    const size_t nC = size_t(n) * C;
    auto xe = Scratch<S>(nC), dye = Scratch<S>(nC), dxe = Scratch<S>(nC);  // (n_e, C)
    for (int r = 0; r < n; ++r) {
      const int64_t t = slots[r] / K;
      const S gk = sv.gates[slots[r]];
      std::copy(x + t * C, x + (t + 1) * C, xe.get() + int64_t{r} * C);
      for (int c = 0; c < C; ++c) dye[int64_t{r} * C + c] = gk * dy[t * C + c];
    }
    FfnBackward(w.experts[e], xe.get(), sv.g[e].data(), sv.u[e].data(), dye.get(), n,
                grads.experts[e], dxe.get());
    for (int r = 0; r < n; ++r) {
      std::copy(dxe.get() + int64_t{r} * C, dxe.get() + int64_t{r + 1} * C,
                dslot.get() + int64_t{slots[r]} * C);
    }
  });
  ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int k = 0; k < K; ++k)
        for (int c = 0; c < C; ++c) dx[t * C + c] += dslot[(t * K + k) * C + c];
  });
  if (w.shared.I > 0) {
    auto dxs = Scratch<S>(size_t(N) * C);  // (N, C)
    FfnBackward(w.shared, x, sv.shared_g.data(), sv.shared_u.data(), dy, N, grads.shared,
                dxs.get());
    for (size_t i = 0; i < size_t(N) * C; ++i) dx[i] += dxs[i];
  }
  // Router: balance loss reaches the probabilities, z-loss the raw logits.
  std::vector<S> dprobs(size_t(N) * E, S(0)), ds(size_t(N) * E, S(0));  // (N, E)
  BalanceLoss(sv.probs.data(), sv.topk.data(), N, E, K, options.aux_coef, grad_scale,
              dprobs.data());
  RouteBackward(sv.probs.data(), sv.topk.data(), sv.gates.data(), dgates.get(), dprobs.data(),
                options.a, N, E, K, w.norm_topk, ds.data());
  ZLoss(sv.logits.data(), N, E, options.z_coef, grad_scale, ds.data());
  LinearBackward(ds.data(), x, w.router, N, C, E, dx, grads.router, /*accumulate=*/true);
}

template <typename S>
void MoeForwardNaive(const MoeWeights<S>& w, const S* x, int N, const S* noise,
                     const MoeOptions& options, S* y) {
  const int C = w.C, E = w.E, K = w.K;
  auto ffn = [&](const FfnWeights<S>& f, const S* xt, std::vector<double>& out) {
    std::vector<double> act(f.I);
    for (int i = 0; i < f.I; ++i) {
      double g = 0, u = 0;
      for (int c = 0; c < C; ++c) {
        g += double(f.gate[int64_t{i} * C + c]) * xt[c];
        u += double(f.up[int64_t{i} * C + c]) * xt[c];
      }
      act[i] = g / (1.0 + std::exp(-g)) * u;
    }
    out.assign(C, 0.0);
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < f.I; ++i) out[c] += double(f.down[int64_t{c} * f.I + i]) * act[i];
  };
  std::vector<double> sp(E), p(E), o;
  for (int t = 0; t < N; ++t) {
    const S* xt = x + int64_t{t} * C;
    for (int e = 0; e < E; ++e) {
      double s = 0;
      for (int c = 0; c < C; ++c) s += double(w.router[int64_t{e} * C + c]) * xt[c];
      sp[e] = noise == nullptr ? s : options.a * s + (1 - options.a) * noise[int64_t{t} * E + e];
    }
    const double mx = *std::max_element(sp.begin(), sp.end());
    double sum = 0;
    for (int e = 0; e < E; ++e) sum += (p[e] = std::exp(sp[e] - mx));
    for (int e = 0; e < E; ++e) p[e] /= sum;
    std::vector<int> order(E);
    for (int e = 0; e < E; ++e) order[e] = e;
    std::stable_sort(order.begin(), order.end(), [&](int i, int j) { return p[i] > p[j]; });
    double z = 0;
    for (int k = 0; k < K; ++k) z += p[order[k]];
    std::vector<double> acc(C, 0.0);
    if (w.shared.I > 0) {
      ffn(w.shared, xt, o);
      for (int c = 0; c < C; ++c) acc[c] += o[c];
    }
    for (int k = 0; k < K; ++k) {
      const double gk = w.norm_topk && K > 1 ? p[order[k]] / z : p[order[k]];
      ffn(w.experts[order[k]], xt, o);
      for (int c = 0; c < C; ++c) acc[c] += gk * o[c];
    }
    for (int c = 0; c < C; ++c) y[int64_t{t} * C + c] = static_cast<S>(acc[c]);
  }
}

#define KGF_INSTANTIATE_MOE(S)                                                                 \
  template void FfnForward<S>(const FfnWeights<S>&, const S*, int, S*, S*, S*);               \
  template void FfnBackward<S>(const FfnWeights<S>&, const S*, const S*, const S*, const S*,  \
                               int, const FfnGrads<S>&, S*);                                  \
  template void RouteForward<S>(const S*, const S*, double, int, int, int, bool, S*,          \
                                int32_t*, S*);                                                \
  template void RouteBackward<S>(const S*, const int32_t*, const S*, const S*, const S*,      \
                                 double, int, int, int, bool, S*);                            \
  template double BalanceLoss<S>(const S*, const int32_t*, int, int, int, double, double, S*); \
  template double ZLoss<S>(const S*, int, int, double, double, S*);                           \
  template void MoeForward<S>(const MoeWeights<S>&, const S*, int, const S*,                  \
                              const MoeOptions&, MoeSaved<S>*, S*);                           \
  template void MoeBackward<S>(const MoeWeights<S>&, const S*, const MoeSaved<S>&, const S*,  \
                               int, const MoeOptions&, double, const MoeGrads<S>&, S*);       \
  template void MoeForwardNaive<S>(const MoeWeights<S>&, const S*, int, const S*,             \
                                   const MoeOptions&, S*);

KGF_INSTANTIATE_MOE(float)
KGF_INSTANTIATE_MOE(double)
#undef KGF_INSTANTIATE_MOE

}  // namespace kgf::trainer
