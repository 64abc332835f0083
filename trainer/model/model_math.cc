// The templated Ling decoder forward/backward (see model_math.h). Shapes: B sequences, T
// positions, N = B T tokens, C hidden, H heads, KV kv heads, d head_dim, R = (H + 2 KV) d,
// V vocab, E experts.
#include "trainer/model/model_math.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "base/rng.h"
#include "trainer/model/attention.h"
#include "trainer/model/kernels.h"
#include "trainer/model/moe.h"

namespace kgf::trainer {

std::vector<ParamSpec> ParameterSpecs(const ModelConfig& c) {
  std::vector<ParamSpec> specs;
  const int64_t C = c.hidden_size, V = c.vocab_size, hd = c.head_dim();
  const int64_t H = c.num_attention_heads, KV = c.num_key_value_heads;
  auto add = [&](std::string name, std::vector<int64_t> shape, bool decay = true,
                 bool norm = false) {
    specs.push_back(ParamSpec{std::move(name), std::move(shape), decay, norm});
  };
  add("model.word_embeddings.weight", {V, C}, c.embedding_weight_decay);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {C}, false, true);
    add(p + "attention.query_key_value.weight", {(H + 2 * KV) * hd, C});
    add(p + "attention.dense.weight", {C, H * hd});
    add(p + "post_attention_layernorm.weight", {C}, false, true);
    if (c.IsMoeLayer(l)) {
      const int64_t I = c.moe_intermediate_size;
      add(p + "mlp.gate.weight", {c.num_experts, C});
      for (int e = 0; e < c.num_experts; ++e) {
        const std::string q = p + "mlp.experts." + std::to_string(e) + ".";
        add(q + "gate_proj.weight", {I, C});
        add(q + "up_proj.weight", {I, C});
        add(q + "down_proj.weight", {C, I});
      }
      if (c.num_shared_experts > 0) {
        const int64_t Is = I * c.num_shared_experts;
        add(p + "mlp.shared_experts.gate_proj.weight", {Is, C});
        add(p + "mlp.shared_experts.up_proj.weight", {Is, C});
        add(p + "mlp.shared_experts.down_proj.weight", {C, Is});
      }
    } else {
      const int64_t I = c.intermediate_size;
      add(p + "mlp.gate_proj.weight", {I, C});
      add(p + "mlp.up_proj.weight", {I, C});
      add(p + "mlp.down_proj.weight", {C, I});
    }
  }
  add("model.norm.weight", {C}, false, true);
  if (!c.tie_word_embeddings) add("lm_head.weight", {V, C});
  return specs;
}

ModelIndex BuildModelIndex(const ModelConfig& c) {
  ModelIndex m;
  int i = 0;
  m.embed = i++;
  int moe = 0;
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    LayerIndex L;
    L.input_norm = i++;
    L.qkv = i++;
    L.dense = i++;
    L.post_norm = i++;
    if (c.IsMoeLayer(l)) {
      L.moe_layer = moe++;
      L.router = i++;
      for (int e = 0; e < c.num_experts; ++e) {
        L.expert_gate.push_back(i++);
        L.expert_up.push_back(i++);
        L.expert_down.push_back(i++);
      }
      if (c.num_shared_experts > 0) {
        L.shared_gate = i++;
        L.shared_up = i++;
        L.shared_down = i++;
      }
    } else {
      L.mlp_gate = i++;
      L.mlp_up = i++;
      L.mlp_down = i++;
    }
    m.layers.push_back(std::move(L));
  }
  m.final_norm = i++;
  m.head = c.tie_word_embeddings ? m.embed : i++;
  return m;
}

namespace {

template <typename S>
MoeWeights<S> MoeWeightsOf(const ModelConfig& c, const LayerIndex& L,
                           const std::vector<const S*>& v) {
  MoeWeights<S> w;
  w.router = v[L.router];
  w.C = c.hidden_size;
  w.E = c.num_experts;
  w.K = c.num_experts_per_tok;
  w.norm_topk = c.norm_topk_prob;
  for (int e = 0; e < c.num_experts; ++e) {
    w.experts.push_back(FfnWeights<S>{v[L.expert_gate[e]], v[L.expert_up[e]],
                                      v[L.expert_down[e]], c.hidden_size,
                                      c.moe_intermediate_size});
  }
  if (L.shared_gate >= 0) {
    w.shared = FfnWeights<S>{v[L.shared_gate], v[L.shared_up], v[L.shared_down], c.hidden_size,
                             c.moe_intermediate_size * c.num_shared_experts};
  }
  return w;
}

template <typename S>
MoeGrads<S> MoeGradsOf(const ModelConfig& c, const LayerIndex& L, const std::vector<S*>& g) {
  MoeGrads<S> m;
  m.router = g[L.router];
  for (int e = 0; e < c.num_experts; ++e) {
    m.experts.push_back(FfnGrads<S>{g[L.expert_gate[e]], g[L.expert_up[e]], g[L.expert_down[e]]});
  }
  if (L.shared_gate >= 0) m.shared = FfnGrads<S>{g[L.shared_gate], g[L.shared_up], g[L.shared_down]};
  return m;
}

// A hash of a sequence's tokens: keys the warmup noise so micro-batches of one step differ.
uint64_t SequenceKey(const int32_t* tokens, int T) {
  uint64_t h = 0x6b67666f72676521ULL;
  for (int t = 0; t < T; ++t) h = Mix64(h ^ static_cast<uint32_t>(tokens[t]));
  return h;
}

}  // namespace

template <typename S>
LossParts RunModel(const ModelConfig& c, const ModelIndex& index,
                   const std::vector<const S*>& v, const std::vector<S*>* grads,
                   const Batch& batch, const WarmupInput& warmup, double grad_scale,
                   std::vector<S>* last_logits, RouterBatchStats* stats,
                   ModelWorkspace<S>* workspace) {
  const int B = batch.B, T = batch.T, N = B * T;
  const int C = c.hidden_size, V = c.vocab_size, H = c.num_attention_heads;
  const int KV = c.num_key_value_heads, d = c.head_dim(), R = (H + 2 * KV) * d, OD = H * d;
  const int E = c.num_experts;
  const int L = c.num_hidden_layers;
  const bool train = grads != nullptr;
  const bool has_loss = !batch.targets.empty();
  KGF_CHECK_EQ(batch.tokens.size(), size_t(N));
  KGF_CHECK_LE(T, c.max_position_embeddings);
  if (has_loss) {
    KGF_CHECK_EQ(batch.targets.size(), size_t(N));
    KGF_CHECK_EQ(batch.loss_mask.size(), size_t(N));
  }
  if (!batch.doc_start.empty()) {
    KGF_CHECK_EQ(batch.doc_start.size(), size_t(N));
    for (int b = 0; b < B; ++b) {
      for (int t = 0; t < T; ++t) {
        const int32_t st = batch.doc_start[size_t(b) * T + t];
        const int32_t prev = t == 0 ? 0 : batch.doc_start[size_t(b) * T + t - 1];
        KGF_CHECK(st >= prev && st <= t) << "doc_start[" << b << ", " << t << "] = " << st
                                         << " must be in [" << prev << ", " << t << "]";
      }
    }
  }
  LossParts parts;
  if (N == 0) return parts;

  const RopeTable rope = MakeRopeTable(0, T, d, c.rope_theta);
  AttentionShape ashape{B, T, H, KV, d};
  if (!batch.doc_start.empty()) ashape.doc_start = batch.doc_start.data();
  std::vector<uint64_t> seq_keys(B);
  for (int b = 0; b < B; ++b) seq_keys[b] = SequenceKey(batch.tokens.data() + int64_t{b} * T, T);
  if (stats != nullptr) {
    stats->mean.assign(c.NumMoeLayers(), {});
    stats->std.assign(c.NumMoeLayers(), {});
  }

  ModelWorkspace<S> local;
  ModelWorkspace<S>& ws = workspace != nullptr ? *workspace : local;
  // Embedding lookup.
  std::vector<S>& x = ws.x;  // (N, C) residual stream
  x.resize(size_t(N) * C);
  for (int t = 0; t < N; ++t) {
    const int32_t tok = batch.tokens[t];
    KGF_CHECK(tok >= 0 && tok < V) << "token " << tok << " outside vocab " << V;
    std::copy(v[index.embed] + int64_t{tok} * C, v[index.embed] + int64_t{tok + 1} * C,
              x.data() + int64_t{t} * C);
  }

  std::vector<LayerSaved<S>>& saved = ws.saved;
  saved.resize(L);
  std::vector<S>& tmp = ws.tmp;  // (N, C)
  tmp.resize(size_t(N) * C);
  for (int l = 0; l < L; ++l) {
    const LayerIndex& li = index.layers[l];
    LayerSaved<S>& s = saved[l];
    s.x_in = x;
    s.h1.resize(size_t(N) * C);
    s.rstd1.resize(N);
    RmsNormForward(x.data(), v[li.input_norm], N, C, c.rms_norm_eps, s.h1.data(), s.rstd1.data());
    s.qkv.resize(size_t(N) * R);
    s.h1_ready = PreparedWeight<S>(s.h1.data(), N, C);
    s.qkv_ready = PreparedWeight<S>(v[li.qkv], R, C);
    LinearForward(s.h1_ready, s.qkv_ready, N, C, R, s.qkv.data());
    RopeForward(s.qkv.data(), B, T, H + KV, d, R, rope);  // q and k heads are contiguous
    s.att.resize(size_t(N) * OD);
    s.lse.resize(size_t(B) * H * T);
    AttentionForward(ashape, s.qkv.data(), s.att.data(), s.lse.data());
    s.att_ready = PreparedWeight<S>(s.att.data(), N, OD);
    s.dense_ready = PreparedWeight<S>(v[li.dense], C, OD);
    LinearForward(s.att_ready, s.dense_ready, N, OD, C, x.data(), /*accumulate=*/true);
    s.x_mid = x;
    s.h2.resize(size_t(N) * C);
    s.rstd2.resize(N);
    RmsNormForward(x.data(), v[li.post_norm], N, C, c.rms_norm_eps, s.h2.data(), s.rstd2.data());
    if (li.moe_layer < 0) {
      const int I = c.intermediate_size;
      s.g.resize(size_t(N) * I);
      s.u.resize(size_t(N) * I);
      FfnForward(FfnWeights<S>{v[li.mlp_gate], v[li.mlp_up], v[li.mlp_down], C, I}, s.h2.data(),
                 N, s.g.data(), s.u.data(), tmp.data());
    } else {
      const int m = li.moe_layer;
      const MoeWeights<S> mw = MoeWeightsOf(c, li, v);
      s.moe_options = MoeOptions{c.router_aux_loss_coef, c.router_z_loss_coef, 1.0};
      std::vector<S> noise;  // (N, E) mu + sigma eps, Ling eq. 3
      if (warmup.active) {
        s.moe_options.a = warmup.a;
        // Statistics of this batch's raw logits (detached), for the EMA and for a cold start.
        std::vector<S> logits(size_t(N) * E);  // (N, E)
        LinearForward(s.h2.data(), mw.router, N, C, E, logits.data());
        std::vector<double> mean(E, 0.0), var(E, 0.0);
        for (int t = 0; t < N; ++t)
          for (int e = 0; e < E; ++e) mean[e] += logits[size_t(t) * E + e];
        for (int e = 0; e < E; ++e) mean[e] /= N;
        for (int t = 0; t < N; ++t)
          for (int e = 0; e < E; ++e) {
            const double dv = logits[size_t(t) * E + e] - mean[e];
            var[e] += dv * dv;
          }
        std::vector<double> sd(E);
        for (int e = 0; e < E; ++e) sd[e] = std::sqrt(var[e] / N);
        if (stats != nullptr) {
          stats->mean[m] = mean;
          stats->std[m] = sd;
        }
        const bool init = m < int(warmup.initialized.size()) && warmup.initialized[m] != 0;
        std::vector<double> mu(E), sigma(E);
        for (int e = 0; e < E; ++e) {
          mu[e] = init ? double(warmup.mu[size_t(m) * E + e]) : mean[e];
          sigma[e] = init ? double(warmup.sigma[size_t(m) * E + e]) : sd[e];
        }
        noise.resize(size_t(N) * E);
        const uint64_t layer_key = Mix64(warmup.noise_key ^ Mix64(uint64_t(l) + 1));
        ParallelChunks(N, 64, [&](int64_t t0, int64_t t1) {
          for (int64_t t = t0; t < t1; ++t) {
            const int64_t b = t / T, pos = t % T;
            Rng rng = Rng::ForItem(layer_key, Mix64(seq_keys[b] + uint64_t(pos)));
            for (int e = 0; e < E; ++e) {
              noise[t * E + e] = static_cast<S>(mu[e] + sigma[e] * rng.Normal());
            }
          }
        });
      }
      MoeForward(mw, s.h2.data(), N, warmup.active ? noise.data() : nullptr, s.moe_options,
                 &s.moe, tmp.data());
      parts.balance_loss += s.moe.balance_loss;
      parts.z_loss += s.moe.z_loss;
      parts.expert_load.push_back(s.moe.load);
    }
    for (size_t i = 0; i < x.size(); ++i) x[i] += tmp[i];
  }

  // Final norm and LM head. NormHead (Ling §2; Baichuan 2): W_eff = W diag(inv_norm) with
  // inv_norm[c] = 1 / (||W[:, c]||_2 + 1e-7) detached, so logits = (hf * inv_norm) W^T.
  std::vector<S>& hf = ws.hf;        // (N, C)
  std::vector<S>& rstdf = ws.rstdf;  // (N)
  hf.resize(size_t(N) * C);
  rstdf.resize(N);
  RmsNormForward(x.data(), v[index.final_norm], N, C, c.rms_norm_eps, hf.data(), rstdf.data());
  const S* W_head = v[index.head];  // (V, C)
  const S* h_head = hf.data();      // (N, C) input of the head matmul
  if (c.norm_head) {
    ws.inv_norm.resize(C);
    NormHeadInverseNorms(W_head, V, C, ws.inv_norm.data());
    ws.hf_scaled.resize(size_t(N) * C);
    for (int t = 0; t < N; ++t)
      for (int ch = 0; ch < C; ++ch)
        ws.hf_scaled[size_t(t) * C + ch] = hf[size_t(t) * C + ch] * ws.inv_norm[ch];
    h_head = ws.hf_scaled.data();
  }
  if (last_logits != nullptr) {
    last_logits->assign(size_t(B) * V, S(0));
    for (int b = 0; b < B; ++b) {
      LinearForward(h_head + (int64_t{b} * T + T - 1) * C, W_head, 1, C, V,
                    last_logits->data() + int64_t{b} * V);
    }
  }

  double mask_sum = 0;
  if (has_loss) {
    for (int t = 0; t < N; ++t) {
      if (batch.loss_mask[t] == 0) continue;
      KGF_CHECK(batch.targets[t] >= 0 && batch.targets[t] < V)
          << "target " << batch.targets[t] << " outside vocab " << V << " at position " << t;
      mask_sum += batch.loss_mask[t];
      if (batch.loss_mask[t] > 0) ++parts.target_tokens;
    }
  }
  const bool lm_grad = train && has_loss && mask_sum > 0;
  std::vector<S>& dhf = ws.dhf;  // (N, C) gradient w.r.t. h_head
  if (train) dhf.assign(size_t(N) * C, S(0));
  if (has_loss && mask_sum > 0) {
    // Only positions with a loss weight go through the head (SFT trains ~1/4 of the tokens):
    // the others' logits, loss and gradient are zero, so they are skipped, not computed.
    std::vector<int32_t>& rows_in = ws.head_rows;
    rows_in.clear();
    for (int t = 0; t < N; ++t) {
      if (batch.loss_mask[t] != 0) rows_in.push_back(t);
    }
    const int M = static_cast<int>(rows_in.size());
    const bool compact = M < N;
    const S* h_rows = h_head;
    const int32_t* tg_rows = batch.targets.data();
    const float* mask_rows = batch.loss_mask.data();
    S* dh_rows = lm_grad ? dhf.data() : nullptr;
    if (compact) {
      ws.head_h.resize(size_t(M) * C);
      ws.head_targets.resize(M);
      ws.head_mask.resize(M);
      for (int i = 0; i < M; ++i) {
        const int t = rows_in[i];
        std::copy_n(h_head + int64_t{t} * C, C, ws.head_h.data() + int64_t{i} * C);
        ws.head_targets[i] = batch.targets[t];
        ws.head_mask[i] = batch.loss_mask[t];
      }
      h_rows = ws.head_h.data();
      tg_rows = ws.head_targets.data();
      mask_rows = ws.head_mask.data();
      if (lm_grad) {
        ws.head_dh.resize(size_t(M) * C);
        dh_rows = ws.head_dh.data();
      }
    }
    // Logits in fixed row chunks (bounded memory); chunks are reduced into dW in chunk order.
    const int rows = std::max(1, std::min(M, int((int64_t{1} << 24) / V)));
    std::vector<S>& logits = ws.logits;  // (rows, V)
    logits.resize(size_t(rows) * V);
    double ce_sum = 0;
    const PreparedWeight<S> head(W_head, V, C);  // bf16: one copy for every chunk, both ways
    for (int r0 = 0; r0 < M; r0 += rows) {
      const int n = std::min(rows, M - r0);
      LinearForward(h_rows + int64_t{r0} * C, head, n, C, V, logits.data());
      ce_sum += CrossEntropyMasked(logits.data(), tg_rows + r0, mask_rows + r0, n, V, mask_sum,
                                   grad_scale,
                                   lm_grad ? logits.data() : static_cast<S*>(nullptr));
      if (lm_grad) {
        LinearBackward(logits.data(), h_rows + int64_t{r0} * C, head, n, C, V,
                       dh_rows + int64_t{r0} * C, (*grads)[index.head]);
      }
    }
    if (lm_grad && compact) {
      for (int i = 0; i < M; ++i) {
        std::copy_n(dh_rows + int64_t{i} * C, C, dhf.data() + int64_t{rows_in[i]} * C);
      }
    }
    parts.lm_loss = ce_sum / mask_sum;
  }
  parts.loss = parts.lm_loss + parts.balance_loss + parts.z_loss;
  if (!train) return parts;

  // ---- Backward ----
  if (c.norm_head) {  // d hf = d(hf * inv_norm) * inv_norm
    for (int t = 0; t < N; ++t)
      for (int ch = 0; ch < C; ++ch) dhf[size_t(t) * C + ch] *= ws.inv_norm[ch];
  }
  const std::vector<S*>& gr = *grads;
  std::vector<S>& dx = ws.dx;  // (N, C) gradient of the residual stream
  dx.assign(size_t(N) * C, S(0));
  RmsNormBackward(dhf.data(), x.data(), v[index.final_norm], rstdf.data(), N, C, dx.data(),
                  gr[index.final_norm]);
  std::vector<S>& dh = ws.dh;      // (N, C)
  std::vector<S>& datt = ws.datt;  // (N, H d)
  std::vector<S>& dqkv = ws.dqkv;  // (N, R)
  dh.resize(size_t(N) * C);
  datt.resize(size_t(N) * OD);
  dqkv.resize(size_t(N) * R);
  for (int l = L - 1; l >= 0; --l) {
    const LayerIndex& li = index.layers[l];
    LayerSaved<S>& s = saved[l];
    // Feed-forward block: x_out = x_mid + mlp(norm(x_mid)).
    if (li.moe_layer < 0) {
      const int I = c.intermediate_size;
      FfnBackward(FfnWeights<S>{v[li.mlp_gate], v[li.mlp_up], v[li.mlp_down], C, I},
                  s.h2.data(), s.g.data(), s.u.data(), dx.data(), N,
                  FfnGrads<S>{gr[li.mlp_gate], gr[li.mlp_up], gr[li.mlp_down]}, dh.data());
    } else {
      std::fill(dh.begin(), dh.end(), S(0));
      MoeBackward(MoeWeightsOf(c, li, v), s.h2.data(), s.moe, dx.data(), N, s.moe_options,
                  grad_scale, MoeGradsOf(c, li, gr), dh.data());
    }
    RmsNormBackward(dh.data(), s.x_mid.data(), v[li.post_norm], s.rstd2.data(), N, C, dx.data(),
                    gr[li.post_norm]);
    // Attention block: x_mid = x_in + dense(attn(rope(qkv(norm(x_in))))).
    LinearBackward(dx.data(), s.att_ready, s.dense_ready, N, OD, C, datt.data(), gr[li.dense]);
    AttentionBackward(ashape, s.qkv.data(), s.att.data(), s.lse.data(), datt.data(), dqkv.data());
    RopeBackward(dqkv.data(), B, T, H + KV, d, R, rope);
    LinearBackward(dqkv.data(), s.h1_ready, s.qkv_ready, N, C, R, dh.data(), gr[li.qkv]);
    RmsNormBackward(dh.data(), s.x_in.data(), v[li.input_norm], s.rstd1.data(), N, C, dx.data(),
                    gr[li.input_norm]);
  }
  S* dE = gr[index.embed];
  for (int t = 0; t < N; ++t) {  // token order: deterministic
    S* row = dE + int64_t{batch.tokens[t]} * C;
    const S* src = dx.data() + int64_t{t} * C;
    for (int ch = 0; ch < C; ++ch) row[ch] += src[ch];
  }
  return parts;
}

template LossParts RunModel<float>(const ModelConfig&, const ModelIndex&,
                                   const std::vector<const float*>&, const std::vector<float*>*,
                                   const Batch&, const WarmupInput&, double, std::vector<float>*,
                                   RouterBatchStats*, ModelWorkspace<float>*);
template LossParts RunModel<double>(const ModelConfig&, const ModelIndex&,
                                    const std::vector<const double*>&,
                                    const std::vector<double*>*, const Batch&, const WarmupInput&,
                                    double, std::vector<double>*, RouterBatchStats*,
                                    ModelWorkspace<double>*);

}  // namespace kgf::trainer
