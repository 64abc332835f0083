// Text helpers against their definitions: byte classes, normalised-word hashes (must stay
// Hash64 of NormalizedWords: MinHash signatures and the C4 bad-word match depend on it), and
// the flat counter against a std::map oracle.
#include "filters/text/text_util.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/rng.h"

namespace kgf::filters {
namespace {

TEST(TextUtilTest, ByteClassesMatchTheirDefinitions) {
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    const bool alnum = c < 0x80 && std::isalnum(c);
    EXPECT_EQ(IsAsciiSpace(static_cast<unsigned char>(c)), space);
    // Every ASCII byte that is not a letter, digit or whitespace, control bytes included.
    EXPECT_EQ(IsAsciiPunct(static_cast<unsigned char>(c)), c < 0x80 && !alnum && !space);
  }
}

// Random text over pieces chosen to hit every branch: case, surrounding and inner punctuation,
// control bytes, UTF-8, words longer than the 64-byte fast path, all-punctuation words.
std::string RandomText(Rng& rng) {
  static const char* kPieces[] = {
      "The", "river", "GARDEN",      "o'clock", "\"quoted\"",         "end.",
      "...", "--",    "\x01x\x02",   "\x7f",    "caf\xc3\xa9",        "\xc3\x89T\xc3\x89",
      "(a)", "#tag",  "x-y",         "Z",       "123",               "!?"};
  std::string text;
  const int n = static_cast<int>(rng.Uniform(60));
  for (int i = 0; i < n; ++i) {
    if (rng.Uniform(20) == 0) {
      text += std::string(65 + rng.Uniform(40), "aB"[rng.Uniform(2)]) + ",";
    } else {
      text += kPieces[rng.Uniform(std::size(kPieces))];
    }
    static const char* kSpace[] = {" ", "  ", "\n", "\t", "\r\n", " \v"};
    text += kSpace[rng.Uniform(std::size(kSpace))];
  }
  return text;
}

// The obvious scalar tokenizer: the spec of SplitWords (which scans 32 bytes at a time).
std::vector<std::string_view> ReferenceSplitWords(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::strchr(" \t\n\r\f\v", text[i]) != nullptr && text[i] != 0) ++i;
    size_t b = i;
    while (i < text.size() && (text[i] == 0 || std::strchr(" \t\n\r\f\v", text[i]) == nullptr)) ++i;
    if (i > b) out.push_back(text.substr(b, i - b));
  }
  return out;
}

TEST(TextUtilTest, SplitWordsMatchesScalarReference) {
  std::vector<std::string_view> words;
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    Rng rng(seed);
    std::string text(rng.Uniform(200), ' ');
    // Mostly spaces and letters, sometimes any byte: words and gaps of every length, across the
    // 32-byte block boundaries, and every byte value next to whitespace.
    const uint64_t space_odds = 1 + rng.Uniform(8);
    for (char& c : text) {
      if (rng.Uniform(10) == 0) {
        c = static_cast<char>(rng.Uniform(256));
      } else {
        c = rng.Uniform(space_odds) == 0 ? " \t\n\r\f\v"[rng.Uniform(6)] : 'a';
      }
    }
    SplitWords(text, &words);
    ASSERT_EQ(words, ReferenceSplitWords(text)) << "seed " << seed;
  }
}

TEST(TextUtilTest, NormalizedWordHashesAreHash64OfNormalizedWords) {
  std::vector<std::string> words;
  std::vector<uint64_t> hashes;
  int long_words = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Rng rng(seed);
    const std::string text = RandomText(rng);
    NormalizedWords(text, &words);
    NormalizedWordHashes(text, &hashes);
    ASSERT_EQ(hashes.size(), words.size()) << "seed " << seed;
    for (size_t i = 0; i < words.size(); ++i) {
      ASSERT_EQ(hashes[i], Hash64(words[i])) << "seed " << seed << " word '" << words[i] << "'";
      long_words += words[i].size() > 64;
    }
  }
  EXPECT_GT(long_words, 100) << "the generator should exercise the long-word path";
}

TEST(TextUtilTest, NormalizedWordsStripPunctuationAndControlBytesAndLowerCase) {
  std::vector<std::string> words;
  NormalizedWords("\x01Hello,\x7f (World) -- x-Y \"\xc3\x89T\xc3\x89\"", &words);
  EXPECT_EQ(words, (std::vector<std::string>{"hello", "world", "x-y", "\xc3\x89t\xc3\x89"}));
}

TEST(TextUtilTest, FlatCounterMatchesMapOracle) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    FlatCounter counter;
    const size_t n = 1 + rng.Uniform(3000);
    counter.Reset(n);
    std::map<uint64_t, std::pair<int64_t, size_t>> oracle;  // key -> (count, first position)
    const uint64_t distinct = 1 + rng.Uniform(n);
    for (size_t i = 0; i < n; ++i) {
      // Keys 0 and 1 are excluded: the counter maps 0 to 1 (documented).
      uint64_t key = 2 + rng.Uniform(distinct) * 0x9e3779b97f4a7c15ULL % 1000003;
      auto [it, inserted] = oracle.try_emplace(key, 0, i);
      ++it->second.first;
      auto [count, first] = counter.Add(key, i);
      ASSERT_EQ(count, it->second.first) << "seed " << seed << " i " << i;
      ASSERT_EQ(first, it->second.second) << "seed " << seed << " i " << i;
    }
  }
}

}  // namespace
}  // namespace kgf::filters
