// Mixture-of-experts feed-forward of Ling (SPEC §4): fp32 softmax router over all E experts,
// top-K, renormalised gates, routed SwiGLU experts, one ungated shared expert, dropless
// (tokens grouped per expert: gather -> GEMM -> scatter, every token computed), Switch balance
// loss, router z-loss and the Stochastic Routing Warmup mix (Ling eq. 3). Forward and backward,
// templated on the scalar S. N = tokens, C = hidden, E = experts, K = top-k, I = expert width.
#ifndef KGF_TRAINER_MODEL_MOE_H_
#define KGF_TRAINER_MODEL_MOE_H_

#include <cstdint>
#include <vector>

namespace kgf::trainer {

// ---- SwiGLU feed-forward: y = down(silu(gate x) * up x), no biases. ----
template <typename S>
struct FfnWeights {
  const S* gate = nullptr;  // (I, C)
  const S* up = nullptr;    // (I, C)
  const S* down = nullptr;  // (C, I)
  int C = 0, I = 0;
};
template <typename S>
struct FfnGrads {
  S* gate = nullptr;  // (I, C)
  S* up = nullptr;    // (I, C)
  S* down = nullptr;  // (C, I)
};
// x (n, C) -> y (n, C) (overwritten); saves g, u (n, I) for the backward.
template <typename S>
void FfnForward(const FfnWeights<S>& w, const S* x, int n, S* g, S* u, S* y);
// dx (n, C) overwritten; weight gradients added into `grads`.
template <typename S>
void FfnBackward(const FfnWeights<S>& w, const S* x, const S* g, const S* u, const S* dy, int n,
                 const FfnGrads<S>& grads, S* dx);

// ---- Router ----
// Routing logits s' = a s + (1 - a) noise (Ling eq. 3; noise = mu + sigma * eps, no gradient);
// noise == nullptr means s' = s (a must be 1). probs (N, E) = softmax(s'); topk (N, K) = the K
// largest probabilities, in descending order, ties to the lower expert id; gates (N, K) = their
// probabilities, divided by their sum when norm_topk and K > 1 (as modeling_bailing_moe does:
// with K = 1 the gate stays p, so the language-model loss still reaches the router).
template <typename S>
void RouteForward(const S* s, const S* noise, double a, int N, int E, int K, bool norm_topk,
                  S* probs, int32_t* topk, S* gates);
// ds (N, E) += d/ds given dgates (N, K) and (optional, may be nullptr) dprobs (N, E) reaching
// the probabilities directly (the balance loss).
template <typename S>
void RouteBackward(const S* probs, const int32_t* topk, const S* gates, const S* dgates,
                   const S* dprobs, double a, int N, int E, int K, bool norm_topk, S* ds);

// Switch balance loss (Switch Transformer eq. 4): coef * E * sum_i f_i P_i, f_i = routed slots to
// expert i / (N K) (no gradient), P_i = mean_t probs_ti. Returns the loss; when dprobs is not
// null adds grad_scale * dloss/dprobs into dprobs (N, E).
template <typename S>
double BalanceLoss(const S* probs, const int32_t* topk, int N, int E, int K, double coef,
                   double grad_scale, S* dprobs);
// Router z-loss (ST-MoE eq. 5): coef * mean_t logsumexp(s_t)^2 over the raw logits s (N, E).
// When ds is not null adds grad_scale * dloss/ds into ds (N, E).
template <typename S>
double ZLoss(const S* s, int N, int E, double coef, double grad_scale, S* ds);

// ---- The MoE layer ----
template <typename S>
struct MoeWeights {
  const S* router = nullptr;              // (E, C)
  std::vector<FfnWeights<S>> experts;     // E, width I
  FfnWeights<S> shared;                   // width I * num_shared; shared.I == 0 when absent
  int C = 0, E = 0, K = 0;
  bool norm_topk = true;
};
template <typename S>
struct MoeGrads {
  S* router = nullptr;
  std::vector<FfnGrads<S>> experts;
  FfnGrads<S> shared;
};
struct MoeOptions {
  double aux_coef = 0;  // balance loss coefficient
  double z_coef = 0;    // z-loss coefficient
  double a = 1;         // warmup mix of Ling eq. 3 (1 = route on the logits)
};
// What the forward keeps for the backward (and reports).
template <typename S>
struct MoeSaved {
  std::vector<S> logits;                     // (N, E) raw router logits s
  std::vector<S> probs;                      // (N, E) softmax(s')
  std::vector<int32_t> topk;                 // (N, K)
  std::vector<S> gates;                      // (N, K)
  std::vector<std::vector<int32_t>> slots;   // per expert: slots t*K + k, increasing
  std::vector<std::vector<S>> g, u;          // per expert (n_e, I)
  std::vector<S> out;                        // (N K, C) ungated expert outputs per slot
  std::vector<S> shared_g, shared_u;         // (N, I_shared)
  double balance_loss = 0, z_loss = 0;       // coefficient-scaled
  std::vector<int64_t> load;                 // (E) routed slots per expert
};

// y (N, C) = shared(x) + sum_k gates_k expert_k(x). noise (N, E) or nullptr (see RouteForward).
template <typename S>
void MoeForward(const MoeWeights<S>& w, const S* x, int N, const S* noise,
                const MoeOptions& options, MoeSaved<S>* saved, S* y);
// dx (N, C) += gradient; weight gradients added into grads. The aux losses' gradients are
// scaled by grad_scale (dy is assumed already scaled).
template <typename S>
void MoeBackward(const MoeWeights<S>& w, const S* x, const MoeSaved<S>& saved, const S* dy, int N,
                 const MoeOptions& options, double grad_scale, const MoeGrads<S>& grads, S* dx);
// Reference: per token, the router in double and each chosen expert applied directly.
template <typename S>
void MoeForwardNaive(const MoeWeights<S>& w, const S* x, int N, const S* noise,
                     const MoeOptions& options, S* y);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_MOE_H_
