// ModelConfig: presets, validation, config.json round trip and parameter / FLOP counts.
#include "trainer/model/model_config.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"

namespace kgf::trainer {

int ModelConfig::head_dim() const {
  return num_attention_heads > 0 ? hidden_size / num_attention_heads : 0;
}

bool ModelConfig::IsMoeLayer(int layer) const {
  return num_experts > 0 && layer >= first_k_dense_replace;
}

int ModelConfig::NumMoeLayers() const {
  if (num_experts <= 0) return 0;
  return std::max(0, num_hidden_layers - std::max(0, first_k_dense_replace));
}

namespace {

Status Bad(const char* key, const std::string& why) {
  return InvalidArgumentError(std::string("model config: '") + key + "' " + why);
}

}  // namespace

Status ModelConfig::Validate() const {
  auto positive = [](const char* key, int64_t v) -> Status {
    if (v <= 0) return Bad(key, "must be positive, got " + std::to_string(v));
    return Status::Ok();
  };
  KGF_RETURN_IF_ERROR(positive("hidden_size", hidden_size));
  KGF_RETURN_IF_ERROR(positive("num_hidden_layers", num_hidden_layers));
  KGF_RETURN_IF_ERROR(positive("num_attention_heads", num_attention_heads));
  KGF_RETURN_IF_ERROR(positive("num_key_value_heads", num_key_value_heads));
  KGF_RETURN_IF_ERROR(positive("vocab_size", vocab_size));
  KGF_RETURN_IF_ERROR(positive("max_position_embeddings", max_position_embeddings));
  // Upper bounds far above any model this trainer can hold, low enough that parameter counts
  // stay exact in int64 (the memory budget in Model::Create then speaks for the machine).
  auto at_most = [](const char* key, int64_t v, int64_t cap) -> Status {
    if (v > cap) {
      return Bad(key, "is " + std::to_string(v) + "; at most " + std::to_string(cap) +
                          " is supported");
    }
    return Status::Ok();
  };
  KGF_RETURN_IF_ERROR(at_most("hidden_size", hidden_size, int64_t{1} << 16));
  KGF_RETURN_IF_ERROR(at_most("num_hidden_layers", num_hidden_layers, int64_t{1} << 12));
  KGF_RETURN_IF_ERROR(at_most("num_experts", num_experts, int64_t{1} << 12));
  KGF_RETURN_IF_ERROR(at_most("intermediate_size", intermediate_size, int64_t{1} << 20));
  KGF_RETURN_IF_ERROR(at_most("moe_intermediate_size", moe_intermediate_size, int64_t{1} << 20));
  KGF_RETURN_IF_ERROR(at_most("max_position_embeddings", max_position_embeddings, int64_t{1} << 24));
  if (hidden_size % num_attention_heads != 0) {
    return Bad("num_attention_heads", "(" + std::to_string(num_attention_heads) +
                                          ") must divide hidden_size (" +
                                          std::to_string(hidden_size) + ")");
  }
  if (head_dim() % 2 != 0) {
    return Bad("num_attention_heads", "gives an odd head_dim " + std::to_string(head_dim()) +
                                          "; RoPE needs an even head_dim");
  }
  if (num_attention_heads % num_key_value_heads != 0) {
    return Bad("num_key_value_heads", "(" + std::to_string(num_key_value_heads) +
                                          ") must divide num_attention_heads (" +
                                          std::to_string(num_attention_heads) + ")");
  }
  if (num_experts < 0) return Bad("num_experts", "must be >= 0");
  if (num_shared_experts < 0) return Bad("num_shared_experts", "must be >= 0");
  if (first_k_dense_replace < 0 || first_k_dense_replace > num_hidden_layers) {
    return Bad("first_k_dense_replace", "must be in [0, num_hidden_layers = " +
                                            std::to_string(num_hidden_layers) + "], got " +
                                            std::to_string(first_k_dense_replace));
  }
  if (NumMoeLayers() > 0) {
    if (num_experts_per_tok <= 0 || num_experts_per_tok > num_experts) {
      return Bad("num_experts_per_tok", "(top-k) must be in [1, num_experts = " +
                                            std::to_string(num_experts) + "], got " +
                                            std::to_string(num_experts_per_tok));
    }
    KGF_RETURN_IF_ERROR(positive("moe_intermediate_size", moe_intermediate_size));
  }
  if (NumMoeLayers() < num_hidden_layers) {
    KGF_RETURN_IF_ERROR(positive("intermediate_size", intermediate_size));
  }
  if (!(rope_theta > 0)) return Bad("rope_theta", "must be positive");
  if (!(rms_norm_eps > 0)) return Bad("rms_norm_eps", "must be positive");
  if (!(initializer_range > 0)) return Bad("initializer_range", "must be positive");
  if (!(router_aux_loss_coef >= 0)) return Bad("router_aux_loss_coef", "must be >= 0");
  if (!(router_z_loss_coef >= 0)) return Bad("router_z_loss_coef", "must be >= 0");
  if (routing_warmup_steps < 0) return Bad("routing_warmup_steps", "must be >= 0");
  if (!(routing_warmup_ema >= 0 && routing_warmup_ema < 1)) {
    return Bad("routing_warmup_ema", "must be in [0, 1)");
  }
  return Status::Ok();
}

Result<ModelConfig> ModelConfig::Preset(std::string_view name) {
  ModelConfig c;
  c.rope_theta = 10000.0;
  c.rms_norm_eps = 1e-6;
  c.norm_topk_prob = true;
  c.norm_head = true;
  c.tie_word_embeddings = false;
  c.initializer_range = 0.02;
  if (name == "tiny") {
    c.hidden_size = 32;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.num_experts = 4;
    c.num_shared_experts = 1;
    c.num_experts_per_tok = 2;
    c.moe_intermediate_size = 16;
    c.intermediate_size = 48;
    c.first_k_dense_replace = 1;
    c.vocab_size = 64;
    c.max_position_embeddings = 64;
  } else if (name == "small" || name == "small-dense") {
    c.hidden_size = 256;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.num_experts = 8;
    c.num_shared_experts = 1;
    c.num_experts_per_tok = 2;
    c.moe_intermediate_size = 256;
    c.intermediate_size = 768;
    c.first_k_dense_replace = 1;
    c.vocab_size = 32000;
    c.max_position_embeddings = 1024;
    if (name == "small-dense") {
      c.num_experts = 0;
      c.num_shared_experts = 0;
      c.num_experts_per_tok = 0;
      c.moe_intermediate_size = 0;
      c.first_k_dense_replace = c.num_hidden_layers;
    }
  } else if (name == "ling-lite-shape") {
    // Ling-Lite ratios (SPEC §4): head_dim 128, heads/kv 4, 64 experts, 2 shared, top-6,
    // expert width 1408/2048 of hidden, every layer MoE, theta 600K; at width 512, 4 layers.
    c.hidden_size = 512;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 1;
    c.num_experts = 64;
    c.num_shared_experts = 2;
    c.num_experts_per_tok = 6;
    c.moe_intermediate_size = 352;
    c.intermediate_size = 1408;
    c.first_k_dense_replace = 0;
    c.vocab_size = 32000;
    c.max_position_embeddings = 2048;
    c.rope_theta = 600000.0;
  } else {
    return InvalidArgumentError("unknown model preset '" + std::string(name) +
                                "' (known: tiny, small, small-dense, ling-lite-shape)");
  }
  KGF_CHECK(c.Validate().ok()) << c.Validate().ToString();
  return c;
}

namespace {

enum class Kind { kInt, kDouble, kBool };
struct Key {
  const char* name;
  Kind kind;
  bool required;
  int ModelConfig::*i = nullptr;
  double ModelConfig::*d = nullptr;
  bool ModelConfig::*b = nullptr;
  int64_t ModelConfig::*l = nullptr;
};

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"hidden_size", Kind::kInt, true, &ModelConfig::hidden_size},
      {"num_hidden_layers", Kind::kInt, true, &ModelConfig::num_hidden_layers},
      {"num_attention_heads", Kind::kInt, true, &ModelConfig::num_attention_heads},
      {"num_key_value_heads", Kind::kInt, true, &ModelConfig::num_key_value_heads},
      {"num_experts", Kind::kInt, true, &ModelConfig::num_experts},
      {"num_shared_experts", Kind::kInt, true, &ModelConfig::num_shared_experts},
      {"num_experts_per_tok", Kind::kInt, true, &ModelConfig::num_experts_per_tok},
      {"moe_intermediate_size", Kind::kInt, true, &ModelConfig::moe_intermediate_size},
      {"intermediate_size", Kind::kInt, true, &ModelConfig::intermediate_size},
      {"first_k_dense_replace", Kind::kInt, true, &ModelConfig::first_k_dense_replace},
      {"vocab_size", Kind::kInt, true, &ModelConfig::vocab_size},
      {"max_position_embeddings", Kind::kInt, true, &ModelConfig::max_position_embeddings},
      {"rope_theta", Kind::kDouble, true, nullptr, &ModelConfig::rope_theta},
      {"rms_norm_eps", Kind::kDouble, true, nullptr, &ModelConfig::rms_norm_eps},
      {"norm_topk_prob", Kind::kBool, true, nullptr, nullptr, &ModelConfig::norm_topk_prob},
      {"norm_head", Kind::kBool, true, nullptr, nullptr, &ModelConfig::norm_head},
      {"tie_word_embeddings", Kind::kBool, true, nullptr, nullptr,
       &ModelConfig::tie_word_embeddings},
      {"initializer_range", Kind::kDouble, true, nullptr, &ModelConfig::initializer_range},
      {"router_aux_loss_coef", Kind::kDouble, false, nullptr, &ModelConfig::router_aux_loss_coef},
      {"router_z_loss_coef", Kind::kDouble, false, nullptr, &ModelConfig::router_z_loss_coef},
      {"routing_warmup_steps", Kind::kInt, false, nullptr, nullptr, nullptr,
       &ModelConfig::routing_warmup_steps},
      {"routing_warmup_ema", Kind::kDouble, false, nullptr, &ModelConfig::routing_warmup_ema},
      {"embedding_weight_decay", Kind::kBool, false, nullptr, nullptr,
       &ModelConfig::embedding_weight_decay},
  };
  return keys;
}

// Ling config keys that do not change this implementation's maths: kept and written back.
// (pretraining_tp splits a matmul into numerically equal slices in HF's Llama-derived code.)
const std::set<std::string, std::less<>>& KeptKeys() {
  static const std::set<std::string, std::less<>> keys = {
      "torch_dtype", "transformers_version", "auto_map", "use_cache", "bos_token_id",
      "eos_token_id", "pad_token_id", "output_router_logits", "sliding_window",
      "max_window_layers", "pretraining_tp", "_name_or_path", "tokenizer_class",
      "_attn_implementation", "embedding_dropout", "attention_dropout", "output_dropout",
      "hidden_dropout"};
  return keys;
}

// Written by ToJson itself (their value is fixed), so never kept.
bool IsFixedKey(std::string_view name) {
  return name == "architectures" || name == "model_type" || name == "hidden_act" ||
         name == "use_bias" || name == "use_qkv_bias";
}

// A key that changes the maths: Ok when `v` is the value implemented here.
std::optional<Status> CheckMathKey(std::string_view name, const JsonValue& v,
                                   const std::string& where) {
  auto must = [&](bool ok, const std::string& want) -> Status {
    if (ok) return Status::Ok();
    return InvalidArgumentError(where + ": '" + std::string(name) + "' must be " + want);
  };
  if (name == "architectures") {
    bool ok = v.IsArray() && v.Size() == 1 && v[0].IsString() &&
              std::string_view(v[0].GetString()) == "BailingMoeForCausalLM";
    return must(ok, "[\"BailingMoeForCausalLM\"] (this trainer implements Ling's BailingMoe)");
  }
  if (name == "model_type") {
    return must(v.IsString() && std::string_view(v.GetString()) == "bailing_moe",
                "\"bailing_moe\" (this trainer implements Ling's BailingMoe)");
  }
  if (name == "hidden_act") {
    return must(v.IsString() && std::string_view(v.GetString()) == "silu",
                "\"silu\" (SwiGLU experts)");
  }
  if (name == "use_bias" || name == "use_qkv_bias") {
    return must(v.IsBool() && !v.GetBool(), "false (this model has no biases)");
  }
  if (name == "rope_scaling") return must(v.IsNull(), "null (not implemented)");
  if (name == "use_sliding_window") return must(v.IsBool() && !v.GetBool(), "false (not implemented)");
  if (name == "norm_softmax" || name == "multi_gate" || name == "use_qk_norm") {
    return must(v.IsBool() && !v.GetBool(), "false (not implemented)");
  }
  if (name == "use_rmsnorm") return must(v.IsBool() && v.GetBool(), "true (RMSNorm is implemented)");
  if (name == "embedding_dropout" || name == "attention_dropout" || name == "output_dropout" ||
      name == "hidden_dropout") {
    return must(v.IsNumber() && v.GetDouble() == 0.0, "0 (this trainer has no dropout)");
  }
  if (name == "head_dim") {
    return must(v.IsNull() || v.IsInt(), "null or an integer");  // value checked after parsing
  }
  return std::nullopt;
}

}  // namespace

Result<ModelConfig> ModelConfig::FromJson(std::string_view json, std::string_view origin) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, origin));
  if (!doc.IsObject()) {
    return InvalidArgumentError(std::string(origin) + ": model config must be a JSON object");
  }
  const std::string where(origin);
  ModelConfig c;
  // Unknown keys first, so a typo ("num_expert") is reported as such, not as a missing key.
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    bool known = false;
    for (const Key& k : Keys()) known = known || name == k.name;
    if (std::optional<Status> st = CheckMathKey(name, it->value, where)) {
      KGF_RETURN_IF_ERROR(*st);
      known = true;
    }
    if (KeptKeys().count(name) > 0) {
      if (!IsFixedKey(name)) c.kept_keys[name] = JsonToString(it->value);
      known = true;
    }
    if (!known) {
      return InvalidArgumentError(where + ": unknown model config key '" + name +
                                  "' (not one of Ling's BailingMoeConfig keys)");
    }
  }
  std::vector<std::string> missing;
  for (const Key& k : Keys()) {
    if (!doc.HasMember(k.name)) {
      if (k.required) missing.push_back(k.name);
      continue;
    }
    switch (k.kind) {
      case Kind::kInt: {
        KGF_ASSIGN_OR_RETURN(int64_t v, JsonGetInt(doc, k.name, where));
        if (k.i != nullptr) {
          if (v < INT32_MIN || v > INT32_MAX) {
            return InvalidArgumentError(where + ": '" + k.name + "' out of range");
          }
          c.*k.i = static_cast<int>(v);
        } else {
          c.*k.l = v;
        }
        break;
      }
      case Kind::kDouble: {
        KGF_ASSIGN_OR_RETURN(c.*k.d, JsonGetDouble(doc, k.name, where));
        break;
      }
      case Kind::kBool: {
        KGF_ASSIGN_OR_RETURN(c.*k.b, JsonGetBool(doc, k.name, where));
        break;
      }
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    return InvalidArgumentError(where + ": model config misses required key(s): " + list);
  }
  Status st = c.Validate();
  if (!st.ok()) return st.WithContext(where);
  if (auto it = doc.FindMember("head_dim"); it != doc.MemberEnd() && it->value.IsInt() &&
                                             it->value.GetInt() != c.head_dim()) {
    return InvalidArgumentError(where + ": 'head_dim' " + std::to_string(it->value.GetInt()) +
                                " must equal hidden_size / num_attention_heads = " +
                                std::to_string(c.head_dim()));
  }
  return c;
}

std::string ModelConfig::ToJson() const {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("architectures");
  w.StartArray();
  w.String("BailingMoeForCausalLM");
  w.EndArray();
  w.Key("model_type");
  w.String("bailing_moe");
  w.Key("hidden_act");
  w.String("silu");
  w.Key("use_bias");
  w.Bool(false);
  w.Key("use_qkv_bias");
  w.Bool(false);
  for (const Key& k : Keys()) {
    w.Key(k.name);
    switch (k.kind) {
      case Kind::kInt:
        if (k.i != nullptr) {
          w.Int(this->*k.i);
        } else {
          w.Int64(this->*k.l);
        }
        break;
      case Kind::kDouble:
        w.Double(this->*k.d);
        break;
      case Kind::kBool:
        w.Bool(this->*k.b);
        break;
    }
  }
  for (const auto& [key, raw] : kept_keys) {
    w.Key(key.c_str());
    w.RawValue(raw.data(), raw.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

namespace {

// Parameters of one layer (attention + norms + feed-forward), with routed experts counted
// `routed` times.
int64_t LayerParams(const ModelConfig& c, int layer, int routed) {
  const int64_t C = c.hidden_size, hd = c.head_dim();
  int64_t n = 2 * C;                                                         // two norms
  n += (c.num_attention_heads + 2 * c.num_key_value_heads) * hd * C;        // query_key_value
  n += C * c.num_attention_heads * hd;                                       // dense
  if (c.IsMoeLayer(layer)) {
    n += static_cast<int64_t>(c.num_experts) * C;                            // router gate
    n += routed * 3 * C * c.moe_intermediate_size;                           // routed experts
    n += 3 * C * static_cast<int64_t>(c.moe_intermediate_size) * c.num_shared_experts;
  } else {
    n += 3 * C * c.intermediate_size;
  }
  return n;
}

}  // namespace

int64_t ModelConfig::NumParameters() const {
  const int64_t VC = static_cast<int64_t>(vocab_size) * hidden_size;
  int64_t n = VC + hidden_size + (tie_word_embeddings ? 0 : VC);
  for (int l = 0; l < num_hidden_layers; ++l) n += LayerParams(*this, l, num_experts);
  return n;
}

int64_t ModelConfig::NumActiveParameters() const {
  const int64_t VC = static_cast<int64_t>(vocab_size) * hidden_size;
  int64_t n = VC + hidden_size + (tie_word_embeddings ? 0 : VC);
  for (int l = 0; l < num_hidden_layers; ++l) n += LayerParams(*this, l, num_experts_per_tok);
  return n;
}

double ModelConfig::TrainingFlopsPerToken(int seq_len) const {
  const int64_t VC = static_cast<int64_t>(vocab_size) * hidden_size;
  // Active parameters without the embedding table, with the LM head's matmul (tied or not).
  const int64_t tables = tie_word_embeddings ? VC : 2 * VC;
  const double matmul_params = static_cast<double>(NumActiveParameters() - tables + VC);
  const double attention = 12.0 * num_hidden_layers * static_cast<double>(seq_len) *
                           num_attention_heads * head_dim();
  return 6.0 * matmul_params + attention;
}

}  // namespace kgf::trainer
