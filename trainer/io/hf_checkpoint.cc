// Hugging Face model directories: export from a kgforge checkpoint, read back (either ours or
// Ling's published layout). See hf_checkpoint.h for the files.
#include "trainer/io/hf_checkpoint.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/file_util.h"
#include "base/json.h"
#include "corpus/chat_template.h"
#include "corpus/manifest.h"
#include "corpus/tokenizer.h"
#include "trainer/model/model_config.h"

namespace kgf::trainer {
namespace fs = std::filesystem;
namespace {

constexpr char kTokenizerModel[] = "tokenizer.model";

std::string Pretty(const JsonValue& v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

// Sets doc[key] = value, replacing an existing member (kept keys of an imported config).
template <typename V>
void Set(JsonDoc& doc, const char* key, V&& value) {
  auto& a = doc.GetAllocator();
  doc.RemoveMember(key);
  doc.AddMember(JsonValue(key, a), JsonValue(std::forward<V>(value)), a);
}

void SetString(JsonDoc& doc, const char* key, std::string_view value) {
  auto& a = doc.GetAllocator();
  doc.RemoveMember(key);
  doc.AddMember(JsonValue(key, a), JsonValue(value.data(), static_cast<rapidjson::SizeType>(value.size()), a), a);
}

int32_t Id(corpus::Special s) { return corpus::SpecialId(s); }
std::string Piece(corpus::Special s) {
  return std::string(corpus::kSpecialPieces[static_cast<int>(s)]);
}

// config.json: our config (its kept keys included) plus what transformers and Ling's
// BailingMoeConfig read that a training checkpoint does not need.
Result<std::string> HfConfigJson(const ModelConfig& config, const HfExportOptions& o) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(config.ToJson(), "config"));
  auto& a = doc.GetAllocator();
  JsonValue auto_map(rapidjson::kObjectType);
  const std::string repo = o.hub_repo + "--";
  auto add = [&](const char* k, const std::string& v) {
    auto_map.AddMember(JsonValue(k, a), JsonValue(v.c_str(), a), a);
  };
  add("AutoConfig", repo + "configuration_bailing_moe.BailingMoeConfig");
  add("AutoModel", repo + "modeling_bailing_moe.BailingMoeModel");
  add("AutoModelForCausalLM", repo + "modeling_bailing_moe.BailingMoeForCausalLM");
  doc.RemoveMember("auto_map");
  doc.AddMember("auto_map", auto_map, a);
  SetString(doc, "torch_dtype", o.dtype == "bf16" ? "bfloat16" : "float32");
  Set(doc, "bos_token_id", Id(corpus::Special::kBeginOfText));
  Set(doc, "eos_token_id", Id(corpus::Special::kEndOfText));
  // Ling's default (126081) is outside a small vocabulary: nn.Embedding(padding_idx=) asserts.
  Set(doc, "pad_token_id", Id(corpus::Special::kPad));
  // Ling's class defaults the dropouts to 0.1; this model was trained without.
  for (const char* k : {"embedding_dropout", "attention_dropout", "output_dropout"}) Set(doc, k, 0.0);
  Set(doc, "head_dim", config.head_dim());
  Set(doc, "rope_scaling", JsonValue(rapidjson::kNullType));
  Set(doc, "use_cache", true);
  Set(doc, "use_sliding_window", false);
  Set(doc, "output_router_logits", false);
  return Pretty(doc);
}

std::string GenerationConfigJson() {
  JsonDoc doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  doc.AddMember("bos_token_id", Id(corpus::Special::kBeginOfText), a);
  // A turn of tool calls ends where the first <tool_result> would open (the chat template
  // trains that token): generation hands over to the caller there, or at the end of text.
  JsonValue eos(rapidjson::kArrayType);
  eos.PushBack(Id(corpus::Special::kEndOfText), a);
  eos.PushBack(Id(corpus::Special::kToolResultOpen), a);
  doc.AddMember("eos_token_id", eos, a);
  doc.AddMember("pad_token_id", Id(corpus::Special::kPad), a);
  doc.AddMember("do_sample", false, a);
  return Pretty(doc);
}

std::string TokenizerConfigJson(int64_t max_length, const corpus::ChatTemplateOptions& chat) {
  JsonDoc doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return JsonValue(s.c_str(), a); };
  // The slow sentencepiece tokenizer reads tokenizer.model as is. Our model has no dummy
  // prefix and the chat template adds <|begin_of_text|> itself.
  doc.AddMember("tokenizer_class", "LlamaTokenizer", a);
  doc.AddMember("legacy", true, a);
  doc.AddMember("add_prefix_space", false, a);
  doc.AddMember("add_bos_token", false, a);
  doc.AddMember("add_eos_token", false, a);
  doc.AddMember("clean_up_tokenization_spaces", false, a);
  doc.AddMember("spaces_between_special_tokens", false, a);
  doc.AddMember("model_max_length", max_length, a);
  doc.AddMember("unk_token", "<unk>", a);
  doc.AddMember("bos_token", str(Piece(corpus::Special::kBeginOfText)), a);
  doc.AddMember("eos_token", str(Piece(corpus::Special::kEndOfText)), a);
  doc.AddMember("pad_token", str(Piece(corpus::Special::kPad)), a);
  JsonValue extra(rapidjson::kArrayType), decoder(rapidjson::kObjectType);
  for (int i = 0; i < corpus::kNumSpecials; ++i) {
    const auto s = static_cast<corpus::Special>(i);
    if (s != corpus::Special::kBeginOfText && s != corpus::Special::kEndOfText &&
        s != corpus::Special::kPad) {
      extra.PushBack(str(Piece(s)), a);
    }
    JsonValue t(rapidjson::kObjectType);
    t.AddMember("content", str(Piece(s)), a);
    t.AddMember("lstrip", false, a);
    t.AddMember("normalized", false, a);
    t.AddMember("rstrip", false, a);
    t.AddMember("single_word", false, a);
    t.AddMember("special", true, a);
    decoder.AddMember(str(std::to_string(Id(s))), t, a);
  }
  doc.AddMember("additional_special_tokens", extra, a);
  doc.AddMember("added_tokens_decoder", decoder, a);
  const std::string tmpl = corpus::HfChatTemplate(chat);
  doc.AddMember("chat_template",
                JsonValue(tmpl.data(), static_cast<rapidjson::SizeType>(tmpl.size()), a), a);
  return Pretty(doc);
}

std::string SpecialTokensMapJson() {
  JsonDoc doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return JsonValue(s.c_str(), a); };
  doc.AddMember("bos_token", str(Piece(corpus::Special::kBeginOfText)), a);
  doc.AddMember("eos_token", str(Piece(corpus::Special::kEndOfText)), a);
  doc.AddMember("pad_token", str(Piece(corpus::Special::kPad)), a);
  doc.AddMember("unk_token", "<unk>", a);
  JsonValue extra(rapidjson::kArrayType);
  for (int i = 0; i < corpus::kNumSpecials; ++i) {
    const auto s = static_cast<corpus::Special>(i);
    if (s == corpus::Special::kBeginOfText || s == corpus::Special::kEndOfText ||
        s == corpus::Special::kPad) {
      continue;
    }
    extra.PushBack(str(Piece(s)), a);
  }
  doc.AddMember("additional_special_tokens", extra, a);
  return Pretty(doc);
}

// What ships beside the weights: the tokenizer and the chat template's options.
struct TokenizerChoice {
  std::string path;
  corpus::ChatTemplateOptions chat;
};

// The corpus: the option, or the folder the run trained on (when it is a corpus folder).
Result<TokenizerChoice> ChooseTokenizer(const HfExportOptions& o, const Checkpoint& ck) {
  std::string corpus_dir = o.corpus;
  if (corpus_dir.empty()) {
    auto opts = ParseJson(ck.state.options, "trainer_state.json options");
    if (opts.ok() && opts->IsObject()) {
      auto data = opts->FindMember("data");
      if (data != opts->MemberEnd() && data->value.IsString() &&
          FileExists(JoinPath(data->value.GetString(), "manifest.json"))) {
        corpus_dir = data->value.GetString();
      }
    }
  }
  TokenizerChoice c;
  if (!corpus_dir.empty()) {
    KGF_ASSIGN_OR_RETURN(corpus::CorpusInfo info, corpus::ReadCorpusInfo(corpus_dir));
    c.path = info.tokenizer_path;
    c.chat = info.chat_template;
  }
  if (!o.tokenizer.empty()) c.path = o.tokenizer;
  if (c.path.empty()) {
    return InvalidArgumentError(
        "export-hf: " + ck.dir + " records no corpus folder to take the tokenizer from; give the "
        "corpus the model was trained on (--corpus) or a tokenizer model (--tokenizer)");
  }
  return c;
}

// Tensors in checkpoint order, grouped into shards of at most `shard_bytes` (a tensor larger
// than that gets a shard of its own).
std::vector<std::vector<SafetensorsShards::Tensor>> PlanShards(
    const std::vector<SafetensorsShards::Tensor>& tensors, int64_t element_bytes,
    int64_t shard_bytes) {
  std::vector<std::vector<SafetensorsShards::Tensor>> shards(1);
  int64_t used = 0;
  for (const auto& t : tensors) {
    const int64_t bytes = t.entry->numel() * element_bytes;
    if (!shards.back().empty() && used + bytes > shard_bytes) {
      shards.emplace_back();
      used = 0;
    }
    shards.back().push_back(t);
    used += bytes;
  }
  return shards;
}

std::string ShardName(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

Status WriteExport(const HfExportOptions& o, const Checkpoint& ck, const ModelConfig& config,
                   const std::string& tokenizer_bytes, const corpus::ChatTemplateOptions& chat,
                   const std::string& dir, HfExportSummary* summary) {
  const SafetensorsDtype dtype = o.dtype == "bf16" ? SafetensorsDtype::kBF16 : SafetensorsDtype::kF32;
  const std::vector<SafetensorsShards::Tensor> all = ck.model.All();
  const auto shards = PlanShards(all, SafetensorsDtypeBytes(dtype), o.shard_bytes);
  JsonDoc index;
  index.SetObject();
  auto& a = index.GetAllocator();
  JsonValue weight_map(rapidjson::kObjectType);
  int64_t total = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string name = shards.size() == 1 ? std::string(kModelFile) : ShardName(i, shards.size());
    std::vector<std::vector<float>> values;  // owned until encoded
    std::vector<TensorRef> refs;
    values.reserve(shards[i].size());
    for (const auto& t : shards[i]) {
      values.push_back(t.file->Values(*t.entry));
      refs.push_back({t.entry->name, t.entry->shape, values.back(), dtype});
      total += t.entry->numel() * SafetensorsDtypeBytes(dtype);
      weight_map.AddMember(JsonValue(t.entry->name.c_str(), a), JsonValue(name.c_str(), a), a);
    }
    // transformers refuses safetensors without metadata format "pt".
    KGF_RETURN_IF_ERROR(WriteSafetensors(JoinPath(dir, name), refs, {{"format", "pt"}}));
    summary->files.push_back(name);
  }
  if (shards.size() > 1) {
    JsonValue meta(rapidjson::kObjectType);
    meta.AddMember("total_size", total, a);
    index.AddMember("metadata", meta, a);
    index.AddMember("weight_map", weight_map, a);
    KGF_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, kHfIndexFile), Pretty(index)));
    summary->files.push_back(kHfIndexFile);
  }
  KGF_ASSIGN_OR_RETURN(std::string config_json, HfConfigJson(config, o));
  const std::pair<const char*, std::string> files[] = {
      {kConfigFile, config_json},
      {"generation_config.json", GenerationConfigJson()},
      {kTokenizerModel, tokenizer_bytes},
      {"tokenizer_config.json", TokenizerConfigJson(config.max_position_embeddings, chat)},
      {"special_tokens_map.json", SpecialTokensMapJson()},
  };
  for (const auto& [file, bytes] : files) {
    KGF_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, file), bytes));
    summary->files.push_back(file);
  }
  std::sort(summary->files.begin(), summary->files.end());
  summary->tensors = static_cast<int64_t>(all.size());
  summary->weight_bytes = total;
  summary->shards = static_cast<int>(shards.size());
  return Status::Ok();
}

}  // namespace

Result<HfExportSummary> ExportHf(const HfExportOptions& o) {
  if (o.dtype != "bf16" && o.dtype != "f32") {
    return InvalidArgumentError("export-hf: dtype '" + o.dtype + "' is not one of bf16, f32");
  }
  if (o.shard_bytes <= 0) {
    return InvalidArgumentError("export-hf: shard size must be positive, got " +
                                std::to_string(o.shard_bytes));
  }
  if (o.out.empty()) return InvalidArgumentError("export-hf: no output directory given");
  if (fs::exists(o.out) && !(IsDirectory(o.out) && fs::is_empty(o.out))) {
    return FailedPreconditionError(o.out + " exists and is not an empty directory; choose a new "
                                   "output directory or remove it");
  }
  KGF_ASSIGN_OR_RETURN(Checkpoint ck, ReadCheckpointOrLatest(o.checkpoint));
  KGF_ASSIGN_OR_RETURN(ModelConfig config,
                       ModelConfig::FromJson(ck.config_json, JoinPath(ck.dir, kConfigFile)));
  KGF_ASSIGN_OR_RETURN(TokenizerChoice choice, ChooseTokenizer(o, ck));
  KGF_ASSIGN_OR_RETURN(corpus::Tokenizer tok, corpus::Tokenizer::Load(choice.path));
  if (tok.vocab_size() > config.vocab_size) {
    return InvalidArgumentError(choice.path + " has " + std::to_string(tok.vocab_size()) +
                                " tokens but the model's vocab_size is " +
                                std::to_string(config.vocab_size) +
                                "; pass the tokenizer of the corpus the model was trained on");
  }

  if (tok.bos_id() != corpus::SpecialId(corpus::Special::kBeginOfText) ||
      tok.eos_id() != corpus::SpecialId(corpus::Special::kEndOfText) ||
      tok.pad_id() != corpus::SpecialId(corpus::Special::kPad)) {
    return FailedPreconditionError(
        choice.path + " has no bos/eos/pad ids (trained by an older kgforge); Hugging Face "
        "tokenizers need them: retrain it with `kgforge corpus tokenizer train` and rebuild the "
        "corpus");
  }
  // Written under a temporary name beside the target and renamed: all or nothing.
  const StagedDirectory staged = StageDirectory(o.out);
  KGF_RETURN_IF_ERROR(RemoveTree(staged.tmp));
  KGF_RETURN_IF_ERROR(CreateDirectories(staged.tmp));
  HfExportSummary summary;
  KGF_RETURN_IF_ERROR(PublishDirectory(
      WriteExport(o, ck, config, tok.serialized(), choice.chat, staged.tmp, &summary), staged));
  summary.out = staged.out;
  summary.checkpoint = ck.dir;
  summary.step = ck.step;
  return summary;
}

bool IsHfModelDir(const std::string& dir) {
  return IsDirectory(dir) && FileExists(JoinPath(dir, kConfigFile)) &&
         (FileExists(JoinPath(dir, kModelFile)) || FileExists(JoinPath(dir, kHfIndexFile))) &&
         !FileExists(JoinPath(dir, kChecksumsFile)) && !FileExists(JoinPath(dir, kTrainerStateFile)) &&
         !FileExists(JoinPath(dir, kOptimizerFile));
}

namespace {

// The shard files of an index and the tensors each must hold.
Result<std::map<std::string, std::set<std::string>>> ReadIndex(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  auto doc = ParseJson(text, path);
  if (!doc.ok()) return DataLossError(doc.status().message());
  auto wm = doc->IsObject() ? doc->FindMember("weight_map") : doc->MemberEnd();
  if (!doc->IsObject() || wm == doc->MemberEnd() || !wm->value.IsObject()) {
    return DataLossError(path + ": no \"weight_map\" object (not a safetensors index)");
  }
  std::map<std::string, std::set<std::string>> files;
  for (auto it = wm->value.MemberBegin(); it != wm->value.MemberEnd(); ++it) {
    if (!it->value.IsString()) {
      return DataLossError(path + ": weight_map entry '" + it->name.GetString() +
                           "' is not a file name");
    }
    const std::string file = it->value.GetString();
    // Shards live beside the index: no paths out of the directory.
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return DataLossError(path + ": weight_map names '" + file +
                           "', which is not a file beside the index");
    }
    files[file].insert(it->name.GetString());
  }
  if (files.empty()) return DataLossError(path + ": weight_map is empty");
  return files;
}

}  // namespace

Result<Checkpoint> ReadHfModelDir(const std::string& dir) {
  Checkpoint c;
  c.dir = dir;
  c.from_hf = true;
  KGF_ASSIGN_OR_RETURN(c.config_json, ReadFileToString(JoinPath(dir, kConfigFile)));
  KGF_RETURN_IF_ERROR(ModelConfig::FromJson(c.config_json, JoinPath(dir, kConfigFile)));
  const std::string index_path = JoinPath(dir, kHfIndexFile);
  if (FileExists(index_path)) {
    KGF_ASSIGN_OR_RETURN(auto files, ReadIndex(index_path));
    for (const auto& [file, names] : files) {
      const std::string path = JoinPath(dir, file);
      if (!FileExists(path)) {
        return DataLossError(index_path + " lists " + file + ", which is missing");
      }
      KGF_ASSIGN_OR_RETURN(SafetensorsFile shard, SafetensorsFile::Read(path));
      std::set<std::string> held;
      for (const auto& e : shard.entries()) held.insert(e.name);
      for (const std::string& n : names) {
        if (!held.count(n)) {
          return DataLossError(index_path + " maps tensor '" + n + "' to " + file +
                               ", which does not hold it");
        }
      }
      for (const std::string& n : held) {
        if (!names.count(n)) {
          return DataLossError(path + " holds tensor '" + n + "', which " + kHfIndexFile +
                               " does not map to it");
        }
      }
      KGF_RETURN_IF_ERROR(c.model.Add(std::move(shard), path));
    }
  } else {
    const std::string path = JoinPath(dir, kModelFile);
    KGF_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Read(path));
    KGF_RETURN_IF_ERROR(c.model.Add(std::move(file), path));
  }
  KGF_RETURN_IF_ERROR(CheckFiniteTensors(c.model, dir));
  return c;
}

}  // namespace kgf::trainer
