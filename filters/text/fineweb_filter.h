// FineWeb quality rules (Penedo et al. 2024, "The FineWeb Datasets", §3.3 custom filters;
// computed as in datatrove's FineWebQualityFilter; comparisons as worded in SPEC §2). Lines are
// the non-blank '\n'-separated lines, stripped. Rules, in order:
//   "line_punct": share of lines ending in terminal punctuation (. ? ! " ' and their
//       Unicode/CJK forms) < min_line_punct;
//   "short_lines": share of lines of <= short_line_length bytes > max_short_lines;
//   "dup_line_chars": chars in duplicated lines / chars without '\n' > max_dup_line_chars;
//   "newline_ratio": '\n' count / whitespace words > max_newline_ratio;
//   "empty": no non-blank line.
#ifndef KGF_FILTERS_TEXT_FINEWEB_FILTER_H_
#define KGF_FILTERS_TEXT_FINEWEB_FILTER_H_

#include <string>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"

namespace kgf::filters {

struct FineWebOptions {
  double min_line_punct = 0.12;
  int64_t short_line_length = 30;
  double max_short_lines = 0.67;
  double max_dup_line_chars = 0.01;
  double max_newline_ratio = 0.3;

  Status Read(OptionReader& reader);
};

class FineWebFilter : public TextFilter {
 public:
  FineWebFilter(std::string name, std::string field, FineWebOptions options)
      : TextFilter(std::move(name), "fineweb", std::move(field)), options_(options) {}
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  FineWebOptions options_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_FINEWEB_FILTER_H_
