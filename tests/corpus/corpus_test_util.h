// Shared fixtures for corpus tests: generated English-like text and a small tokenizer trained
// on it once per test binary (vocab 400, a fraction of a second).
#ifndef KGF_TESTS_CORPUS_CORPUS_TEST_UTIL_H_
#define KGF_TESTS_CORPUS_CORPUS_TEST_UTIL_H_

#include <string>
#include <vector>

#include "base/rng.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus::testing {

// Sentences from a fixed word list with capitals, commas, digits, quotes and a few non-ASCII
// words (accented Latin, CJK, an emoji) so byte fallback is exercised.
inline std::string GenerateText(uint64_t seed, int sentences) {
  static const char* kWords[] = {
      "the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with",
      "as", "his", "on", "be", "at", "by", "had", "country", "capital", "river", "border",
      "population", "language", "city", "mountain", "government", "people", "north", "south",
      "between", "large", "small", "ancient", "trade", "century", "kingdom", "island",
      "café", "naïve", "Zürich", "São", "東京", "日本語", "🙂", "1848", "2024", "3.5"};
  Rng rng(seed);
  std::string out;
  for (int s = 0; s < sentences; ++s) {
    const int n = static_cast<int>(rng.UniformInt(4, 14));
    for (int w = 0; w < n; ++w) {
      std::string word = kWords[rng.Uniform(std::size(kWords))];
      if (w == 0 && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 32);
      out += word;
      if (w + 1 < n) out += rng.Bernoulli(0.1) ? ", " : " ";
    }
    out += rng.Bernoulli(0.2) ? "?" : ".";
    out += rng.Bernoulli(0.15) ? "\n" : " ";
  }
  return out;
}

inline const Tokenizer& SmallTokenizer() {
  static const Tokenizer* tokenizer = [] {
    std::vector<std::string> texts = {GenerateText(7, 3000)};
    TokenizerTrainOptions options;
    options.vocab_size = 400;
    auto model = TrainTokenizer(texts, options);
    KGF_CHECK(model.ok()) << model.status().ToString();
    auto t = Tokenizer::FromSerialized(*model, "test");
    KGF_CHECK(t.ok()) << t.status().ToString();
    return new Tokenizer(std::move(t).value());
  }();
  return *tokenizer;
}

}  // namespace kgf::corpus::testing

#endif  // KGF_TESTS_CORPUS_CORPUS_TEST_UTIL_H_
