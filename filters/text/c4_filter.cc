// C4 cleaning; see the header for the source and rule definitions.
#include "filters/text/c4_filter.h"

#include <algorithm>
#include <sstream>

#include "base/file_util.h"
#include "filters/text/text_util.h"

#ifndef KGF_FILTERS_DATA_DIR
#define KGF_FILTERS_DATA_DIR "filters/data"
#endif

namespace kgf::filters {

std::string FiltersDataDir() { return KGF_FILTERS_DATA_DIR; }

Status C4Options::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Int("min_words_per_line", &min_words_per_line, 0, 1000000));
  KGF_RETURN_IF_ERROR(r.Int("min_sentences", &min_sentences, 0, 1000000));
  KGF_RETURN_IF_ERROR(r.Int("max_word_length", &max_word_length, 1, 1LL << 40));
  KGF_RETURN_IF_ERROR(r.Bool("clean_lines", &clean_lines));
  KGF_RETURN_IF_ERROR(r.Bool("filter_bad_words", &filter_bad_words));
  KGF_RETURN_IF_ERROR(r.String("bad_words_file", &bad_words_file));
  KGF_RETURN_IF_ERROR(r.StringList("policy_phrases", &policy_phrases));
  for (auto& p : policy_phrases) p = AsciiLower(p);
  return Status::Ok();
}

namespace {

// 16-bit key of a normalised word from its lower-cased first three bytes and its length;
// equal words have equal keys.
uint32_t PrefixKey(std::string_view w) {
  uint64_t k = std::min<size_t>(w.size(), 63);
  for (size_t i = 0; i < 3 && i < w.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(w[i]);
    k = (k << 8) | (c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  k *= 0x9e3779b97f4a7c15ULL;
  return static_cast<uint32_t>(k >> 48);
}

}  // namespace

Result<std::unique_ptr<C4Filter>> C4Filter::Create(std::string name, std::string field,
                                                   C4Options options) {
  std::unique_ptr<C4Filter> f(new C4Filter(std::move(name), std::move(field), options));
  if (!options.filter_bad_words) return f;
  std::string path = options.bad_words_file.empty()
                         ? JoinPath(FiltersDataDir(), "badwords_en.txt")
                         : options.bad_words_file;
  Result<std::string> data = ReadFileToString(path);
  if (!data.ok()) {
    return NotFoundError("c4 bad-word list " + path + " cannot be read (" +
                         data.status().message() + "); set 'bad_words_file' in the config");
  }
  std::vector<std::string_view> lines;
  SplitLines(*data, &lines);
  std::vector<uint64_t> hashes;
  std::vector<std::string_view> words;
  for (std::string_view raw : lines) {
    std::string_view line = StripAscii(raw);
    if (line.empty() || line[0] == '#') continue;
    // Page words are matched after normalisation (surrounding punctuation removed), so an
    // entry word that begins or ends with punctuation ("a$$") can never match; such entries
    // are ignored rather than normalised, which would turn "a$$" into "a".
    SplitWords(line, &words);
    bool matchable = true;
    for (std::string_view w : words) {
      matchable = matchable && !IsAsciiPunct(w.front()) && !IsAsciiPunct(w.back());
    }
    if (!matchable) continue;
    NormalizedWordHashes(line, &hashes);
    std::vector<std::string_view> spans;
    NormalizedWordSpans(line, &spans);
    if (!spans.empty()) {
      const uint32_t key = PrefixKey(spans[0]);
      f->prefix_bits_[key >> 6] |= uint64_t{1} << (key & 63);
    }
    if (hashes.size() == 1) {
      f->bad_word_hashes_.push_back(hashes[0]);
    } else if (hashes.size() > 1) {
      f->phrase_by_first_.emplace_back(hashes[0], f->bad_phrases_.size());
      f->bad_phrases_.push_back(hashes);
      f->bad_phrase_text_.emplace_back(AsciiLower(line));
    }
  }
  std::sort(f->phrase_by_first_.begin(), f->phrase_by_first_.end());
  f->bad_word_set_.Reset(f->bad_word_hashes_.size());
  for (uint64_t h : f->bad_word_hashes_) f->bad_word_set_.Insert(h);
  f->phrase_first_set_.Reset(f->phrase_by_first_.size());
  for (const auto& [h, p] : f->phrase_by_first_) f->phrase_first_set_.Insert(h);
  if (f->bad_word_hashes_.empty() && f->bad_phrases_.empty()) {
    return InvalidArgumentError("c4 bad-word list " + path + " has no entries");
  }
  return f;
}

namespace {

bool EndsInTerminalPunct(std::string_view line) {
  if (line.ends_with("...") || line.ends_with("\u2026")) return false;
  char c = line.back();
  return c == '.' || c == '?' || c == '!' || c == '"' || line.ends_with("\u201d");
}

bool IsSentenceEnd(std::string_view word) {
  while (!word.empty() && (word.back() == '"' || word.back() == '\'' || word.back() == ')' ||
                           word.back() == ']')) {
    word.remove_suffix(1);
  }
  if (word.ends_with("\u201d")) word.remove_suffix(3);
  if (word.size() < 2) return false;  // a lone "." is not a sentence
  char c = word.back();
  return c == '.' || c == '?' || c == '!';
}

}  // namespace

Verdict C4Filter::Check(std::string_view text, std::string* rewritten, bool* changed) const {
  const C4Options& o = options_;
  std::ostringstream d;
  // Page rules look at every line, whether the line rules remove it or not (TFDS checks only
  // lines that passed the end-mark and length rules; SPEC §2 makes these page rules). No
  // phrase spans a line break, so searching the whole text is equivalent and cheaper. When
  // both occur, the earlier line decides, and "lorem ipsum" wins within a line.
  const std::string lower = AsciiLower(text);
  const size_t lorem = FindBytes(lower, "lorem ipsum");
  const size_t curly = text.find('{');
  if (lorem != std::string::npos || curly != std::string::npos) {
    auto line_start = [&](size_t pos) {
      size_t nl = text.rfind('\n', pos);
      return nl == std::string_view::npos ? 0 : nl + 1;
    };
    if (lorem != std::string::npos &&
        (curly == std::string::npos || line_start(lorem) <= line_start(curly))) {
      return Verdict::Drop("lorem_ipsum", "page contains 'lorem ipsum'");
    }
    return Verdict::Drop("curly_bracket", "page contains '{' (code or markup)");
  }
  // Line phrases: only documents that contain one anywhere need the per-line search.
  std::vector<const std::string*> present;
  static const std::string kJavascript = "javascript";
  if (FindBytes(lower, kJavascript) != std::string::npos) present.push_back(&kJavascript);
  for (const std::string& p : o.policy_phrases) {
    if (FindBytes(lower, p) != std::string::npos) present.push_back(&p);
  }
  std::vector<std::string_view> lines, words;
  SplitLines(text, &lines);
  std::string kept;
  kept.reserve(text.size());
  int64_t sentences = 0, kept_lines = 0;
  for (std::string_view raw : lines) {
    std::string_view line = StripAscii(raw);
    if (line.empty()) continue;
    SplitWords(line, &words);
    if (!o.clean_lines) {
      for (auto w : words) sentences += IsSentenceEnd(w);
      continue;
    }
    bool drop_line = !EndsInTerminalPunct(line) ||
                     static_cast<int64_t>(words.size()) < o.min_words_per_line;
    for (size_t i = 0; !drop_line && i < words.size(); ++i) {
      drop_line = static_cast<int64_t>(words[i].size()) > o.max_word_length;
    }
    if (!drop_line && !present.empty()) {
      std::string_view lower_line(lower.data() + (line.data() - text.data()), line.size());
      for (size_t i = 0; !drop_line && i < present.size(); ++i) {
        drop_line = FindBytes(lower_line, *present[i]) != std::string_view::npos;
      }
    }
    if (drop_line) continue;
    for (auto w : words) sentences += IsSentenceEnd(w);
    if (kept_lines++ > 0) kept += '\n';
    kept.append(line);
  }
  if (sentences < o.min_sentences) {
    d << sentences << " sentences after line cleaning < " << o.min_sentences;
    return Verdict::Drop("too_few_sentences", d.str());
  }
  if (o.filter_bad_words) {
    std::string_view page = o.clean_lines ? std::string_view(kept) : text;
    thread_local std::vector<std::string_view> spans;  // normalised words, not lower-cased
    NormalizedWordSpans(page, &spans);
    auto may_be_listed = [&](std::string_view w) {
      const uint32_t key = PrefixKey(w);
      return (prefix_bits_[key >> 6] >> (key & 63)) & 1;
    };
    // Single words first (the first in page order is reported), then phrases (the first in
    // list order that occurs is reported).
    for (std::string_view w : spans) {
      if (may_be_listed(w) && bad_word_set_.Contains(LowerHash(w))) {
        return Verdict::Drop("bad_word", "page contains the listed word '" + AsciiLower(w) + "'");
      }
    }
    size_t found = bad_phrases_.size();
    for (size_t i = 0; i < spans.size() && !bad_phrases_.empty(); ++i) {
      if (!may_be_listed(spans[i])) continue;
      const uint64_t first = LowerHash(spans[i]);
      if (!phrase_first_set_.Contains(first)) continue;
      auto it = std::lower_bound(phrase_by_first_.begin(), phrase_by_first_.end(),
                                 std::pair<uint64_t, size_t>(first, 0));
      for (; it != phrase_by_first_.end() && it->first == first; ++it) {
        const std::vector<uint64_t>& ph = bad_phrases_[it->second];
        if (it->second >= found || i + ph.size() > spans.size()) continue;
        size_t k = 1;
        while (k < ph.size() && LowerHash(spans[i + k]) == ph[k]) ++k;
        if (k == ph.size()) found = it->second;
      }
    }
    if (found < bad_phrases_.size()) {
      return Verdict::Drop("bad_word",
                           "page contains the listed phrase '" + bad_phrase_text_[found] + "'");
    }
  }
  if (o.clean_lines && kept != text) {
    *rewritten = std::move(kept);
    *changed = true;
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
