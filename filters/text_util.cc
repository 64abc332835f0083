// Text helpers (see text_util.h).
#include "filters/text_util.h"

#include <string.h>

#include "base/hash.h"

namespace kgf::filters {

void SplitWords(std::string_view text, std::vector<std::string_view>* words) {
  words->clear();
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && IsAsciiSpace(text[i])) ++i;
    size_t start = i;
    while (i < n && !IsAsciiSpace(text[i])) ++i;
    if (i > start) words->push_back(text.substr(start, i - start));
  }
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
  spans->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && IsAsciiSpace(p[i])) ++i;
    size_t b = i;
    while (i < n && !IsAsciiSpace(p[i])) ++i;
    size_t e = i;
    while (b < e && IsAsciiPunct(p[b])) ++b;
    while (e > b && IsAsciiPunct(p[e - 1])) --e;
    if (e > b) spans->push_back(text.substr(b, e - b));
  }
}

void NormalizedWordHashes(std::string_view text, std::vector<uint64_t>* hashes) {
  hashes->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0, n = text.size();
  while (i < n) {
    while (i < n && IsAsciiSpace(p[i])) ++i;
    size_t b = i;
    while (i < n && !IsAsciiSpace(p[i])) ++i;
    size_t e = i;
    while (b < e && IsAsciiPunct(p[b])) ++b;
    while (e > b && IsAsciiPunct(p[e - 1])) --e;
    if (e > b) hashes->push_back(LowerHash(text.substr(b, e - b)));
  }
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
