// manifest.json serialisation (RapidJSON PrettyWriter: fixed key order, deterministic bytes).
#include "corpus/manifest.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>

#include "base/file_util.h"
#include "base/json.h"

namespace kgf::corpus {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Key(Writer& w, const char* k) { w.Key(k); }
void Str(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void Int(Writer& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void Bool(Writer& w, const char* k, bool v) {
  w.Key(k);
  w.Bool(v);
}

// A bool member that older manifests lack.
Result<bool> OptionalBool(const JsonValue& obj, const char* field, const std::string& where) {
  if (!obj.HasMember(field)) return false;
  return JsonGetBool(obj, field, where);
}

Result<ChatTemplateOptions> ParseChatTemplate(const JsonValue& doc, const std::string& where) {
  ChatTemplateOptions options;
  if (!doc.HasMember("chat_template")) return options;
  KGF_ASSIGN_OR_RETURN(const JsonValue* ct, JsonGetObject(doc, "chat_template", where));
  const std::string p = where + ": chat_template";
  KGF_ASSIGN_OR_RETURN(options.always_render_tools, OptionalBool(*ct, "always_render_tools", p));
  KGF_ASSIGN_OR_RETURN(options.train_on_failed_calls, OptionalBool(*ct, "train_on_failed_calls", p));
  KGF_ASSIGN_OR_RETURN(options.compact_prompts, OptionalBool(*ct, "compact_prompts", p));
  return options;
}

Status ParseSplits(const JsonValue& source, const std::string& where, SourceBuildStats* st) {
  if (!source.HasMember("splits")) return Status::Ok();
  KGF_ASSIGN_OR_RETURN(const JsonValue* sp, JsonGetObject(source, "splits", where));
  const std::string p = where + ".splits";
  KGF_ASSIGN_OR_RETURN(st->train_records, JsonGetInt(*sp, "train", p));
  KGF_ASSIGN_OR_RETURN(st->valid_records, JsonGetInt(*sp, "valid", p));
  KGF_ASSIGN_OR_RETURN(st->test_records, JsonGetInt(*sp, "test", p));
  KGF_ASSIGN_OR_RETURN(st->valid_trained, JsonGetBool(*sp, "valid_trained", p));
  return Status::Ok();
}

// "eval" entries; each must be listed in `files` with the same size and checksum.
Status ParseEval(const JsonValue& doc, const std::string& where, Manifest* m) {
  if (!doc.HasMember("eval")) return Status::Ok();
  KGF_ASSIGN_OR_RETURN(const JsonValue* eval, JsonGetArray(doc, "eval", where));
  for (rapidjson::SizeType i = 0; i < eval->Size(); ++i) {
    const JsonValue& e = (*eval)[i];
    const std::string p = where + ": eval[" + std::to_string(i) + "]";
    ManifestEvalFile f;
    KGF_ASSIGN_OR_RETURN(f.split, JsonGetString(e, "split", p));
    if (f.split != "valid" && f.split != "test") {
      return InvalidArgumentError(p + ".split '" + f.split + "' is not valid or test");
    }
    for (const ManifestEvalFile& other : m->eval) {
      if (other.split == f.split) return InvalidArgumentError(p + ": split '" + f.split + "' twice");
    }
    KGF_ASSIGN_OR_RETURN(f.path, JsonGetString(e, "path", p));
    KGF_ASSIGN_OR_RETURN(f.records, JsonGetInt(e, "records", p));
    KGF_ASSIGN_OR_RETURN(int64_t bytes, JsonGetInt(e, "bytes", p));
    f.bytes = static_cast<uint64_t>(bytes);
    KGF_ASSIGN_OR_RETURN(f.checksum, JsonGetString(e, "checksum", p));
    KGF_ASSIGN_OR_RETURN(f.trained, JsonGetBool(e, "trained", p));
    bool listed = false;
    for (const ManifestFile& file : m->files) {
      listed |= file.path == f.path && file.bytes == f.bytes && file.checksum == f.checksum;
    }
    if (!listed) {
      return InvalidArgumentError(p + ": " + f.path + " is not listed in 'files' with the same "
                                  "bytes and checksum; the manifest was edited, rebuild the corpus");
    }
    m->eval.push_back(std::move(f));
  }
  return Status::Ok();
}

}  // namespace

std::string Manifest::ToJson() const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 1);
  w.StartObject();
  Str(w, "format", "kgforge-corpus");
  Int(w, "version", 1);
  Key(w, "seed");
  w.Uint64(seed);
  Key(w, "tokenizer");
  w.StartObject();
  Str(w, "file", tokenizer_file);
  Str(w, "checksum", tokenizer_checksum);
  Int(w, "vocab_size", vocab_size);
  w.EndObject();
  Str(w, "dtype", dtype);
  Int(w, "max_document_tokens", max_document_tokens);
  Key(w, "chat_template");
  w.StartObject();
  Bool(w, "always_render_tools", chat_template.always_render_tools);
  Bool(w, "train_on_failed_calls", chat_template.train_on_failed_calls);
  Bool(w, "compact_prompts", chat_template.compact_prompts);
  w.EndObject();
  Bool(w, "train_on_valid", train_on_valid);
  Key(w, "sources");
  w.StartArray();
  for (const auto& s : sources) {
    w.StartObject();
    Str(w, "name", s.name);
    Str(w, "kind", s.kind);
    Str(w, "dataset", s.dataset);
    Int(w, "files", s.files);
    Int(w, "records", s.records);
    Int(w, "empty_skipped", s.empty_skipped);
    Int(w, "split", s.split);
    Int(w, "truncated", s.truncated);
    Int(w, "cut", s.cut);
    Int(w, "dropped_no_trained_tokens", s.dropped_no_trained_tokens);
    Int(w, "unique_documents", s.unique_documents);
    Int(w, "unique_tokens", s.unique_tokens);
    Key(w, "epochs");
    w.Double(s.epochs);
    Int(w, "documents", s.documents);
    Int(w, "tokens", s.tokens);
    Int(w, "trained_tokens", s.trained_tokens);
    if (s.kind == "tool_use") {
      Key(w, "splits");
      w.StartObject();
      Int(w, "train", s.train_records);
      Int(w, "valid", s.valid_records);
      Int(w, "test", s.test_records);
      Bool(w, "valid_trained", s.valid_trained);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  Key(w, "datasets");
  w.StartArray();
  for (const auto& d : datasets) {
    w.StartObject();
    Str(w, "name", d.name);
    Int(w, "documents", d.documents);
    Int(w, "tokens", d.tokens);
    Key(w, "masks");
    w.Bool(d.masks);
    Key(w, "shards");
    w.StartArray();
    for (const auto& s : d.shards) {
      w.StartObject();
      Str(w, "prefix", s.prefix);
      Int(w, "documents", s.documents);
      Int(w, "tokens", s.tokens);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  Key(w, "eval");
  w.StartArray();
  for (const auto& e : eval) {
    w.StartObject();
    Str(w, "split", e.split);
    Str(w, "path", e.path);
    Int(w, "records", e.records);
    Key(w, "bytes");
    w.Uint64(e.bytes);
    Str(w, "checksum", e.checksum);
    Bool(w, "trained", e.trained);
    w.EndObject();
  }
  w.EndArray();
  Key(w, "files");
  w.StartArray();
  for (const auto& f : files) {
    w.StartObject();
    Str(w, "path", f.path);
    Key(w, "bytes");
    w.Uint64(f.bytes);
    Str(w, "checksum", f.checksum);
    w.EndObject();
  }
  w.EndArray();
  if (!fingerprint.empty()) Str(w, "fingerprint", fingerprint);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

Result<Manifest> Manifest::Parse(std::string_view json, std::string_view where_view) {
  const std::string where(where_view);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  if (!doc.IsObject()) return InvalidArgumentError(where + ": manifest must be a JSON object");
  KGF_ASSIGN_OR_RETURN(std::string format, JsonGetString(doc, "format", where));
  KGF_ASSIGN_OR_RETURN(int64_t version, JsonGetInt(doc, "version", where));
  if (format != "kgforge-corpus" || version != 1) {
    return FailedPreconditionError(where + ": format '" + format + "' version " +
                                   std::to_string(version) +
                                   ", expected kgforge-corpus version 1; rebuild the corpus");
  }
  Manifest m;
  KGF_ASSIGN_OR_RETURN(int64_t seed, JsonGetInt(doc, "seed", where));
  m.seed = static_cast<uint64_t>(seed);
  KGF_ASSIGN_OR_RETURN(const JsonValue* tok, JsonGetObject(doc, "tokenizer", where));
  KGF_ASSIGN_OR_RETURN(m.tokenizer_file, JsonGetString(*tok, "file", where + ": tokenizer"));
  KGF_ASSIGN_OR_RETURN(m.tokenizer_checksum, JsonGetString(*tok, "checksum", where + ": tokenizer"));
  KGF_ASSIGN_OR_RETURN(m.vocab_size, JsonGetInt(*tok, "vocab_size", where + ": tokenizer"));
  KGF_ASSIGN_OR_RETURN(m.dtype, JsonGetString(doc, "dtype", where));
  KGF_ASSIGN_OR_RETURN(m.max_document_tokens, JsonGetInt(doc, "max_document_tokens", where));
  KGF_ASSIGN_OR_RETURN(m.chat_template, ParseChatTemplate(doc, where));
  KGF_ASSIGN_OR_RETURN(m.train_on_valid, OptionalBool(doc, "train_on_valid", where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* sources, JsonGetArray(doc, "sources", where));
  for (rapidjson::SizeType i = 0; i < sources->Size(); ++i) {
    const JsonValue& s = (*sources)[i];
    const std::string p = where + ": sources[" + std::to_string(i) + "]";
    SourceBuildStats st;
    KGF_ASSIGN_OR_RETURN(st.name, JsonGetString(s, "name", p));
    KGF_ASSIGN_OR_RETURN(st.kind, JsonGetString(s, "kind", p));
    KGF_ASSIGN_OR_RETURN(st.dataset, JsonGetString(s, "dataset", p));
    for (auto [field, target] :
         {std::pair{"files", &st.files}, std::pair{"records", &st.records},
          std::pair{"empty_skipped", &st.empty_skipped}, std::pair{"split", &st.split},
          std::pair{"truncated", &st.truncated},
          std::pair{"dropped_no_trained_tokens", &st.dropped_no_trained_tokens},
          std::pair{"unique_documents", &st.unique_documents},
          std::pair{"unique_tokens", &st.unique_tokens}, std::pair{"documents", &st.documents},
          std::pair{"tokens", &st.tokens}, std::pair{"trained_tokens", &st.trained_tokens}}) {
      KGF_ASSIGN_OR_RETURN(*target, JsonGetInt(s, field, p));
    }
    if (s.HasMember("cut")) {  // manifests written before the cap have none
      KGF_ASSIGN_OR_RETURN(st.cut, JsonGetInt(s, "cut", p));
    }
    KGF_ASSIGN_OR_RETURN(st.epochs, JsonGetDouble(s, "epochs", p));
    KGF_RETURN_IF_ERROR(ParseSplits(s, p, &st));
    m.sources.push_back(std::move(st));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* datasets, JsonGetArray(doc, "datasets", where));
  for (rapidjson::SizeType i = 0; i < datasets->Size(); ++i) {
    const JsonValue& d = (*datasets)[i];
    const std::string p = where + ": datasets[" + std::to_string(i) + "]";
    ManifestDataset ds;
    KGF_ASSIGN_OR_RETURN(ds.name, JsonGetString(d, "name", p));
    KGF_ASSIGN_OR_RETURN(ds.documents, JsonGetInt(d, "documents", p));
    KGF_ASSIGN_OR_RETURN(ds.tokens, JsonGetInt(d, "tokens", p));
    KGF_ASSIGN_OR_RETURN(ds.masks, JsonGetBool(d, "masks", p));
    KGF_ASSIGN_OR_RETURN(const JsonValue* shards, JsonGetArray(d, "shards", p));
    for (rapidjson::SizeType k = 0; k < shards->Size(); ++k) {
      const std::string sp = p + ".shards[" + std::to_string(k) + "]";
      ManifestShard sh;
      KGF_ASSIGN_OR_RETURN(sh.prefix, JsonGetString((*shards)[k], "prefix", sp));
      KGF_ASSIGN_OR_RETURN(sh.documents, JsonGetInt((*shards)[k], "documents", sp));
      KGF_ASSIGN_OR_RETURN(sh.tokens, JsonGetInt((*shards)[k], "tokens", sp));
      ds.shards.push_back(std::move(sh));
    }
    m.datasets.push_back(std::move(ds));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* files, JsonGetArray(doc, "files", where));
  for (rapidjson::SizeType i = 0; i < files->Size(); ++i) {
    const std::string p = where + ": files[" + std::to_string(i) + "]";
    ManifestFile f;
    KGF_ASSIGN_OR_RETURN(f.path, JsonGetString((*files)[i], "path", p));
    KGF_ASSIGN_OR_RETURN(int64_t bytes, JsonGetInt((*files)[i], "bytes", p));
    f.bytes = static_cast<uint64_t>(bytes);
    KGF_ASSIGN_OR_RETURN(f.checksum, JsonGetString((*files)[i], "checksum", p));
    m.files.push_back(std::move(f));
  }
  if (doc.HasMember("fingerprint")) {
    KGF_ASSIGN_OR_RETURN(m.fingerprint, JsonGetString(doc, "fingerprint", where));
  }
  KGF_RETURN_IF_ERROR(ParseEval(doc, where, &m));
  return m;
}

std::string Manifest::Summary() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "tokenizer %s (%s, vocab %lld, %s tokens)\n",
                tokenizer_file.c_str(), tokenizer_checksum.c_str(),
                static_cast<long long>(vocab_size), dtype.c_str());
  out += line;
  std::snprintf(line, sizeof(line), "%-16s %-9s %-8s %10s %7s %12s %12s %12s %8s\n", "source", "kind",
                "dataset", "records", "epochs", "documents", "tokens", "trained", "dropped");
  out += line;
  for (const auto& s : sources) {
    std::snprintf(line, sizeof(line), "%-16s %-9s %-8s %10lld %7.3g %12lld %12lld %12lld %8lld\n",
                  s.name.c_str(), s.kind.c_str(), s.dataset.c_str(),
                  static_cast<long long>(s.records), s.epochs, static_cast<long long>(s.documents),
                  static_cast<long long>(s.tokens), static_cast<long long>(s.trained_tokens),
                  static_cast<long long>(s.dropped_no_trained_tokens));
    out += line;
  }
  for (const auto& s : sources) {
    if (s.cut == 0) continue;
    std::snprintf(line, sizeof(line), "cut %s: %lld document(s) longer than max_document_bytes\n",
                  s.name.c_str(), static_cast<long long>(s.cut));
    out += line;
  }
  bool any_tool_use = false;
  for (const auto& s : sources) {
    if (s.kind != "tool_use") continue;
    any_tool_use = true;
    std::snprintf(line, sizeof(line),
                  "splits %s: train %lld (trained), valid %lld (%s), test %lld (held out)\n",
                  s.name.c_str(), static_cast<long long>(s.train_records),
                  static_cast<long long>(s.valid_records),
                  s.valid_trained ? "trained" : "held out", static_cast<long long>(s.test_records));
    out += line;
  }
  if (any_tool_use) {
    std::snprintf(line, sizeof(line),
                  "chat template: compact_prompts %s, always_render_tools %s, "
                  "train_on_failed_calls %s\n",
                  chat_template.compact_prompts ? "true" : "false",
                  chat_template.always_render_tools ? "true" : "false",
                  chat_template.train_on_failed_calls ? "true" : "false");
    out += line;
  }
  for (const auto& e : eval) {
    std::snprintf(line, sizeof(line), "eval %s: %lld records in %s%s\n", e.split.c_str(),
                  static_cast<long long>(e.records), e.path.c_str(),
                  e.trained ? " (also trained: train_on_valid)" : " (never trained)");
    out += line;
  }
  for (const auto& d : datasets) {
    std::snprintf(line, sizeof(line), "dataset %s: %lld documents, %lld tokens, %zu shard(s)%s\n",
                  d.name.c_str(), static_cast<long long>(d.documents),
                  static_cast<long long>(d.tokens), d.shards.size(),
                  d.masks ? " + uint8 loss masks" : "");
    out += line;
  }
  return out;
}

Result<CorpusInfo> ReadCorpusInfo(const std::string& corpus_dir) {
  const std::string manifest_path = JoinPath(corpus_dir, kManifestFile);
  if (!FileExists(manifest_path)) {
    return NotFoundError(manifest_path + ": no manifest; is " + corpus_dir +
                         " a folder built by `kgforge corpus build`?");
  }
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  KGF_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(text, manifest_path));
  CorpusInfo info;
  info.dir = corpus_dir;
  info.tokenizer_path = JoinPath(corpus_dir, m.tokenizer_file);
  info.tokenizer_checksum = m.tokenizer_checksum;
  info.vocab_size = m.vocab_size;
  info.max_document_tokens = m.max_document_tokens;
  info.chat_template = m.chat_template;
  info.train_on_valid = m.train_on_valid;
  if (!FileExists(info.tokenizer_path)) {
    return NotFoundError(info.tokenizer_path + ": tokenizer missing (rebuild the corpus, or copy "
                                               "the tokenizer the manifest names)");
  }
  for (ManifestEvalFile e : m.eval) {
    e.path = JoinPath(corpus_dir, e.path);
    if (!FileExists(e.path)) {
      return NotFoundError(e.path + ": eval file listed in the manifest but missing");
    }
    KGF_ASSIGN_OR_RETURN(uint64_t size, FileSize(e.path));
    if (size != e.bytes) {
      return DataLossError(e.path + ": " + std::to_string(size) + " bytes, the manifest records " +
                           std::to_string(e.bytes) + " (truncated or modified)");
    }
    info.eval_files[e.split] = std::move(e);
  }
  return info;
}

}  // namespace kgf::corpus
