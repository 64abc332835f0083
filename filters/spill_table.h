// SpillTable: what the dedup filters remember of earlier records (a 128-bit key -> a few
// bytes), held in memory up to a budget and then on disk, so a filter run over terabytes keeps
// bounded memory. Entries live in a hash map; when the map holds more than `budget_bytes` it
// is written into a private temporary SQLite database (SQLite unlinks its file at once, so
// nothing is left behind even if the process dies) and emptied. The map is the newer layer:
// Find looks there first, then on disk, behind a Bloom filter over the spilled keys (10 bits a
// key, 1% false positives; rebuilt twice the size from the table when it fills), so a key that
// was never spilled costs no disk lookup. What Find returns never depends on the budget, so
// filter output is the same with or without spilling (PipelineTest.SpilledDedupGivesTheSameBytes).
// Not thread-safe.
#ifndef KGF_FILTERS_SPILL_TABLE_H_
#define KGF_FILTERS_SPILL_TABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kgf::filters {

class SpillTable {
 public:
  using Key = std::pair<uint64_t, uint64_t>;
  // budget_bytes < 0: never spill.
  explicit SpillTable(int64_t budget_bytes);
  ~SpillTable();
  SpillTable(const SpillTable&) = delete;
  SpillTable& operator=(const SpillTable&) = delete;

  // The value stored under `key`, or nullopt (also after a disk error; see status()).
  std::optional<std::string> Find(const Key& key);
  // Stores `value` under `key`, replacing what was there.
  void Put(const Key& key, std::string_view value);
  // Removes `key` (no-op when absent).
  void Erase(const Key& key);

  // Bytes held in memory (the map's entries and nodes; SQLite's page cache is capped at 8 MiB
  // on top of this once spilled).
  int64_t MemoryBytes() const {
    return memory_bytes_ + static_cast<int64_t>(map_.bucket_count() * sizeof(void*) +
                                                bloom_.capacity() * sizeof(uint64_t));
  }
  int64_t spilled_entries() const { return spilled_; }
  int spills() const { return spills_; }
  // The first disk error (opening the temporary database, a full disk); OK otherwise.
  const Status& status() const { return status_; }

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.first ^ (k.second * 0x9E3779B97F4A7C15ULL); }
  };
  static int64_t EntryBytes(const std::string& value);
  void Spill();
  struct Disk;
  // The Bloom filter over spilled keys.
  void BloomAdd(const Key& key);
  bool BloomMayHave(const Key& key) const;
  void BloomRebuild(int64_t capacity);
  std::vector<uint64_t> bloom_;  // bits
  int64_t bloom_capacity_ = 0;   // keys it was sized for

  int64_t budget_;
  std::unordered_map<Key, std::string, KeyHash> map_;
  int64_t memory_bytes_ = 0;
  int64_t spilled_ = 0;  // rows written (an upper bound on the rows on disk)
  int spills_ = 0;
  std::unique_ptr<Disk> disk_;
  Status status_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_SPILL_TABLE_H_
