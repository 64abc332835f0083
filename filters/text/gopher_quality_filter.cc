// Gopher quality rules; see the header for sources.
#include "filters/text/gopher_quality_filter.h"

#include <algorithm>
#include <sstream>

#include "filters/text/text_util.h"

namespace kgf::filters {

Status GopherQualityOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Int("min_words", &min_words, 0, 1LL << 40));
  KGF_RETURN_IF_ERROR(r.Int("max_words", &max_words, 0, 1LL << 40));
  KGF_RETURN_IF_ERROR(r.Double("min_mean_word_length", &min_mean_word_length, 0, 1e6));
  KGF_RETURN_IF_ERROR(r.Double("max_mean_word_length", &max_mean_word_length, 0, 1e6));
  KGF_RETURN_IF_ERROR(r.Double("max_hash_ratio", &max_hash_ratio, 0, 1e6));
  KGF_RETURN_IF_ERROR(r.Double("max_ellipsis_ratio", &max_ellipsis_ratio, 0, 1e6));
  KGF_RETURN_IF_ERROR(r.Double("max_bullet_lines", &max_bullet_lines, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_ellipsis_lines", &max_ellipsis_lines, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("min_alpha_words", &min_alpha_words, 0, 1));
  KGF_RETURN_IF_ERROR(r.Int("min_stop_words", &min_stop_words, 0, 1000));
  KGF_RETURN_IF_ERROR(r.StringList("stop_words", &stop_words));
  if (min_words > max_words) {
    return InvalidArgumentError(r.where() + ": 'min_words' must not exceed 'max_words'");
  }
  if (min_mean_word_length > max_mean_word_length) {
    return InvalidArgumentError(r.where() +
                                ": 'min_mean_word_length' must not exceed 'max_mean_word_length'");
  }
  return Status::Ok();
}

static size_t CountOf(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

static bool HasLetter(std::string_view w) {
  for (unsigned char c : w) {
    // Any non-ASCII byte counts as part of a letter: scripts other than Latin are judged by
    // the script filter, not here.
    if (IsAsciiAlpha(c) || c >= 0x80) return true;
  }
  return false;
}

Verdict GopherQualityFilter::Check(std::string_view text, std::string*, bool*) const {
  const GopherQualityOptions& o = options_;
  std::vector<std::string_view> words;
  SplitWords(text, &words);
  int64_t non_symbol = 0, non_symbol_chars = 0, alpha_words = 0;
  for (std::string_view w : words) {
    if (!std::all_of(w.begin(), w.end(), [](char c) { return IsAsciiPunct(c); })) {
      ++non_symbol;
      // Length in code points, so accented words are not counted long.
      for (unsigned char c : w) non_symbol_chars += (c & 0xC0) != 0x80;
    }
    if (HasLetter(w)) ++alpha_words;
  }
  std::ostringstream d;
  if (non_symbol < o.min_words) {
    d << non_symbol << " non-symbol words < " << o.min_words;
    return Verdict::Drop("too_few_words", d.str());
  }
  if (non_symbol > o.max_words) {
    d << non_symbol << " non-symbol words > " << o.max_words;
    return Verdict::Drop("too_many_words", d.str());
  }
  double mean_len = static_cast<double>(non_symbol_chars) / non_symbol;
  if (mean_len < o.min_mean_word_length || mean_len > o.max_mean_word_length) {
    d << "mean word length " << mean_len << " outside [" << o.min_mean_word_length << ", "
      << o.max_mean_word_length << "]";
    return Verdict::Drop("mean_word_length", d.str());
  }
  const double n_words = static_cast<double>(words.size());
  double hash_ratio = CountOf(text, "#") / n_words;
  if (hash_ratio > o.max_hash_ratio) {
    d << "'#' per word " << hash_ratio << " > " << o.max_hash_ratio;
    return Verdict::Drop("hash_ratio", d.str());
  }
  double ellipsis_ratio = (CountOf(text, "...") + CountOf(text, "\u2026")) / n_words;
  if (ellipsis_ratio > o.max_ellipsis_ratio) {
    d << "ellipses per word " << ellipsis_ratio << " > " << o.max_ellipsis_ratio;
    return Verdict::Drop("ellipsis_ratio", d.str());
  }
  std::vector<std::string_view> lines;
  SplitLines(text, &lines);
  int64_t n_lines = 0, bullet = 0, ellipsis_end = 0;
  for (std::string_view raw : lines) {
    std::string_view line = StripAscii(raw);
    if (line.empty()) continue;
    ++n_lines;
    if (line.starts_with("\u2022") || line.starts_with("-") || line.starts_with("*") ||
        line.starts_with("\u25cf") || line.starts_with("\u25e6")) {
      ++bullet;
    }
    if (line.ends_with("...") || line.ends_with("\u2026")) ++ellipsis_end;
  }
  if (n_lines > 0) {
    double bullet_share = static_cast<double>(bullet) / n_lines;
    if (bullet_share > o.max_bullet_lines) {
      d << "bullet lines " << bullet_share << " > " << o.max_bullet_lines;
      return Verdict::Drop("bullet_lines", d.str());
    }
    double ell_share = static_cast<double>(ellipsis_end) / n_lines;
    if (ell_share > o.max_ellipsis_lines) {
      d << "lines ending in an ellipsis " << ell_share << " > " << o.max_ellipsis_lines;
      return Verdict::Drop("ellipsis_lines", d.str());
    }
  }
  double alpha_share = alpha_words / n_words;
  if (alpha_share < o.min_alpha_words) {
    d << "words with a letter " << alpha_share << " < " << o.min_alpha_words;
    return Verdict::Drop("alpha_words", d.str());
  }
  int64_t stop_present = 0;
  for (const std::string& s : o.stop_words) {
    for (std::string_view w : words) {
      if (w.size() == s.size() && AsciiLower(w) == s) {
        ++stop_present;
        break;
      }
    }
    if (stop_present >= o.min_stop_words) break;
  }
  if (stop_present < o.min_stop_words) {
    d << stop_present << " distinct stop words < " << o.min_stop_words;
    return Verdict::Drop("stop_words", d.str());
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
