// GopherRepetitionFilter against a slow, obviously correct twin of its documented rules
// (gopher_repetition_filter.h: datatrove's GopherRepetitionFilter with string keys in std::map)
// on random repetitive texts and random thresholds: same reason and same detail.
#include "filters/text/gopher_repetition_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/rng.h"
#include "filters/text/text_util.h"

namespace kgf::filters {
namespace {

// re.split(r"\n{k,}", text.strip()) with Python's str.strip() limited to ASCII whitespace.
std::vector<std::string> SplitRuns(const std::string& text, int k) {
  std::string t(StripAscii(text));
  std::vector<std::string> out;
  std::regex sep("\n{" + std::to_string(k) + ",}");
  std::sregex_token_iterator it(t.begin(), t.end(), sep, -1), end;
  for (; it != end; ++it) out.push_back(*it);
  if (out.empty() || (!t.empty() && t.back() == '\n')) out.push_back("");
  return out;
}

std::pair<int64_t, int64_t> Duplicates(const std::vector<std::string>& parts) {
  std::set<std::string> seen;
  int64_t dup = 0, chars = 0;
  for (const auto& p : parts) {
    if (!seen.insert(p).second) {
      ++dup;
      chars += static_cast<int64_t>(p.size());
    }
  }
  return {dup, chars};
}

Verdict Reference(const std::string& text, const GopherRepetitionOptions& o) {
  if (text.empty()) return Verdict::Keep();
  const double len = static_cast<double>(text.size());
  std::ostringstream d;
  auto paragraphs = SplitRuns(text, 2);
  auto [dp, dpc] = Duplicates(paragraphs);
  double share = static_cast<double>(dp) / paragraphs.size();
  if (share > o.max_dup_paragraph_share) {
    d << "duplicate paragraphs " << share << " > " << o.max_dup_paragraph_share;
    return Verdict::Drop("dup_paragraphs", d.str());
  }
  share = dpc / len;
  if (share > o.max_dup_paragraph_chars) {
    d << "chars in duplicate paragraphs " << share << " > " << o.max_dup_paragraph_chars;
    return Verdict::Drop("dup_paragraph_chars", d.str());
  }
  auto lines = SplitRuns(text, 1);
  auto [dl, dlc] = Duplicates(lines);
  share = static_cast<double>(dl) / lines.size();
  if (share > o.max_dup_line_share) {
    d << "duplicate lines " << share << " > " << o.max_dup_line_share;
    return Verdict::Drop("dup_lines", d.str());
  }
  share = dlc / len;
  if (share > o.max_dup_line_chars) {
    d << "chars in duplicate lines " << share << " > " << o.max_dup_line_chars;
    return Verdict::Drop("dup_line_chars", d.str());
  }
  std::vector<std::string_view> views;
  SplitWords(text, &views);
  std::vector<std::string> words(views.begin(), views.end());
  auto gram = [&](size_t i, size_t n, const char* sep) {
    std::string g;
    for (size_t k = 0; k < n; ++k) g += (k ? sep : "") + words[i + k];
    return g;
  };
  for (size_t n = 2; n <= 4 && n <= words.size(); ++n) {
    std::map<std::vector<std::string>, std::pair<int64_t, size_t>> count;  // (count, first)
    for (size_t i = 0; i + n <= words.size(); ++i) {
      std::vector<std::string> key(words.begin() + i, words.begin() + i + n);
      auto [it, inserted] = count.try_emplace(key, 0, i);
      ++it->second.first;
    }
    int64_t best = 0;
    size_t first = 0;
    for (const auto& [key, cf] : count) {
      if (cf.first > best || (cf.first == best && cf.second < first)) {
        best = cf.first;
        first = cf.second;
      }
    }
    if (best < 2) continue;
    share = best * static_cast<int64_t>(gram(first, n, " ").size()) / len;
    if (share > o.max_top_ngram_chars[n - 2]) {
      d << "top " << n << "-gram chars " << share << " > " << o.max_top_ngram_chars[n - 2];
      return Verdict::Drop("top_" + std::to_string(n) + "gram", d.str());
    }
  }
  for (size_t n = 5; n <= 10 && n <= words.size(); ++n) {
    std::set<std::vector<std::string>> seen;
    int64_t repeated = 0;
    size_t i = 0;
    while (i + n <= words.size()) {
      if (!seen.insert({words.begin() + i, words.begin() + i + n}).second) {
        repeated += static_cast<int64_t>(gram(i, n, "").size());
        i += n;
      } else {
        ++i;
      }
    }
    share = repeated / len;
    if (share > o.max_dup_ngram_chars[n - 5]) {
      d << "duplicated " << n << "-gram chars " << share << " > " << o.max_dup_ngram_chars[n - 5];
      return Verdict::Drop("dup_" + std::to_string(n) + "gram", d.str());
    }
  }
  return Verdict::Keep();
}

std::string RepetitiveText(Rng& rng) {
  static const char* kWords[] = {"the", "cat", "sat", "on", "mat", "and", "a", "dog",
                                 "ran", "to", "it", "x"};
  std::vector<std::string> lines;
  const int n = static_cast<int>(rng.Uniform(30));
  for (int i = 0; i < n; ++i) {
    if (!lines.empty() && rng.Uniform(4) == 0) {
      lines.push_back(lines[rng.Uniform(lines.size())]);  // a repeated line
      continue;
    }
    std::string line;
    const int w = 1 + static_cast<int>(rng.Uniform(12));
    const uint64_t vocab = 2 + rng.Uniform(std::size(kWords) - 1);
    for (int k = 0; k < w; ++k) line += (k ? " " : "") + std::string(kWords[rng.Uniform(vocab)]);
    lines.push_back(line);
  }
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    static const char* kSep[] = {"\n", "\n", "\n\n", "\n\n\n", " "};
    text += (i ? kSep[rng.Uniform(std::size(kSep))] : "") + lines[i];
  }
  if (rng.Uniform(5) == 0) text = "\n" + text + "\n\n";
  return text;
}

TEST(GopherRepetitionTest, MatchesSlowReferenceOnRandomTexts) {
  std::map<std::string, int> reasons;
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    Rng rng(seed);
    GopherRepetitionOptions o;
    // Loose thresholds most of the time, so the later rules are reached and decide too.
    auto threshold = [&](double usual) {
      return rng.Uniform(3) == 0 ? usual : 0.3 + 0.7 * rng.UniformDouble();
    };
    o.max_dup_paragraph_share = threshold(0.30);
    o.max_dup_paragraph_chars = threshold(0.20);
    o.max_dup_line_share = threshold(0.30);
    o.max_dup_line_chars = threshold(0.20);
    for (double& t : o.max_top_ngram_chars) t = threshold(t);
    for (double& t : o.max_dup_ngram_chars) t = threshold(t);
    const std::string text = RepetitiveText(rng);
    GopherRepetitionFilter filter("rep", "text", o);
    std::string rewritten;
    bool changed = false;
    Verdict got = filter.Check(text, &rewritten, &changed);
    Verdict want = Reference(text, o);
    ASSERT_EQ(got.reason, want.reason) << "seed " << seed << " text:\n" << text;
    ASSERT_EQ(got.detail, want.detail) << "seed " << seed << " text:\n" << text;
    ++reasons[got.keep ? "keep" : got.reason];
  }
  // Every rule must have decided some case, or this test could not fail for it.
  for (const char* r : {"keep", "dup_paragraphs", "dup_paragraph_chars", "dup_lines",
                        "dup_line_chars", "top_2gram", "top_3gram", "top_4gram", "dup_5gram"}) {
    EXPECT_GT(reasons[r], 0) << r;
  }
}

}  // namespace
}  // namespace kgf::filters
