// Gopher repetition rules (Rae et al. 2021, Gopher appendix A.1.1, table A1; computed as in
// datatrove's GopherRepetitionFilter). Lines are split on runs of '\n', paragraphs on two or
// more '\n'. Shares of characters are relative to the text length in bytes. Top n-gram share:
// characters of the most frequent n-gram (words joined by single spaces) times its count,
// counted only when it occurs at least twice. Duplicated n-gram share: greedy left-to-right
// scan; an n-gram already seen adds its characters (words joined without spaces) and skips n
// words.
#ifndef KGF_FILTERS_TEXT_GOPHER_REPETITION_FILTER_H_
#define KGF_FILTERS_TEXT_GOPHER_REPETITION_FILTER_H_

#include <string>
#include <vector>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"

namespace kgf::filters {

struct GopherRepetitionOptions {
  double max_dup_line_share = 0.30;       // duplicate lines / lines ("dup_lines")
  double max_dup_paragraph_share = 0.30;  // ("dup_paragraphs")
  double max_dup_line_chars = 0.20;       // ("dup_line_chars")
  double max_dup_paragraph_chars = 0.20;  // ("dup_paragraph_chars")
  // Top n-gram char share for n = 2, 3, 4 ("top_2gram", ...).
  std::vector<double> max_top_ngram_chars = {0.20, 0.18, 0.16};
  // Duplicated n-gram char share for n = 5..10 ("dup_5gram", ...).
  std::vector<double> max_dup_ngram_chars = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};

  Status Read(OptionReader& reader);
};

class GopherRepetitionFilter : public TextFilter {
 public:
  GopherRepetitionFilter(std::string name, std::string field, GopherRepetitionOptions options)
      : TextFilter(std::move(name), "gopher_repetition", std::move(field)),
        options_(std::move(options)) {}
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  GopherRepetitionOptions options_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_GOPHER_REPETITION_FILTER_H_
