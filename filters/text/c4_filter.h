// C4 cleaning (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
// Text-to-Text Transformer", §2.2; rules as in TFDS c4_utils.clean_page and the bad-words filter).
// Line rules (the line is removed, the page kept): a line must end in terminal punctuation
// (. ? ! or a closing quote) and not in an ellipsis; must have >= min_words_per_line words;
// must not contain "javascript" or a cookie/privacy-policy phrase; no word longer than
// max_word_length. Page rules (dropped): "lorem ipsum" ("lorem_ipsum"), a '{' ("curly_bracket"),
// fewer than min_sentences sentences after cleaning ("too_few_sentences"), a bad word
// ("bad_word", whole-word, case-insensitive, list from a data file; page words are normalised
// as in text_util.h NormalizedWords and compared by 64-bit hash; list entries whose words begin
// or end with punctuation cannot match and are ignored). Kept pages are rewritten
// to their surviving lines joined by '\n'. Sentences are counted as words ending in . ? !
// (optionally followed by closing quotes/brackets): an approximation of TFDS's nltk splitter.
#ifndef KGF_FILTERS_TEXT_C4_FILTER_H_
#define KGF_FILTERS_TEXT_C4_FILTER_H_

#include <string>
#include <utility>
#include <vector>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"
#include "filters/text/text_util.h"

namespace kgf::filters {

struct C4Options {
  int64_t min_words_per_line = 5;
  int64_t min_sentences = 3;
  int64_t max_word_length = 1000;
  bool clean_lines = true;     // false: judge page rules only, never rewrite
  bool filter_bad_words = true;
  // Bad-word list: one word or phrase per line, '#' comments. Empty: the shipped
  // filters/data/badwords_en.txt. Relative paths are resolved against the config's folder.
  std::string bad_words_file;
  std::vector<std::string> policy_phrases = {"terms of use", "privacy policy", "cookie policy",
                                             "uses cookies", "use of cookies", "use cookies"};

  Status Read(OptionReader& reader);
};

// The shipped data folder (filters/data in the source tree).
std::string FiltersDataDir();

class C4Filter : public TextFilter {
 public:
  // Loads the bad-word list. Errors: NotFound / InvalidArgument naming the list file.
  static Result<std::unique_ptr<C4Filter>> Create(std::string name, std::string field,
                                                  C4Options options);
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  C4Filter(std::string name, std::string field, C4Options options)
      : TextFilter(std::move(name), "c4", std::move(field)), options_(std::move(options)) {}
  C4Options options_;
  // List entries as normalised-word hashes (text_util.h NormalizedWordHashes).
  std::vector<uint64_t> bad_word_hashes_;                      // one-word entries
  std::vector<std::vector<uint64_t>> bad_phrases_;             // multi-word entries, list order
  std::vector<std::string> bad_phrase_text_;                   // the same, lower-cased text
  std::vector<std::pair<uint64_t, size_t>> phrase_by_first_;  // (first word, phrase), sorted
  FlatHashSet bad_word_set_;                                   // bad_word_hashes_
  FlatHashSet phrase_first_set_;                               // first words of bad_phrases_
  // Bit PrefixKey(w) is set for every one-word entry and phrase first word: a page word whose
  // bit is clear is not listed and is not hashed (most words of a page).
  std::vector<uint64_t> prefix_bits_ = std::vector<uint64_t>(1 << 10);  // 2^16 bits
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_C4_FILTER_H_
