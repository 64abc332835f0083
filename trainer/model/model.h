// Model: the Ling (BailingMoe) decoder with a hand-written backward, on the CPU (SPEC §4).
// Embedding -> L x [RMSNorm -> GQA attention with RoPE -> residual -> RMSNorm -> MLP (dense
// SwiGLU or routed-MoE + shared expert) -> residual] -> RMSNorm -> LM head (NormHead).
// Matrix products through cblas_sgemm, TBB over tokens/heads/experts; results do not depend on
// the thread count.
#ifndef KGF_TRAINER_MODEL_MODEL_H_
#define KGF_TRAINER_MODEL_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "trainer/model/model_config.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

// One micro-batch. B = sequences, T = positions per sequence (T <= max_position_embeddings).
struct Batch {
  int B = 0, T = 0;
  std::vector<int32_t> tokens;   // (B, T)
  std::vector<int32_t> targets;  // (B, T) next tokens
  std::vector<float> loss_mask;  // (B, T) 1 = position trained, 0 = not
  // (B, T) first position of each token's document: attention stays within documents
  // (attention.h). Empty: each sequence is one document.
  std::vector<int32_t> doc_start;
};

struct LossParts {
  double loss = 0;     // lm_loss + balance + z (what is differentiated)
  double lm_loss = 0;  // mean CE over masked positions
  double balance_loss = 0, z_loss = 0;  // already multiplied by their coefficients, summed over MoE layers
  int64_t target_tokens = 0;            // positions with mask 1
  std::vector<std::vector<int64_t>> expert_load;  // (MoE layers, E): routed slots per expert this batch
};

class Model {
 public:
  // Parameters drawn from N(0, initializer_range) (Rng seeded by `seed`), norms set to 1.
  // Errors: config.Validate() failures. Sets OpenBLAS to one thread for the process: TBB is the
  // only source of parallelism (see kernels.h).
  static Result<Model> Create(const ModelConfig& config, uint64_t seed);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelConfig& config() const;
  // Every parameter in a fixed order with HF names: embeddings, then per layer input_layernorm,
  // query_key_value, dense, post_attention_layernorm, mlp (gate, experts.{e}.{gate,up,down},
  // shared_experts.{gate,up,down} | gate_proj, up_proj, down_proj), then model.norm, lm_head
  // (absent when tie_word_embeddings). Pointers stay valid for the life of the Model.
  ParameterList parameters();

  // Forward + backward of one batch. Gradients are ADDED (times grad_scale) into Parameter::grad,
  // so micro-batches accumulate. `step` drives Stochastic Routing Warmup (a = min(step/W, 1)) and
  // its noise, drawn from Rng::ForItem streams keyed by (seed, step, layer, the sequence's tokens,
  // position) so results do not depend on threads or on the batch a sequence sits in. While
  // step < W, updates the router EMA statistics (Ling eq. 3).
  // REQUIRES: batch shapes consistent, tokens in [0, vocab), targets in [0, vocab) where the
  // mask is non-zero, T <= max_position_embeddings (violations abort: validate data first).
  // Not thread-safe (one call at a time); uses TBB inside.
  LossParts ForwardBackward(const Batch& batch, int64_t step, float grad_scale);
  // Forward only: no gradients, no state change (eval). Routes exactly as ForwardBackward would
  // at `step` (same warmup noise); pass step >= routing_warmup_steps for plain top-k routing.
  LossParts Forward(const Batch& batch, int64_t step);

  // Router warmup running statistics: for each MoE layer, E means then E standard deviations
  // (layer-major), then one initialised flag per layer; size RouterStateSize().
  std::vector<float> RouterState() const;
  // Errors: wrong size -> InvalidArgument.
  Status SetRouterState(std::span<const float> state);
  size_t RouterStateSize() const;

  // Generation with a KV cache. temperature 0 = greedy; otherwise softmax(logits / temperature)
  // restricted to the top_p nucleus, sampled from Rng(seed). Stops after max_new_tokens or at a
  // stop token (included in the output). Returns the new tokens only. Routes without warmup noise.
  // The prompt is prefilled in one batched forward; generation stops at max_position_embeddings
  // positions (a longer prompt keeps its last max_position_embeddings tokens). REQUIRES: prompt
  // tokens in [0, vocab_size). Empty prompt -> no tokens.
  struct GenerateOptions {
    int max_new_tokens = 64;
    double temperature = 0;
    double top_p = 1.0;
    uint64_t seed = 1;
    std::vector<int32_t> stop_tokens;
    // Optional: called before every token is picked with the tokens generated so far and the
    // next token's logits (V), which it may edit (e.g. set to -inf what must not come next:
    // constrained decoding).
    std::function<void(std::span<const int32_t> generated, std::span<float> logits)> constrain;
  };
  std::vector<int32_t> Generate(std::span<const int32_t> prompt, const GenerateOptions& options);
  // Logits (V) of the last position of `tokens` by a full forward without cache (reference for
  // Generate and for the CLI).
  std::vector<float> LastLogits(std::span<const int32_t> tokens);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_MODEL_H_
