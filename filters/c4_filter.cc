// C4 cleaning; see the header for the source and rule definitions.
#include "filters/c4_filter.h"

#include <sstream>

#include "base/file_util.h"
#include "filters/text_util.h"

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
  for (std::string_view raw : lines) {
    std::string_view line = StripAscii(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string lower = AsciiLower(line);
    if (lower.find(' ') == std::string::npos) {
      f->bad_words_.insert(lower);
    } else {
      f->bad_phrases_.push_back(" " + lower + " ");
    }
  }
  if (f->bad_words_.empty() && f->bad_phrases_.empty()) {
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
  std::vector<std::string_view> lines, words;
  SplitLines(text, &lines);
  std::string kept;
  kept.reserve(text.size());
  int64_t sentences = 0, kept_lines = 0;
  for (std::string_view raw : lines) {
    std::string_view line = StripAscii(raw);
    if (line.empty()) continue;
    std::string lower = AsciiLower(line);
    // Page rules first: they look at every line, removed or not (TFDS order).
    if (lower.find("lorem ipsum") != std::string::npos) {
      return Verdict::Drop("lorem_ipsum", "page contains 'lorem ipsum'");
    }
    if (line.find('{') != std::string_view::npos) {
      return Verdict::Drop("curly_bracket", "page contains '{' (code or markup)");
    }
    if (!o.clean_lines) {
      SplitWords(line, &words);
      for (auto w : words) sentences += IsSentenceEnd(w);
      continue;
    }
    SplitWords(line, &words);
    bool drop_line = !EndsInTerminalPunct(line) ||
                     static_cast<int64_t>(words.size()) < o.min_words_per_line ||
                     lower.find("javascript") != std::string::npos;
    for (size_t i = 0; !drop_line && i < words.size(); ++i) {
      drop_line = static_cast<int64_t>(words[i].size()) > o.max_word_length;
    }
    for (size_t i = 0; !drop_line && i < o.policy_phrases.size(); ++i) {
      drop_line = lower.find(o.policy_phrases[i]) != std::string::npos;
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
    std::vector<std::string> norm;
    NormalizedWords(page, &norm);
    for (const std::string& w : norm) {
      if (bad_words_.count(w)) {
        return Verdict::Drop("bad_word", "page contains the listed word '" + w + "'");
      }
    }
    if (!bad_phrases_.empty()) {
      std::string joined = " ";
      for (const std::string& w : norm) joined += w + " ";
      for (const std::string& p : bad_phrases_) {
        if (joined.find(p) != std::string::npos) {
          return Verdict::Drop("bad_word", "page contains the listed phrase '" +
                                               p.substr(1, p.size() - 2) + "'");
        }
      }
    }
  }
  if (o.clean_lines && kept != text) {
    *rewritten = std::move(kept);
    *changed = true;
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
