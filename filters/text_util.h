// Text helpers shared by the text-quality rules: whitespace words, lines, paragraphs, UTF-8
// decoding, a flat hash set for n-gram counting. Pure functions, thread-safe.
#ifndef KGF_FILTERS_TEXT_UTIL_H_
#define KGF_FILTERS_TEXT_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kgf::filters {

inline bool IsAsciiSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
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

// Hashes of NormalizedWords(text), without building the strings.
void NormalizedWordHashes(std::string_view text, std::vector<uint64_t>* hashes);

// Decodes one code point at s[*pos] and advances *pos. REQUIRES: s is valid UTF-8.
uint32_t DecodeUtf8(std::string_view s, size_t* pos);

// A 64-bit mix of a word (xxh3).
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

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_UTIL_H_
