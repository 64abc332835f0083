// Causal GQA attention kernels (see attention.h).
#include "trainer/model/attention.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/check.h"
#include "trainer/model/kernels.h"

namespace kgf::trainer {

namespace {

// Causal softmax of the scaled scores of query rows [r0, r1) of head h, sequence b, against key
// columns [c0, r1), c0 = the document start of row r0 (0 without documents; later columns are
// masked for every row of the block, earlier ones belong to other documents): P (r1 - r0,
// r1 - c0), row-major with leading dimension r1 - c0, zero where masked. When lse_in != nullptr
// the rows are normalised with the saved logsumexp; otherwise it is computed and written to
// lse_out.
template <typename S>
void BlockProbabilities(const AttentionShape& s, const S* qkv, int b, int h, int r0, int r1,
                        int c0, const S* lse_in, S* lse_out, S* P) {
  const int T = s.T, d = s.d, R = s.row(), n = r1 - r0, w = r1 - c0;
  const int g = h / (s.H / s.KV);
  const S* q = qkv + (int64_t{b} * T + r0) * R + int64_t{h} * d;        // (n, d) stride R
  const S* k = qkv + (int64_t{b} * T + c0) * R + int64_t{s.H + g} * d;   // (w, d) stride R
  const S scale = static_cast<S>(1.0 / std::sqrt(double(d)));
  Gemm<S>(false, true, n, w, d, scale, q, R, k, R, S(0), P, w);
  for (int i = r0; i < r1; ++i) {
    S* row = P + int64_t{i - r0} * w;
    const int lo = s.start(b, i) - c0, len = i - c0 + 1 - lo;  // own document: [lo, i - c0]
    std::fill(row, row + lo, S(0));
    S* own = row + lo;
    if (lse_in != nullptr) {
      ExpShiftSum(own, lse_in[i], own, len);
    } else {
      const S mx = *std::max_element(own, own + len);
      const double sum = ExpShiftSum(own, mx, own, len);
      lse_out[i] = static_cast<S>(double(mx) + std::log(sum));
      const S inv = static_cast<S>(1.0 / sum);
      for (int j = 0; j < len; ++j) own[j] *= inv;
    }
    std::fill(own + len, row + w, S(0));
  }
}

// The document start of row r0 (the first key column any row of [r0, r1) may see); checks the
// doc_start contract over the block.
inline int BlockStart(const AttentionShape& s, int b, int r0, int r1) {
  if (s.doc_start == nullptr) return 0;
  int prev = s.start(b, r0);
  KGF_CHECK(prev >= 0) << "doc_start[" << b << ", " << r0 << "] = " << prev << " is negative";
  for (int i = r0; i < r1; ++i) {
    const int st = s.start(b, i);
    KGF_CHECK(st >= prev && st <= i) << "doc_start[" << b << ", " << i << "] = " << st
                                     << " must be in [" << prev << ", " << i << "]";
    prev = st;
  }
  return s.start(b, r0);
}

}  // namespace

template <typename S>
void AttentionForward(const AttentionShape& s, const S* qkv, S* out, S* lse) {
  InitBlasForTbb();
  KGF_CHECK(s.H % s.KV == 0);
  KGF_CHECK(s.block > 0);
  const int T = s.T, d = s.d, R = s.row(), OD = s.H * d;
  const int bs = std::min(s.block, T);
  tbb::parallel_for(0, s.B * s.H, [&](int bh) {
    const int b = bh / s.H, h = bh % s.H;
    const int g = h / (s.H / s.KV);
    auto P = Scratch<S>(static_cast<size_t>(bs) * T);  // (block, <= T)
    const S* v = qkv + int64_t{b} * T * R + int64_t{s.H + s.KV + g} * d;  // (T, d) stride R
    S* o = out + int64_t{b} * T * OD + int64_t{h} * d;                     // (T, d) stride OD
    // Row blocks skip the key columns beyond the block (about half the work of a full T x T)
    // and those before the block's first document.
    for (int r0 = 0; r0 < T; r0 += bs) {
      const int r1 = std::min(T, r0 + bs), c0 = BlockStart(s, b, r0, r1);
      BlockProbabilities(s, qkv, b, h, r0, r1, c0, static_cast<const S*>(nullptr),
                         lse + (int64_t{b} * s.H + h) * T, P.get());
      Gemm<S>(false, false, r1 - r0, d, r1 - c0, S(1), P.get(), r1 - c0,
              v + int64_t{c0} * R, R, S(0), o + int64_t{r0} * OD, OD);
    }
  });
}

template <typename S>
void AttentionBackward(const AttentionShape& s, const S* qkv, const S* out, const S* lse,
                       const S* dout, S* dqkv) {
  InitBlasForTbb();
  const int T = s.T, d = s.d, R = s.row(), OD = s.H * d;
  const int group = s.H / s.KV;
  const int bs = std::min(s.block, T);
  const S scale = static_cast<S>(1.0 / std::sqrt(double(d)));
  // One task per (sequence, kv head): the query heads of the group and the row blocks
  // accumulate into the same dK, dV in a fixed order, so the sums do not depend on scheduling.
  tbb::parallel_for(0, s.B * s.KV, [&](int bg) {
    const int b = bg / s.KV, g = bg % s.KV;
    const int64_t base = int64_t{b} * T * R;
    const S* k = qkv + base + int64_t{s.H + g} * d;           // (T, d) stride R
    const S* v = qkv + base + int64_t{s.H + s.KV + g} * d;    // (T, d) stride R
    S* dk = dqkv + base + int64_t{s.H + g} * d;               // (T, d) stride R
    S* dv = dqkv + base + int64_t{s.H + s.KV + g} * d;        // (T, d) stride R
    for (int t = 0; t < T; ++t) {
      std::fill(dk + int64_t{t} * R, dk + int64_t{t} * R + d, S(0));
      std::fill(dv + int64_t{t} * R, dv + int64_t{t} * R + d, S(0));
    }
    auto P = Scratch<S>(size_t(bs) * T), dP = Scratch<S>(size_t(bs) * T);  // (block, <= T)
    for (int h = g * group; h < (g + 1) * group; ++h) {
      const S* q = qkv + base + int64_t{h} * d;                            // (T, d) stride R
      const S* o = out + int64_t{b} * T * OD + int64_t{h} * d;             // (T, d) stride OD
      const S* dO = dout + int64_t{b} * T * OD + int64_t{h} * d;           // (T, d) stride OD
      S* dq = dqkv + base + int64_t{h} * d;                                // (T, d) stride R
      for (int r0 = 0; r0 < T; r0 += bs) {
        const int r1 = std::min(T, r0 + bs), n = r1 - r0, c0 = BlockStart(s, b, r0, r1);
        const int w = r1 - c0;
        BlockProbabilities(s, qkv, b, h, r0, r1, c0, lse + (int64_t{b} * s.H + h) * T,
                           static_cast<S*>(nullptr), P.get());
        const S* dOb = dO + int64_t{r0} * OD;  // (n, d) stride OD
        // dP = dO V^T;  dV += P^T dO  (key rows [c0, r1))
        Gemm<S>(false, true, n, w, d, S(1), dOb, OD, v + int64_t{c0} * R, R, S(0), dP.get(), w);
        Gemm<S>(true, false, w, d, n, S(1), P.get(), w, dOb, OD, S(1), dv + int64_t{c0} * R, R);
        for (int i = r0; i < r1; ++i) {
          // D_i = sum_j P_ij dP_ij = <dO_i, O_i>;  dS_ij = P_ij (dP_ij - D_i) * scale
          double D = 0;
          for (int c = 0; c < d; ++c) {
            D += double(dO[int64_t{i} * OD + c]) * o[int64_t{i} * OD + c];
          }
          S* pr = P.get() + int64_t{i - r0} * w;
          const S* dpr = dP.get() + int64_t{i - r0} * w;
          for (int j = s.start(b, i) - c0; j <= i - c0; ++j) {
            pr[j] = pr[j] * (dpr[j] - static_cast<S>(D)) * scale;
          }
        }
        // dQ = dS K;  dK += dS^T Q
        Gemm<S>(false, false, n, d, w, S(1), P.get(), w, k + int64_t{c0} * R, R, S(0),
                dq + int64_t{r0} * R, R);
        Gemm<S>(true, false, w, d, n, S(1), P.get(), w, q + int64_t{r0} * R, R, S(1),
                dk + int64_t{c0} * R, R);
      }
    }
  });
}

template <typename S>
void AttentionForwardNaive(const AttentionShape& s, const S* qkv, S* out, S* lse) {
  const int T = s.T, d = s.d, R = s.row(), OD = s.H * d;
  const double scale = 1.0 / std::sqrt(double(d));
  std::vector<double> sc(T);
  for (int b = 0; b < s.B; ++b)
    for (int h = 0; h < s.H; ++h) {
      const int g = h / (s.H / s.KV);
      for (int i = 0; i < T; ++i) {
        const S* q = qkv + (int64_t{b} * T + i) * R + int64_t{h} * d;
        const int j0 = s.start(b, i);
        double mx = -std::numeric_limits<double>::infinity();
        for (int j = j0; j <= i; ++j) {
          const S* k = qkv + (int64_t{b} * T + j) * R + int64_t{s.H + g} * d;
          double dot = 0;
          for (int c = 0; c < d; ++c) dot += double(q[c]) * k[c];
          sc[j] = dot * scale;
          mx = std::max(mx, sc[j]);
        }
        double sum = 0;
        for (int j = j0; j <= i; ++j) sum += std::exp(sc[j] - mx);
        const double l = mx + std::log(sum);
        lse[(int64_t{b} * s.H + h) * T + i] = static_cast<S>(l);
        S* o = out + (int64_t{b} * T + i) * OD + int64_t{h} * d;
        for (int c = 0; c < d; ++c) {
          double acc = 0;
          for (int j = j0; j <= i; ++j) {
            const S* v = qkv + (int64_t{b} * T + j) * R + int64_t{s.H + s.KV + g} * d;
            acc += std::exp(sc[j] - l) * v[c];
          }
          o[c] = static_cast<S>(acc);
        }
      }
    }
}

template <typename S>
void AttentionDecode(int H, int KV, int d, const S* q, const S* k_cache, const S* v_cache,
                     int len, S* out) {
  const double scale = 1.0 / std::sqrt(double(d));
  const int group = H / KV;
  const int KD = KV * d;
  std::vector<double> sc(len);
  for (int h = 0; h < H; ++h) {
    const int g = h / group;
    const S* qh = q + int64_t{h} * d;
    double mx = -std::numeric_limits<double>::infinity();
    for (int j = 0; j < len; ++j) {
      const S* k = k_cache + int64_t{j} * KD + int64_t{g} * d;
      double dot = 0;
      for (int c = 0; c < d; ++c) dot += double(qh[c]) * k[c];
      sc[j] = dot * scale;
      mx = std::max(mx, sc[j]);
    }
    double sum = 0;
    for (int j = 0; j < len; ++j) {
      sc[j] = std::exp(sc[j] - mx);
      sum += sc[j];
    }
    S* o = out + int64_t{h} * d;
    std::fill(o, o + d, S(0));
    std::vector<double> acc(d, 0.0);
    for (int j = 0; j < len; ++j) {
      const S* v = v_cache + int64_t{j} * KD + int64_t{g} * d;
      const double p = sc[j] / sum;
      for (int c = 0; c < d; ++c) acc[c] += p * v[c];
    }
    for (int c = 0; c < d; ++c) o[c] = static_cast<S>(acc[c]);
  }
}

#define KGF_INSTANTIATE_ATTENTION(S)                                                          \
  template void AttentionForward<S>(const AttentionShape&, const S*, S*, S*);                \
  template void AttentionBackward<S>(const AttentionShape&, const S*, const S*, const S*,    \
                                     const S*, S*);                                          \
  template void AttentionForwardNaive<S>(const AttentionShape&, const S*, S*, S*);           \
  template void AttentionDecode<S>(int, int, int, const S*, const S*, const S*, int, S*);

KGF_INSTANTIATE_ATTENTION(float)
KGF_INSTANTIATE_ATTENTION(double)
#undef KGF_INSTANTIATE_ATTENTION

}  // namespace kgf::trainer
