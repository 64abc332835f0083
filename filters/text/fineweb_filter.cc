// FineWeb quality rules; see the header.
#include "filters/text/fineweb_filter.h"

#include <sstream>

#include "base/hash.h"
#include "filters/text/text_util.h"

namespace kgf::filters {

Status FineWebOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Double("min_line_punct", &min_line_punct, 0, 1));
  KGF_RETURN_IF_ERROR(r.Int("short_line_length", &short_line_length, 0, 1LL << 30));
  KGF_RETURN_IF_ERROR(r.Double("max_short_lines", &max_short_lines, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_dup_line_chars", &max_dup_line_chars, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_newline_ratio", &max_newline_ratio, 0, 1e9));
  return Status::Ok();
}

static bool EndsInPunct(std::string_view line) {
  char c = line.back();
  if (c == '.' || c == '?' || c == '!' || c == '"' || c == '\'') return true;
  for (std::string_view end : {"\u201d", "\u2019", "\u2026", "\u3002", "\uff01", "\uff1f"}) {
    if (line.ends_with(end)) return true;
  }
  return false;
}

Verdict FineWebFilter::Check(std::string_view text, std::string*, bool*) const {
  const FineWebOptions& o = options_;
  std::ostringstream d;
  std::vector<std::string_view> raw_lines, lines;
  SplitLines(text, &raw_lines);
  for (std::string_view l : raw_lines) {
    l = StripAscii(l);
    if (!l.empty()) lines.push_back(l);
  }
  if (lines.empty()) return Verdict::Drop("empty", "no non-blank line");
  const double n = static_cast<double>(lines.size());
  int64_t punct = 0, short_lines = 0;
  for (std::string_view l : lines) {
    punct += EndsInPunct(l);
    short_lines += static_cast<int64_t>(l.size()) <= o.short_line_length;
  }
  double share = punct / n;
  if (share < o.min_line_punct) {
    d << "lines ending in punctuation " << share << " < " << o.min_line_punct;
    return Verdict::Drop("line_punct", d.str());
  }
  share = short_lines / n;
  if (share > o.max_short_lines) {
    d << "lines of <= " << o.short_line_length << " chars " << share << " > " << o.max_short_lines;
    return Verdict::Drop("short_lines", d.str());
  }
  FlatHashSet seen;
  seen.Reset(lines.size());
  int64_t dup_chars = 0, newlines = 0;
  for (std::string_view l : lines) {
    if (!seen.Insert(Hash64(l, 0x51ed27))) dup_chars += static_cast<int64_t>(l.size());
  }
  for (char c : text) newlines += c == '\n';
  double chars = static_cast<double>(text.size() - newlines);
  share = chars > 0 ? dup_chars / chars : 0;
  if (share > o.max_dup_line_chars) {
    d << "chars in duplicated lines " << share << " > " << o.max_dup_line_chars;
    return Verdict::Drop("dup_line_chars", d.str());
  }
  std::vector<std::string_view> words;
  SplitWords(text, &words);
  share = static_cast<double>(newlines) / words.size();
  if (share > o.max_newline_ratio) {
    d << "newlines per word " << share << " > " << o.max_newline_ratio;
    return Verdict::Drop("newline_ratio", d.str());
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
