#include "trainer/model/model_config.h"

#include <gtest/gtest.h>

#include <map>

#include <functional>
#include <string>

#include "trainer/model/model.h"

namespace kgf::trainer {
namespace {

ModelConfig Tiny() { return ModelConfig::Preset("tiny").value(); }

TEST(ModelConfigTest, PresetsValidate) {
  for (const char* name : {"tiny", "small", "small-dense", "ling-lite-shape"}) {
    auto c = ModelConfig::Preset(name);
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_TRUE(c->Validate().ok()) << name;
  }
  const ModelConfig dense = ModelConfig::Preset("small-dense").value();
  EXPECT_EQ(dense.NumMoeLayers(), 0);
  const ModelConfig lite = ModelConfig::Preset("ling-lite-shape").value();
  EXPECT_EQ(lite.num_experts, 64);
  EXPECT_EQ(lite.num_shared_experts, 2);
  EXPECT_EQ(lite.num_experts_per_tok, 6);
  EXPECT_EQ(lite.head_dim(), 128);
  auto bad = ModelConfig::Preset("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("huge"), std::string::npos);
}

TEST(ModelConfigTest, JsonRoundTrips) {
  for (const char* name : {"tiny", "small", "small-dense", "ling-lite-shape"}) {
    ModelConfig c = ModelConfig::Preset(name).value();
    c.routing_warmup_steps = 123;
    c.router_aux_loss_coef = 0.0123456789;
    c.tie_word_embeddings = true;
    const std::string json = c.ToJson();
    EXPECT_NE(json.find("\"BailingMoeForCausalLM\""), std::string::npos);
    EXPECT_NE(json.find("\"model_type\": \"bailing_moe\""), std::string::npos);
    auto back = ModelConfig::FromJson(json, "config.json");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, c) << name;
  }
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ModelConfigTest, UnknownKeyIsNamedWithOrigin) {
  const std::string json = Replace(Tiny().ToJson(), "\"hidden_size\"", "\"hiden_size\"");
  auto r = ModelConfig::FromJson(json, "run/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("hiden_size"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("run/config.json"), std::string::npos);
}

TEST(ModelConfigTest, MissingRequiredKeysAreNamed) {
  auto r = ModelConfig::FromJson(R"({"hidden_size": 32, "num_hidden_layers": 2})", "c.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("num_attention_heads"), std::string::npos);
  EXPECT_NE(r.status().message().find("vocab_size"), std::string::npos);
  // Training-side options are optional.
  std::string json = Replace(Tiny().ToJson(), "\"routing_warmup_ema\": 0.99,", "");
  EXPECT_TRUE(ModelConfig::FromJson(json, "c.json").ok());
}

TEST(ModelConfigTest, AcceptsLingHfMetadataKeys) {
  // Keys of Ling's released config.json that do not change this model's math.
  std::string json = Replace(Tiny().ToJson(), "{", R"({"torch_dtype": "bfloat16", "head_dim": 8,
      "use_sliding_window": false, "sliding_window": 4096, "max_window_layers": 28,
      "rope_scaling": null, "pad_token_id": 0, "use_cache": true, "embedding_dropout": 0.0,)");
  auto r = ModelConfig::FromJson(json, "c.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The shape is Tiny's; the keys without maths are kept, raw, and written back.
  ModelConfig shape = *r;
  shape.kept_keys.clear();
  EXPECT_EQ(shape, Tiny());
  EXPECT_EQ(r->kept_keys, (std::map<std::string, std::string>{
                              {"embedding_dropout", "0.0"}, {"max_window_layers", "28"},
                              {"pad_token_id", "0"}, {"sliding_window", "4096"},
                              {"torch_dtype", "\"bfloat16\""}, {"use_cache", "true"}}));
  auto again = ModelConfig::FromJson(r->ToJson(), "again.json");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *r);
  // Ling-lite's own config keys (its Hub config.json) load too.
  const std::string ling = Replace(Tiny().ToJson(), "{", R"({"pretraining_tp": 1,
      "norm_softmax": false, "use_rmsnorm": true, "transformers_version": "4.36.0",
      "auto_map": {"AutoConfig": "configuration_bailing_moe.BailingMoeConfig"},
      "eos_token_id": 126081, "output_router_logits": false, "attention_dropout": 0.0,)");
  auto l = ModelConfig::FromJson(ling, "ling.json");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->kept_keys.at("auto_map"),
            R"({"AutoConfig":"configuration_bailing_moe.BailingMoeConfig"})");
  // ... and rejects values of them this implementation does not have.
  for (const char* bad : {R"("head_dim": 16,)", R"("use_sliding_window": true,)",
                          R"("rope_scaling": {"type": "linear", "factor": 2.0},)",
                          R"("use_bias": true,)", R"("norm_softmax": true,)",
                          R"("use_rmsnorm": false,)", R"("output_dropout": 0.1,)"}) {
    auto e = ModelConfig::FromJson(Replace(Tiny().ToJson(), "{", std::string("{") + bad), "c.json");
    EXPECT_FALSE(e.ok()) << bad;
  }
}

TEST(ModelConfigTest, WrongTypesAndMalformedJsonAreErrors) {
  EXPECT_FALSE(ModelConfig::FromJson("{", "c.json").ok());
  const std::string json = Replace(Tiny().ToJson(), "\"hidden_size\": 32", "\"hidden_size\": \"32\"");
  auto r = ModelConfig::FromJson(json, "c.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("hidden_size"), std::string::npos);
  const std::string act = Replace(Tiny().ToJson(), "\"silu\"", "\"gelu\"");
  EXPECT_FALSE(ModelConfig::FromJson(act, "c.json").ok());
}

TEST(ModelConfigTest, ImpossibleShapesNameTheKey) {
  struct Case {
    const char* key;
    std::function<void(ModelConfig&)> edit;
  };
  const Case cases[] = {
      {"num_experts_per_tok", [](ModelConfig& c) { c.num_experts_per_tok = c.num_experts + 1; }},
      {"num_experts_per_tok", [](ModelConfig& c) { c.num_experts_per_tok = 0; }},
      {"num_attention_heads", [](ModelConfig& c) { c.num_attention_heads = 5; }},
      {"num_key_value_heads", [](ModelConfig& c) { c.num_key_value_heads = 3; }},
      {"num_attention_heads", [](ModelConfig& c) { c.hidden_size = 36; }},  // head_dim 9, odd
      {"hidden_size", [](ModelConfig& c) { c.hidden_size = 0; }},
      {"vocab_size", [](ModelConfig& c) { c.vocab_size = -1; }},
      {"first_k_dense_replace", [](ModelConfig& c) { c.first_k_dense_replace = 3; }},
      {"moe_intermediate_size", [](ModelConfig& c) { c.moe_intermediate_size = 0; }},
      {"intermediate_size", [](ModelConfig& c) { c.intermediate_size = 0; }},
      {"rms_norm_eps", [](ModelConfig& c) { c.rms_norm_eps = 0; }},
      {"routing_warmup_ema", [](ModelConfig& c) { c.routing_warmup_ema = 1.0; }},
      {"routing_warmup_steps", [](ModelConfig& c) { c.routing_warmup_steps = -1; }},
      {"max_position_embeddings", [](ModelConfig& c) { c.max_position_embeddings = 0; }},
  };
  for (const Case& k : cases) {
    ModelConfig c = Tiny();
    k.edit(c);
    const Status s = c.Validate();
    ASSERT_FALSE(s.ok()) << k.key;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(k.key), std::string::npos) << s.ToString();
    // FromJson reports the same problem, with the origin.
    auto r = ModelConfig::FromJson(c.ToJson(), "bad.json");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(k.key), std::string::npos);
    EXPECT_NE(r.status().message().find("bad.json"), std::string::npos);
    EXPECT_FALSE(Model::Create(c, 1).ok());
  }
  // Dense-only models need no expert settings.
  ModelConfig dense = Tiny();
  dense.num_experts = 0;
  dense.num_experts_per_tok = 0;
  dense.moe_intermediate_size = 0;
  EXPECT_TRUE(dense.Validate().ok());
}

TEST(ModelConfigTest, ParameterCountsMatchTheModel) {
  for (bool dense : {false, true}) {
    for (bool tie : {false, true}) {
      ModelConfig c = Tiny();
      if (dense) c.num_experts = 0;
      c.tie_word_embeddings = tie;
      Model m = Model::Create(c, 1).value();
      int64_t n = 0;
      for (Parameter* p : m.parameters()) n += p->numel();
      EXPECT_EQ(c.NumParameters(), n) << "dense " << dense << " tie " << tie;
    }
  }
  const ModelConfig t = Tiny();
  // Active = total minus the unchosen routed experts of each MoE layer.
  const int64_t expert = 3 * int64_t(t.hidden_size) * t.moe_intermediate_size;
  EXPECT_EQ(t.NumParameters() - t.NumActiveParameters(),
            t.NumMoeLayers() * (t.num_experts - t.num_experts_per_tok) * expert);
  const ModelConfig d = ModelConfig::Preset("small-dense").value();
  EXPECT_EQ(d.NumParameters(), d.NumActiveParameters());
  // 6 x (active params without the embedding table) + 12 L T C.
  const double emb = double(d.vocab_size) * d.hidden_size;
  EXPECT_DOUBLE_EQ(d.TrainingFlopsPerToken(256),
                   6.0 * (d.NumActiveParameters() - emb) +
                       12.0 * d.num_hidden_layers * 256 * d.hidden_size);
}

}  // namespace
}  // namespace kgf::trainer

namespace kgf::trainer {
namespace {

// Issue 13: huge configs aborted in std::bad_alloc (up to 8 GB resident first) naming nothing.
// Now a dimension past its bound names the key, and a model too big for the memory at hand is
// refused before any allocation, with the numbers.
TEST(ModelConfigLimitsTest, HugeConfigsAreRefusedWithTheKeyOrTheNumbers) {
  ModelConfig c = *ModelConfig::Preset("tiny");
  c.num_hidden_layers = 1000000;
  c.first_k_dense_replace = 0;
  Status s = c.Validate();
  EXPECT_NE(s.message().find("num_hidden_layers"), std::string::npos) << s.ToString();
  c = *ModelConfig::Preset("tiny");
  c.num_experts = 1000000;
  EXPECT_NE(c.Validate().message().find("num_experts"), std::string::npos);

  c = *ModelConfig::Preset("tiny");
  c.vocab_size = 2147483647;
  ASSERT_TRUE(c.Validate().ok());
  setenv("KGF_MAX_MEMORY_MB", "256", 1);
  Result<Model> m = Model::Create(c, 1);
  unsetenv("KGF_MAX_MEMORY_MB");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("GiB but 0.2 GiB are available"), std::string::npos)
      << m.status().message();
  // Within the budget, the same call works.
  setenv("KGF_MAX_MEMORY_MB", "256", 1);
  EXPECT_TRUE(Model::Create(*ModelConfig::Preset("tiny"), 1).ok());
  unsetenv("KGF_MAX_MEMORY_MB");
}

}  // namespace
}  // namespace kgf::trainer
