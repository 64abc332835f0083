// Text helpers shared by the text-quality rules: whitespace words, lines, paragraphs, UTF-8
// decoding, a flat hash set for n-gram counting. Pure functions, thread-safe.
#ifndef KGF_FILTERS_TEXT_TEXT_UTIL_H_
#define KGF_FILTERS_TEXT_TEXT_UTIL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kgf::filters {

// Byte classes: bit 1 ASCII whitespace; bit 2 "ASCII punctuation", meaning every ASCII byte
// that is not a letter, digit or whitespace (control bytes and DEL included).
constexpr std::array<uint8_t, 256> MakeByteClass() {
  std::array<uint8_t, 256> t{};
  for (int c : {' ', '\t', '\n', '\r', '\f', '\v'}) t[c] = 1;
  for (int c = 0; c < 0x80; ++c) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && t[c] == 0) t[c] = 2;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kByteClass = MakeByteClass();
inline bool IsAsciiSpace(unsigned char c) { return (kByteClass[c] & 1) != 0; }
inline bool IsAsciiPunct(unsigned char c) { return (kByteClass[c] & 2) != 0; }
inline bool IsAsciiAlpha(unsigned char c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
inline bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// Words split on ASCII whitespace (the "whitespace tokenizer" the Gopher rules assume).
void SplitWords(std::string_view text, std::vector<std::string_view>* words);
// Lines split on '\n' (a trailing '\r' removed). Keeps empty lines.
void SplitLines(std::string_view text, std::vector<std::string_view>* lines);
// Strips ASCII whitespace at both ends.
std::string_view StripAscii(std::string_view s);
// Lower-cases ASCII letters.
std::string AsciiLower(std::string_view s);
// Position of the first occurrence of `needle` in `hay`, or npos; same result as
// std::string_view::find, but with glibc memmem, which is several times faster for
// needles whose first byte is common ("the ...").
size_t FindBytes(std::string_view hay, std::string_view needle);
// Lower-cased words with leading/trailing ASCII punctuation removed; empty results dropped.
// Used for shingles and dedup keys.
void NormalizedWords(std::string_view text, std::vector<std::string>* words);

// Hash64 (xxh3) of each of NormalizedWords(text), without building the strings. These are
// the MinHash shingle inputs: changing the hash changes every signature.
void NormalizedWordHashes(std::string_view text, std::vector<uint64_t>* hashes);
// The words of NormalizedWords(text) as views into `text`, before lower-casing.
void NormalizedWordSpans(std::string_view text, std::vector<std::string_view>* spans);
// Hash64 of AsciiLower(word): NormalizedWordHashes(text)[i] == LowerHash(spans[i]).
uint64_t LowerHash(std::string_view word);

// Decodes one code point at s[*pos] and advances *pos. REQUIRES: s is valid UTF-8.
uint32_t DecodeUtf8(std::string_view s, size_t* pos);

// A 64-bit hash of a word (xxh3).
uint64_t WordHash(std::string_view word);

// Open-addressing set of non-zero 64-bit keys; Insert returns false when present.
// Sized for a known number of inserts; Reset() keeps the capacity. REQUIRES: Reset() before use.
class FlatHashSet {
 public:
  void Reset(size_t expected);
  bool Contains(uint64_t key) const {  // key 0 is mapped to 1
    if (key == 0) key = 1;
    for (size_t i = (key ^ (key >> 29)) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }
  bool Insert(uint64_t key) {  // key 0 is mapped to 1
    if (key == 0) key = 1;
    for (size_t i = (key ^ (key >> 29)) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        return true;
      }
    }
  }

 private:
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

// Open-addressing counter of non-zero 64-bit keys (0 is mapped to 1) that remembers each
// key's first position. REQUIRES: at most `expected` distinct keys and fewer than 2^32 adds
// between resets.
class FlatCounter {
 public:
  void Reset(size_t expected);
  // Adds one occurrence of `key` first seen at `position`; returns (count, first position).
  std::pair<int64_t, size_t> Add(uint64_t key, size_t position) {
    if (key == 0) key = 1;
    for (size_t i = (key ^ (key >> 29)) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == key) {
        ++s.count;
        return {s.count, s.first};
      }
      if (s.key == 0) {
        s = Slot{key, 1, static_cast<uint32_t>(position)};
        return {1, position};
      }
    }
  }
  // Occurrences of `key` added since the last reset.
  int64_t Count(uint64_t key) const {
    if (key == 0) key = 1;
    for (size_t i = (key ^ (key >> 29)) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return slots_[i].count;
      if (slots_[i].key == 0) return 0;
    }
  }

 private:
  struct Slot {
    uint64_t key;
    uint32_t count;
    uint32_t first;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_TEXT_UTIL_H_
