// Corpus build: read -> split (tool_use) -> tokenize (TBB, fixed slots) -> epochs/weights ->
// seeded shuffle -> Megatron shards + eval files -> manifest + catalog -> rename into place.
#include "corpus/corpus_builder.h"

#include <sqlite3.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/progress.h"
#include "base/run_fingerprint.h"
#include "base/rng.h"
#include "corpus/chat_template.h"
#include "corpus/indexed_dataset.h"
#include "corpus/mix_config.h"
#include "corpus/source_reader.h"

namespace kgf::corpus {
namespace {

namespace fs = std::filesystem;

// Everything one source contributes, after tokenization.
struct SourceData {
  SourceConfig config;
  SourceBuildStats stats;
  std::vector<std::vector<int32_t>> docs;   // each <= max_document_tokens
  std::vector<std::vector<uint8_t>> masks;  // sft only, parallel to docs
  // Where each doc came from, parallel to docs: the input's "file:line" and, for tool_use, the
  // record's id (a long text split into pieces gives each piece the same origin).
  std::vector<std::pair<std::string, std::string>> origins;
  // tool_use: the valid / test records' original lines, each + '\n', in input order.
  std::string valid_lines, test_lines;
};

// Whether records of `split` go into the sft dataset. Test records never do.
bool Trains(RecordSplit split, const MixConfig& config) {
  return split == RecordSplit::kTrain || (split == RecordSplit::kValid && config.train_on_valid);
}

// One input document's outcome; filled by exactly one TBB task.
struct Slot {
  Status status;
  std::vector<std::vector<int32_t>> pieces;
  std::vector<uint8_t> mask;  // sft
  bool split = false, truncated = false, dropped = false, empty = false, cut = false;
  std::string record_id;  // tool_use: the record's "id" ("" when it has none)
  RecordSplit record_split = RecordSplit::kTrain;  // tool_use; held out: no pieces, no mask
};

void ProcessDocument(const SourceDocument& doc, SourceKind kind, const MixConfig& config,
                     const Tokenizer& tokenizer, Slot* slot) {
  const int64_t max = config.max_document_tokens;
  if (kind == SourceKind::kToolUse) {
    if (static_cast<int64_t>(doc.text.size()) > config.max_document_bytes) {
      slot->status = InvalidArgumentError(
          doc.where + ": record of " + std::to_string(doc.text.size()) +
          " bytes, more than max_document_bytes " + std::to_string(config.max_document_bytes) +
          "; raise it in the mix config if the record is meant to be this long");
      return;
    }
    auto record = ParseJson(doc.text, doc.where);
    if (!record.ok()) { slot->status = record.status(); return; }
    auto record_split = SplitOfRecord(*record, doc.where);
    if (!record_split.ok()) { slot->status = record_split.status(); return; }
    slot->record_split = *record_split;
    if (auto id = record->FindMember("id"); id != record->MemberEnd() && id->value.IsString()) {
      slot->record_id = id->value.GetString();
    }
    // Held-out records are rendered too: one that evaluation could not render fails the build
    // here, naming its line, rather than later.
    auto chat = RenderChat(*record, config.chat_template, doc.where);
    if (!chat.ok()) { slot->status = chat.status(); return; }
    if (!Trains(slot->record_split, config)) return;
    auto sample = TokenizeChat(*chat, tokenizer);
    if (!sample.ok()) { slot->status = sample.status().WithContext(doc.where); return; }
    const int64_t n = static_cast<int64_t>(sample->tokens.size());
    if (n > max) {
      if (!config.truncate_sft) {
        slot->status = InvalidArgumentError(
            doc.where + ": sample has " + std::to_string(n) + " tokens, more than max_document_tokens " +
            std::to_string(max) + "; raise it or set \"truncate_sft\": true in the mix config");
        return;
      }
      slot->truncated = true;
    }
    if (!TruncateSample(&*sample, max)) {
      slot->dropped = true;
      return;
    }
    slot->pieces.push_back(std::move(sample->tokens));
    slot->mask = std::move(sample->mask);
    return;
  }
  // Text lines arrive as raw JSON (parsed here, in parallel); kg facts as plain text.
  std::string parsed;
  const std::string* text = &doc.text;
  if (kind == SourceKind::kText) {
    auto t = TextOfLine(doc);
    if (!t.ok()) { slot->status = t.status(); return; }
    parsed = std::move(t).value();
    if (parsed.empty()) { slot->empty = true; return; }
    if (static_cast<int64_t>(parsed.size()) > config.max_document_bytes) {
      // Cut at a UTF-8 boundary: never inside a multi-byte character.
      size_t n = static_cast<size_t>(config.max_document_bytes);
      while (n > 0 && (static_cast<unsigned char>(parsed[n]) & 0xC0) == 0x80) --n;
      parsed.resize(n);
      slot->cut = true;
    }
    text = &parsed;
  }
  std::vector<int32_t> ids;
  Status s = tokenizer.EncodeAppend(*text, &ids);
  if (!s.ok()) { slot->status = s.WithContext(doc.where); return; }
  ids.push_back(SpecialId(Special::kEndOfText));  // Megatron's append_eod
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n <= max) {
    slot->pieces.push_back(std::move(ids));
    return;
  }
  if (!config.split_long_documents) {
    slot->status = InvalidArgumentError(
        doc.where + ": document has " + std::to_string(n) + " tokens, more than max_document_tokens " +
        std::to_string(max) + "; raise it or set \"split_long_documents\": true in the mix config");
    return;
  }
  slot->split = true;
  for (int64_t start = 0; start < n; start += max) {
    slot->pieces.emplace_back(ids.begin() + start, ids.begin() + std::min(n, start + max));
  }
}

// Lines per pipeline chunk: large enough that TBB's per-chunk cost vanishes next to
// sentencepiece, small enough that 2 threads stay busy and memory stays bounded.
constexpr size_t kChunkLines = static_cast<size_t>(kBuildChunkLines);

// One chunk of input lines and their outcomes.
struct Chunk {
  std::vector<SourceDocument> raw;
  std::vector<Slot> slots;  // parallel to raw
};

// Moves the outcome of raw line `doc` into `data`. The caller stops at the first error.
Status MergeSlot(SourceDocument& doc, Slot& slot, SourceData* data) {
  KGF_RETURN_IF_ERROR(slot.status);
  if (data->config.kind == SourceKind::kToolUse) {
    switch (slot.record_split) {
      case RecordSplit::kTrain: ++data->stats.train_records; break;
      case RecordSplit::kValid:
        ++data->stats.valid_records;
        data->valid_lines += doc.text;
        data->valid_lines += '\n';
        break;
      case RecordSplit::kTest:
        ++data->stats.test_records;
        data->test_lines += doc.text;
        data->test_lines += '\n';
        break;
    }
  }
  data->stats.empty_skipped += slot.empty;
  data->stats.records += !slot.empty;
  data->stats.split += slot.split;
  data->stats.truncated += slot.truncated;
  data->stats.cut += slot.cut;
  data->stats.dropped_no_trained_tokens += slot.dropped;
  for (size_t k = 0; k < slot.pieces.size(); ++k) {
    data->stats.unique_tokens += static_cast<int64_t>(slot.pieces[k].size());
    data->docs.push_back(std::move(slot.pieces[k]));
    // The last piece may take the strings; earlier ones copy them.
    if (k + 1 == slot.pieces.size()) {
      data->origins.emplace_back(std::move(doc.where), std::move(slot.record_id));
    } else {
      data->origins.emplace_back(doc.where, slot.record_id);
    }
    if (data->config.kind == SourceKind::kToolUse) data->masks.push_back(std::move(slot.mask));
  }
  return Status::Ok();
}

// Reads, tokenizes and merges one source as a TBB pipeline: a serial reader hands out chunks
// of lines, chunks are tokenized in parallel, and a serial in-order stage merges them, so
// reading and merging overlap tokenization and the result is the same for any thread count.
// Errors are those of reading the whole source first, then processing in input order: a read
// error (missing file, blank line, invalid UTF-8) wins over any processing error, and among
// processing errors the first by input position wins.
Status LoadAndTokenize(const MixConfig& config, const Tokenizer& tokenizer, tbb::task_arena& arena,
                       SourceData* data) {
  KGF_ASSIGN_OR_RETURN(SourceLineReader reader, SourceLineReader::Open(data->config));
  Progress progress("tokenize " + data->config.name, 0, "documents");
  Status merge_status;
  // Set by the merge stage at the first processing error: later chunks skip their work.
  std::atomic<bool> failed{false};
  arena.execute([&] {
    tbb::parallel_pipeline(
        4 * static_cast<size_t>(arena.max_concurrency()),
        tbb::make_filter<void, std::shared_ptr<Chunk>>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> std::shared_ptr<Chunk> {
              auto chunk = std::make_shared<Chunk>();
              chunk->raw.reserve(kChunkLines);
              SourceDocument doc;
              while (chunk->raw.size() < kChunkLines && reader.Next(&doc)) {
                chunk->raw.push_back(std::move(doc));
              }
              if (chunk->raw.empty()) {
                fc.stop();
                return nullptr;
              }
              return chunk;
            }) &
            tbb::make_filter<std::shared_ptr<Chunk>, std::shared_ptr<Chunk>>(
                tbb::filter_mode::parallel,
                [&](std::shared_ptr<Chunk> chunk) {
                  if (failed.load(std::memory_order_relaxed)) return chunk;
                  chunk->slots.resize(chunk->raw.size());
                  for (size_t i = 0; i < chunk->raw.size(); ++i) {
                    ProcessDocument(chunk->raw[i], data->config.kind, config, tokenizer,
                                    &chunk->slots[i]);
                  }
                  progress.Add(chunk->raw.size());
                  return chunk;
                }) &
            tbb::make_filter<std::shared_ptr<Chunk>, void>(
                tbb::filter_mode::serial_in_order, [&](std::shared_ptr<Chunk> chunk) {
                  if (!merge_status.ok()) return;
                  for (size_t i = 0; i < chunk->raw.size(); ++i) {
                    merge_status = MergeSlot(chunk->raw[i], chunk->slots[i], data);
                    if (!merge_status.ok()) {
                      failed = true;
                      return;
                    }
                  }
                }));
  });
  progress.Finish();
  data->stats.files = reader.files();
  KGF_RETURN_IF_ERROR(reader.status());
  KGF_RETURN_IF_ERROR(merge_status);
  data->stats.unique_documents = static_cast<int64_t>(data->docs.size());
  return Status::Ok();
}

// Resolves epochs from weights (see mix_config.h) for the sources of one dataset.
Status ResolveEpochs(std::vector<SourceData*>& sources) {
  double weight_sum = 0;
  int64_t tokens_sum = 0;
  for (SourceData* s : sources) {
    if (!s->config.weight) {
      s->stats.epochs = s->config.epochs;
      continue;
    }
    weight_sum += *s->config.weight;
    tokens_sum += s->stats.unique_tokens;
  }
  for (SourceData* s : sources) {
    if (!s->config.weight) continue;
    if (s->stats.unique_tokens == 0) {
      return InvalidArgumentError("source '" + s->config.name +
                                  "' has a weight but no documents; remove it or give it data");
    }
    s->stats.epochs = (*s->config.weight / weight_sum) * static_cast<double>(tokens_sum) /
                      static_cast<double>(s->stats.unique_tokens);
  }
  return Status::Ok();
}

struct Entry {
  uint32_t source;
  uint32_t doc;
};

// floor(epochs) full passes plus a seeded sample of round(frac * n) documents.
void SelectDocuments(const SourceData& s, uint32_t source_index, uint64_t seed,
                     std::vector<Entry>* entries) {
  const uint32_t n = static_cast<uint32_t>(s.docs.size());
  const int64_t copies = static_cast<int64_t>(std::floor(s.stats.epochs));
  for (int64_t c = 0; c < copies; ++c) {
    for (uint32_t j = 0; j < n; ++j) entries->push_back({source_index, j});
  }
  const int64_t extra = std::llround((s.stats.epochs - static_cast<double>(copies)) * n);
  if (extra > 0) {
    std::vector<uint32_t> order(n);
    for (uint32_t j = 0; j < n; ++j) order[j] = j;
    Rng rng(Mix64(seed ^ Hash64(s.config.name)));
    rng.Shuffle(std::span<uint32_t>(order));
    order.resize(static_cast<size_t>(std::min<int64_t>(extra, n)));
    std::sort(order.begin(), order.end());
    for (uint32_t j : order) entries->push_back({source_index, j});
  }
}

struct CatalogRow {
  std::string path, dataset, kind;
  int64_t documents = 0, tokens = 0;
  uint64_t bytes = 0;
  std::string bin_checksum, idx_checksum;
};
struct CatalogSourceRow {
  std::string shard, source;
  int64_t documents = 0, tokens = 0;
};
struct CatalogDocumentRow {
  std::string dataset, shard;
  int64_t index = 0;  // sequence index inside the shard
  uint32_t source = 0;
  uint32_t doc = 0;   // SourceData::docs index
  int64_t tokens = 0, trained_tokens = 0;
};

Status WriteCatalog(const std::string& path, const std::vector<CatalogRow>& shards,
                    const std::vector<CatalogSourceRow>& sources,
                    const std::vector<SourceBuildStats>& stats,
                    const std::vector<CatalogDocumentRow>& documents,
                    const std::vector<SourceData>& data) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    Status s = IoError(path + ": cannot create catalog: " + std::string(sqlite3_errmsg(db)));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  auto exec = [&](const std::string& sql) -> Status {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = IoError(path + ": " + std::string(err ? err : "sqlite error"));
      sqlite3_free(err);
      return s;
    }
    return Status::Ok();
  };
  KGF_RETURN_IF_ERROR(exec(
      "PRAGMA journal_mode=OFF;"
      "CREATE TABLE shards(path TEXT PRIMARY KEY, dataset TEXT NOT NULL, kind TEXT NOT NULL,"
      " documents INTEGER NOT NULL, tokens INTEGER NOT NULL, bytes INTEGER NOT NULL,"
      " bin_checksum TEXT NOT NULL, idx_checksum TEXT NOT NULL);"
      "CREATE TABLE shard_sources(shard TEXT NOT NULL, source TEXT NOT NULL,"
      " documents INTEGER NOT NULL, tokens INTEGER NOT NULL, PRIMARY KEY(shard, source));"
      "CREATE TABLE sources(name TEXT PRIMARY KEY, kind TEXT NOT NULL, dataset TEXT NOT NULL,"
      " records INTEGER NOT NULL, epochs REAL NOT NULL, documents INTEGER NOT NULL,"
      " tokens INTEGER NOT NULL, trained_tokens INTEGER NOT NULL,"
      " dropped_no_trained_tokens INTEGER NOT NULL, train_records INTEGER NOT NULL,"
      " valid_records INTEGER NOT NULL, test_records INTEGER NOT NULL);"
      "CREATE TABLE documents(dataset TEXT NOT NULL, shard TEXT NOT NULL, seq INTEGER NOT NULL,"
      " source TEXT NOT NULL, record_id TEXT, input TEXT NOT NULL, tokens INTEGER NOT NULL,"
      " trained_tokens INTEGER NOT NULL, PRIMARY KEY(shard, seq));"
      "BEGIN;"));
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO shards VALUES(?,?,?,?,?,?,?,?)", -1, &stmt, nullptr);
  for (const auto& r : shards) {
    sqlite3_bind_text(stmt, 1, r.path.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, r.dataset.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, r.kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 4, r.documents);
    sqlite3_bind_int64(stmt, 5, r.tokens);
    sqlite3_bind_int64(stmt, 6, static_cast<int64_t>(r.bytes));
    sqlite3_bind_text(stmt, 7, r.bin_checksum.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 8, r.idx_checksum.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(stmt);
      return IoError(path + ": insert into shards failed: " + sqlite3_errmsg(db));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "INSERT INTO shard_sources VALUES(?,?,?,?)", -1, &stmt, nullptr);
  for (const auto& r : sources) {
    sqlite3_bind_text(stmt, 1, r.shard.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, r.source.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 3, r.documents);
    sqlite3_bind_int64(stmt, 4, r.tokens);
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(stmt);
      return IoError(path + ": insert into shard_sources failed: " + sqlite3_errmsg(db));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "INSERT INTO sources VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", -1, &stmt, nullptr);
  for (const auto& r : stats) {
    sqlite3_bind_text(stmt, 1, r.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, r.kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, r.dataset.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 4, r.records);
    sqlite3_bind_double(stmt, 5, r.epochs);
    sqlite3_bind_int64(stmt, 6, r.documents);
    sqlite3_bind_int64(stmt, 7, r.tokens);
    sqlite3_bind_int64(stmt, 8, r.trained_tokens);
    sqlite3_bind_int64(stmt, 9, r.dropped_no_trained_tokens);
    sqlite3_bind_int64(stmt, 10, r.train_records);
    sqlite3_bind_int64(stmt, 11, r.valid_records);
    sqlite3_bind_int64(stmt, 12, r.test_records);
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(stmt);
      return IoError(path + ": insert into sources failed: " + sqlite3_errmsg(db));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "INSERT INTO documents VALUES(?,?,?,?,?,?,?,?)", -1, &stmt, nullptr);
  for (const CatalogDocumentRow& r : documents) {
    const auto& [input, record_id] = data[r.source].origins[r.doc];
    sqlite3_bind_text(stmt, 1, r.dataset.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, r.shard.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 3, r.index);
    sqlite3_bind_text(stmt, 4, data[r.source].config.name.c_str(), -1, SQLITE_TRANSIENT);
    if (record_id.empty()) {
      sqlite3_bind_null(stmt, 5);
    } else {
      sqlite3_bind_text(stmt, 5, record_id.c_str(), -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(stmt, 6, input.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 7, r.tokens);
    sqlite3_bind_int64(stmt, 8, r.trained_tokens);
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(stmt);
      return IoError(path + ": insert into documents failed: " + sqlite3_errmsg(db));
    }
  }
  sqlite3_finalize(stmt);
  return exec("COMMIT;");
}

// Removes the temporary folder unless released.
class TempFolder {
 public:
  explicit TempFolder(std::string path) : path_(std::move(path)) {}
  ~TempFolder() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// Writes <dir>/eval/<split>.jsonl for each split with held-out records (sources in config
// order, each in input order). Returns the manifest entries; bytes and checksum are filled in
// with the other files'.
Result<std::vector<ManifestEvalFile>> WriteEvalFiles(const std::string& dir,
                                                     const std::vector<SourceData>& data,
                                                     const MixConfig& config) {
  std::vector<ManifestEvalFile> eval;
  for (RecordSplit split : {RecordSplit::kValid, RecordSplit::kTest}) {
    ManifestEvalFile f;
    f.split = std::string(RecordSplitName(split));
    f.path = JoinPath(kEvalDir, f.split + ".jsonl");
    f.trained = Trains(split, config);
    std::string lines;
    for (const SourceData& d : data) {
      lines += split == RecordSplit::kValid ? d.valid_lines : d.test_lines;
      f.records += split == RecordSplit::kValid ? d.stats.valid_records : d.stats.test_records;
    }
    if (f.records == 0) continue;
    KGF_RETURN_IF_ERROR(CreateDirectories(JoinPath(dir, kEvalDir)));
    KGF_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, f.path), lines));
    eval.push_back(std::move(f));
  }
  return eval;
}

// Regular files below `dir`, as paths relative to it, sorted.
Result<std::vector<std::string>> ListFilesBelow(const std::string& dir) {
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  std::vector<std::string> files;
  for (const std::string& name : names) {
    if (!IsDirectory(JoinPath(dir, name))) {
      files.push_back(name);
      continue;
    }
    KGF_ASSIGN_OR_RETURN(std::vector<std::string> below, ListFilesBelow(JoinPath(dir, name)));
    for (const std::string& b : below) files.push_back(JoinPath(name, b));
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ShardName(std::string_view dataset, int index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "_%05d", index);
  return std::string(dataset) + buf;
}

}  // namespace

namespace {

// Everything the corpus depends on: the mix config's bytes, every input file's content in
// order (folders expanded), the tokenizer and the binary. Paths are left out: the same inputs
// elsewhere build the same bytes (and the manifest stays identical wherever it is built).
Result<std::string> BuildFingerprint(const CorpusBuildOptions& options, const MixConfig& config,
                                     const std::string& tokenizer_path) {
  RunFingerprint fp;
  fp.AddText("command", "corpus build");
  KGF_RETURN_IF_ERROR(fp.AddFile("config", options.config));
  for (const SourceConfig& source : config.sources) {
    KGF_ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandSourcePaths(source));
    fp.AddText("source", source.name);
    for (const std::string& f : files) KGF_RETURN_IF_ERROR(fp.AddFile("file", f));
  }
  KGF_RETURN_IF_ERROR(fp.AddFile("tokenizer", tokenizer_path));
  return fp.Digest();
}

// The manifest of a finished corpus at `out` (its manifest parses and every file it lists has
// its recorded size), or nullopt.
std::optional<Manifest> FinishedCorpus(const std::string& out) {
  const std::string path = JoinPath(out, kManifestFile);
  Result<std::string> text = ReadFileToString(path);
  if (!text.ok()) return std::nullopt;
  Result<Manifest> m = Manifest::Parse(*text, path);
  if (!m.ok()) return std::nullopt;
  for (const ManifestFile& f : m->files) {
    std::error_code ec;
    const auto size = fs::file_size(JoinPath(out, f.path), ec);
    if (ec || size != f.bytes) return std::nullopt;
  }
  return std::move(m).value();
}

}  // namespace

namespace {

// A review store in the output folder (`kgforge review` used to create one there, and a
// reviewer may have copied one in): replacing the folder would delete those decisions. Refused,
// never silent. Errors: FailedPrecondition naming the file and what to do.
Status RefuseToDeleteDecisions(const std::string& out) {
  for (const char* name : {"review.sqlite", "review.sqlite-wal"}) {
    const std::string path = JoinPath(out, name);
    if (!FileExists(path)) continue;
    return FailedPreconditionError(
        path + ": a review store in the corpus folder; rebuilding would delete its decisions, "
        "and nothing reads them there. Move it out first (decisions belong with the filter "
        "output the corpus was built from, where a review_decisions filter step honours them), "
        "then rebuild");
  }
  return Status::Ok();
}

// What an existing --out means: nullopt to build (absent or empty), the finished corpus when
// its fingerprint matches (reused), an error otherwise (--force builds over a finished one).
Result<std::optional<BuildSummary>> CheckOutputFolder(const CorpusBuildOptions& options,
                                                      const std::string& fingerprint) {
  if (!fs::exists(options.out) || (fs::is_directory(options.out) && fs::is_empty(options.out))) {
    return std::optional<BuildSummary>();
  }
  std::optional<Manifest> done = FinishedCorpus(options.out);
  if (!done) {
    return AlreadyExistsError(options.out + ": already exists and is not an empty folder nor a "
                                            "finished corpus; choose a new --out or remove it");
  }
  if (options.force) {
    KGF_RETURN_IF_ERROR(RefuseToDeleteDecisions(options.out));
    return std::optional<BuildSummary>();
  }
  if (done->fingerprint == fingerprint) {
    return std::optional<BuildSummary>(BuildSummary{options.out, std::move(*done), /*reused=*/true});
  }
  return AlreadyExistsError(options.out + ": holds a corpus built from other inputs, config, "
                                          "tokenizer or kgforge binary; choose a new --out, "
                                          "or pass --force to replace it");
}

// Removes the <out>.tmp-<pid> folders killed builds (pids no longer alive) left.
Status RemoveTempLeftovers(const std::string& out_dir) {
  fs::path out = fs::absolute(out_dir).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  const std::string name = Basename(out.string());
  return RemoveStaleTempFiles(out.parent_path().string(), name.empty() ? "-" : name + ".tmp-")
      .status();
}

// A fresh <out>.tmp-<pid> folder, after removing what killed earlier builds left.
Result<std::string> MakeTempFolder(const std::string& out_dir) {
  KGF_RETURN_IF_ERROR(RemoveTempLeftovers(out_dir));
  const std::string tmp = out_dir + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  KGF_RETURN_IF_ERROR(CreateDirectories(tmp));
  return tmp;
}

struct CatalogTables {
  std::vector<CatalogRow> shards;
  std::vector<CatalogSourceRow> sources;
  std::vector<CatalogDocumentRow> documents;
};

// Writes one dataset ("pretrain" or "sft": masks for sft) of the sources in `data` that belong
// to it into shards under `tmp`, in the seeded shuffled order; adds it to the manifest (nothing
// when no source feeds it) and its rows to the catalog tables.
Status WriteDataset(std::string_view dataset, const MixConfig& config, DType dtype,
                    const std::string& tmp, std::vector<SourceData>& data, Manifest* manifest,
                    CatalogTables* tables) {
  std::vector<SourceData*> members;
  std::vector<uint32_t> member_index;
  for (uint32_t i = 0; i < data.size(); ++i) {
    if (data[i].stats.dataset == dataset) {
      members.push_back(&data[i]);
      member_index.push_back(i);
    }
  }
  if (members.empty()) return Status::Ok();
  KGF_RETURN_IF_ERROR(ResolveEpochs(members));
  std::vector<Entry> entries;
  for (size_t m = 0; m < members.size(); ++m) {
    SelectDocuments(*members[m], member_index[m], config.seed, &entries);
  }
  Rng rng(Mix64(config.seed) ^ Hash64(dataset));
  rng.Shuffle(std::span<Entry>(entries));

  const bool masks = dataset == "sft";
  ManifestDataset md;
  md.name = std::string(dataset);
  md.masks = masks;
  std::unique_ptr<IndexedDatasetWriter> tokens_writer, mask_writer;
  std::map<uint32_t, std::pair<int64_t, int64_t>> shard_sources;  // source -> docs, tokens
  ManifestShard shard;
  auto finish_shard = [&]() -> Status {
    if (!tokens_writer) return Status::Ok();
    KGF_RETURN_IF_ERROR(tokens_writer->Finish());
    if (mask_writer) KGF_RETURN_IF_ERROR(mask_writer->Finish());
    tokens_writer.reset();
    mask_writer.reset();
    for (const auto& [src, counts] : shard_sources) {
      tables->sources.push_back({shard.prefix, data[src].config.name, counts.first, counts.second});
    }
    shard_sources.clear();
    md.shards.push_back(shard);
    return Status::Ok();
  };
  IndexedDatasetWriterOptions wopt;
  wopt.dtype = dtype;
  wopt.max_sequence_length = config.max_document_tokens;
  std::vector<int32_t> mask_values;
  for (const Entry& e : entries) {
    const std::vector<int32_t>& doc = data[e.source].docs[e.doc];
    const int64_t len = static_cast<int64_t>(doc.size());
    if (tokens_writer && shard.tokens + len > config.max_shard_tokens) KGF_RETURN_IF_ERROR(finish_shard());
    if (!tokens_writer) {
      shard = ManifestShard{ShardName(dataset, static_cast<int>(md.shards.size())), 0, 0};
      KGF_ASSIGN_OR_RETURN(tokens_writer, IndexedDatasetWriter::Open(JoinPath(tmp, shard.prefix), wopt));
      if (masks) {
        IndexedDatasetWriterOptions mopt = wopt;
        mopt.dtype = DType::kUint8;
        KGF_ASSIGN_OR_RETURN(mask_writer,
                             IndexedDatasetWriter::Open(JoinPath(tmp, shard.prefix + "_mask"), mopt));
      }
    }
    KGF_RETURN_IF_ERROR(tokens_writer->AddDocument(doc));
    int64_t trained = len;
    if (masks) {
      const std::vector<uint8_t>& m = data[e.source].masks[e.doc];
      mask_values.assign(m.begin(), m.end());
      KGF_RETURN_IF_ERROR(mask_writer->AddDocument(mask_values));
      trained = 0;
      for (uint8_t v : m) trained += v;
    }
    tables->documents.push_back({std::string(dataset), shard.prefix, shard.documents, e.source,
                                 e.doc, len, trained});
    shard.documents += 1;
    shard.tokens += len;
    auto& counts = shard_sources[e.source];
    counts.first += 1;
    counts.second += len;
    SourceBuildStats& st = data[e.source].stats;
    st.documents += 1;
    st.tokens += len;
    st.trained_tokens += trained;
    md.documents += 1;
    md.tokens += len;
  }
  KGF_RETURN_IF_ERROR(finish_shard());
  manifest->datasets.push_back(std::move(md));
  return Status::Ok();
}

// Sizes and checksums of every file under `tmp` so far (all but the manifest and the catalog)
// into the manifest, its eval files and the catalog's shard rows.
// Files are checksummed in parallel (one task per file), recorded in sorted order.
Status RecordFiles(const std::string& tmp, tbb::task_arena& arena, Manifest* manifest,
                   std::vector<CatalogRow>* shards) {
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListFilesBelow(tmp));
  std::vector<ManifestFile> files(names.size());
  std::vector<Status> statuses(names.size());
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
      statuses[i] = [&]() -> Status {
        files[i].path = names[i];
        KGF_ASSIGN_OR_RETURN(files[i].bytes, FileSize(JoinPath(tmp, names[i])));
        KGF_ASSIGN_OR_RETURN(files[i].checksum, FileChecksum(JoinPath(tmp, names[i])));
        return Status::Ok();
      }();
    });
  });
  std::map<std::string, ManifestFile> by_name;
  for (size_t i = 0; i < names.size(); ++i) {
    KGF_RETURN_IF_ERROR(statuses[i]);
    by_name[names[i]] = files[i];
    manifest->files.push_back(files[i]);
  }
  for (ManifestEvalFile& e : manifest->eval) {
    e.bytes = by_name[e.path].bytes;
    e.checksum = by_name[e.path].checksum;
  }
  for (const ManifestDataset& d : manifest->datasets) {
    for (const ManifestShard& s : d.shards) {
      for (const char* suffix : {"", "_mask"}) {
        if (*suffix && !d.masks) continue;
        const std::string prefix = s.prefix + suffix;
        const ManifestFile& bin = by_name[BinPath(prefix)];
        const ManifestFile& idx = by_name[IdxPath(prefix)];
        shards->push_back({prefix, d.name, *suffix ? "mask" : "tokens", s.documents, s.tokens,
                           bin.bytes + idx.bytes, bin.checksum, idx.checksum});
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<BuildSummary> BuildCorpus(const CorpusBuildOptions& options) {
  KGF_ASSIGN_OR_RETURN(MixConfig config, LoadMixConfig(options.config));
  const std::string tokenizer_path = options.tokenizer.empty() ? config.tokenizer : options.tokenizer;
  if (tokenizer_path.empty()) {
    return InvalidArgumentError(options.config + ": no tokenizer: set \"tokenizer\" in the mix "
                                                 "config or pass --tokenizer");
  }
  KGF_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::Load(tokenizer_path));
  if (options.out.empty()) return InvalidArgumentError("corpus build: --out is required");
  KGF_ASSIGN_OR_RETURN(std::string fingerprint, BuildFingerprint(options, config, tokenizer_path));
  KGF_ASSIGN_OR_RETURN(std::optional<BuildSummary> reused, CheckOutputFolder(options, fingerprint));
  if (reused) {
    // A build killed after this corpus was finished (--force) left its temp folder.
    KGF_RETURN_IF_ERROR(RemoveTempLeftovers(options.out));
    return std::move(*reused);
  }

  // More threads than cores only makes TBB warn; the output does not depend on the count.
  const int cores = tbb::info::default_concurrency();
  tbb::task_arena arena(options.threads > 0 ? std::min(options.threads, cores) : cores);
  std::vector<SourceData> data(config.sources.size());
  for (size_t i = 0; i < config.sources.size(); ++i) {
    data[i].config = config.sources[i];
    data[i].stats.name = config.sources[i].name;
    data[i].stats.kind = std::string(SourceKindName(config.sources[i].kind));
    data[i].stats.dataset = std::string(DatasetOf(config.sources[i].kind));
    data[i].stats.valid_trained =
        config.sources[i].kind == SourceKind::kToolUse && config.train_on_valid;
    KGF_RETURN_IF_ERROR(LoadAndTokenize(config, tokenizer, arena, &data[i]));
  }

  KGF_ASSIGN_OR_RETURN(const std::string tmp, MakeTempFolder(options.out));
  TempFolder tmp_guard(tmp);
  Manifest manifest;
  manifest.seed = config.seed;
  manifest.tokenizer_checksum = tokenizer.checksum();
  manifest.vocab_size = tokenizer.vocab_size();
  const DType dtype = TokenDTypeForVocab(tokenizer.vocab_size());
  manifest.dtype = std::string(DTypeName(dtype));
  manifest.max_document_tokens = config.max_document_tokens;
  manifest.chat_template = config.chat_template;
  manifest.train_on_valid = config.train_on_valid;
  KGF_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(tmp, kTokenizerFile), tokenizer.serialized()));
  KGF_ASSIGN_OR_RETURN(manifest.eval, WriteEvalFiles(tmp, data, config));
  CatalogTables tables;
  for (std::string_view dataset : {"pretrain", "sft"}) {
    KGF_RETURN_IF_ERROR(WriteDataset(dataset, config, dtype, tmp, data, &manifest, &tables));
  }
  for (const SourceData& d : data) manifest.sources.push_back(d.stats);
  KGF_RETURN_IF_ERROR(RecordFiles(tmp, arena, &manifest, &tables.shards));
  manifest.fingerprint = fingerprint;
  KGF_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(tmp, kManifestFile), manifest.ToJson()));
  KGF_RETURN_IF_ERROR(WriteCatalog(JoinPath(tmp, kCatalogFile), tables.shards, tables.sources,
                                   manifest.sources, tables.documents, data));

  std::error_code ec;
  // An empty folder, or (--force) a finished corpus; checked again: a store may have appeared.
  KGF_RETURN_IF_ERROR(RefuseToDeleteDecisions(options.out));
  if (fs::exists(options.out)) fs::remove_all(options.out, ec);
  fs::rename(tmp, options.out, ec);
  if (ec) return IoError("cannot move " + tmp + " to " + options.out + ": " + ec.message());
  tmp_guard.Release();
  BuildSummary summary;
  summary.out = options.out;
  summary.manifest = std::move(manifest);
  return summary;
}

Result<std::string> TrainTokenizerJob(const TokenizerTrainJob& job) {
  std::vector<SourceConfig> sources;
  MixConfig config;  // defaults when only --input files are given
  if (!job.config.empty()) {
    KGF_ASSIGN_OR_RETURN(config, LoadMixConfig(job.config));
    sources = config.sources;
  }
  if (!job.inputs.empty()) {
    SourceConfig inputs;
    inputs.name = "inputs";
    inputs.kind = SourceKind::kText;
    inputs.paths = job.inputs;
    sources.push_back(inputs);
  }
  if (sources.empty()) {
    return InvalidArgumentError("tokenizer train: give --config MIX or --input FILE (text to train on)");
  }
  std::vector<std::string> texts;
  for (const SourceConfig& source : sources) {
    SourceReadStats stats;
    KGF_ASSIGN_OR_RETURN(std::vector<SourceDocument> docs, ReadSource(source, &stats));
    for (SourceDocument& d : docs) {
      if (source.kind == SourceKind::kToolUse) {
        // The text the corpus build will train on: its chat template, held-out splits left out.
        KGF_ASSIGN_OR_RETURN(JsonDoc record, ParseJson(d.text, d.where));
        KGF_ASSIGN_OR_RETURN(RecordSplit split, SplitOfRecord(record, d.where));
        if (!Trains(split, config)) continue;
        KGF_ASSIGN_OR_RETURN(RenderedChat chat, RenderChat(record, config.chat_template, d.where));
        texts.push_back(chat.PlainText());
      } else {
        texts.push_back(std::move(d.text));
      }
    }
  }
  KGF_ASSIGN_OR_RETURN(std::string model, TrainTokenizer(texts, job.train));
  KGF_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::FromSerialized(model, job.out));
  if (!Dirname(job.out).empty()) KGF_RETURN_IF_ERROR(CreateDirectories(Dirname(job.out)));
  KGF_RETURN_IF_ERROR(WriteFileAtomic(job.out, model));
  return tokenizer.checksum();
}

}  // namespace kgf::corpus
