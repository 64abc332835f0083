// Gopher repetition rules; see the header for sources and definitions.
#include "filters/text/gopher_repetition_filter.h"

#include <sstream>

#include "base/hash.h"
#include "filters/text/text_util.h"

namespace kgf::filters {

Status GopherRepetitionOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Double("max_dup_line_share", &max_dup_line_share, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_dup_paragraph_share", &max_dup_paragraph_share, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_dup_line_chars", &max_dup_line_chars, 0, 1));
  KGF_RETURN_IF_ERROR(r.Double("max_dup_paragraph_chars", &max_dup_paragraph_chars, 0, 1));
  static const char* kTop[] = {"max_top_2gram_chars", "max_top_3gram_chars",
                               "max_top_4gram_chars"};
  for (int i = 0; i < 3; ++i) {
    KGF_RETURN_IF_ERROR(r.Double(kTop[i], &max_top_ngram_chars[i], 0, 1));
  }
  static const char* kDup[] = {"max_dup_5gram_chars", "max_dup_6gram_chars",
                               "max_dup_7gram_chars", "max_dup_8gram_chars",
                               "max_dup_9gram_chars", "max_dup_10gram_chars"};
  for (int i = 0; i < 6; ++i) {
    KGF_RETURN_IF_ERROR(r.Double(kDup[i], &max_dup_ngram_chars[i], 0, 1));
  }
  return Status::Ok();
}

namespace {

// Pieces of `text` separated by runs of at least `min_newlines` '\n', stripped of the leading
// and trailing newlines of the text (datatrove: re.split(r"\n{k,}", text.strip())).
void SplitOnNewlineRuns(std::string_view text, int min_newlines,
                        std::vector<std::string_view>* parts) {
  parts->clear();
  size_t b = 0, e = text.size();
  while (b < e && IsAsciiSpace(text[b])) ++b;
  while (e > b && IsAsciiSpace(text[e - 1])) --e;
  text = text.substr(b, e - b);
  size_t start = 0;
  for (size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i)) {
    size_t run = i;
    while (run < text.size() && text[run] == '\n') ++run;
    if (static_cast<int>(run - i) >= min_newlines) {
      parts->push_back(text.substr(start, i - start));
      start = run;
    }
    i = run;
  }
  parts->push_back(text.substr(start));
}

// (duplicate elements, chars in duplicates) with the first occurrence not counted.
std::pair<int64_t, int64_t> FindDuplicates(const std::vector<std::string_view>& parts,
                                           FlatHashSet* seen) {
  seen->Reset(parts.size());
  int64_t dup = 0, chars = 0;
  for (std::string_view p : parts) {
    if (!seen->Insert(Hash64(p, 0x9e3779b97f4a7c15ULL))) {
      ++dup;
      chars += static_cast<int64_t>(p.size());
    }
  }
  return {dup, chars};
}

inline uint64_t Combine(uint64_t h, uint64_t w) {
  h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

}  // namespace

Verdict GopherRepetitionFilter::Check(std::string_view text, std::string*, bool*) const {
  const GopherRepetitionOptions& o = options_;
  std::ostringstream d;
  const double text_len = static_cast<double>(text.size());
  if (text.empty()) return Verdict::Keep();
  // Per-thread scratch: reusing the tables avoids page faults on every document.
  thread_local FlatHashSet seen;
  thread_local std::vector<std::string_view> parts;

  SplitOnNewlineRuns(text, 2, &parts);
  auto [dup_p, dup_p_chars] = FindDuplicates(parts, &seen);
  double share = static_cast<double>(dup_p) / parts.size();
  if (share > o.max_dup_paragraph_share) {
    d << "duplicate paragraphs " << share << " > " << o.max_dup_paragraph_share;
    return Verdict::Drop("dup_paragraphs", d.str());
  }
  share = dup_p_chars / text_len;
  if (share > o.max_dup_paragraph_chars) {
    d << "chars in duplicate paragraphs " << share << " > " << o.max_dup_paragraph_chars;
    return Verdict::Drop("dup_paragraph_chars", d.str());
  }
  SplitOnNewlineRuns(text, 1, &parts);
  auto [dup_l, dup_l_chars] = FindDuplicates(parts, &seen);
  share = static_cast<double>(dup_l) / parts.size();
  if (share > o.max_dup_line_share) {
    d << "duplicate lines " << share << " > " << o.max_dup_line_share;
    return Verdict::Drop("dup_lines", d.str());
  }
  share = dup_l_chars / text_len;
  if (share > o.max_dup_line_chars) {
    d << "chars in duplicate lines " << share << " > " << o.max_dup_line_chars;
    return Verdict::Drop("dup_line_chars", d.str());
  }

  thread_local std::vector<std::string_view> words;
  SplitWords(text, &words);
  const size_t w = words.size();
  thread_local std::vector<uint64_t> wh, gram;  // (w) word hashes, n-gram hashes
  thread_local std::vector<int64_t> prefix_len;  // prefix sums of word lengths
  wh.resize(w);
  prefix_len.assign(w + 1, 0);
  for (size_t i = 0; i < w; ++i) {
    wh[i] = WordHash(words[i]);
    prefix_len[i + 1] = prefix_len[i] + static_cast<int64_t>(words[i].size());
  }
  // Pruning, exact: equal (n+1)-grams at two positions have equal n-grams there, so an
  // (n+1)-gram can occur twice only where the n-gram occurs twice. `candidates` holds the
  // positions whose current n-gram occurs at least twice in the text (all positions for
  // n = 2); the others cannot hold the top (n+1)-gram (only counts >= 2 matter), and the
  // greedy duplicate scans can never find their n-grams again, so they are skipped. In
  // edited prose few 3-grams repeat.
  // gram[i] holds the hash of the n-gram starting at word i, extended one word per n at the
  // candidate positions only.
  thread_local std::vector<uint32_t> candidates, next;
  candidates.resize(w);
  for (size_t i = 0; i < w; ++i) candidates[i] = static_cast<uint32_t>(i);
  gram = wh;
  size_t gram_n = 1;
  auto extend_grams = [&](size_t n) {  // gram[i] for i in candidates, i + n <= w
    while (!candidates.empty() && candidates.back() + n > w) candidates.pop_back();
    for (; gram_n < n; ++gram_n) {
      for (uint32_t i : candidates) gram[i] = Combine(gram[i], wh[i + gram_n]);
    }
  };
  // Top 2/3/4-gram: most frequent n-gram (first seen wins ties), Counter.most_common(1).
  thread_local FlatCounter counter;
  for (size_t n = 2; n <= 4; ++n) {
    if (w < n) break;
    extend_grams(n);
    counter.Reset(candidates.size());
    int64_t best = 0;
    size_t best_first = 0;
    for (uint32_t i : candidates) {
      auto [c, first] = counter.Add(gram[i], i);
      if (c > best || (c == best && first < best_first)) {
        best = c;
        best_first = first;
      }
    }
    next.clear();
    for (uint32_t i : candidates) {
      if (counter.Count(gram[i]) >= 2) next.push_back(i);
    }
    candidates.swap(next);
    if (best < 2) continue;
    int64_t chars = prefix_len[best_first + n] - prefix_len[best_first] +
                    static_cast<int64_t>(n - 1);
    share = best * chars / text_len;
    double limit = o.max_top_ngram_chars[n - 2];
    if (share > limit) {
      d << "top " << n << "-gram chars " << share << " > " << limit;
      return Verdict::Drop("top_" + std::to_string(n) + "gram", d.str());
    }
  }
  // Duplicated 5..10-grams over the positions whose 4-gram repeats (with fewer than 5 words
  // there are none). The greedy scan visits positions left to right and, at a duplicate,
  // jumps n words; positions before `resume` were jumped over.
  for (size_t n = 5; n <= 10; ++n) {
    if (w < n) break;
    extend_grams(n);
    seen.Reset(candidates.size());
    int64_t repeated_chars = 0;
    size_t resume = 0;
    for (uint32_t i : candidates) {
      if (i < resume) continue;
      if (!seen.Insert(gram[i])) {
        repeated_chars += prefix_len[i + n] - prefix_len[i];
        resume = i + n;
      }
    }
    share = repeated_chars / text_len;
    double limit = o.max_dup_ngram_chars[n - 5];
    if (share > limit) {
      d << "duplicated " << n << "-gram chars " << share << " > " << limit;
      return Verdict::Drop("dup_" + std::to_string(n) + "gram", d.str());
    }
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
