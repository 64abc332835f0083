// Text helpers shared by the text-quality rules: whitespace words, lines, paragraphs, UTF-8
// decoding, a flat hash set for n-gram counting. Pure functions, thread-safe.
#ifndef KGF_FILTERS_TEXT_UTIL_H_
#define KGF_FILTERS_TEXT_UTIL_H_

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
// Lower-cased words with leading/trailing ASCII punctuation removed; empty results dropped.
// Used for shingles and dedup keys.
void NormalizedWords(std::string_view text, std::vector<std::string>* words);

// Hash64 (xxh3) of each of NormalizedWords(text), without building the strings. These are
// the MinHash shingle inputs: changing the hash changes every signature.
void NormalizedWordHashes(std::string_view text, std::vector<uint64_t>* hashes);

// Decodes one code point at s[*pos] and advances *pos. REQUIRES: s is valid UTF-8.
uint32_t DecodeUtf8(std::string_view s, size_t* pos);

// A 64-bit hash of a word (xxh3).
uint64_t WordHash(std::string_view word);

// Open-addressing set of non-zero 64-bit keys; Insert returns false when present.
// Sized for a known number of inserts; Clear() keeps the capacity.
class FlatHashSet {
 public:
  void Reset(size_t expected);
  bool Insert(uint64_t key);  // key 0 is mapped to 1
 private:
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

// Open-addressing counter of non-zero 64-bit keys that remembers each key's first position.
// REQUIRES: fewer than 2^32 adds between resets.
class FlatCounter {
 public:
  void Reset(size_t expected);
  // Adds one occurrence of `key` first seen at `position`; returns (count, first position).
  std::pair<int64_t, size_t> Add(uint64_t key, size_t position);

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

#endif  // KGF_FILTERS_TEXT_UTIL_H_
