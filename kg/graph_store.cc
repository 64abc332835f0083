// GraphStore on SQLite. An import parses every input into memory first (kg/import/: keys interned,
// names decided once all labels are known), then writes in one transaction: relations, entities,
// triples sorted in primary-key order, the source rows, and the new content checksum. A new
// store is bulk-loaded into a private file and renamed into place (ImportIntoStore).
#include "kg/graph_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/progress.h"
#include "base/string_id_index.h"
#include "kg/import/triple_sort.h"

namespace kgf::kg {
namespace {

// The tables of a store. A store made by `kg import` has no index over triples by tail: no
// query reads one (EXPLAIN QUERY PLAN over every statement here; LoadGraph names its order).
// Stores made before keep their `triples_by_tail` and imports maintain it.
constexpr const char* kTables = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entities(id INTEGER PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL,
                      type TEXT NOT NULL DEFAULT '', aliases TEXT NOT NULL DEFAULT '');
CREATE TABLE relations(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
                       description TEXT NOT NULL DEFAULT '', head_type TEXT NOT NULL DEFAULT '',
                       tail_type TEXT NOT NULL DEFAULT '', inverse_name TEXT NOT NULL DEFAULT '',
                       question_phrase TEXT NOT NULL DEFAULT '');
CREATE TABLE triples(head INTEGER NOT NULL, relation INTEGER NOT NULL, tail INTEGER NOT NULL,
                     PRIMARY KEY(head, relation, tail)) WITHOUT ROWID;
CREATE TABLE sources(id INTEGER PRIMARY KEY, path TEXT NOT NULL, checksum TEXT NOT NULL,
                     format TEXT NOT NULL, bytes INTEGER NOT NULL, triples_read INTEGER NOT NULL,
                     triples_added INTEGER NOT NULL, imported_at TEXT NOT NULL);
)sql";
// Stores made before issue 12 also index entities by key and by name (UNIQUE). No statement
// reads them (every entity read scans in id order) and the import guarantees both uniquenesses
// in memory (keys interned, names disambiguated; Graph::Build checks them again at every load),
// so a bulk-loaded store goes without: building them was 40% of a 10M-triple import. Imports
// into an older non-empty store keep its indexes up to date.
constexpr const char* kEntityIndexes =
    "CREATE UNIQUE INDEX entities_by_key ON entities(key); "
    "CREATE UNIQUE INDEX entities_by_name ON entities(name)";

// RAII prepared statement.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql, Status* status) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      *status = DataLossError(std::string("SQLite: ") + sqlite3_errmsg(db));
      stmt_ = nullptr;
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  sqlite3_stmt* get() const { return stmt_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // REQUIRES: the bytes stay valid until Run() (SQLITE_STATIC: no copy).
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // Steps to completion (INSERT/UPDATE). Returns the sqlite code. Every parameter is bound
  // again before the next Run().
  int Run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    return rc;
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                      sqlite3_column_bytes(stmt_, col));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string NowUtc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string StoreStem(const std::string& path) {
  std::string base = Basename(path);
  const size_t dot = base.find('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

}  // namespace

struct GraphStore::Impl {
  std::string path;
  sqlite3* db = nullptr;
  Mode mode = Mode::kReadOnly;
  // A new store written into a private file (GraphStore::OpenFile): empty when the import
  // starts, no journal, entity indexes built after the rows.
  bool bulk = false;
  ~Impl() {
    if (db != nullptr) sqlite3_close(db);
  }

  Status Error(std::string_view what) const {
    return DataLossError(path + ": " + std::string(what) + ": " + sqlite3_errmsg(db));
  }
  Status Exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      const int code = sqlite3_errcode(db);
      if (code == SQLITE_NOTADB) {
        return DataLossError(path + ": not an SQLite database (is this a kgforge graph store?)");
      }
      if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_IOERR ||
          code == SQLITE_FULL) {
        return IoError(path + ": " + msg);
      }
      return DataLossError(path + ": " + msg);
    }
    return Status::Ok();
  }
  Result<std::string> Meta(const char* key) const {
    Status st;
    Stmt s(db, "SELECT value FROM meta WHERE key = ?", &st);
    KGF_RETURN_IF_ERROR(st);
    s.Bind(1, std::string_view(key));
    std::string value;
    if (sqlite3_step(s.get()) == SQLITE_ROW) value = s.Text(0);
    return value;
  }
  Status SetMeta(const char* key, std::string_view value) const {
    Status st;
    Stmt s(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);
    KGF_RETURN_IF_ERROR(st);
    s.Bind(1, std::string_view(key));
    s.Bind(2, value);
    if (s.Run() != SQLITE_DONE) return Error("writing metadata");
    return Status::Ok();
  }
  Result<int64_t> Count(const char* table) const {
    Status st;
    Stmt s(db, (std::string("SELECT count(*) FROM ") + table).c_str(), &st);
    KGF_RETURN_IF_ERROR(st);
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Error("counting");
    return sqlite3_column_int64(s.get(), 0);
  }

  Result<bool> HasIndex(const char* name) const {
    Status st;
    Stmt s(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", &st);
    KGF_RETURN_IF_ERROR(st);
    s.Bind(1, std::string_view(name));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Error("reading schema");
    return sqlite3_column_int64(s.get(), 0) > 0;
  }

  Result<std::string> ComputeChecksum() const;
  Result<ImportReport> Import(const std::vector<std::string>& files, const ImportOptions& options);
  // The phases of Import that touch the database (the rest are free functions below).
  Status ReadSnapshot(ImportState* st) const;
  Status WriteImport(const ImportState& st, const ImportOptions& options,
                     ImportReport* report);
  Status WriteBulkImport(const ImportState& st, const ImportOptions& options,
                         ImportReport* report);
  Status WriteRelationsAndEntities(const ImportState& st, ImportReport* report);
  Status WriteTriples(const ImportState& st, ImportReport* report);
  Status WriteNewEntities(const ImportState& st, ImportReport* report);
  Status WriteSources(const ImportState& st, const ImportReport& report);
};

GraphStore::GraphStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GraphStore::GraphStore(GraphStore&&) noexcept = default;
GraphStore& GraphStore::operator=(GraphStore&&) noexcept = default;
GraphStore::~GraphStore() = default;
const std::string& GraphStore::path() const { return impl_->path; }

namespace {

// A WAL-mode store on a read-only file system (or in a directory this user cannot write) cannot
// be opened the usual way: readers need the -shm file. Such a store is read as immutable media
// then, unless it holds a write-ahead log not yet folded into the file (read it after copying
// the store somewhere writable).
Status ReopenIfReadOnlyMedia(const std::string& path, sqlite3** db) {
  Status st;
  {
    Stmt probe(*db, "SELECT count(*) FROM sqlite_master", &st);
    if (st.ok() && sqlite3_step(probe.get()) == SQLITE_ROW) return Status::Ok();
  }
  if (sqlite3_errcode(*db) != SQLITE_CANTOPEN) return Status::Ok();  // reported later
  Result<uint64_t> wal = FileSize(path + "-wal");
  if (wal.ok() && *wal > 0) {
    return FailedPreconditionError(path + ": on a read-only file system with an unmerged "
                                   "write-ahead log (" + path + "-wal); copy the store and its "
                                   "-wal file somewhere writable to read it");
  }
  sqlite3_close(*db);
  *db = nullptr;
  const std::string uri = "file:" + path + "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), db,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return IoError(path + ": cannot open graph store on read-only media: " +
                   (*db ? sqlite3_errmsg(*db) : "out of memory"));
  }
  return Status::Ok();
}

}  // namespace

Result<GraphStore> GraphStore::Open(const std::string& path, Mode mode) {
  return OpenFile(path, path, mode, /*bulk=*/false);
}

Result<GraphStore> GraphStore::OpenFile(const std::string& path, const std::string& file, Mode mode,
                                        bool bulk) {
  const bool exists = FileExists(file);
  if (!exists && mode == Mode::kReadOnly) {
    return NotFoundError(path + ": graph store not found (create it with `kgforge kg import --store " +
                         path + " FILE...`)");
  }
  if (exists && IsDirectory(file)) return InvalidArgumentError(path + ": is a directory, not a graph store");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->mode = mode;
  impl->bulk = bulk;
  // NOMUTEX: a GraphStore is used from one thread at a time (see the header).
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(file.c_str(), &impl->db, flags, nullptr) != SQLITE_OK) {
    return IoError(path + ": cannot open graph store: " +
                   (impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  }
  sqlite3_busy_timeout(impl->db, 10000);
  if (mode == Mode::kReadOnly) KGF_RETURN_IF_ERROR(ReopenIfReadOnlyMedia(path, &impl->db));
  // Reading the schema is the first access to the file: a non-SQLite file fails here.
  Result<int64_t> tables = [&]() -> Result<int64_t> {
    Status st;
    Stmt s(impl->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", &st);
    if (!st.ok()) {
      if (sqlite3_errcode(impl->db) == SQLITE_NOTADB) {
        return DataLossError(path + ": not an SQLite database (is this a kgforge graph store?)");
      }
      return DataLossError(path + ": " + st.message());
    }
    if (sqlite3_step(s.get()) != SQLITE_ROW) {
      return DataLossError(path + ": not an SQLite database or corrupt: " + sqlite3_errmsg(impl->db));
    }
    return sqlite3_column_int64(s.get(), 0);
  }();
  KGF_RETURN_IF_ERROR(tables);
  if (*tables == 0) {
    Result<int64_t> any = [&]() -> Result<int64_t> {
      Status st;
      Stmt s(impl->db, "SELECT count(*) FROM sqlite_master", &st);
      KGF_RETURN_IF_ERROR(st);
      if (sqlite3_step(s.get()) != SQLITE_ROW) return impl->Error("reading schema");
      return sqlite3_column_int64(s.get(), 0);
    }();
    KGF_RETURN_IF_ERROR(any);
    if (*any > 0 || mode == Mode::kReadOnly) {
      return FailedPreconditionError(path + ": an SQLite database but not a kgforge graph store "
                                            "(no meta table); choose another --store path");
    }
    // A new store. 16 KiB pages: fewer B-tree levels and splits for bulk triple loads.
    KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA page_size=16384"));
    if (bulk) {
      // A private file that becomes the store only when complete (ImportIntoStore renames it):
      // no journal and no syncs while it is written, one fsync at the end.
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA journal_mode=OFF"));
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA synchronous=OFF"));
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA locking_mode=EXCLUSIVE"));
    } else {
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA journal_mode=WAL"));
    }
    KGF_RETURN_IF_ERROR(impl->Exec("BEGIN IMMEDIATE"));
    // Another process may have created the schema while this one waited for the lock.
    Result<int64_t> created = [&]() -> Result<int64_t> {
      Status st;
      Stmt s(impl->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
             &st);
      KGF_RETURN_IF_ERROR(st);
      if (sqlite3_step(s.get()) != SQLITE_ROW) return impl->Error("reading schema");
      return sqlite3_column_int64(s.get(), 0);
    }();
    Status st = created.ok() ? Status::Ok() : created.status();
    if (st.ok() && *created == 0) st = impl->Exec(kTables);
    // An empty store keeps the old layout (an older kgforge's first bulk load into it drops
    // and rebuilds these indexes); a bulk load of a new store makes none.
    if (st.ok() && *created == 0 && !bulk) st = impl->Exec(kEntityIndexes);
    if (st.ok() && *created == 0) {
      st = impl->SetMeta("schema_version", std::to_string(kStoreSchemaVersion));
      if (st.ok()) st = impl->SetMeta("name", StoreStem(path));
      if (st.ok()) st = impl->SetMeta("checksum", "");
      if (st.ok()) st = impl->SetMeta("created_at", NowUtc());
    }
    if (!st.ok()) {
      impl->Exec("ROLLBACK").IgnoreError();
      return st;
    }
    KGF_RETURN_IF_ERROR(impl->Exec("COMMIT"));
  }
  KGF_ASSIGN_OR_RETURN(std::string version, impl->Meta("schema_version"));
  char* end = nullptr;
  const long v = std::strtol(version.c_str(), &end, 10);
  if (version.empty() || *end != '\0' || v <= 0) {
    return DataLossError(path + ": bad schema_version '" + version + "' in meta table");
  }
  if (v > kStoreSchemaVersion) {
    return FailedPreconditionError(path + ": graph store schema version " + version +
                                   " is newer than this kgforge reads (" +
                                   std::to_string(kStoreSchemaVersion) + "); upgrade kgforge");
  }
  if (mode == Mode::kReadWrite) {
    if (!bulk) {
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA journal_mode=WAL"));
      KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA synchronous=NORMAL"));
    }
    KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA cache_size=-262144"));  // 256 MiB
    KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA temp_store=MEMORY"));
    KGF_RETURN_IF_ERROR(impl->Exec("PRAGMA threads=2"));  // sorter helpers for CREATE INDEX
  }
  return GraphStore(std::move(impl));
}

std::string GraphStore::name() const {
  Result<std::string> n = impl_->Meta("name");
  return n.ok() ? *n : std::string();
}
std::string GraphStore::checksum() const {
  Result<std::string> c = impl_->Meta("checksum");
  return c.ok() ? *c : std::string();
}
std::string GraphStore::counterfactual_of() const {
  Result<std::string> c = impl_->Meta("counterfactual_of");
  return c.ok() ? *c : std::string();
}
uint64_t GraphStore::relabel_seed() const {
  Result<std::string> c = impl_->Meta("relabel_seed");
  return c.ok() && !c->empty() ? std::strtoull(c->c_str(), nullptr, 10) : 0;
}
Status GraphStore::MarkCounterfactual(std::string_view original_checksum, uint64_t seed) {
  KGF_RETURN_IF_ERROR(impl_->SetMeta("counterfactual_of", original_checksum));
  return impl_->SetMeta("relabel_seed", std::to_string(seed));
}

Result<std::vector<std::string>> GraphStore::Sources() const {
  Status st;
  Stmt s(impl_->db, "SELECT path, checksum, format, triples_read, triples_added, imported_at "
                    "FROM sources ORDER BY id", &st);
  KGF_RETURN_IF_ERROR(st);
  std::vector<std::string> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    out.push_back(s.Text(0) + "  " + s.Text(1) + "  " + s.Text(2) + "  read " + s.Text(3) +
                  ", added " + s.Text(4) + "  " + s.Text(5));
  }
  return out;
}

// The content checksum (ContentHasher, kg/import/import_state.h) read back from the store.
Result<std::string> GraphStore::Impl::ComputeChecksum() const {
  ContentHasher h;
  Status st;
  auto feed = [&](Stmt& s, int cols) {
    for (int c = 0; c < cols; ++c) {
      const unsigned char* p = sqlite3_column_text(s.get(), c);
      const int n = sqlite3_column_bytes(s.get(), c);
      h.Field(std::string_view(reinterpret_cast<const char*>(p), p ? n : 0));
    }
  };
  Stmt e(db, "SELECT key, name, type, aliases FROM entities ORDER BY id", &st);
  KGF_RETURN_IF_ERROR(st);
  while (sqlite3_step(e.get()) == SQLITE_ROW) feed(e, 4);
  Stmt r(db, "SELECT key, name, description, head_type, tail_type, inverse_name, question_phrase "
             "FROM relations ORDER BY id", &st);
  KGF_RETURN_IF_ERROR(st);
  while (sqlite3_step(r.get()) == SQLITE_ROW) feed(r, 7);
  Stmt t(db, "SELECT head, relation, tail FROM triples ORDER BY head, relation, tail", &st);
  KGF_RETURN_IF_ERROR(st);
  while (sqlite3_step(t.get()) == SQLITE_ROW) {
    h.Triple(static_cast<uint32_t>(sqlite3_column_int64(t.get(), 0)),
             static_cast<uint32_t>(sqlite3_column_int64(t.get(), 1)),
             static_cast<uint32_t>(sqlite3_column_int64(t.get(), 2)));
  }
  return h.Finish();
}

Result<ImportReport> GraphStore::Import(const std::vector<std::string>& files,
                                        const ImportOptions& options) {
  if (impl_->mode != Mode::kReadWrite) {
    return FailedPreconditionError(impl_->path + ": opened read-only; cannot import");
  }
  return impl_->Import(files, options);
}

Status GraphStore::Impl::ReadSnapshot(ImportState* st) const {
  KGF_RETURN_IF_ERROR(Exec("BEGIN"));
  const Status read = [&]() -> Status {
    Status status;
    Stmt s(db, "SELECT id, key, name, type, aliases FROM entities ORDER BY id", &status);
    KGF_RETURN_IF_ERROR(status);
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      if (sqlite3_column_int64(s.get(), 0) != static_cast<int64_t>(st->entities.size())) {
        return DataLossError(path + ": entity ids are not dense (store damaged)");
      }
      PendingEntity e;
      e.key = s.Text(1);
      e.name = s.Text(2);
      e.type = s.Text(3);
      e.aliases = SplitAliases(s.Text(4));
      e.is_new = false;
      e.name_priority = 4;  // existing names stay unless a side file renames
      st->entity_by_key.FindOrInsert(e.key, static_cast<uint32_t>(st->entities.size()),
                                     [st](uint32_t i) { return st->KeyOf(i); });
      st->entities.push_back(std::move(e));
    }
    Stmt r(db, "SELECT id, key, name, description, head_type, tail_type, inverse_name, "
               "question_phrase FROM relations ORDER BY id", &status);
    KGF_RETURN_IF_ERROR(status);
    while (sqlite3_step(r.get()) == SQLITE_ROW) {
      if (sqlite3_column_int64(r.get(), 0) != static_cast<int64_t>(st->relations.size())) {
        return DataLossError(path + ": relation ids are not dense (store damaged)");
      }
      RelationInfo info{r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7)};
      st->relation_by_key.emplace(info.key, static_cast<uint32_t>(st->relations.size()));
      st->relation_names.insert(info.name);
      st->relations.push_back(std::move(info));
      st->relation_dirty.push_back(false);
    }
    return Status::Ok();
  }();
  KGF_RETURN_IF_ERROR(Exec("COMMIT"));
  KGF_RETURN_IF_ERROR(read);
  st->old_entities = st->entities.size();
  st->old_relations = st->relations.size();
  st->relation_typed.assign(st->relations.size(), true);
  st->relation_in_side_file.assign(st->relations.size(), false);
  return Status::Ok();
}

Status GraphStore::Impl::WriteRelationsAndEntities(const ImportState& st, ImportReport* report) {
  Status status;
  {
    Stmt ins(db, "INSERT INTO relations(id, key, name, description, head_type, tail_type, "
                 "inverse_name, question_phrase) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE "
                 "SET name=excluded.name, description=excluded.description, "
                 "head_type=excluded.head_type, tail_type=excluded.tail_type, "
                 "inverse_name=excluded.inverse_name, question_phrase=excluded.question_phrase",
             &status);
    KGF_RETURN_IF_ERROR(status);
    for (size_t r = 0; r < st.relations.size(); ++r) {
      if (!st.relation_dirty[r]) continue;
      const RelationInfo& info = st.relations[r];
      ins.Bind(1, static_cast<int64_t>(r));
      ins.Bind(2, info.key);
      ins.Bind(3, info.name);
      ins.Bind(4, info.description);
      ins.Bind(5, info.head_type);
      ins.Bind(6, info.tail_type);
      ins.Bind(7, info.inverse_name);
      ins.Bind(8, info.question_phrase);
      if (ins.Run() != SQLITE_DONE) return Error("writing relation '" + info.key + "'");
      ++(r >= st.old_relations ? report->relations_added : report->relations_updated);
    }
  }
  // Renames first move names out of the way (UNIQUE(name) holds at every row).
  Stmt tmp(db, "UPDATE entities SET name = '\x01' || id WHERE id = ?", &status);
  KGF_RETURN_IF_ERROR(status);
  for (size_t i = 0; i < st.old_entities; ++i) {
    if (!st.entities[i].dirty) continue;
    tmp.Bind(1, static_cast<int64_t>(i));
    if (tmp.Run() != SQLITE_DONE) return Error("renaming entities");
  }
  if (bulk) return WriteNewEntities(st, report);
  Stmt ins(db, "INSERT INTO entities(id, key, name, type, aliases) VALUES(?,?,?,?,?) "
               "ON CONFLICT(id) DO UPDATE SET name=excluded.name, type=excluded.type, "
               "aliases=excluded.aliases", &status);
  KGF_RETURN_IF_ERROR(status);
  for (size_t i = 0; i < st.entities.size(); ++i) {
    const PendingEntity& e = st.entities[i];
    if (!e.is_new && !e.dirty) continue;
    ins.Bind(1, static_cast<int64_t>(i));
    ins.Bind(2, e.key);
    ins.Bind(3, e.name);
    ins.Bind(4, e.type);
    const std::string aliases = JoinAliases(e.aliases);  // alive until Run()
    ins.Bind(5, aliases);
    if (ins.Run() != SQLITE_DONE) return Error("writing entity '" + e.key + "'");
    if (e.is_new) ++report->entities_added;
  }
  return Status::Ok();
}

// Runs `insert` (an "INSERT ... VALUES" prefix) over `count` rows of `columns` values, kRows rows
// per statement (the last one shorter): multi-row INSERTs cut SQLite's per-statement overhead.
// bind(stmt, row, first) binds row `row`'s values from parameter `first` on; after(rows) runs
// after each statement (counts, progress).
template <size_t kRows, typename BindRow, typename AfterRun>
Status InsertRows(sqlite3* db, const std::string& path, const std::string& insert, int columns,
                  size_t count, BindRow bind, AfterRun after, const char* what) {
  auto sql = [&](size_t rows) {
    std::string tuple = "(?";
    for (int c = 1; c < columns; ++c) tuple += ",?";
    tuple += ")";
    std::string q = insert + " VALUES ";
    for (size_t i = 0; i < rows; ++i) q += (i ? "," : "") + tuple;
    return q;
  };
  Status status;
  Stmt full(db, sql(kRows).c_str(), &status);
  KGF_RETURN_IF_ERROR(status);
  for (size_t i = 0; i < count; i += kRows) {
    const size_t rows = std::min(kRows, count - i);
    Stmt tail_stmt;
    Stmt* ins = &full;
    if (rows < kRows) {
      tail_stmt = Stmt(db, sql(rows).c_str(), &status);
      KGF_RETURN_IF_ERROR(status);
      ins = &tail_stmt;
    }
    for (size_t k = 0; k < rows; ++k) bind(*ins, i + k, static_cast<int>(columns * k + 1));
    if (ins->Run() != SQLITE_DONE) {
      return DataLossError(path + ": " + what + ": " + sqlite3_errmsg(db));
    }
    after(rows);
  }
  return Status::Ok();
}

// A bulk load's entities, all new: 64-row INSERTs, ids ascending (appends).
Status GraphStore::Impl::WriteNewEntities(const ImportState& st, ImportReport* report) {
  constexpr size_t kRows = 64;
  std::array<std::string, kRows> aliases;  // alive until Run()
  KGF_RETURN_IF_ERROR(InsertRows<kRows>(
      db, path, "INSERT INTO entities(id, key, name, type, aliases)", 5, st.entities.size(),
      [&](Stmt& ins, size_t row, int p) {
        const PendingEntity& e = st.entities[row];
        ins.Bind(p, static_cast<int64_t>(row));
        ins.Bind(p + 1, e.key);
        ins.Bind(p + 2, e.name);
        ins.Bind(p + 3, e.type);
        aliases[row % kRows] = JoinAliases(e.aliases);
        ins.Bind(p + 4, aliases[row % kRows]);
      },
      [](size_t) {}, "writing entities"));
  report->entities_added += st.entities.size();
  return Status::Ok();
}

Status GraphStore::Impl::WriteTriples(const ImportState& st, ImportReport* report) {
  Progress progress("write triples", st.triples.size(), "triples");
  return InsertRows<256>(
      db, path, "INSERT OR IGNORE INTO triples(head, relation, tail)", 3, st.triples.size(),
      [&](Stmt& ins, size_t row, int p) {
        ins.Bind(p, st.triples[row][0]);
        ins.Bind(p + 1, st.triples[row][1]);
        ins.Bind(p + 2, st.triples[row][2]);
      },
      [&](size_t rows) {
        report->triples_added += static_cast<uint64_t>(sqlite3_changes(db));
        progress.Add(rows);
      },
      "writing triples");
}

Status GraphStore::Impl::WriteSources(const ImportState& st, const ImportReport& report) {
  Status status;
  Stmt ins(db, "INSERT INTO sources(path, checksum, format, bytes, triples_read, triples_added, "
               "imported_at) VALUES(?,?,?,?,?,?,?)", &status);
  KGF_RETURN_IF_ERROR(status);
  const std::string now = NowUtc();
  for (const ImportState::Source& s : st.sources) {
    ins.Bind(1, s.path);
    ins.Bind(2, s.checksum);
    ins.Bind(3, s.format);
    ins.Bind(4, static_cast<int64_t>(s.bytes));
    ins.Bind(5, static_cast<int64_t>(s.read));
    // Added triples are attributed to the run as a whole (files may share triples).
    ins.Bind(6, static_cast<int64_t>(st.sources.size() == 1 ? report.triples_added : 0));
    ins.Bind(7, now);
    if (ins.Run() != SQLITE_DONE) return Error("writing sources");
  }
  return Status::Ok();
}

// Inside the import's write transaction: everything, then the checksum and the totals.
Status GraphStore::Impl::WriteImport(const ImportState& st, const ImportOptions& options,
                                     ImportReport* report) {
  if (bulk) return WriteBulkImport(st, options, report);
  KGF_ASSIGN_OR_RETURN(int64_t before, Count("triples"));
  // Bulk load into an empty store: build the indexes once at the end (much faster than
  // maintaining them row by row).
  KGF_ASSIGN_OR_RETURN(int64_t entities_before, Count("entities"));
  const bool rebuild_index = before == 0 && entities_before == 0 && st.triples.size() > 100000;
  bool tail_index = false;  // a store made before issue 12 holds one
  if (rebuild_index) {
    KGF_ASSIGN_OR_RETURN(tail_index, HasIndex("triples_by_tail"));
    if (tail_index) KGF_RETURN_IF_ERROR(Exec("DROP INDEX triples_by_tail"));
    // Not rebuilt: the store is no longer empty, so no older kgforge drops them.
    KGF_RETURN_IF_ERROR(Exec("DROP INDEX IF EXISTS entities_by_key; "
                             "DROP INDEX IF EXISTS entities_by_name"));
  }
  KGF_RETURN_IF_ERROR(WriteRelationsAndEntities(st, report));
  KGF_RETURN_IF_ERROR(WriteTriples(st, report));
  if (rebuild_index && tail_index) {
    KGF_RETURN_IF_ERROR(Exec("CREATE INDEX triples_by_tail ON triples(tail, relation, head)"));
  }
  KGF_RETURN_IF_ERROR(WriteSources(st, *report));
  if (!options.name.empty()) KGF_RETURN_IF_ERROR(SetMeta("name", options.name));
  if (before == 0) {
    report->checksum = ChecksumOfState(st);
  } else {
    KGF_ASSIGN_OR_RETURN(report->checksum, ComputeChecksum());
  }
  KGF_RETURN_IF_ERROR(SetMeta("checksum", report->checksum));
  KGF_ASSIGN_OR_RETURN(int64_t ne, Count("entities"));
  KGF_ASSIGN_OR_RETURN(int64_t nr, Count("relations"));
  KGF_ASSIGN_OR_RETURN(int64_t nt, Count("triples"));
  report->total_entities = static_cast<uint64_t>(ne);
  report->total_relations = static_cast<uint64_t>(nr);
  report->total_triples = static_cast<uint64_t>(nt);
  return Status::Ok();
}

// A new store: the rows are appended in id and key order (no entity indexes: kEntityIndexes),
// and the totals are the state's (nothing was there before).
Status GraphStore::Impl::WriteBulkImport(const ImportState& st, const ImportOptions& options,
                                         ImportReport* report) {
  KGF_CHECK(st.old_entities == 0 && st.old_relations == 0) << "a bulk load starts empty";
  KGF_RETURN_IF_ERROR(WriteRelationsAndEntities(st, report));
  KGF_RETURN_IF_ERROR(WriteTriples(st, report));
  if (st.entities.empty() && st.triples.empty()) {
    // A store still empty (a first import of only a relations file): kgforge before issue 12
    // drops and rebuilds triples_by_tail when it bulk-loads an empty store, and fails without
    // one (and the entity indexes). Empty, they cost nothing; imports from now on keep them.
    KGF_RETURN_IF_ERROR(Exec("CREATE INDEX triples_by_tail ON triples(tail, relation, head)"));
    KGF_RETURN_IF_ERROR(Exec(kEntityIndexes));
  }
  KGF_RETURN_IF_ERROR(WriteSources(st, *report));
  if (!options.name.empty()) KGF_RETURN_IF_ERROR(SetMeta("name", options.name));
  report->checksum = ChecksumOfState(st);
  KGF_RETURN_IF_ERROR(SetMeta("checksum", report->checksum));
  report->total_entities = st.entities.size();
  report->total_relations = st.relations.size();
  report->total_triples = st.triples.size();
  return Status::Ok();
}

Result<ImportReport> GraphStore::Impl::Import(const std::vector<std::string>& files,
                                              const ImportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.on_error != "fail" && options.on_error != "skip") {
    return InvalidArgumentError("--on-error must be fail or skip, not '" + options.on_error + "'");
  }
  if (files.empty() && options.entities.empty() && options.relations.empty()) {
    return InvalidArgumentError("nothing to import: give triple files and/or --entities/--relations");
  }
  ImportReport report;
  report.files = files;
  ImportState st;
  KGF_RETURN_IF_ERROR(ReadSnapshot(&st));
  // Side files first: they fix relation metadata and entity names.
  if (!options.relations.empty()) KGF_RETURN_IF_ERROR(ApplyRelationSideFile(options.relations, &st));
  if (!options.entities.empty()) KGF_RETURN_IF_ERROR(ApplyEntitySideFile(options.entities, &st));
  KGF_RETURN_IF_ERROR(ReadTripleFiles(files, options, &st, &report));
  KGF_RETURN_IF_ERROR(AssignNames(&st, &report));
  InferRelationTypes(&st);
  CheckSideFiles(options, st, &report);
  // The look-up tables are done with: their memory (a quarter of a large import's) goes back
  // before the sort's scratch and SQLite's page cache are taken.
  st.ReleaseLookupTables();
  SortUniqueTriples(&st.triples);
  // Write, in one transaction.
  KGF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status written = WriteImport(st, options, &report);
  if (!written.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return written.WithContext("import rolled back, store unchanged");
  }
  KGF_RETURN_IF_ERROR(Exec("COMMIT"));
  // A bulk-loaded store becomes an ordinary WAL store (readers expect one).
  if (bulk) {
    Status status;
    Stmt wal(db, "PRAGMA journal_mode=WAL", &status);
    KGF_RETURN_IF_ERROR(status);
    if (sqlite3_step(wal.get()) != SQLITE_ROW || wal.Text(0) != "wal") {
      return Error("switching the new store to WAL mode");
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<Graph> GraphStore::LoadGraph() const {
  sqlite3* db = impl_->db;
  Status st;
  std::vector<EntityInfo> entities;
  std::vector<RelationInfo> relations;
  std::vector<Triple> triples;
  KGF_RETURN_IF_ERROR(impl_->Exec("BEGIN"));  // one consistent snapshot
  auto read = [&]() -> Status {
    KGF_ASSIGN_OR_RETURN(int64_t ne, impl_->Count("entities"));
    KGF_ASSIGN_OR_RETURN(int64_t nt, impl_->Count("triples"));
    entities.reserve(static_cast<size_t>(ne));
    triples.reserve(static_cast<size_t>(nt));
    Stmt e(db, "SELECT id, key, name, type, aliases FROM entities ORDER BY id", &st);
    KGF_RETURN_IF_ERROR(st);
    while (sqlite3_step(e.get()) == SQLITE_ROW) {
      if (sqlite3_column_int64(e.get(), 0) != static_cast<int64_t>(entities.size())) {
        return DataLossError(impl_->path + ": entity ids are not dense (store damaged)");
      }
      entities.push_back({e.Text(1), e.Text(2), e.Text(3), SplitAliases(e.Text(4))});
    }
    Stmt r(db, "SELECT id, key, name, description, head_type, tail_type, inverse_name, "
               "question_phrase FROM relations ORDER BY id", &st);
    KGF_RETURN_IF_ERROR(st);
    while (sqlite3_step(r.get()) == SQLITE_ROW) {
      if (sqlite3_column_int64(r.get(), 0) != static_cast<int64_t>(relations.size())) {
        return DataLossError(impl_->path + ": relation ids are not dense (store damaged)");
      }
      relations.push_back({r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7)});
    }
    // In key order: a scan of the table itself, whatever indexes the store has.
    Stmt t(db, "SELECT head, relation, tail FROM triples ORDER BY head, relation, tail", &st);
    KGF_RETURN_IF_ERROR(st);
    while (sqlite3_step(t.get()) == SQLITE_ROW) {
      triples.push_back({EntityId(static_cast<uint32_t>(sqlite3_column_int64(t.get(), 0))),
                         RelationId(static_cast<uint32_t>(sqlite3_column_int64(t.get(), 1))),
                         EntityId(static_cast<uint32_t>(sqlite3_column_int64(t.get(), 2)))});
    }
    return Status::Ok();
  };
  st = read();
  impl_->Exec("COMMIT").IgnoreError();
  KGF_RETURN_IF_ERROR(st);
  Result<Graph> graph = Graph::Build(std::move(entities), std::move(relations), std::move(triples));
  if (!graph.ok()) return DataLossError(impl_->path + ": " + graph.status().message());
  return graph;
}

namespace {

// The writer lock of a store: an exclusive flock on "<store>.lock" holding the owner's pid.
// Imports into one store run one after the other (a second one waits, saying for whom);
// readers never take it. The kernel drops the lock when its holder dies.
class ImportLock {
 public:
  static Result<ImportLock> Acquire(const std::string& store_path) {
    const std::string path = store_path + ".lock";
    for (;;) {
      KGF_ASSIGN_OR_RETURN(const int fd, LockFile(path, store_path));
      // A failed import that created no store removes its lock file (Release): a lock taken
      // on the removed file is no lock on the name, so take the file that is there now.
      struct stat held, named;
      if (fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 &&
          held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
        const std::string pid = std::to_string(getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
          KGF_LOG(WARNING) << path << ": could not record this pid in the lock file";
        }
        return ImportLock(fd, path);
      }
      close(fd);
    }
  }
  ImportLock(ImportLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  ImportLock& operator=(ImportLock&&) = delete;
  ~ImportLock() {
    if (fd_ >= 0) close(fd_);  // releases the flock
  }
  // Removes the lock file (still held), for an import that leaves no store behind.
  void RemoveLockFile() { RemoveFile(path_).IgnoreError(); }

 private:
  ImportLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // Opens (creating) and flocks the lock file, waiting for another holder.
  static Result<int> LockFile(const std::string& path, const std::string& store_path) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return IoError(path + ": cannot create the import lock: " + ErrnoText());
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {0};
      const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
      KGF_LOG(INFO) << store_path << " is being written by another import (pid "
                    << (n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?")
                    << "); waiting for it to finish";
      int locked;
      while ((locked = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
      }
      if (locked != 0) {
        const std::string why = ErrnoText();
        close(fd);
        return IoError(path + ": cannot lock: " + why);
      }
    }
    return fd;
  }
  static std::string ErrnoText() { return std::strerror(errno); }
  int fd_ = -1;
  std::string path_;
};

// Flushes a file (or a directory's entries) to disk.
Status SyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path + ": cannot open to sync: " + std::strerror(errno));
  const bool ok = fsync(fd) == 0;
  const std::string why = ok ? "" : std::strerror(errno);
  close(fd);
  return ok ? Status::Ok() : IoError(path + ": fsync failed: " + why);
}

void RemoveStoreFiles(const std::string& file) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    RemoveFile(file + suffix).IgnoreError();
  }
}

}  // namespace

Result<ImportReport> ImportIntoStore(const std::string& store_path,
                                     const std::vector<std::string>& files,
                                     const ImportOptions& options) {
  KGF_ASSIGN_OR_RETURN(ImportLock lock, ImportLock::Acquire(store_path));
  // Under the lock: whether this import creates the store.
  if (FileExists(store_path)) {
    KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::Open(store_path, GraphStore::Mode::kReadWrite));
    return store.Import(files, options);
  }
  // A new store is built in "<store>.importing" and renamed into place once complete, so a
  // failed (or killed) import never leaves a store behind; the lock makes the name ours, and
  // a leftover from a killed import is overwritten.
  const std::string file = store_path + ".importing";
  RemoveStoreFiles(file);
  Result<ImportReport> report = [&]() -> Result<ImportReport> {
    Result<ImportReport> r = [&]() -> Result<ImportReport> {
      KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::OpenFile(store_path, file,
                                                                  GraphStore::Mode::kReadWrite,
                                                                  /*bulk=*/true));
      return store.Import(files, options);
    }();  // closed here: the store is complete on disk
    KGF_RETURN_IF_ERROR(r.status());
    KGF_RETURN_IF_ERROR(SyncPath(file));
    if (std::rename(file.c_str(), store_path.c_str()) != 0) {
      return IoError(store_path + ": cannot move the new store into place: " +
                     std::strerror(errno));
    }
    SyncPath(Dirname(store_path)).IgnoreError();  // the rename; some file systems refuse
    return r;
  }();
  if (!report.ok()) {
    RemoveStoreFiles(file);
    lock.RemoveLockFile();  // no store, nothing of this import left behind
  }
  return report;
}

Result<OpenedGraph> OpenGraph(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::Open(path, GraphStore::Mode::kReadOnly));
  KGF_ASSIGN_OR_RETURN(Graph graph, store.LoadGraph());
  return OpenedGraph{std::move(graph), store.name(), store.checksum(), store.counterfactual_of()};
}

}  // namespace kgf::kg
