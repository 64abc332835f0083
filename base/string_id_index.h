// String -> dense id for strings the caller keeps (entity keys and names, relation keys): an
// open-addressing table of (id + 1, 32 hash bits), linear probing, xxh3, grown at half full.
// It stores no strings: `key_of(id)` returns id's string when a probe needs to compare, so the
// strings may live in a vector that grows. A lookup touches one run of 8-byte slots and, on a
// hash match, the one string it compares; std::unordered_map chases a list of heap nodes, which
// was a quarter of a 4M-triple import and a tenth of a verified synthesis record.
#ifndef KGF_BASE_STRING_ID_INDEX_H_
#define KGF_BASE_STRING_ID_INDEX_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/hash.h"

namespace kgf {

class StringIdIndex {
 public:
  size_t size() const { return size_; }

  // The id stored for `s`, or nullopt. key_of: uint32_t -> std::string_view.
  template <typename KeyOf>
  std::optional<uint32_t> Find(std::string_view s, const KeyOf& key_of) const {
    if (slots_.empty()) return std::nullopt;
    const uint32_t h = HashOf(s);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id_plus_one == 0) return std::nullopt;
      if (slot.hash == h && key_of(slot.id_plus_one - 1) == s) return slot.id_plus_one - 1;
    }
  }

  // The id stored for `s`, else stores `id` for it. Returns (id, true when stored now). The
  // caller makes key_of(id) == s before its next call (or before this one: key_of is not asked
  // for `id` here).
  template <typename KeyOf>
  std::pair<uint32_t, bool> FindOrInsert(std::string_view s, uint32_t id, const KeyOf& key_of) {
    return FindOrInsertHashed(s, HashOf(s), id, key_of);
  }

  // Batched look-ups hide the two cache misses of each (a table of millions of keys is far
  // larger than the cache): for a batch of keys, Prefetch(HashOf(key)) each; then
  // Candidate(hash) each, prefetching key_of's storage for the id it returns; then
  // FindOrInsertHashed each, in order. The hints never change a result.
  static uint32_t HashOf(std::string_view s) { return static_cast<uint32_t>(Hash64(s) >> 32); }
  void Prefetch(uint32_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & mask_]);
  }
  // The id of the first slot with hash h (the id FindOrInsertHashed most likely compares
  // with), or nullopt.
  std::optional<uint32_t> Candidate(uint32_t h) const {
    if (slots_.empty()) return std::nullopt;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id_plus_one == 0) return std::nullopt;
      if (slot.hash == h) return slot.id_plus_one - 1;
    }
  }
  // FindOrInsert with h == HashOf(s) computed by the caller.
  template <typename KeyOf>
  std::pair<uint32_t, bool> FindOrInsertHashed(std::string_view s, uint32_t h, uint32_t id,
                                               const KeyOf& key_of) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id_plus_one == 0) {
        slot = {id + 1, h};
        ++size_;
        return {id, true};
      }
      if (slot.hash == h && key_of(slot.id_plus_one - 1) == s) return {slot.id_plus_one - 1, false};
    }
  }

  void Reserve(size_t n) {
    while (slots_.size() < 2 * n) Grow();
  }

 private:
  struct Slot {
    uint32_t id_plus_one = 0;  // 0: empty
    uint32_t hash = 0;
  };
  // Doubles the table; slots move by their stored hash, no string is read.
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t capacity = old.empty() ? 16 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.id_plus_one == 0) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].id_plus_one != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace kgf

#endif  // KGF_BASE_STRING_ID_INDEX_H_
