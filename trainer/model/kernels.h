// Dense kernels of the trainer: BLAS-backed linear layers, RMSNorm, RoPE, SwiGLU activation,
// masked softmax cross-entropy and NormHead, each with its backward. Templated on the scalar S
// (float for training, double for finite-difference gradient checks). A naive reference kernel
// sits beside each BLAS one (tests compare them).
//
// Shapes: M rows (tokens), K input features, N output features. Linear weights are stored as
// HF/PyTorch do, (out, in) = (N, K), row-major.
//
// Determinism: parallel work is split into chunks whose boundaries depend only on the shapes,
// never on the thread count, and no reduction crosses chunks in a scheduling-dependent order;
// so every result is bit-identical for any number of TBB threads. OpenBLAS runs single-threaded
// inside (TBB is the only source of parallelism).
#ifndef KGF_TRAINER_MODEL_KERNELS_H_
#define KGF_TRAINER_MODEL_KERNELS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kgf::trainer {

// Scratch array of n values left uninitialised (no memset): for buffers fully overwritten.
template <typename S>
std::unique_ptr<S[]> Scratch(size_t n) {
  return std::make_unique_for_overwrite<S[]>(n);
}

// Sets OpenBLAS to one thread (once per process); every kernel calls it.
void InitBlasForTbb();

// Runs fn(begin, end) over [0, n) in chunks of `chunk` items (the last may be shorter), in
// parallel under TBB. Chunk boundaries depend only on (n, chunk).
void ParallelChunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn);

// C (M, N) = alpha * op(A) op(B) + beta * C, row-major, one BLAS call, no threading. For
// float under MatmulPrecision::kBf16 (bf16_gemm.h) the operands are rounded to bf16 and the
// product runs in oneDNN with fp32 accumulation.
template <typename S>
void Gemm(bool trans_a, bool trans_b, int M, int N, int K, S alpha, const S* A, int lda,
          const S* B, int ldb, S beta, S* C, int ldc);

// Y (M, N) = X (M, K) W^T, W (N, K). accumulate: Y += instead of =.
template <typename S>
void LinearForward(const S* X, const S* W, int M, int K, int N, S* Y, bool accumulate = false);
// dX (M, K) (+)= dY (M, N) W (N, K).
template <typename S>
void LinearBackwardInput(const S* dY, const S* W, int M, int K, int N, S* dX,
                         bool accumulate = false);
// dW (N, K) += dY^T (N, M) X (M, K).
template <typename S>
void LinearBackwardWeight(const S* dY, const S* X, int M, int K, int N, S* dW);

// Both backward products of one Linear: dW += dY^T X, then dX (+)= dY W; the same results as
// the two calls above, but under bf16 products dY is converted once.
template <typename S>
void LinearBackward(const S* dY, const S* X, const S* W, int M, int K, int N, S* dX, S* dW,
                    bool accumulate = false);

// A matrix (N rows, K columns) made ready once for several products while it does not change:
// a Linear weight (the LM head's forward and backward in one step; a layer's weights for its
// forward and backward), or a Linear's input kept from the forward for the weight gradient.
// Under bf16 products its bf16 copy is made here, not in every call; otherwise it is only the
// pointer. The matrix must outlive it and stay unchanged while it is used.
template <typename S>
class PreparedWeight {
 public:
  PreparedWeight() = default;
  PreparedWeight(const S* W, int N, int K);
  const S* data() const { return w_; }
  const uint16_t* bf16() const { return bf16_.get(); }  // null unless bf16 products

 private:
  const S* w_ = nullptr;
  std::unique_ptr<uint16_t[]> bf16_;
};
template <typename S>
void LinearForward(const S* X, const PreparedWeight<S>& W, int M, int K, int N, S* Y,
                   bool accumulate = false);
template <typename S>
void LinearBackward(const S* dY, const S* X, const PreparedWeight<S>& W, int M, int K, int N,
                    S* dX, S* dW, bool accumulate = false);
// The same with the input X (M, K) prepared too: one conversion of X serves the forward and
// the weight gradient (and several weights reading the same X).
template <typename S>
void LinearForward(const PreparedWeight<S>& X, const PreparedWeight<S>& W, int M, int K, int N,
                   S* Y, bool accumulate = false);
template <typename S>
void LinearBackward(const S* dY, const PreparedWeight<S>& X, const PreparedWeight<S>& W, int M,
                    int K, int N, S* dX, S* dW, bool accumulate = false);

// Naive references of the three above (triple loops, accumulation in double).
template <typename S>
void LinearForwardNaive(const S* X, const S* W, int M, int K, int N, S* Y);
template <typename S>
void LinearBackwardInputNaive(const S* dY, const S* W, int M, int K, int N, S* dX);
template <typename S>
void LinearBackwardWeightNaive(const S* dY, const S* X, int M, int K, int N, S* dW);

// out[i] = exp(in[i] - shift) for i < n; returns sum_i out[i] (summed in a fixed order).
// float: AVX2 Cephes-style exp (max relative error ~2e-7); double: std::exp. out may alias in.
double ExpShiftSum(const float* in, float shift, float* out, int64_t n);
double ExpShiftSum(const double* in, double shift, double* out, int64_t n);

// RMSNorm: y = x / sqrt(mean(x^2) + eps) * w.  x, y: (M, C); w: (C); rstd: (M) saved.
template <typename S>
void RmsNormForward(const S* x, const S* w, int M, int C, double eps, S* y, S* rstd);
// dx (M, C) += backward; dw (C) += sum over rows (fixed-chunk reduction).
template <typename S>
void RmsNormBackward(const S* dy, const S* x, const S* w, const S* rstd, int M, int C, S* dx,
                     S* dw);

// RoPE, rotate-half convention (HF LlamaRotaryEmbedding / Ling modeling_bailing_moe):
// for i < d/2: (x_i, x_{i+d/2}) rotated by angle pos * theta^(-2i/d).
// Table: cos/sin (T, d/2) for positions pos0 .. pos0+T-1.
struct RopeTable {
  int T = 0, half = 0;
  std::vector<double> cos, sin;  // (T, d/2)
};
RopeTable MakeRopeTable(int pos0, int T, int head_dim, double theta);
// In place on `heads` vectors of length d at each of T positions of each of B sequences:
// x: (B, T, row_stride) with the heads at x[b, t, h * d], h < heads.
template <typename S>
void RopeForward(S* x, int B, int T, int heads, int d, int row_stride, const RopeTable& table);
// The inverse rotation (the backward of RopeForward, applied to the gradient in place).
template <typename S>
void RopeBackward(S* dx, int B, int T, int heads, int d, int row_stride, const RopeTable& table);

// SwiGLU activation: act = silu(g) * u, all (n).
template <typename S>
void SwigluForward(const S* g, const S* u, int64_t n, S* act);
// dg, du (n) = backward of act given dact (overwritten).
template <typename S>
void SwigluBackward(const S* dact, const S* g, const S* u, int64_t n, S* dg, S* du);

// Masked mean cross-entropy over M rows of V logits.
// loss = sum_t mask_t * (logsumexp(logits_t) - logits_t[target_t]) / denom.
// When dlogits != nullptr, writes dlogits (M, V) = grad_scale * d loss / d logits (may alias
// logits). Returns the numerator sum (not divided by denom), summed in row order.
template <typename S>
double CrossEntropyMasked(const S* logits, const int32_t* targets, const float* mask, int M,
                          int V, double denom, double grad_scale, S* dlogits);

// NormHead (Ling/Baichuan 2): W_eff = W / (||W||_2 over dim 0 + 1e-7): each hidden column c of
// W (V, C) divided by the norm of that column over the vocab axis. inv_norm (C) is saved.
template <typename S>
void NormHeadForward(const S* W, int V, int C, S* W_eff, S* inv_norm);
// Only inv_norm (C) = 1 / (||W[:, c]||_2 + 1e-7). Since W_eff = W diag(inv_norm), the model never
// materialises W_eff: logits = (h * inv_norm) W^T and dW += dlogits^T (h * inv_norm).
template <typename S>
void NormHeadInverseNorms(const S* W, int V, int C, S* inv_norm);
// The denominator is detached: dW (V, C) += dW_eff * inv_norm (per column).
template <typename S>
void NormHeadBackward(const S* dW_eff, const S* inv_norm, int V, int C, S* dW);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_KERNELS_H_
