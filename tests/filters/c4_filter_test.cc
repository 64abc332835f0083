// C4Filter bad-word matching (hashes, prefix bitmap, phrase index) against a slow twin that
// compares strings: NormalizedWords of the cleaned page against the list, words first (first
// in page order), then phrases (first in list order), as documented in c4_filter.h.
#include "filters/text/c4_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "base/rng.h"
#include "filters/text/text_util.h"

namespace kgf::filters {
namespace {

const char* const kListWords[] = {"darn", "heck", "gosh"};
const char* const kListPhrases[] = {"heck no", "good grief", "oh my gosh darn"};

// Expected reason/detail for a page that passes the line and sentence rules.
std::string ReferenceDetail(const std::string& page) {
  std::vector<std::string> words;
  NormalizedWords(page, &words);
  for (const std::string& w : words) {
    for (const char* b : kListWords) {
      if (w == b) return "page contains the listed word '" + w + "'";
    }
  }
  std::string joined = " ";
  for (const std::string& w : words) joined += w + " ";
  for (const char* p : kListPhrases) {
    if (joined.find(" " + std::string(p) + " ") != std::string::npos) {
      return "page contains the listed phrase '" + std::string(p) + "'";
    }
  }
  return "";
}

TEST(C4FilterTest, BadWordMatchingEqualsStringComparison) {
  std::string list;
  for (const char* w : kListWords) list += std::string(w) + "\n";
  for (const char* p : kListPhrases) list += std::string(p) + "\n";
  const std::string path = ::testing::TempDir() + "/c4_bad_words.txt";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(list.c_str(), f);
    std::fclose(f);
  }
  C4Options o;
  o.bad_words_file = path;
  o.min_words_per_line = 1;
  o.min_sentences = 0;
  auto filter = C4Filter::Create("c4", "text", o);
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  // Near misses: same prefix and length ("heck" / "Hecx"), prefixes ("darned"), case and
  // surrounding punctuation, inner punctuation ("he-ck"), words longer than 64 bytes.
  static const char* kVocab[] = {"darn", "Darn,", "(heck)", "HECK", "no", "No!", "good",
                                 "Grief.", "grief", "gosh", "oh", "my", "darned", "hecx",
                                 "he-ck", "goodgrief", "the", "a", "river", "dar", "\"oh",
                                 "heckno"};
  std::map<std::string, int> outcomes;
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    Rng rng(seed);
    std::string page;
    const int n = 1 + static_cast<int>(rng.Uniform(12));
    for (int i = 0; i < n; ++i) {
      if (i > 0) page += rng.Uniform(6) == 0 ? "\n" : " ";
      page += rng.Uniform(50) == 0 ? std::string(70, 'h') : kVocab[rng.Uniform(std::size(kVocab))];
    }
    page += ".";
    // Every line must survive cleaning so the page checked is the text itself.
    std::string text;
    for (size_t b = 0; b <= page.size();) {
      size_t e = page.find('\n', b);
      if (e == std::string::npos) e = page.size();
      text += (b ? "\n" : "") + page.substr(b, e - b) + (e == page.size() ? "" : ".");
      b = e + 1;
    }
    std::string rewritten;
    bool changed = false;
    Verdict v = (*filter)->Check(text, &rewritten, &changed);
    const std::string want = ReferenceDetail(text);
    ASSERT_EQ(v.keep, want.empty()) << "seed " << seed << ": " << text << "\n" << v.detail;
    if (!v.keep) {
      ASSERT_EQ(v.reason, "bad_word");
      ASSERT_EQ(v.detail, want) << "seed " << seed << ": " << text;
    }
    ++outcomes[v.keep ? "keep" : v.detail.substr(0, 30)];
  }
  EXPECT_GT(outcomes["keep"], 100);
  EXPECT_GT(outcomes["page contains the listed word "], 100);
  EXPECT_GT(outcomes["page contains the listed phras"], 100);
}

}  // namespace
}  // namespace kgf::filters
