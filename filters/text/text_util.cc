// Text helpers (see text_util.h).
#include "filters/text/text_util.h"

#include <string.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "base/hash.h"

namespace kgf::filters {

void SplitWords(std::string_view text, std::vector<std::string_view>* words) {
  words->clear();
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0, start = 0;
  bool in_word = false;  // byte i - 1 was part of a word
#ifdef __AVX2__
  // 32 bytes at a time: bit k of `word` is set when byte i + k is not ASCII whitespace (' ' or
  // 9..13); words start and end at the bit transitions, taken in position order.
  const __m256i kSpace = _mm256_set1_epi8(' ');
  const __m256i kNine = _mm256_set1_epi8(9);
  const __m256i kFour = _mm256_set1_epi8(4);
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i t = _mm256_sub_epi8(v, kNine);  // 0..4 exactly for \t \n \v \f \r
    const __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(t, kFour), t);
    const __m256i ws = _mm256_or_si256(_mm256_cmpeq_epi8(v, kSpace), ctl);
    const uint32_t word = ~static_cast<uint32_t>(_mm256_movemask_epi8(ws));
    const uint32_t prev = (word << 1) | (in_word ? 1u : 0u);  // bit k: byte i + k - 1
    const uint32_t starts = word & ~prev;
    uint32_t events = starts | (~word & prev);
    while (events != 0) {
      const int k = __builtin_ctz(events);
      if ((starts >> k) & 1) {
        start = i + k;
      } else {
        words->emplace_back(p + start, i + k - start);
      }
      events &= events - 1;
    }
    in_word = (word >> 31) != 0;
  }
#endif
  for (; i < n; ++i) {
    const bool space = IsAsciiSpace(static_cast<unsigned char>(p[i]));
    if (!space && !in_word) {
      start = i;
      in_word = true;
    } else if (space && in_word) {
      words->emplace_back(p + start, i - start);
      in_word = false;
    }
  }
  if (in_word) words->emplace_back(p + start, n - start);
}

void SplitLines(std::string_view text, std::vector<std::string_view>* lines) {
  lines->clear();
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines->push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

std::string_view StripAscii(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsAsciiSpace(s[b])) ++b;
  while (e > b && IsAsciiSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

size_t FindBytes(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return 0;
  const void* p = memmem(hay.data(), hay.size(), needle.data(), needle.size());
  return p == nullptr ? std::string_view::npos
                      : static_cast<size_t>(static_cast<const char*>(p) - hay.data());
}

void NormalizedWords(std::string_view text, std::vector<std::string>* words) {
  words->clear();
  std::vector<std::string_view> raw;
  SplitWords(text, &raw);
  for (std::string_view w : raw) {
    size_t b = 0, e = w.size();
    while (b < e && IsAsciiPunct(w[b])) ++b;
    while (e > b && IsAsciiPunct(w[e - 1])) --e;
    if (e > b) words->push_back(AsciiLower(w.substr(b, e - b)));
  }
}

uint64_t LowerHash(std::string_view word) {
  char buf[64];  // lower-cased word; longer words take the slow path
  if (word.size() > sizeof(buf)) return Hash64(AsciiLower(word));
  for (size_t k = 0; k < word.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(word[k]);
    buf[k] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return Hash64(std::string_view(buf, word.size()));
}

void NormalizedWordSpans(std::string_view text, std::vector<std::string_view>* spans) {
  SplitWords(text, spans);
  size_t out = 0;
  for (std::string_view w : *spans) {
    size_t b = 0, e = w.size();
    while (b < e && IsAsciiPunct(static_cast<unsigned char>(w[b]))) ++b;
    while (e > b && IsAsciiPunct(static_cast<unsigned char>(w[e - 1]))) --e;
    if (e > b) (*spans)[out++] = w.substr(b, e - b);
  }
  spans->resize(out);
}

void NormalizedWordHashes(std::string_view text, std::vector<uint64_t>* hashes) {
  thread_local std::vector<std::string_view> spans;
  NormalizedWordSpans(text, &spans);
  hashes->resize(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) (*hashes)[i] = LowerHash(spans[i]);
}

uint32_t DecodeUtf8(std::string_view s, size_t* pos) {
  auto c = static_cast<unsigned char>(s[*pos]);
  if (c < 0x80) {
    ++*pos;
    return c;
  }
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  uint32_t cp = c & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F);
  for (int k = 1; k < len && *pos + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*pos + k]) & 0x3F);
  }
  *pos += len;
  return cp;
}

uint64_t WordHash(std::string_view word) { return Hash64(word); }

void FlatHashSet::Reset(size_t expected) {
  size_t cap = 16;
  while (cap < expected * 2) cap <<= 1;
  slots_.assign(cap, 0);  // reuses the capacity of earlier documents
  mask_ = cap - 1;
}

void FlatCounter::Reset(size_t expected) {
  size_t cap = 16;
  while (cap < expected * 2) cap <<= 1;
  slots_.assign(cap, Slot{0, 0, 0});
  mask_ = cap - 1;
}

}  // namespace kgf::filters
