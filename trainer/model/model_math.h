// The whole Ling decoder as one templated function over raw parameter arrays: the float path
// behind Model, and a double path for finite-difference gradient checks of the entire model.
// Internal to the trainer (Model is the public face); tests use it directly.
#ifndef KGF_TRAINER_MODEL_MODEL_MATH_H_
#define KGF_TRAINER_MODEL_MODEL_MATH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/model/kernels.h"
#include "trainer/model/model.h"
#include "trainer/model/model_config.h"
#include "trainer/model/moe.h"

namespace kgf::trainer {

// One parameter of the model in the fixed order of Model::parameters().
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  bool weight_decay = true;
  bool is_norm = false;  // initialised to 1
};
std::vector<ParamSpec> ParameterSpecs(const ModelConfig& config);

// Positions of each tensor in the ParameterSpecs order (-1 when absent).
struct LayerIndex {
  int input_norm = -1, qkv = -1, dense = -1, post_norm = -1;
  int mlp_gate = -1, mlp_up = -1, mlp_down = -1;                   // dense layers
  int router = -1;                                                 // MoE layers
  std::vector<int> expert_gate, expert_up, expert_down;            // (E)
  int shared_gate = -1, shared_up = -1, shared_down = -1;
  int moe_layer = -1;  // index among MoE layers
};
struct ModelIndex {
  int embed = -1;
  std::vector<LayerIndex> layers;
  int final_norm = -1;
  int head = -1;  // == embed when tie_word_embeddings
};
ModelIndex BuildModelIndex(const ModelConfig& config);

// Stochastic Routing Warmup inputs of one call (Ling eq. 3). When active, MoE layer m routes on
// a s + (1 - a)(mu_m + sigma_m eps), eps ~ N(0, 1) drawn per (noise_key, layer, sequence
// content, position, expert) so it does not depend on threads. mu/sigma come from `mu`, `sigma`
// ((MoE layers, E)) where initialized[m], otherwise from this batch's logit statistics.
struct WarmupInput {
  bool active = false;
  double a = 1;
  uint64_t noise_key = 0;
  std::vector<float> mu, sigma;      // (MoE layers, E)
  std::vector<uint8_t> initialized;  // (MoE layers)
};

// Per MoE layer statistics of this batch's raw router logits: mean and std per expert.
struct RouterBatchStats {
  std::vector<std::vector<double>> mean, std;  // (MoE layers, E)
};

// Activations one layer keeps for its backward.
template <typename S>
struct LayerSaved {
  std::vector<S> x_in;        // (N, C) layer input
  std::vector<S> h1, rstd1;   // (N, C), (N)
  std::vector<S> qkv;         // (N, R) with RoPE applied to q and k
  std::vector<S> att, lse;    // (N, H d), (B, H, T)
  std::vector<S> x_mid;       // (N, C) after the attention residual
  std::vector<S> h2, rstd2;   // (N, C), (N)
  std::vector<S> g, u;        // (N, I) dense layers
  // h1 and att, and the attention's two weights, made ready once for the forward and the
  // backward (bf16 products: converted once a step, not twice).
  PreparedWeight<S> h1_ready, att_ready, qkv_ready, dense_ready;
  MoeSaved<S> moe;
  MoeOptions moe_options;
};

// Buffers reused across calls (no reallocation, no page faults per step). Contents between
// calls are meaningless.
template <typename S>
struct ModelWorkspace {
  std::vector<LayerSaved<S>> saved;                  // (layers)
  std::vector<S> x, tmp, hf, hf_scaled, rstdf;       // (N, C) x4, (N)
  std::vector<S> inv_norm;                           // (C) NormHead
  std::vector<S> logits;                             // (rows, V) LM head chunk
  std::vector<int32_t> head_rows;                    // (M) positions with a loss weight
  std::vector<S> head_h, head_dh;                    // (M, C) x2 their head inputs, gradients
  std::vector<int32_t> head_targets;                 // (M)
  std::vector<float> head_mask;                      // (M)
  std::vector<S> dhf, dx, dh, datt, dqkv;            // (N, C) x3, (N, H d), (N, R)
};

// Forward (and backward when grads != nullptr) of one batch. values[i] / (*grads)[i] point to
// the arrays of ParameterSpecs(config)[i]. Gradients of grad_scale * loss are ADDED.
// When batch.targets is empty no loss is computed (logits only). last_logits (B, V), when not
// null, receives the logits of each sequence's last position. stats, when not null, receives the
// router logit statistics (computed only when warmup.active).
template <typename S>
LossParts RunModel(const ModelConfig& config, const ModelIndex& index,
                   const std::vector<const S*>& values, const std::vector<S*>* grads,
                   const Batch& batch, const WarmupInput& warmup, double grad_scale,
                   std::vector<S>* last_logits, RouterBatchStats* stats,
                   ModelWorkspace<S>* workspace = nullptr);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_MODEL_MATH_H_
