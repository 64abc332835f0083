// Dense kernels (see kernels.h). BLAS for products, TBB over fixed-size chunks of rows.
#include "trainer/model/kernels.h"

#include <cblas.h>
#include <immintrin.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <type_traits>

#include "base/check.h"
#include "trainer/model/bf16_gemm.h"

namespace kgf::trainer {

namespace {
constexpr int64_t kRowChunk = 64;      // rows per task for row-parallel kernels
constexpr int64_t kElementChunk = 1 << 14;
}  // namespace

void InitBlasForTbb() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void ParallelChunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  KGF_CHECK(chunk > 0);
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  tbb::parallel_for(int64_t{0}, chunks, [&](int64_t c) {
    fn(c * chunk, std::min(n, (c + 1) * chunk));
  });
}

template <>
void Gemm<float>(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // BLAS would leave C untouched only for beta == 1.
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        C[int64_t{i} * ldc + j] = beta == 0 ? 0 : C[int64_t{i} * ldc + j] * beta;
      }
    return;
  }
  if (GetMatmulPrecision() == MatmulPrecision::kBf16) {
    GemmBf16(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <>
void Gemm<double>(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A,
                  int lda, const double* B, int ldb, double beta, double* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        C[int64_t{i} * ldc + j] = beta == 0 ? 0 : C[int64_t{i} * ldc + j] * beta;
      }
    return;
  }
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

namespace {
// Chunk length for splitting a GEMM dimension of size n: about 16 chunks, at least 32 long, a
// multiple of 16. A function of n only, so the result never depends on the thread count; large
// chunks keep BLAS's packing of the shared operand amortised.
int64_t GemmChunk(int64_t n) {
  const int64_t c = std::max<int64_t>(32, (n + 15) / 16);
  return (c + 15) / 16 * 16;
}

// A GEMM operand of a Linear call: its data and, under bf16 products, the whole operand
// converted to bf16 once (so the chunks of one call share a conversion instead of converting
// the shared operand in every chunk). `+ offset` moves both views alike.
template <typename S>
struct Operand {
  const S* f = nullptr;
  const uint16_t* b = nullptr;  // bf16 bits, same layout; null in fp32 / double
  Operand operator+(int64_t off) const { return {f + off, b ? b + off : nullptr}; }
};

template <typename S>
struct Prepared {
  std::unique_ptr<uint16_t[]> storage;
  Operand<S> op;
};

// rows x cols compact values, converted when the products run in bf16.
template <typename S>
Prepared<S> Prepare(const S* src, int64_t rows, int64_t cols) {
  Prepared<S> p;
  p.op.f = src;
  if constexpr (std::is_same_v<S, float>) {
    if (GetMatmulPrecision() == MatmulPrecision::kBf16 && rows > 0 && cols > 0) {
      p.storage = Scratch<uint16_t>(size_t(rows) * cols);
      const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 15) / cols);
      ParallelChunks(rows, chunk, [&](int64_t r0, int64_t r1) {
        ConvertToBf16(src + r0 * cols, r1 - r0, cols, cols, p.storage.get() + r0 * cols);
      });
      p.op.b = p.storage.get();
    }
  }
  return p;
}

// Gemm<S> on prepared operands: the bf16 product on the converted views when there are any.
template <typename S>
void GemmOp(bool ta, bool tb, int M, int N, int K, S alpha, Operand<S> A, int lda, Operand<S> B,
            int ldb, S beta, S* C, int ldc) {
  if constexpr (std::is_same_v<S, float>) {
    if (A.b != nullptr && B.b != nullptr && M > 0 && N > 0 && K > 0) {
      GemmBf16Converted(ta, tb, M, N, K, alpha, A.b, lda, B.b, ldb, beta, C, ldc);
      return;
    }
  }
  Gemm<S>(ta, tb, M, N, K, alpha, A.f, lda, B.f, ldb, beta, C, ldc);
}

// A view of a PreparedWeight as an operand (its conversion, if any, is shared, not owned).
template <typename S>
Prepared<S> View(const PreparedWeight<S>& w) {
  Prepared<S> p;
  p.op.f = w.data();
  p.op.b = w.bf16();
  return p;
}

template <typename S>
void ForwardOp(const Prepared<S>& x, const Prepared<S>& w, int M, int K, int N, S* Y,
               bool accumulate) {
  const S beta = accumulate ? S(1) : S(0);
  if (M >= N) {  // blocks of rows of X / Y
    ParallelChunks(M, GemmChunk(M), [&](int64_t r0, int64_t r1) {
      GemmOp<S>(false, true, static_cast<int>(r1 - r0), N, K, S(1), x.op + r0 * K, K, w.op, K,
                beta, Y + r0 * N, N);
    });
  } else {  // blocks of output features (rows of W, columns of Y)
    ParallelChunks(N, GemmChunk(N), [&](int64_t n0, int64_t n1) {
      GemmOp<S>(false, true, M, static_cast<int>(n1 - n0), K, S(1), x.op, K, w.op + n0 * K, K,
                beta, Y + n0, N);
    });
  }
}
}  // namespace

template <typename S>
PreparedWeight<S>::PreparedWeight(const S* W, int N, int K) : w_(W) {
  InitBlasForTbb();
  Prepared<S> p = Prepare(W, N, K);
  bf16_ = std::move(p.storage);
}

template <typename S>
void LinearForward(const S* X, const S* W, int M, int K, int N, S* Y, bool accumulate) {
  InitBlasForTbb();
  ForwardOp(Prepare(X, M, K), Prepare(W, N, K), M, K, N, Y, accumulate);
}

template <typename S>
void LinearForward(const S* X, const PreparedWeight<S>& W, int M, int K, int N, S* Y,
                   bool accumulate) {
  InitBlasForTbb();
  ForwardOp(Prepare(X, M, K), View(W), M, K, N, Y, accumulate);
}

namespace {
// The backward products on prepared operands (so a caller with both can share dY's conversion).
template <typename S>
void BackwardInputOp(const Prepared<S>& dy, const Prepared<S>& w, int M, int K, int N, S* dX,
                     bool accumulate) {
  const S beta = accumulate ? S(1) : S(0);
  if (N >= 8 * int64_t{std::max(M, K)}) {
    // A long reduction (the LM head: N = vocab): splitting rows or columns would make every
    // block re-pack one whole operand, so split the reduction itself into fixed chunks and add
    // the partial products in chunk order.
    const int64_t chunk = GemmChunk(N), chunks = (N + chunk - 1) / chunk;
    const size_t MK = size_t(M) * K;
    auto partial = Scratch<S>(size_t(chunks) * MK);  // (chunks, M, K)
    ParallelChunks(N, chunk, [&](int64_t n0, int64_t n1) {
      GemmOp<S>(false, false, M, K, static_cast<int>(n1 - n0), S(1), dy.op + n0, N,
                w.op + n0 * K, K, S(0), partial.get() + (n0 / chunk) * MK, K);
    });
    ParallelChunks(int64_t(MK), kElementChunk, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        S acc = accumulate ? dX[i] : S(0);
        for (int64_t c = 0; c < chunks; ++c) acc += partial[c * MK + i];
        dX[i] = acc;
      }
    });
    return;
  }
  // Each block reduces over all N output features in one BLAS call.
  if (M >= K) {  // blocks of rows of dY / dX
    ParallelChunks(M, GemmChunk(M), [&](int64_t r0, int64_t r1) {
      GemmOp<S>(false, false, static_cast<int>(r1 - r0), K, N, S(1), dy.op + r0 * N, N, w.op, K,
                beta, dX + r0 * K, K);
    });
  } else {  // blocks of input features (columns of W and dX)
    ParallelChunks(K, GemmChunk(K), [&](int64_t k0, int64_t k1) {
      GemmOp<S>(false, false, M, static_cast<int>(k1 - k0), N, S(1), dy.op, N, w.op + k0, K,
                beta, dX + k0, K);
    });
  }
}

template <typename S>
void BackwardWeightOp(const Prepared<S>& dy, const Prepared<S>& x, int M, int K, int N, S* dW) {
  // Blocks of dW; each reduces over all M rows in one BLAS call, so the reduction order never
  // depends on scheduling.
  if (N >= K) {  // blocks of rows of dW (output features)
    ParallelChunks(N, GemmChunk(N), [&](int64_t n0, int64_t n1) {
      GemmOp<S>(true, false, static_cast<int>(n1 - n0), K, M, S(1), dy.op + n0, N, x.op, K, S(1),
                dW + n0 * K, K);
    });
  } else {  // blocks of columns of dW (input features)
    ParallelChunks(K, GemmChunk(K), [&](int64_t k0, int64_t k1) {
      GemmOp<S>(true, false, N, static_cast<int>(k1 - k0), M, S(1), dy.op, N, x.op + k0, K, S(1),
                dW + k0, K);
    });
  }
}

}  // namespace

template <typename S>
void LinearBackwardInput(const S* dY, const S* W, int M, int K, int N, S* dX, bool accumulate) {
  InitBlasForTbb();
  BackwardInputOp(Prepare(dY, M, N), Prepare(W, N, K), M, K, N, dX, accumulate);
}

template <typename S>
void LinearBackwardWeight(const S* dY, const S* X, int M, int K, int N, S* dW) {
  InitBlasForTbb();
  BackwardWeightOp(Prepare(dY, M, N), Prepare(X, M, K), M, K, N, dW);
}

template <typename S>
void LinearBackward(const S* dY, const S* X, const S* W, int M, int K, int N, S* dX, S* dW,
                    bool accumulate) {
  InitBlasForTbb();
  const Prepared<S> dy = Prepare(dY, M, N);  // bf16: converted once for both products
  BackwardWeightOp(dy, Prepare(X, M, K), M, K, N, dW);
  BackwardInputOp(dy, Prepare(W, N, K), M, K, N, dX, accumulate);
}

template <typename S>
void LinearBackward(const S* dY, const S* X, const PreparedWeight<S>& W, int M, int K, int N,
                    S* dX, S* dW, bool accumulate) {
  InitBlasForTbb();
  const Prepared<S> dy = Prepare(dY, M, N);
  BackwardWeightOp(dy, Prepare(X, M, K), M, K, N, dW);
  BackwardInputOp(dy, View(W), M, K, N, dX, accumulate);
}

template <typename S>
void LinearForward(const PreparedWeight<S>& X, const PreparedWeight<S>& W, int M, int K, int N,
                   S* Y, bool accumulate) {
  InitBlasForTbb();
  ForwardOp(View(X), View(W), M, K, N, Y, accumulate);
}

template <typename S>
void LinearBackward(const S* dY, const PreparedWeight<S>& X, const PreparedWeight<S>& W, int M,
                    int K, int N, S* dX, S* dW, bool accumulate) {
  InitBlasForTbb();
  const Prepared<S> dy = Prepare(dY, M, N);
  BackwardWeightOp(dy, View(X), M, K, N, dW);
  BackwardInputOp(dy, View(W), M, K, N, dX, accumulate);
}

template <typename S>
void LinearForwardNaive(const S* X, const S* W, int M, int K, int N, S* Y) {
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double acc = 0;
      for (int k = 0; k < K; ++k) acc += double(X[int64_t{m} * K + k]) * W[int64_t{n} * K + k];
      Y[int64_t{m} * N + n] = static_cast<S>(acc);
    }
}

template <typename S>
void LinearBackwardInputNaive(const S* dY, const S* W, int M, int K, int N, S* dX) {
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) {
      double acc = 0;
      for (int n = 0; n < N; ++n) acc += double(dY[int64_t{m} * N + n]) * W[int64_t{n} * K + k];
      dX[int64_t{m} * K + k] = static_cast<S>(acc);
    }
}

template <typename S>
void LinearBackwardWeightNaive(const S* dY, const S* X, int M, int K, int N, S* dW) {
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      double acc = 0;
      for (int m = 0; m < M; ++m) acc += double(dY[int64_t{m} * N + n]) * X[int64_t{m} * K + k];
      dW[int64_t{n} * K + k] += static_cast<S>(acc);
    }
}

namespace {

// exp of 8 floats (Cephes expf / avx_mathfun): x = n ln2 + r, exp(r) by a degree-5 polynomial,
// 2^n through the exponent bits. Inputs below -87.3 give 0 or a denormal, above 88.37 clamp.
inline __m256 Exp8(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365447505531f));
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, z, x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  __m256i n = _mm256_cvttps_epi32(fx);
  n = _mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(n));
}

}  // namespace

double ExpShiftSum(const float* in, float shift, float* out, int64_t n) {
  const __m256 sh = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(in + i), sh));
    _mm256_storeu_ps(out + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double sum = 0;
  for (float l : lanes) sum += l;
  if (i < n) {  // tail through the same vector code, padded with -inf (exp = 0)
    alignas(32) float buf[8];
    for (int j = 0; j < 8; ++j) buf[j] = i + j < n ? in[i + j] - shift : -1e30f;
    _mm256_store_ps(buf, Exp8(_mm256_load_ps(buf)));
    for (int j = 0; i + j < n; ++j) {
      out[i + j] = buf[j];
      sum += buf[j];
    }
  }
  return sum;
}

namespace {

float RowMax(const float* x, int64_t n) {
  __m256 m = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = lanes[0];
  for (int j = 1; j < 8; ++j) r = std::max(r, lanes[j]);
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}
double RowMax(const double* x, int64_t n) { return *std::max_element(x, x + n); }

void Scale(float* x, int64_t n, float s) {
  const __m256 k = _mm256_set1_ps(s);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), k));
  for (; i < n; ++i) x[i] *= s;
}
void Scale(double* x, int64_t n, double s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace

double ExpShiftSum(const double* in, double shift, double* out, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (out[i] = std::exp(in[i] - shift));
  return sum;
}

// sum_c a[c] * b[c] * (c3 ? c3[c] : 1) accumulated in double. float: eight double lanes (two
// AVX accumulators) added in a fixed order, so the result depends only on the data; the serial
// chain of one double accumulator was most of RMSNorm's time.
inline double DotDouble(const float* a, const float* b, const float* c3, int n) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256d a0 = _mm256_cvtps_pd(_mm_loadu_ps(a + i)), a1 = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 4));
    __m256d b0 = _mm256_cvtps_pd(_mm_loadu_ps(b + i)), b1 = _mm256_cvtps_pd(_mm_loadu_ps(b + i + 4));
    if (c3 != nullptr) {
      a0 = _mm256_mul_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(c3 + i)));
      a1 = _mm256_mul_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(c3 + i + 4)));
    }
    acc0 = _mm256_fmadd_pd(a0, b0, acc0);
    acc1 = _mm256_fmadd_pd(a1, b1, acc1);
  }
  alignas(32) double lanes[8];
  _mm256_store_pd(lanes, acc0);
  _mm256_store_pd(lanes + 4, acc1);
  double sum = 0;
  for (double l : lanes) sum += l;
  for (; i < n; ++i) sum += double(a[i]) * b[i] * (c3 ? double(c3[i]) : 1.0);
  return sum;
}
inline double DotDouble(const double* a, const double* b, const double* c3, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += a[i] * b[i] * (c3 ? c3[i] : 1.0);
  return sum;
}

template <typename S>
void RmsNormForward(const S* x, const S* w, int M, int C, double eps, S* y, S* rstd) {
  ParallelChunks(M, kRowChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t m = r0; m < r1; ++m) {
      const S* xr = x + m * C;
      S* yr = y + m * C;
      const double ss = DotDouble(xr, xr, static_cast<const S*>(nullptr), C);
      const S r = static_cast<S>(1.0 / std::sqrt(ss / C + eps));
      rstd[m] = r;
      for (int c = 0; c < C; ++c) yr[c] = xr[c] * r * w[c];
    }
  });
}

template <typename S>
void RmsNormBackward(const S* dy, const S* x, const S* w, const S* rstd, int M, int C, S* dx,
                     S* dw) {
  const int64_t chunks = (M + kRowChunk - 1) / kRowChunk;
  std::vector<double> partial(static_cast<size_t>(chunks) * C, 0.0);  // (chunks, C)
  ParallelChunks(M, kRowChunk, [&](int64_t r0, int64_t r1) {
    double* pw = partial.data() + (r0 / kRowChunk) * C;
    for (int64_t m = r0; m < r1; ++m) {
      const S* xr = x + m * C;
      const S* dyr = dy + m * C;
      S* dxr = dx + m * C;
      const double r = rstd[m];
      // y_c = x_c r w_c;  dx_c = r w_c dy_c - x_c r^3 / C * sum_j dy_j w_j x_j
      const double dot = DotDouble(dyr, xr, w, C);
      const double k = r * r * r * dot / C;
      for (int c = 0; c < C; ++c) {
        dxr[c] += static_cast<S>(r * w[c] * dyr[c] - xr[c] * k);
        pw[c] += double(dyr[c]) * xr[c] * r;
      }
    }
  });
  for (int64_t ch = 0; ch < chunks; ++ch)
    for (int c = 0; c < C; ++c) dw[c] += static_cast<S>(partial[ch * C + c]);
}

RopeTable MakeRopeTable(int pos0, int T, int head_dim, double theta) {
  RopeTable t;
  t.T = T;
  t.half = head_dim / 2;
  t.cos.resize(static_cast<size_t>(T) * t.half);
  t.sin.resize(t.cos.size());
  for (int p = 0; p < T; ++p)
    for (int i = 0; i < t.half; ++i) {
      // inv_freq_i = theta^(-2i/d) (HF: 1 / base^(arange(0, d, 2) / d)).
      const double inv_freq = std::pow(theta, -2.0 * i / head_dim);
      const double ang = double(pos0 + p) * inv_freq;
      t.cos[size_t(p) * t.half + i] = std::cos(ang);
      t.sin[size_t(p) * t.half + i] = std::sin(ang);
    }
  return t;
}

namespace {
template <typename S>
void RopeApply(S* x, int B, int T, int heads, int d, int row_stride, const RopeTable& table,
               double sign) {
  KGF_CHECK_EQ(table.T, T);
  KGF_CHECK_EQ(table.half * 2, d);
  const int half = d / 2;
  ParallelChunks(int64_t{B} * T, kRowChunk, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int p = static_cast<int>(r % T);
      const double* cs = table.cos.data() + size_t(p) * half;
      const double* sn = table.sin.data() + size_t(p) * half;
      for (int h = 0; h < heads; ++h) {
        S* v = x + r * row_stride + int64_t{h} * d;
        for (int i = 0; i < half; ++i) {
          const S c = static_cast<S>(cs[i]);
          const S s = static_cast<S>(sign * sn[i]);
          const S x1 = v[i], x2 = v[i + half];
          v[i] = x1 * c - x2 * s;         // rotate_half(x) = (-x2, x1)
          v[i + half] = x2 * c + x1 * s;
        }
      }
    }
  });
}
}  // namespace

template <typename S>
void RopeForward(S* x, int B, int T, int heads, int d, int row_stride, const RopeTable& table) {
  RopeApply(x, B, T, heads, d, row_stride, table, 1.0);
}

template <typename S>
void RopeBackward(S* dx, int B, int T, int heads, int d, int row_stride, const RopeTable& table) {
  // The rotation is orthogonal: its transpose is the rotation by the opposite angle.
  RopeApply(dx, B, T, heads, d, row_stride, table, -1.0);
}

namespace {
// sigmoid(g) for 8 floats: 1 / (1 + exp(-g)).
inline __m256 Sigmoid8(__m256 g) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, Exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
}
}  // namespace

template <typename S>
void SwigluForward(const S* g, const S* u, int64_t n, S* act) {
  ParallelChunks(n, kElementChunk, [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
    if constexpr (std::is_same_v<S, float>) {
      for (; i + 8 <= i1; i += 8) {
        const __m256 gv = _mm256_loadu_ps(g + i);
        const __m256 silu = _mm256_mul_ps(gv, Sigmoid8(gv));
        _mm256_storeu_ps(act + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
      }
    }
    for (; i < i1; ++i) {
      const S sig = S(1) / (S(1) + std::exp(-g[i]));
      act[i] = g[i] * sig * u[i];
    }
  });
}

template <typename S>
void SwigluBackward(const S* dact, const S* g, const S* u, int64_t n, S* dg, S* du) {
  ParallelChunks(n, kElementChunk, [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
    if constexpr (std::is_same_v<S, float>) {
      const __m256 one = _mm256_set1_ps(1.0f);
      for (; i + 8 <= i1; i += 8) {
        const __m256 gv = _mm256_loadu_ps(g + i);
        const __m256 sig = Sigmoid8(gv);
        const __m256 da = _mm256_loadu_ps(dact + i);
        _mm256_storeu_ps(du + i, _mm256_mul_ps(da, _mm256_mul_ps(gv, sig)));
        // silu'(g) = sig * (1 + g (1 - sig))
        const __m256 dsilu =
            _mm256_mul_ps(sig, _mm256_fmadd_ps(gv, _mm256_sub_ps(one, sig), one));
        _mm256_storeu_ps(dg + i, _mm256_mul_ps(_mm256_mul_ps(da, _mm256_loadu_ps(u + i)), dsilu));
      }
    }
    for (; i < i1; ++i) {
      const S sig = S(1) / (S(1) + std::exp(-g[i]));
      const S silu = g[i] * sig;
      const S da = dact[i];
      du[i] = da * silu;
      // silu'(g) = sig * (1 + g (1 - sig))
      dg[i] = da * u[i] * sig * (S(1) + g[i] * (S(1) - sig));
    }
  });
}

template <typename S>
double CrossEntropyMasked(const S* logits, const int32_t* targets, const float* mask, int M,
                          int V, double denom, double grad_scale, S* dlogits) {
  std::vector<double> row_loss(M, 0.0);  // (M)
  ParallelChunks(M, 16, [&](int64_t r0, int64_t r1) {
    std::vector<S> scratch;  // (V) exp of one row when no gradient is wanted
    for (int64_t m = r0; m < r1; ++m) {
      const S* lr = logits + m * V;
      const double w = mask[m];
      if (w == 0) {
        if (dlogits != nullptr) std::fill(dlogits + m * V, dlogits + (m + 1) * V, S(0));
        continue;
      }
      const S mx = RowMax(lr, V);
      const int32_t y = targets[m];
      const double target_logit = lr[y];  // read before dlogits (may alias) is written
      if (dlogits != nullptr) {
        S* dr = dlogits + m * V;
        const double sum = ExpShiftSum(lr, mx, dr, V);
        // softmax - onehot, times grad_scale * mask / denom
        const double k = grad_scale * w / denom;
        Scale(dr, V, static_cast<S>(k / sum));
        dr[y] -= static_cast<S>(k);
        row_loss[m] = w * (double(mx) + std::log(sum) - target_logit);
      } else {
        scratch.resize(V);
        const double sum = ExpShiftSum(lr, mx, scratch.data(), V);
        row_loss[m] = w * (double(mx) + std::log(sum) - target_logit);
      }
    }
  });
  double total = 0;
  for (int m = 0; m < M; ++m) total += row_loss[m];
  return total;
}

template <typename S>
void NormHeadInverseNorms(const S* W, int V, int C, S* inv_norm) {
  constexpr int64_t kChunk = 1024;
  const int64_t chunks = (V + kChunk - 1) / kChunk;
  std::vector<double> partial(size_t(chunks) * C, 0.0);  // (chunks, C) squared column norms
  ParallelChunks(V, kChunk, [&](int64_t v0, int64_t v1) {
    double* ps = partial.data() + (v0 / kChunk) * C;
    for (int64_t v = v0; v < v1; ++v)
      for (int c = 0; c < C; ++c) ps[c] += double(W[v * C + c]) * W[v * C + c];
  });
  for (int c = 0; c < C; ++c) {
    double ss = 0;
    for (int64_t ch = 0; ch < chunks; ++ch) ss += partial[ch * C + c];  // chunk order
    inv_norm[c] = static_cast<S>(1.0 / (std::sqrt(ss) + 1e-7));
  }
}

template <typename S>
void NormHeadForward(const S* W, int V, int C, S* W_eff, S* inv_norm) {
  NormHeadInverseNorms(W, V, C, inv_norm);
  ParallelChunks(V, 256, [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v)
      for (int c = 0; c < C; ++c) W_eff[v * C + c] = W[v * C + c] * inv_norm[c];
  });
}

template <typename S>
void NormHeadBackward(const S* dW_eff, const S* inv_norm, int V, int C, S* dW) {
  ParallelChunks(V, 256, [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v)
      for (int c = 0; c < C; ++c) dW[v * C + c] += dW_eff[v * C + c] * inv_norm[c];
  });
}

#define KGF_INSTANTIATE_KERNELS(S)                                                             \
  template void LinearForward<S>(const S*, const S*, int, int, int, S*, bool);                \
  template void LinearBackwardInput<S>(const S*, const S*, int, int, int, S*, bool);          \
  template void LinearBackwardWeight<S>(const S*, const S*, int, int, int, S*);               \
  template void LinearBackward<S>(const S*, const S*, const S*, int, int, int, S*, S*, bool); \
  template class PreparedWeight<S>;                                                           \
  template void LinearForward<S>(const S*, const PreparedWeight<S>&, int, int, int, S*, bool); \
  template void LinearBackward<S>(const S*, const S*, const PreparedWeight<S>&, int, int, int, \
                                  S*, S*, bool);                                               \
  template void LinearForward<S>(const PreparedWeight<S>&, const PreparedWeight<S>&, int, int, \
                                 int, S*, bool);                                              \
  template void LinearBackward<S>(const S*, const PreparedWeight<S>&, const PreparedWeight<S>&, \
                                  int, int, int, S*, S*, bool);                               \
  template void LinearForwardNaive<S>(const S*, const S*, int, int, int, S*);                 \
  template void LinearBackwardInputNaive<S>(const S*, const S*, int, int, int, S*);           \
  template void LinearBackwardWeightNaive<S>(const S*, const S*, int, int, int, S*);          \
  template void RmsNormForward<S>(const S*, const S*, int, int, double, S*, S*);              \
  template void RmsNormBackward<S>(const S*, const S*, const S*, const S*, int, int, S*, S*);  \
  template void RopeForward<S>(S*, int, int, int, int, int, const RopeTable&);                \
  template void RopeBackward<S>(S*, int, int, int, int, int, const RopeTable&);               \
  template void SwigluForward<S>(const S*, const S*, int64_t, S*);                            \
  template void SwigluBackward<S>(const S*, const S*, const S*, int64_t, S*, S*);             \
  template double CrossEntropyMasked<S>(const S*, const int32_t*, const float*, int, int,     \
                                        double, double, S*);                                  \
  template void NormHeadForward<S>(const S*, int, int, S*, S*);                               \
  template void NormHeadInverseNorms<S>(const S*, int, int, S*);                              \
  template void NormHeadBackward<S>(const S*, const S*, int, int, S*);

KGF_INSTANTIATE_KERNELS(float)
KGF_INSTANTIATE_KERNELS(double)
#undef KGF_INSTANTIATE_KERNELS

}  // namespace kgf::trainer
