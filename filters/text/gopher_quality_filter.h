// Gopher quality rules (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights
// from Training Gopher", appendix A.1.1; thresholds as in SPEC §2; the rule order and word
// definitions follow datatrove's GopherQualityFilter). Words are whitespace tokens; a "symbol
// word" consists only of ASCII punctuation.
#ifndef KGF_FILTERS_TEXT_GOPHER_QUALITY_FILTER_H_
#define KGF_FILTERS_TEXT_GOPHER_QUALITY_FILTER_H_

#include <string>
#include <vector>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"

namespace kgf::filters {

struct GopherQualityOptions {
  int64_t min_words = 50;          // drop if non-symbol words < min_words ("too_few_words")
  int64_t max_words = 100000;      // drop if > max_words ("too_many_words")
  double min_mean_word_length = 3;   // over non-symbol words ("mean_word_length")
  double max_mean_word_length = 10;
  double max_hash_ratio = 0.1;       // '#' count / words ("hash_ratio")
  double max_ellipsis_ratio = 0.1;   // ("..." + "…") count / words ("ellipsis_ratio")
  double max_bullet_lines = 0.9;     // share of lines starting with a bullet ("bullet_lines")
  double max_ellipsis_lines = 0.3;   // share of lines ending with an ellipsis ("ellipsis_lines")
  double min_alpha_words = 0.8;      // share of words with a letter ("alpha_words")
  int64_t min_stop_words = 2;        // distinct stop words present ("stop_words")
  std::vector<std::string> stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"};

  Status Read(OptionReader& reader);
};

class GopherQualityFilter : public TextFilter {
 public:
  GopherQualityFilter(std::string name, std::string field, GopherQualityOptions options)
      : TextFilter(std::move(name), "gopher_quality", std::move(field)),
        options_(std::move(options)) {}
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  GopherQualityOptions options_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_GOPHER_QUALITY_FILTER_H_
