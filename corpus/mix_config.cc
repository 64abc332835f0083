// Mix config parsing and validation.
#include "corpus/mix_config.h"

#include <cctype>
#include <cmath>
#include <set>

#include "base/enum_names.h"
#include "base/file_util.h"
#include "base/json.h"

namespace kgf::corpus {
namespace {

constexpr EnumNames<SourceKind, 2> kSourceKindNames({"text", "tool_use"});

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return JoinPath(base_dir, path);
}

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

Result<double> OptionalPositive(const JsonValue& obj, const char* field, const std::string& path,
                                double fallback) {
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return fallback;
  if (!it->value.IsNumber() || !(it->value.GetDouble() > 0) || !std::isfinite(it->value.GetDouble())) {
    return InvalidArgumentError(path + "." + field + " must be a positive number");
  }
  return it->value.GetDouble();
}

// "chat_template": {"compact_prompts", "always_render_tools", "train_on_failed_calls"}, each an
// optional bool.
Result<ChatTemplateOptions> ParseChatTemplate(const JsonValue& doc, const std::string& where) {
  KGF_ASSIGN_OR_RETURN(const JsonValue* obj, JsonGetObject(doc, "chat_template", where));
  const std::string path = where + ": chat_template";
  ChatTemplateOptions options;
  const std::pair<const char*, bool*> fields[] = {
      {"compact_prompts", &options.compact_prompts},
      {"always_render_tools", &options.always_render_tools},
      {"train_on_failed_calls", &options.train_on_failed_calls}};
  for (auto it = obj->MemberBegin(); it != obj->MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    bool* target = nullptr;
    for (const auto& [name, field] : fields) {
      if (key == name) target = field;
    }
    if (target == nullptr) {
      return InvalidArgumentError(path + ": unknown field '" + key +
                                  "' (known: compact_prompts, always_render_tools, "
                                  "train_on_failed_calls)");
    }
    KGF_ASSIGN_OR_RETURN(*target, JsonGetBool(*obj, key.c_str(), path));
  }
  return options;
}

}  // namespace

std::string_view SourceKindName(SourceKind kind) { return kSourceKindNames.Name(kind); }

std::string_view DatasetOf(SourceKind kind) { return kind == SourceKind::kToolUse ? "sft" : "pretrain"; }

Result<MixConfig> ParseMixConfig(std::string_view json, std::string_view base_dir,
                                 std::string_view where_view) {
  const std::string where(where_view);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  if (!doc.IsObject()) return InvalidArgumentError(where + ": the mix config must be a JSON object");
  static const std::set<std::string> kTop = {"seed", "tokenizer", "max_document_tokens",
                                             "max_document_bytes", "max_shard_tokens", "split_long_documents",
                                             "truncate_sft", "train_on_valid", "chat_template",
                                             "sources"};
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    if (!kTop.count(it->name.GetString())) {
      return InvalidArgumentError(where + ": unknown field '" + std::string(it->name.GetString()) +
                                  "' (known: seed, tokenizer, max_document_tokens, "
                                  "max_document_bytes, max_shard_tokens, split_long_documents, truncate_sft, "
                                  "train_on_valid, chat_template, sources)");
    }
  }
  MixConfig config;
  if (doc.HasMember("seed")) {
    if (!doc["seed"].IsUint64()) return InvalidArgumentError(where + ": seed must be a non-negative integer");
    config.seed = doc["seed"].GetUint64();
  }
  if (doc.HasMember("tokenizer")) {
    KGF_ASSIGN_OR_RETURN(std::string t, JsonGetString(doc, "tokenizer", where));
    config.tokenizer = Resolve(base_dir, t);
  }
  for (auto [field, target] : {std::pair{"max_document_tokens", &config.max_document_tokens},
                               std::pair{"max_document_bytes", &config.max_document_bytes},
                               std::pair{"max_shard_tokens", &config.max_shard_tokens}}) {
    if (doc.HasMember(field)) {
      KGF_ASSIGN_OR_RETURN(*target, JsonGetInt(doc, field, where));
      if (*target <= 0) return InvalidArgumentError(where + ": " + field + " must be positive");
    }
  }
  if (doc.HasMember("split_long_documents")) {
    KGF_ASSIGN_OR_RETURN(config.split_long_documents, JsonGetBool(doc, "split_long_documents", where));
  }
  if (doc.HasMember("truncate_sft")) {
    KGF_ASSIGN_OR_RETURN(config.truncate_sft, JsonGetBool(doc, "truncate_sft", where));
  }
  if (doc.HasMember("train_on_valid")) {
    KGF_ASSIGN_OR_RETURN(config.train_on_valid, JsonGetBool(doc, "train_on_valid", where));
  }
  if (doc.HasMember("chat_template")) {
    KGF_ASSIGN_OR_RETURN(config.chat_template, ParseChatTemplate(doc, where));
  }
  if (config.max_shard_tokens < config.max_document_tokens) {
    return InvalidArgumentError(where + ": max_shard_tokens (" + std::to_string(config.max_shard_tokens) +
                                ") must be at least max_document_tokens (" +
                                std::to_string(config.max_document_tokens) + ")");
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* sources, JsonGetArray(doc, "sources", where));
  if (sources->Empty()) return InvalidArgumentError(where + ": 'sources' is empty; add at least one");
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < sources->Size(); ++i) {
    const JsonValue& s = (*sources)[i];
    const std::string path = where + ": sources[" + std::to_string(i) + "]";
    if (!s.IsObject()) return InvalidArgumentError(path + " must be an object");
    SourceConfig source;
    KGF_ASSIGN_OR_RETURN(source.name, JsonGetString(s, "name", path));
    if (!ValidName(source.name)) {
      return InvalidArgumentError(path + ".name '" + source.name + "' must match [A-Za-z0-9_-]+");
    }
    if (!names.insert(source.name).second) {
      return InvalidArgumentError(path + ".name '" + source.name + "' is used twice");
    }
    KGF_ASSIGN_OR_RETURN(std::string kind, JsonGetString(s, "kind", path));
    if (auto named = kSourceKindNames.Find(kind)) {
      source.kind = *named;
    } else if (kind == "kg_facts") {
      return InvalidArgumentError(
          path + ".kind 'kg_facts': graph facts are a text source now; write them with `kgforge kg "
                 "export --store STORE --format sentences --out facts.jsonl` and list that file "
                 "under a source of kind \"text\"");
    } else {
      return InvalidArgumentError(path + ".kind '" + kind + "' is not one of " +
                                  kSourceKindNames.Joined());
    }
    {
      KGF_ASSIGN_OR_RETURN(const JsonValue* paths, JsonGetArray(s, "paths", path));
      if (paths->Empty()) return InvalidArgumentError(path + ".paths is empty");
      for (rapidjson::SizeType k = 0; k < paths->Size(); ++k) {
        if (!(*paths)[k].IsString()) {
          return InvalidArgumentError(path + ".paths[" + std::to_string(k) + "] must be a string");
        }
        source.paths.push_back(Resolve(base_dir, (*paths)[k].GetString()));
      }
    }
    if (s.HasMember("epochs") && s.HasMember("weight")) {
      return InvalidArgumentError(path + ": give either 'epochs' or 'weight', not both");
    }
    KGF_ASSIGN_OR_RETURN(source.epochs, OptionalPositive(s, "epochs", path, 1.0));
    if (s.HasMember("weight")) {
      KGF_ASSIGN_OR_RETURN(double w, OptionalPositive(s, "weight", path, 1.0));
      source.weight = w;
    }
    for (auto it = s.MemberBegin(); it != s.MemberEnd(); ++it) {
      static const std::set<std::string> kKnown = {"name", "kind", "paths", "epochs", "weight"};
      if (!kKnown.count(it->name.GetString())) {
        return InvalidArgumentError(path + ": unknown field '" + std::string(it->name.GetString()) +
                                    "' (known: name, kind, paths, epochs, weight)");
      }
    }
    config.sources.push_back(std::move(source));
  }
  // Weights: all or none per dataset.
  for (std::string_view dataset : {"pretrain", "sft"}) {
    int with = 0, total = 0;
    for (const auto& s : config.sources) {
      if (DatasetOf(s.kind) != dataset) continue;
      ++total;
      with += s.weight.has_value();
    }
    if (with != 0 && with != total) {
      return InvalidArgumentError(where + ": in the " + std::string(dataset) +
                                  " dataset either every source has a 'weight' or none does");
    }
  }
  return config;
}

Result<MixConfig> LoadMixConfig(const std::string& path) {
  if (!FileExists(path)) return NotFoundError(path + ": mix config not found");
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseMixConfig(text, Dirname(path), path);
}

Result<std::vector<std::string>> ExpandSourcePaths(const SourceConfig& source) {
  std::vector<std::string> files;
  for (const std::string& p : source.paths) {
    if (IsDirectory(p)) {
      KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(p));
      size_t before = files.size();
      for (const std::string& n : names) {
        if (EndsWith(n, ".jsonl") || EndsWith(n, ".jsonl.zst")) files.push_back(JoinPath(p, n));
      }
      if (files.size() == before) {
        return InvalidArgumentError("source '" + source.name + "': folder " + p +
                                    " holds no .jsonl or .jsonl.zst files");
      }
    } else if (FileExists(p)) {
      files.push_back(p);
    } else {
      return NotFoundError("source '" + source.name + "': " + p + " does not exist");
    }
  }
  return files;
}

}  // namespace kgf::corpus
