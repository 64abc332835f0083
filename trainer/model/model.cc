// Model: owns the parameters and the router warmup state; runs RunModel<float> (model_math.h)
// and generation with a KV cache.
#include "trainer/model/model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/check.h"
#include "base/memory_budget.h"
#include "base/rng.h"
#include "trainer/model/attention.h"
#include "trainer/model/kernels.h"
#include "trainer/model/model_math.h"
#include "trainer/model/moe.h"

namespace kgf::trainer {

struct Model::Impl {
  ModelConfig config;
  uint64_t seed = 0;
  ModelIndex index;
  std::vector<Parameter> params;  // never resized after Create: pointers stay valid
  // Stochastic Routing Warmup state (Ling eq. 3): per MoE layer per expert EMA of the logits.
  std::vector<float> mu, sigma;      // (MoE layers, E)
  std::vector<uint8_t> initialized;  // (MoE layers)
  ModelWorkspace<float> workspace;   // activations and scratch reused across calls

  std::vector<const float*> Values() const {
    std::vector<const float*> v;
    for (const Parameter& p : params) v.push_back(p.value.data());
    return v;
  }
  std::vector<float*> Grads() {
    std::vector<float*> g;
    for (Parameter& p : params) {
      if (p.grad.size() != p.value.size()) p.grad.assign(p.value.size(), 0.0f);
      g.push_back(p.grad.data());
    }
    return g;
  }
  WarmupInput Warmup(int64_t step) const {
    WarmupInput w;
    const int64_t W = config.routing_warmup_steps;
    if (W <= 0 || step >= W || config.NumMoeLayers() == 0) return w;
    w.active = true;
    w.a = std::clamp(double(std::max<int64_t>(step, 0)) / double(W), 0.0, 1.0);
    w.noise_key = Mix64(Mix64(seed ^ 0x726f7574696e67ULL) ^ uint64_t(step));
    w.mu = mu;
    w.sigma = sigma;
    w.initialized = initialized;
    return w;
  }
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Result<Model> Model::Create(const ModelConfig& config, uint64_t seed) {
  KGF_RETURN_IF_ERROR(config.Validate());
  // Weights and gradients, fp32 each, before allocating either.
  KGF_RETURN_IF_ERROR(CheckMemoryBudget(
      8.0 * static_cast<double>(config.NumParameters()),
      "the model (" + std::to_string(config.NumParameters()) +
          " parameters: fp32 weights and gradients)",
      "use a smaller config (hidden_size, vocab_size, num_hidden_layers, num_experts)"));
  InitBlasForTbb();
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->seed = seed;
  impl->index = BuildModelIndex(config);
  const std::vector<ParamSpec> specs = ParameterSpecs(config);
  impl->params.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    Parameter& p = impl->params[i];
    p.name = specs[i].name;
    p.shape = specs[i].shape;
    p.weight_decay = specs[i].weight_decay;
    const int64_t n = std::accumulate(p.shape.begin(), p.shape.end(), int64_t{1},
                                      std::multiplies<int64_t>());
    p.value.resize(n);
    p.grad.assign(n, 0.0f);
    if (specs[i].is_norm) {
      std::fill(p.value.begin(), p.value.end(), 1.0f);
    } else {
      // One stream per tensor: the init does not depend on the order tensors are visited.
      Rng rng = Rng::ForItem(seed, i);
      for (float& x : p.value) x = static_cast<float>(config.initializer_range * rng.Normal());
    }
  }
  const int M = config.NumMoeLayers(), E = std::max(config.num_experts, 0);
  impl->mu.assign(size_t(M) * E, 0.0f);
  impl->sigma.assign(size_t(M) * E, 0.0f);
  impl->initialized.assign(M, 0);
  return Model(std::move(impl));
}

const ModelConfig& Model::config() const { return impl_->config; }

ParameterList Model::parameters() {
  ParameterList list;
  for (Parameter& p : impl_->params) list.push_back(&p);
  return list;
}

LossParts Model::ForwardBackward(const Batch& batch, int64_t step, float grad_scale) {
  Impl& m = *impl_;
  const WarmupInput warmup = m.Warmup(step);
  const std::vector<float*> grads = m.Grads();
  RouterBatchStats stats;
  LossParts parts = RunModel<float>(m.config, m.index, m.Values(), &grads, batch, warmup,
                                    grad_scale, nullptr, &stats, &m.workspace);
  if (warmup.active) {
    // EMA of the per-expert logit mean and std (no gradient), Ling eq. 3.
    const int E = m.config.num_experts;
    const double k = m.config.routing_warmup_ema;
    for (int l = 0; l < int(stats.mean.size()); ++l) {
      if (stats.mean[l].empty()) continue;
      for (int e = 0; e < E; ++e) {
        float& mu = m.mu[size_t(l) * E + e];
        float& sd = m.sigma[size_t(l) * E + e];
        if (m.initialized[l]) {
          mu = static_cast<float>(k * mu + (1 - k) * stats.mean[l][e]);
          sd = static_cast<float>(k * sd + (1 - k) * stats.std[l][e]);
        } else {
          mu = static_cast<float>(stats.mean[l][e]);
          sd = static_cast<float>(stats.std[l][e]);
        }
      }
      m.initialized[l] = 1;
    }
  }
  return parts;
}

LossParts Model::Forward(const Batch& batch, int64_t step) {
  Impl& m = *impl_;
  return RunModel<float>(m.config, m.index, m.Values(), nullptr, batch, m.Warmup(step), 1.0,
                         nullptr, nullptr, &m.workspace);
}

size_t Model::RouterStateSize() const {
  return impl_->mu.size() + impl_->sigma.size() + impl_->initialized.size();
}

std::vector<float> Model::RouterState() const {
  const Impl& m = *impl_;
  std::vector<float> s;
  s.reserve(RouterStateSize());
  const int M = m.config.NumMoeLayers(), E = m.config.num_experts;
  for (int l = 0; l < M; ++l) {
    s.insert(s.end(), m.mu.begin() + size_t(l) * E, m.mu.begin() + size_t(l + 1) * E);
    s.insert(s.end(), m.sigma.begin() + size_t(l) * E, m.sigma.begin() + size_t(l + 1) * E);
  }
  for (uint8_t f : m.initialized) s.push_back(f ? 1.0f : 0.0f);
  return s;
}

Status Model::SetRouterState(std::span<const float> state) {
  Impl& m = *impl_;
  if (state.size() != RouterStateSize()) {
    return InvalidArgumentError("router state has " + std::to_string(state.size()) +
                                " values, this model needs " +
                                std::to_string(RouterStateSize()));
  }
  const int M = m.config.NumMoeLayers(), E = m.config.num_experts;
  size_t i = 0;
  for (int l = 0; l < M; ++l) {
    for (int e = 0; e < E; ++e) m.mu[size_t(l) * E + e] = state[i++];
    for (int e = 0; e < E; ++e) m.sigma[size_t(l) * E + e] = state[i++];
  }
  for (int l = 0; l < M; ++l) m.initialized[l] = state[i++] != 0.0f;
  return Status::Ok();
}

std::vector<float> Model::LastLogits(std::span<const int32_t> tokens) {
  Impl& m = *impl_;
  Batch batch;
  batch.B = 1;
  batch.T = static_cast<int>(tokens.size());
  batch.tokens.assign(tokens.begin(), tokens.end());
  std::vector<float> logits;
  RunModel<float>(m.config, m.index, m.Values(), nullptr, batch, WarmupInput{}, 1.0, &logits,
                  nullptr);
  return logits;
}

namespace {

// Next token from logits (V): argmax (ties to the lower id) when temperature == 0, else a draw
// from softmax(logits / temperature) restricted to the top_p nucleus.
int32_t PickToken(const std::vector<float>& logits, const Model::GenerateOptions& o, Rng& rng) {
  const int V = static_cast<int>(logits.size());
  if (o.temperature <= 0) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  const double mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(V);
  double sum = 0;
  for (int v = 0; v < V; ++v) sum += (p[v] = std::exp((logits[v] - mx) / o.temperature));
  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[a] > p[b]; });
  double kept = 0;
  int n = 0;
  while (n < V && (n == 0 || kept / sum < o.top_p)) kept += p[order[n++]];
  double r = rng.UniformDouble() * kept;
  for (int i = 0; i < n; ++i) {
    r -= p[order[i]];
    if (r < 0) return order[i];
  }
  return order[n - 1];
}

}  // namespace

std::vector<int32_t> Model::Generate(std::span<const int32_t> prompt,
                                     const GenerateOptions& options) {
  Impl& m = *impl_;
  const ModelConfig& c = m.config;
  std::vector<int32_t> out;
  if (prompt.empty() || options.max_new_tokens <= 0) return out;
  const int C = c.hidden_size, V = c.vocab_size, H = c.num_attention_heads;
  const int KV = c.num_key_value_heads, d = c.head_dim(), R = (H + 2 * KV) * d, OD = H * d;
  // A prompt longer than the context keeps its last max_position_embeddings tokens.
  if (int(prompt.size()) > c.max_position_embeddings) {
    prompt = prompt.subspan(prompt.size() - c.max_position_embeddings);
  }
  const int P = static_cast<int>(prompt.size());
  const int max_len = std::min<int>(c.max_position_embeddings, P + options.max_new_tokens);
  const std::vector<const float*> v = m.Values();
  const ModelIndex& index = m.index;
  std::vector<std::vector<float>> k_cache(c.num_hidden_layers), v_cache(c.num_hidden_layers);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    k_cache[l].resize(size_t(max_len) * KV * d);  // (max_len, KV d)
    v_cache[l].resize(size_t(max_len) * KV * d);  // (max_len, KV d)
  }
  std::vector<float> inv_norm(C, 1.0f);  // (C) NormHead scale of the head input
  const float* W_head = v[index.head];    // (V, C)
  if (c.norm_head) NormHeadInverseNorms(W_head, V, C, inv_norm.data());
  Rng rng(options.seed);
  auto is_stop = [&](int32_t t) {
    return std::find(options.stop_tokens.begin(), options.stop_tokens.end(), t) !=
           options.stop_tokens.end();
  };

  // Prefill: one batched forward over the prompt; its rotated keys and values fill the cache.
  std::vector<float> logits;  // (V)
  {
    Batch prefill;
    prefill.B = 1;
    prefill.T = P;
    prefill.tokens.assign(prompt.begin(), prompt.end());
    RunModel<float>(c, index, v, nullptr, prefill, WarmupInput{}, 1.0, &logits, nullptr,
                    &m.workspace);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      const std::vector<float>& qkv_all = m.workspace.saved[l].qkv;  // (P, R)
      for (int t = 0; t < P; ++t) {
        const float* row = qkv_all.data() + int64_t{t} * R;
        std::copy(row + OD, row + OD + KV * d, k_cache[l].begin() + int64_t{t} * KV * d);
        std::copy(row + OD + KV * d, row + R, v_cache[l].begin() + int64_t{t} * KV * d);
      }
    }
  }
  if (options.constrain) options.constrain(out, logits);
  int32_t token = PickToken(logits, options, rng);
  out.push_back(token);
  if (is_stop(token)) return out;

  std::vector<float> x(C), h(C), rstd(1), qkv(R), att(OD), y(C), hf(C);
  for (int pos = P; pos < max_len && int(out.size()) < options.max_new_tokens; ++pos) {
    // Decode: the last sampled token through the stack, appending its keys/values to the cache.
    std::copy(v[index.embed] + int64_t{token} * C, v[index.embed] + int64_t{token + 1} * C,
              x.begin());
    const RopeTable rope = MakeRopeTable(pos, 1, d, c.rope_theta);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      const LayerIndex& li = index.layers[l];
      RmsNormForward(x.data(), v[li.input_norm], 1, C, c.rms_norm_eps, h.data(), rstd.data());
      LinearForward(h.data(), v[li.qkv], 1, C, R, qkv.data());
      RopeForward(qkv.data(), 1, 1, H + KV, d, R, rope);
      std::copy(qkv.begin() + OD, qkv.begin() + OD + KV * d,
                k_cache[l].begin() + int64_t{pos} * KV * d);
      std::copy(qkv.begin() + OD + KV * d, qkv.end(), v_cache[l].begin() + int64_t{pos} * KV * d);
      AttentionDecode(H, KV, d, qkv.data(), k_cache[l].data(), v_cache[l].data(), pos + 1,
                      att.data());
      LinearForward(att.data(), v[li.dense], 1, OD, C, x.data(), /*accumulate=*/true);
      RmsNormForward(x.data(), v[li.post_norm], 1, C, c.rms_norm_eps, h.data(), rstd.data());
      if (li.moe_layer < 0) {
        const int I = c.intermediate_size;
        std::vector<float> g(I), u(I);
        FfnForward(FfnWeights<float>{v[li.mlp_gate], v[li.mlp_up], v[li.mlp_down], C, I},
                   h.data(), 1, g.data(), u.data(), y.data());
      } else {
        MoeWeights<float> mw;
        mw.router = v[li.router];
        mw.C = C;
        mw.E = c.num_experts;
        mw.K = c.num_experts_per_tok;
        mw.norm_topk = c.norm_topk_prob;
        for (int e = 0; e < c.num_experts; ++e) {
          mw.experts.push_back(FfnWeights<float>{v[li.expert_gate[e]], v[li.expert_up[e]],
                                                 v[li.expert_down[e]], C,
                                                 c.moe_intermediate_size});
        }
        if (li.shared_gate >= 0) {
          mw.shared = FfnWeights<float>{v[li.shared_gate], v[li.shared_up], v[li.shared_down], C,
                                        c.moe_intermediate_size * c.num_shared_experts};
        }
        MoeSaved<float> saved;
        MoeForward(mw, h.data(), 1, static_cast<const float*>(nullptr), MoeOptions{},
                   &saved, y.data());
      }
      for (int i = 0; i < C; ++i) x[i] += y[i];
    }
    RmsNormForward(x.data(), v[index.final_norm], 1, C, c.rms_norm_eps, hf.data(), rstd.data());
    for (int i = 0; i < C; ++i) hf[i] *= inv_norm[i];
    LinearForward(hf.data(), W_head, 1, C, V, logits.data());
    if (options.constrain) options.constrain(out, logits);
    token = PickToken(logits, options, rng);
    out.push_back(token);
    if (is_stop(token)) break;
  }
  return out;
}

}  // namespace kgf::trainer
