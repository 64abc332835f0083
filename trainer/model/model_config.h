// ModelConfig: the shape of a Ling (BailingMoe) model plus the training-side model options.
// Field names are the keys of Ling's Hugging Face config.json, so a config written here loads
// there and back unchanged (SPEC §4).
#ifndef KGF_TRAINER_MODEL_MODEL_CONFIG_H_
#define KGF_TRAINER_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kgf::trainer {

struct ModelConfig {
  // Ling HF config.json keys, same names.
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int num_experts = 0;           // routed experts per MoE layer; 0 = every layer dense
  int num_shared_experts = 0;    // shared expert width = moe_intermediate_size * this
  int num_experts_per_tok = 0;   // top-k
  int moe_intermediate_size = 0;
  int intermediate_size = 0;     // width of the dense SwiGLU layers
  int first_k_dense_replace = 0; // layers [0, this) are dense
  int vocab_size = 0;
  int max_position_embeddings = 0;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool norm_topk_prob = true;
  bool norm_head = true;
  bool tie_word_embeddings = false;
  double initializer_range = 0.02;

  // Training-side model options (also in config.json under these keys).
  double router_aux_loss_coef = 0.015;  // Switch balance loss coefficient
  double router_z_loss_coef = 1e-4;     // ST-MoE z-loss coefficient
  int64_t routing_warmup_steps = 0;     // Stochastic Routing Warmup length W (0 = off), Ling eq. 3
  double routing_warmup_ema = 0.99;     // EMA decay of the per-expert logit mean/std
  bool embedding_weight_decay = true;   // false: no weight decay on the embedding (and tied head)

  // Keys of Ling's config.json that do not change this implementation's maths (token ids,
  // torch_dtype, use_cache, pretraining_tp, dropouts of 0, ...): key -> raw JSON value, kept
  // from a Hugging Face config and written back by ToJson().
  std::map<std::string, std::string> kept_keys;

  // hidden_size / num_attention_heads.
  int head_dim() const;
  // True when layer `layer` uses the MoE feed-forward (num_experts > 0 and
  // layer >= first_k_dense_replace).
  bool IsMoeLayer(int layer) const;
  int NumMoeLayers() const;

  // Impossible shapes (top-k > experts, heads not dividing hidden, kv heads not dividing heads,
  // non-positive sizes, ...) -> InvalidArgument naming the key.
  Status Validate() const;

  // "tiny" (tests), "small" (quick start), "small-dense" (same as small, every layer dense),
  // "ling-lite-shape" (Ling-Lite ratios: 64 experts, 2 shared, top-6, at a CPU-sized width).
  // Unknown name -> InvalidArgument listing the known ones.
  static Result<ModelConfig> Preset(std::string_view name);
  // Parses a config.json: ours, or Ling's (BailingMoeConfig's full key set). Keys that change
  // the maths must hold the value implemented here (hidden_act "silu", no biases, rope_scaling
  // null, norm_softmax false, use_rmsnorm true, dropouts 0, ...) or it is InvalidArgument naming
  // the key; unknown keys -> InvalidArgument naming key and origin (a typo is not ignored);
  // missing required keys (every HF shape key) -> InvalidArgument naming them. The
  // training-side options are optional; benign keys land in kept_keys. Validate()d.
  static Result<ModelConfig> FromJson(std::string_view json, std::string_view origin);
  // HF-style config.json (pretty), with "architectures": ["BailingMoeForCausalLM"] and
  // "model_type": "bailing_moe", then the kept keys. FromJson(ToJson()) == *this.
  std::string ToJson() const;

  // Trainable parameter count (embeddings and LM head included).
  int64_t NumParameters() const;
  // Parameters touched per token: routed experts counted top-k times instead of E times.
  int64_t NumActiveParameters() const;
  // Forward+backward FLOPs per token, for MFU (PaLM appendix B convention):
  // 6 x active non-embedding params (the LM head counted, the embedding lookup not)
  // + 12 x layers x seq_len x (heads x head_dim) for QK^T and AV (causal mask not discounted).
  double TrainingFlopsPerToken(int seq_len) const;

  friend bool operator==(const ModelConfig&, const ModelConfig&) = default;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_MODEL_CONFIG_H_
