// SpillTable: a hash map in front of a private temporary SQLite database; see the header.
#include "filters/spill_table.h"

#include <sqlite3.h>

#include <cstring>

namespace kgf::filters {

namespace {

int64_t Signed(uint64_t v) {
  int64_t s;
  std::memcpy(&s, &v, sizeof s);
  return s;
}

}  // namespace

struct SpillTable::Disk {
  sqlite3* db = nullptr;
  sqlite3_stmt* find = nullptr;
  sqlite3_stmt* put = nullptr;
  sqlite3_stmt* erase = nullptr;
  ~Disk() {
    sqlite3_finalize(find);
    sqlite3_finalize(put);
    sqlite3_finalize(erase);
    sqlite3_close(db);
  }
  Status Error(const char* what) const {
    return IoError(std::string("dedup spill (a temporary SQLite database under $TMPDIR or "
                               "/var/tmp): ") + what + ": " + (db ? sqlite3_errmsg(db) : "no handle") +
                   "; free disk space there or set TMPDIR to a folder with room");
  }
  Status Open() {
    // "" opens a private on-disk temporary database, deleted when closed.
    if (sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      return Error("open");
    }
    const char* setup =
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-8192;"
        "CREATE TABLE t(a INTEGER NOT NULL, b INTEGER NOT NULL, v BLOB NOT NULL,"
        " PRIMARY KEY(a, b)) WITHOUT ROWID;";
    if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) return Error("create");
    if (sqlite3_prepare_v2(db, "SELECT v FROM t WHERE a = ?1 AND b = ?2", -1, &find, nullptr) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t(a, b, v) VALUES(?1, ?2, ?3)", -1, &put,
                           nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM t WHERE a = ?1 AND b = ?2", -1, &erase, nullptr) !=
            SQLITE_OK) {
      return Error("prepare");
    }
    return Status::Ok();
  }
  static void BindKey(sqlite3_stmt* st, const Key& key) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, Signed(key.first));
    sqlite3_bind_int64(st, 2, Signed(key.second));
  }
};

SpillTable::SpillTable(int64_t budget_bytes) : budget_(budget_bytes) {}
SpillTable::~SpillTable() = default;

int64_t SpillTable::EntryBytes(const std::string& value) {
  // The node (key, string, next pointer, cached hash) and the string's heap block if any.
  const int64_t heap = value.capacity() > 15 ? static_cast<int64_t>(value.capacity()) + 1 : 0;
  return static_cast<int64_t>(sizeof(Key) + sizeof(std::string) + 2 * sizeof(void*)) + heap;
}

namespace {
constexpr int kBloomHashes = 7;  // optimal for 10 bits a key: 0.8% false positives
constexpr int64_t kBloomBitsPerKey = 10;
}  // namespace

bool SpillTable::BloomMayHave(const Key& key) const {
  const uint64_t bits = bloom_.size() * 64;
  uint64_t h = key.first ^ (key.second * 0x9E3779B97F4A7C15ULL);
  const uint64_t step = (h >> 29) | 1;  // double hashing (Kirsch-Mitzenmacher)
  for (int i = 0; i < kBloomHashes; ++i, h += step) {
    const uint64_t b = h % bits;
    if (!(bloom_[b / 64] >> (b % 64) & 1)) return false;
  }
  return true;
}

void SpillTable::BloomAdd(const Key& key) {
  const uint64_t bits = bloom_.size() * 64;
  uint64_t h = key.first ^ (key.second * 0x9E3779B97F4A7C15ULL);
  const uint64_t step = (h >> 29) | 1;
  for (int i = 0; i < kBloomHashes; ++i, h += step) {
    const uint64_t b = h % bits;
    bloom_[b / 64] |= uint64_t{1} << (b % 64);
  }
}

void SpillTable::BloomRebuild(int64_t capacity) {
  bloom_capacity_ = capacity;
  bloom_.assign(static_cast<size_t>((capacity * kBloomBitsPerKey + 63) / 64), 0);
  sqlite3_stmt* scan = nullptr;
  if (sqlite3_prepare_v2(disk_->db, "SELECT a, b FROM t", -1, &scan, nullptr) != SQLITE_OK) {
    status_ = disk_->Error("scan");
    return;
  }
  int rc;
  while ((rc = sqlite3_step(scan)) == SQLITE_ROW) {
    BloomAdd({static_cast<uint64_t>(sqlite3_column_int64(scan, 0)),
              static_cast<uint64_t>(sqlite3_column_int64(scan, 1))});
  }
  if (rc != SQLITE_DONE) status_ = disk_->Error("scan");
  sqlite3_finalize(scan);
}

std::optional<std::string> SpillTable::Find(const Key& key) {
  auto it = map_.find(key);
  if (it != map_.end()) return it->second;
  if (spilled_ == 0 || !status_.ok() || !BloomMayHave(key)) return std::nullopt;
  Disk::BindKey(disk_->find, key);
  const int rc = sqlite3_step(disk_->find);
  if (rc == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(disk_->find, 0);
    const int n = sqlite3_column_bytes(disk_->find, 0);
    std::string v = n > 0 ? std::string(static_cast<const char*>(blob), static_cast<size_t>(n))
                          : std::string();
    sqlite3_reset(disk_->find);
    return v;
  }
  if (rc != SQLITE_DONE) status_ = disk_->Error("lookup");
  sqlite3_reset(disk_->find);
  return std::nullopt;
}

void SpillTable::Put(const Key& key, std::string_view value) {
  auto [it, inserted] = map_.try_emplace(key);
  if (!inserted) memory_bytes_ -= EntryBytes(it->second);
  it->second.assign(value);
  memory_bytes_ += EntryBytes(it->second);
  if (budget_ >= 0 && MemoryBytes() > budget_) Spill();
}

void SpillTable::Erase(const Key& key) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    memory_bytes_ -= EntryBytes(it->second);
    map_.erase(it);
  }
  if (spilled_ == 0 || !status_.ok()) return;
  Disk::BindKey(disk_->erase, key);
  if (sqlite3_step(disk_->erase) != SQLITE_DONE) status_ = disk_->Error("delete");
  sqlite3_reset(disk_->erase);
}

void SpillTable::Spill() {
  if (!status_.ok() || map_.empty()) return;
  if (!disk_) {
    disk_ = std::make_unique<Disk>();
    status_ = disk_->Open();
    if (!status_.ok()) return;
  }
  // Room in the Bloom filter for what is on disk and this batch; else twice that, rebuilt.
  const int64_t needed = spilled_ + static_cast<int64_t>(map_.size());
  const bool rebuild = needed > bloom_capacity_;
  if (sqlite3_exec(disk_->db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    status_ = disk_->Error("begin");
    return;
  }
  for (const auto& [key, value] : map_) {
    Disk::BindKey(disk_->put, key);
    sqlite3_bind_blob(disk_->put, 3, value.data(), static_cast<int>(value.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(disk_->put) != SQLITE_DONE) {
      status_ = disk_->Error("write");
      sqlite3_reset(disk_->put);
      return;
    }
  }
  sqlite3_reset(disk_->put);
  if (sqlite3_exec(disk_->db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    status_ = disk_->Error("commit");
    return;
  }
  if (rebuild) {
    BloomRebuild(2 * needed);  // from the table: it now holds this batch too
  } else {
    for (const auto& entry : map_) BloomAdd(entry.first);
  }
  spilled_ += static_cast<int64_t>(map_.size());
  ++spills_;
  map_ = {};
  memory_bytes_ = 0;
}

}  // namespace kgf::filters
