// manifest.json serialisation (RapidJSON PrettyWriter: fixed key order, deterministic bytes).
#include "corpus/manifest.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>

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
    Int(w, "dropped_no_trained_tokens", s.dropped_no_trained_tokens);
    Int(w, "unique_documents", s.unique_documents);
    Int(w, "unique_tokens", s.unique_tokens);
    Key(w, "epochs");
    w.Double(s.epochs);
    Int(w, "documents", s.documents);
    Int(w, "tokens", s.tokens);
    Int(w, "trained_tokens", s.trained_tokens);
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
    KGF_ASSIGN_OR_RETURN(st.epochs, JsonGetDouble(s, "epochs", p));
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
  for (const auto& d : datasets) {
    std::snprintf(line, sizeof(line), "dataset %s: %lld documents, %lld tokens, %zu shard(s)%s\n",
                  d.name.c_str(), static_cast<long long>(d.documents),
                  static_cast<long long>(d.tokens), d.shards.size(),
                  d.masks ? " + uint8 loss masks" : "");
    out += line;
  }
  return out;
}

}  // namespace kgf::corpus
