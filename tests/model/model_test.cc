#include "trainer/model/model.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "base/rng.h"
#include "tests/model/grad_check.h"
#include "trainer/model/model_math.h"

namespace kgf::trainer {
namespace {

using testing::CheckGradient;

ModelConfig TinyConfig() {
  ModelConfig c = ModelConfig::Preset("tiny").value();
  c.initializer_range = 0.3;  // large enough that every path carries a visible gradient
  c.router_aux_loss_coef = 0.1;
  c.router_z_loss_coef = 0.01;
  return c;
}

Batch RandomBatch(const ModelConfig& c, int B, int T, uint64_t seed, bool some_masked = true) {
  Batch b;
  b.B = B;
  b.T = T;
  Rng rng(seed);
  for (int i = 0; i < B * T; ++i) {
    b.tokens.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
    b.targets.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
    b.loss_mask.push_back(some_masked && i % 3 == 1 ? 0.0f : 1.0f);
  }
  return b;
}

// The model's parameters in double, with the norm weights moved away from 1.
struct DoubleParams {
  std::vector<std::vector<double>> values, grads;
  std::vector<const double*> Values() const {
    std::vector<const double*> v;
    for (const auto& x : values) v.push_back(x.data());
    return v;
  }
  std::vector<double*> Grads() {
    std::vector<double*> g;
    for (auto& x : grads) {
      std::fill(x.begin(), x.end(), 0.0);
      g.push_back(x.data());
    }
    return g;
  }
};

DoubleParams ToDouble(Model& m) {
  DoubleParams d;
  Rng rng(99);
  for (Parameter* p : m.parameters()) {
    d.values.emplace_back(p->value.begin(), p->value.end());
    if (p->name.find("norm") != std::string::npos) {
      for (double& x : d.values.back()) x += 0.2 * rng.Normal();
    }
    d.grads.emplace_back(p->value.size(), 0.0);
  }
  return d;
}

// Central-difference check of every parameter tensor (a sample of entries each) of the whole
// model in double. With NormHead the LM head's gradient has a detached denominator, so it is
// checked by the kernel test instead.
void CheckWholeModel(const ModelConfig& c, const WarmupInput& warmup) {
  Model m = Model::Create(c, 5).value();
  DoubleParams d = ToDouble(m);
  const Batch batch = RandomBatch(c, 2, 6, 11);
  const ModelIndex index = BuildModelIndex(c);
  std::vector<double*> grads = d.Grads();
  const LossParts parts =
      RunModel<double>(c, index, d.Values(), &grads, batch, warmup, 1.0, nullptr, nullptr);
  EXPECT_GT(parts.balance_loss, 0);
  EXPECT_GT(parts.z_loss, 0);
  EXPECT_NEAR(parts.loss, parts.lm_loss + parts.balance_loss + parts.z_loss, 1e-12);
  const auto params = m.parameters();
  double worst = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (c.norm_head && int(i) == index.head) continue;
    auto loss = [&] {
      return RunModel<double>(c, index, d.Values(), nullptr, batch, warmup, 1.0, nullptr, nullptr)
          .loss;
    };
    worst = std::max(worst, CheckGradient(d.values[i], d.grads[i], loss, params[i]->name,
                                          1e-4, /*max_checks=*/6, 1e-5, 1000 + i));
  }
  ::testing::Test::RecordProperty("worst_relative_error", std::to_string(worst));
  std::printf("worst relative error %.3g\n", worst);
}

TEST(ModelTest, WholeModelBackwardMatchesCentralDifference) {
  ModelConfig c = TinyConfig();
  c.norm_head = false;
  CheckWholeModel(c, WarmupInput{});
}

TEST(ModelTest, WholeModelWithNormHeadBackwardMatchesCentralDifference) {
  CheckWholeModel(TinyConfig(), WarmupInput{});
}

TEST(ModelTest, TiedEmbeddingsBackwardMatchesCentralDifference) {
  ModelConfig c = TinyConfig();
  c.norm_head = false;
  c.tie_word_embeddings = true;
  CheckWholeModel(c, WarmupInput{});
}

TEST(ModelTest, DenseOnlyModelBackwardMatchesCentralDifference) {
  ModelConfig c = TinyConfig();
  c.num_experts = 0;
  c.router_aux_loss_coef = 0;  // no MoE layer: no aux losses
  c.router_z_loss_coef = 0;
  Model m = Model::Create(c, 5).value();
  DoubleParams d = ToDouble(m);
  const Batch batch = RandomBatch(c, 2, 6, 11);
  const ModelIndex index = BuildModelIndex(c);
  std::vector<double*> grads = d.Grads();
  RunModel<double>(c, index, d.Values(), &grads, batch, WarmupInput{}, 1.0, nullptr, nullptr);
  const auto params = m.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (int(i) == index.head) continue;  // NormHead: detached denominator
    auto loss = [&] {
      return RunModel<double>(c, index, d.Values(), nullptr, batch, WarmupInput{}, 1.0, nullptr,
                              nullptr).loss;
    };
    CheckGradient(d.values[i], d.grads[i], loss, params[i]->name, 1e-4, 6, 1e-5, 2000 + i);
  }
}

TEST(ModelTest, AllMoeTopOneWithoutSharedExpertBackwardMatchesCentralDifference) {
  ModelConfig c = TinyConfig();
  c.first_k_dense_replace = 0;
  c.num_experts_per_tok = 1;
  c.num_shared_experts = 0;
  c.norm_head = false;
  CheckWholeModel(c, WarmupInput{});
}

TEST(ModelTest, WarmupPathBackwardMatchesCentralDifference) {
  const ModelConfig c = TinyConfig();
  WarmupInput w;
  w.active = true;
  w.a = 0.3;
  w.noise_key = 42;
  const int M = c.NumMoeLayers(), E = c.num_experts;
  Rng rng(3);
  for (int i = 0; i < M * E; ++i) {
    w.mu.push_back(static_cast<float>(0.5 * rng.Normal()));
    w.sigma.push_back(static_cast<float>(1.0 + 0.1 * rng.Normal()));
  }
  w.initialized.assign(M, 1);
  CheckWholeModel(c, w);
}

TEST(ModelTest, FloatModelMatchesDoubleReference) {
  const ModelConfig c = TinyConfig();
  Model m = Model::Create(c, 8).value();
  const Batch batch = RandomBatch(c, 2, 7, 12);
  const LossParts f = m.ForwardBackward(batch, 0, 1.0f);
  DoubleParams d;
  for (Parameter* p : m.parameters()) {
    d.values.emplace_back(p->value.begin(), p->value.end());
    d.grads.emplace_back(p->value.size(), 0.0);
  }
  std::vector<double*> grads = d.Grads();
  const LossParts r = RunModel<double>(c, BuildModelIndex(c), d.Values(), &grads, batch,
                                       WarmupInput{}, 1.0, nullptr, nullptr);
  EXPECT_NEAR(f.loss, r.loss, 1e-5 * r.loss);
  EXPECT_NEAR(f.balance_loss, r.balance_loss, 1e-5);
  EXPECT_EQ(f.target_tokens, r.target_tokens);
  EXPECT_EQ(f.expert_load, r.expert_load);
  const auto params = m.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    double num = 0, den = 0;
    for (size_t j = 0; j < d.grads[i].size(); ++j) {
      num += std::pow(params[i]->grad[j] - d.grads[i][j], 2);
      den += std::pow(d.grads[i][j], 2);
    }
    EXPECT_LT(std::sqrt(num), 1e-4 * std::sqrt(den) + 1e-9) << params[i]->name;
  }
}

TEST(ModelTest, ParametersHaveHfNamesAndShapes) {
  const ModelConfig c = ModelConfig::Preset("tiny").value();
  Model m = Model::Create(c, 1).value();
  const auto ps = m.parameters();
  ASSERT_FALSE(ps.empty());
  EXPECT_EQ(ps.front()->name, "model.word_embeddings.weight");
  EXPECT_EQ(ps.back()->name, "lm_head.weight");
  std::vector<std::string> names;
  for (Parameter* p : ps) names.push_back(p->name);
  auto has = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  EXPECT_TRUE(has("model.layers.0.mlp.gate_proj.weight"));  // dense layer (first_k_dense 1)
  EXPECT_TRUE(has("model.layers.1.mlp.gate.weight"));
  EXPECT_TRUE(has("model.layers.1.mlp.experts.3.down_proj.weight"));
  EXPECT_TRUE(has("model.layers.1.mlp.shared_experts.up_proj.weight"));
  EXPECT_TRUE(has("model.norm.weight"));
  for (Parameter* p : ps) {
    if (p->name == "model.layers.1.attention.query_key_value.weight") {
      EXPECT_EQ(p->shape, (std::vector<int64_t>{(4 + 2 * 2) * 8, 32}));
    }
    if (p->name.find("norm") != std::string::npos) {
      EXPECT_FALSE(p->weight_decay) << p->name;
      for (float v : p->value) EXPECT_EQ(v, 1.0f);
    }
    EXPECT_EQ(p->grad.size(), p->value.size());
  }
}

TEST(ModelTest, SameSeedSameInitAndDifferentSeedDiffers) {
  const ModelConfig c = ModelConfig::Preset("tiny").value();
  Model a = Model::Create(c, 3).value(), b = Model::Create(c, 3).value();
  Model other = Model::Create(c, 4).value();
  EXPECT_EQ(a.parameters()[1 + 1]->value, b.parameters()[1 + 1]->value);
  EXPECT_NE(a.parameters()[2]->value, other.parameters()[2]->value);
}

// Losses and gradients of a few training steps (with routing warmup) under a thread limit.
std::vector<float> RunSteps(int threads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  ModelConfig c = ModelConfig::Preset("tiny").value();
  c.routing_warmup_steps = 4;
  Model m = Model::Create(c, 21).value();
  const Batch batch = RandomBatch(c, 3, 50, 13);  // 150 tokens: several chunks everywhere
  std::vector<float> trace;
  for (int step = 0; step < 3; ++step) {
    for (Parameter* p : m.parameters()) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
    const LossParts parts = m.ForwardBackward(batch, step, 1.0f);
    trace.push_back(static_cast<float>(parts.loss));
    for (Parameter* p : m.parameters()) {
      trace.insert(trace.end(), p->grad.begin(), p->grad.end());
      for (size_t i = 0; i < p->value.size(); ++i) p->value[i] -= 0.1f * p->grad[i];
    }
  }
  const std::vector<float> state = m.RouterState();
  trace.insert(trace.end(), state.begin(), state.end());
  return trace;
}

TEST(ModelTest, PackedDocumentsTrainAsIfEachWereAlone) {
  // Two documents packed into one sequence with doc_start give the loss and gradients of the
  // same documents in sequences of their own (padded, pads untrained): attention does not
  // cross the boundary and RoPE is relative. Without doc_start the second document sees the
  // first and the loss changes. Aux and z losses are off: they average over every token,
  // pads included.
  ModelConfig c = TinyConfig();
  c.router_aux_loss_coef = 0;
  c.router_z_loss_coef = 0;
  Model m = Model::Create(c, 21).value();
  DoubleParams d = ToDouble(m);
  const ModelIndex index = BuildModelIndex(c);
  Rng rng(22);
  std::vector<int32_t> doc1, doc2;  // 5 and 7 tokens (inputs and the next-token targets)
  for (int i = 0; i < 5; ++i) doc1.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
  for (int i = 0; i < 7; ++i) doc2.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
  Batch packed;  // one sequence: doc1 (4 inputs) then doc2 (6 inputs)
  packed.B = 1;
  packed.T = 10;
  for (int t = 0; t < 4; ++t) packed.tokens.push_back(doc1[t]), packed.targets.push_back(doc1[t + 1]);
  for (int t = 0; t < 6; ++t) packed.tokens.push_back(doc2[t]), packed.targets.push_back(doc2[t + 1]);
  packed.loss_mask.assign(10, 1.0f);
  packed.doc_start = {0, 0, 0, 0, 4, 4, 4, 4, 4, 4};
  Batch alone;  // two sequences of 6: doc1 and two untrained pads, doc2
  alone.B = 2;
  alone.T = 6;
  for (int t = 0; t < 6; ++t) {
    alone.tokens.push_back(t < 4 ? doc1[t] : 0);
    alone.targets.push_back(t < 4 ? doc1[t + 1] : 0);
    alone.loss_mask.push_back(t < 4 ? 1.0f : 0.0f);
  }
  for (int t = 0; t < 6; ++t) alone.tokens.push_back(doc2[t]), alone.targets.push_back(doc2[t + 1]);
  alone.loss_mask.resize(12, 1.0f);
  auto run = [&](const Batch& b, std::vector<std::vector<double>>* g) {
    std::vector<double*> grads = d.Grads();
    const LossParts p =
        RunModel<double>(c, index, d.Values(), &grads, b, WarmupInput{}, 1.0, nullptr, nullptr);
    *g = d.grads;
    return p;
  };
  std::vector<std::vector<double>> g_packed, g_alone, g_crossed;
  const LossParts p = run(packed, &g_packed);
  const LossParts a = run(alone, &g_alone);
  EXPECT_EQ(p.target_tokens, 10);
  EXPECT_EQ(a.target_tokens, 10);
  EXPECT_NEAR(p.lm_loss, a.lm_loss, 1e-10 * a.lm_loss);
  const auto params = m.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    double num = 0, den = 0;
    for (size_t j = 0; j < g_alone[i].size(); ++j) {
      num += std::pow(g_packed[i][j] - g_alone[i][j], 2);
      den += std::pow(g_alone[i][j], 2);
    }
    EXPECT_LT(std::sqrt(num), 1e-9 * std::sqrt(den) + 1e-15) << params[i]->name;
  }
  packed.doc_start.clear();
  const LossParts crossed = run(packed, &g_crossed);
  EXPECT_GT(std::abs(crossed.lm_loss - a.lm_loss), 1e-6);
}

TEST(ModelTest, ParallelEqualsSerial) {
  const std::vector<float> one = RunSteps(1);
  const std::vector<float> two = RunSteps(2);
  const std::vector<float> four = RunSteps(4);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_TRUE(one == two) << "1 vs 2 threads differ";
  EXPECT_TRUE(one == four) << "1 vs 4 threads differ";
}

TEST(ModelTest, SgdOnARepeatedBatchReducesTheLoss) {
  ModelConfig c = ModelConfig::Preset("tiny").value();
  Model m = Model::Create(c, 2).value();
  const Batch batch = RandomBatch(c, 2, 16, 14, /*some_masked=*/false);
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    for (Parameter* p : m.parameters()) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
    const LossParts parts = m.ForwardBackward(batch, step, 1.0f);
    if (step == 0) first = parts.loss;
    last = parts.loss;
    for (Parameter* p : m.parameters())
      for (size_t i = 0; i < p->value.size(); ++i) p->value[i] -= 1.0f * p->grad[i];
  }
  EXPECT_NEAR(first, std::log(double(c.vocab_size)), 0.2);  // starts near uniform
  EXPECT_LT(last, 0.7 * first) << "first " << first << " last " << last;
}

TEST(ModelTest, GradientsAccumulateAndForwardMatchesForwardBackward) {
  ModelConfig c = TinyConfig();
  c.routing_warmup_steps = 10;
  Model m = Model::Create(c, 6).value();
  const Batch batch = RandomBatch(c, 2, 5, 15);
  const std::vector<float> state0 = m.RouterState();
  const LossParts ev = m.Forward(batch, 2);
  EXPECT_EQ(m.RouterState(), state0) << "Forward changed the router state";
  const LossParts tr = m.ForwardBackward(batch, 2, 0.5f);
  EXPECT_EQ(ev.loss, tr.loss);
  EXPECT_NE(m.RouterState(), state0) << "warmup EMA not updated";
  ASSERT_TRUE(m.SetRouterState(state0).ok());
  std::vector<std::vector<float>> half;
  for (Parameter* p : m.parameters()) half.push_back(p->grad);
  m.ForwardBackward(batch, 2, 0.5f);  // same routing state -> same gradient, added
  const auto ps = m.parameters();
  for (size_t i = 0; i < ps.size(); ++i)
    for (size_t j = 0; j < half[i].size(); ++j)
      ASSERT_NEAR(ps[i]->grad[j], 2 * half[i][j], 1e-6 + 1e-5 * std::abs(half[i][j]));
  EXPECT_EQ(tr.target_tokens, 7);  // every third position masked out of 10
  ASSERT_EQ(tr.expert_load.size(), 1u);
  int64_t slots = 0;
  for (int64_t n : tr.expert_load[0]) slots += n;
  EXPECT_EQ(slots, 10 * c.num_experts_per_tok);
}

TEST(ModelTest, RoutingWarmupAppliesOnlyBeforeStepW) {
  ModelConfig c = TinyConfig();
  c.routing_warmup_steps = 8;
  ModelConfig plain = c;
  plain.routing_warmup_steps = 0;
  Model warm = Model::Create(c, 4).value(), cold = Model::Create(plain, 4).value();
  const Batch batch = RandomBatch(c, 2, 8, 16);
  // At and after W the mix is a = 1: identical to a model without warmup.
  EXPECT_EQ(warm.Forward(batch, 8).loss, cold.Forward(batch, 8).loss);
  EXPECT_EQ(warm.Forward(batch, 100).expert_load, cold.Forward(batch, 100).expert_load);
  // Before W the routing is perturbed (a = 0 at step 0: pure noise), reproducibly per step.
  const LossParts w0 = warm.Forward(batch, 0);
  EXPECT_NE(w0.loss, cold.Forward(batch, 0).loss);
  EXPECT_EQ(w0.loss, warm.Forward(batch, 0).loss);
  EXPECT_NE(w0.loss, warm.Forward(batch, 1).loss);
  // The EMA state moves towards each batch's statistics only in ForwardBackward, and only
  // while warming up.
  warm.ForwardBackward(batch, 0, 1.0f);
  const std::vector<float> s1 = warm.RouterState();
  EXPECT_EQ(s1.back(), 1.0f);  // initialised flag of the (single) MoE layer
  warm.ForwardBackward(batch, 8, 1.0f);
  EXPECT_EQ(warm.RouterState(), s1);
}

TEST(ModelTest, RouterStateRoundTripsAndRejectsWrongSize) {
  ModelConfig c = TinyConfig();
  c.routing_warmup_steps = 10;
  Model m = Model::Create(c, 6).value();
  m.ForwardBackward(RandomBatch(c, 1, 4, 1), 0, 1.0f);
  const std::vector<float> s = m.RouterState();
  EXPECT_EQ(s.size(), m.RouterStateSize());
  Model n = Model::Create(c, 6).value();
  ASSERT_TRUE(n.SetRouterState(s).ok());
  EXPECT_EQ(n.RouterState(), s);
  const std::vector<float> shorter(s.begin(), s.end() - 1);
  EXPECT_EQ(n.SetRouterState(shorter).code(), StatusCode::kInvalidArgument);
}

TEST(ModelTest, GreedyWithKvCacheEqualsFullRecompute) {
  ModelConfig c = ModelConfig::Preset("tiny").value();
  c.initializer_range = 0.5;  // peaked logits: no near-ties in the argmax
  Model m = Model::Create(c, 9).value();
  const std::vector<int32_t> prompt = {3, 17, 5, 40};
  Model::GenerateOptions o;
  o.max_new_tokens = 12;
  const std::vector<int32_t> cached = m.Generate(prompt, o);
  std::vector<int32_t> seq = prompt, full;
  for (int i = 0; i < o.max_new_tokens; ++i) {
    const std::vector<float> logits = m.LastLogits(seq);
    const int32_t next =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    full.push_back(next);
    seq.push_back(next);
  }
  EXPECT_EQ(cached, full);
  // Stop tokens end generation (and are included); sampling is reproducible from its seed.
  o.stop_tokens = {full[2]};
  const auto stopped = m.Generate(prompt, o);
  EXPECT_LE(stopped.size(), 3u);
  EXPECT_EQ(stopped.back(), full[2]);
  Model::GenerateOptions s;
  s.temperature = 1.0;
  s.top_p = 0.9;
  s.seed = 5;
  s.max_new_tokens = 8;
  EXPECT_EQ(m.Generate(prompt, s), m.Generate(prompt, s));
  EXPECT_EQ(m.Generate(prompt, s).size(), 8u);
  // A prompt that fills the context still yields its next token, and nothing beyond.
  std::vector<int32_t> long_prompt(c.max_position_embeddings + 6, 7);
  const auto tail = m.Generate(long_prompt, o);
  ASSERT_EQ(tail.size(), 1u);
  const std::vector<float> last = m.LastLogits(
      std::span<const int32_t>(long_prompt).subspan(6));
  EXPECT_EQ(tail[0], std::max_element(last.begin(), last.end()) - last.begin());
}

}  // namespace
}  // namespace kgf::trainer
