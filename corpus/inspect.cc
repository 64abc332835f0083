// Render and inspect views.
#include "corpus/inspect.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>

#include "base/file_util.h"
#include "base/line_reader.h"
#include "corpus/chat_template.h"
#include "corpus/indexed_dataset.h"
#include "corpus/manifest.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus {
namespace {

// "from source 'tool_use', record s1-42 (synth/shard-00000.jsonl.zst:17)" for a shard sequence,
// from the catalog beside the shard; "" when there is no catalog or no row (older corpora).
std::string DocumentOrigin(const std::string& prefix, int64_t seq) {
  const std::string path = JoinPath(Dirname(prefix), kCatalogFile);
  if (!FileExists(path)) return "";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "";
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT source, record_id, input FROM documents WHERE shard=? AND seq=?",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return "";
  }
  const std::string shard = Basename(prefix);
  sqlite3_bind_text(stmt, 1, shard.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, seq);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    auto text = [&](int col) {
      const unsigned char* t = sqlite3_column_text(stmt, col);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    out = "from source '" + text(0) + "'";
    if (!text(1).empty()) out += ", record " + text(1);
    out += " (" + text(2) + ")";
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace

Result<std::string> RenderRecord(const RenderOptions& options) {
  std::string json, where;
  if (!options.record.empty() && options.record[0] == '{') {
    json = options.record;
    where = "record";
  } else {
    if (!FileExists(options.record)) return NotFoundError(options.record + ": no such record file");
    KGF_ASSIGN_OR_RETURN(auto reader, LineReader::Open(options.record, size_t{64} << 20));
    std::string line;
    while (reader->Next(&line)) {
      if (reader->line_number() == options.line) {
        json = std::move(line);
        where = reader->Where();
        break;
      }
    }
    KGF_RETURN_IF_ERROR(reader->status());
    if (where.empty()) {
      return InvalidArgumentError(options.record + ": has no line " + std::to_string(options.line) +
                                  " (it has " + std::to_string(reader->line_number()) + ")");
    }
  }
  KGF_ASSIGN_OR_RETURN(RenderedChat chat, RenderChatJson(json, {}, where));
  std::string out = chat.Highlighted(options.color) + "\n";
  if (!options.tokenizer.empty()) {
    KGF_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Load(options.tokenizer));
    KGF_ASSIGN_OR_RETURN(TokenizedSample sample, TokenizeChat(chat, tokenizer));
    out += "-- " + std::to_string(sample.tokens.size()) + " tokens, " +
           std::to_string(sample.trained_tokens()) + " trained\n";
  }
  return out;
}

Result<std::string> InspectShard(const InspectOptions& options) {
  std::string prefix = options.shard;
  for (const char* ext : {".bin", ".idx"}) {
    if (EndsWith(prefix, ext)) prefix.resize(prefix.size() - 4);
  }
  KGF_ASSIGN_OR_RETURN(IndexedDataset ds, IndexedDataset::Open(prefix));
  const bool has_mask = FileExists(IdxPath(prefix + "_mask"));
  std::string out = prefix + ": MMIDIDX v1, dtype " + std::string(DTypeName(ds.dtype())) + ", " +
                    std::to_string(ds.num_sequences()) + " sequences, " +
                    std::to_string(ds.num_documents()) + " documents, " +
                    std::to_string(ds.num_elements()) + " tokens";
  if (ds.num_sequences() > 0) {
    int32_t lo = ds.length(0), hi = lo;
    for (int64_t i = 1; i < ds.num_sequences(); ++i) {
      lo = std::min(lo, ds.length(i));
      hi = std::max(hi, ds.length(i));
    }
    out += ", length min " + std::to_string(lo) + " mean " +
           std::to_string(ds.num_elements() / ds.num_sequences()) + " max " + std::to_string(hi);
  }
  out += has_mask ? ", loss masks in " + prefix + "_mask\n" : "\n";
  if (options.doc < 0) return out;
  if (DTypeSize(ds.dtype()) > 4 || ds.dtype() == DType::kFloat32) {
    return InvalidArgumentError(prefix + ": dtype " + std::string(DTypeName(ds.dtype())) +
                                " does not hold token ids; only integer dtypes up to int32 decode");
  }
  if (options.doc >= ds.num_sequences()) {
    return InvalidArgumentError(prefix + ": --doc " + std::to_string(options.doc) +
                                " out of range (the shard has " +
                                std::to_string(ds.num_sequences()) + " documents)");
  }
  const std::string tok_path = options.tokenizer.empty()
                                   ? JoinPath(Dirname(prefix), kTokenizerFile)
                                   : options.tokenizer;
  KGF_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Load(tok_path));
  const std::vector<int32_t> tokens = ds.Sequence(options.doc);
  std::vector<int32_t> mask(tokens.size(), 0);
  if (has_mask) {
    KGF_ASSIGN_OR_RETURN(IndexedDataset mask_ds, IndexedDataset::Open(prefix + "_mask"));
    if (mask_ds.num_sequences() != ds.num_sequences() || mask_ds.length(options.doc) != ds.length(options.doc)) {
      return DataLossError(prefix + "_mask: lengths differ from the token shard");
    }
    mask = mask_ds.Sequence(options.doc);
  }
  out += "document " + std::to_string(options.doc) + " (" + std::to_string(tokens.size()) + " tokens" +
         (has_mask ? ", " + std::to_string(std::count(mask.begin(), mask.end(), 1)) + " trained" : "") +
         ")";
  if (const std::string origin = DocumentOrigin(prefix, options.doc); !origin.empty()) {
    out += " " + origin;
  }
  out += ":\n";
  // Decode runs of equal mask so multi-byte characters inside a run stay whole.
  size_t k = 0;
  while (k < tokens.size()) {
    size_t end = k;
    while (end < tokens.size() && mask[end] == mask[k]) ++end;
    KGF_ASSIGN_OR_RETURN(std::string text,
                         tokenizer.Decode(std::span<const int32_t>(tokens.data() + k, end - k)));
    if (mask[k]) {
      out += (options.color ? "\x1b[32m" : "⟦") + text + (options.color ? "\x1b[0m" : "⟧");
    } else {
      out += text;
    }
    k = end;
  }
  return out + "\n";
}

}  // namespace kgf::corpus
