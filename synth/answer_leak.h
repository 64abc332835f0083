// The "no answer in the question" rule, shared by the renderer (which rejects such samples as
// answer_leak) and the semantic verification layer (filters/record_checks.h), so the two agree.
#ifndef KGF_SYNTH_ANSWER_LEAK_H_
#define KGF_SYNTH_ANSWER_LEAK_H_

#include <span>
#include <string>
#include <string_view>

namespace kgf::synth {

// True if `needle` occurs in `haystack` as whole words (ASCII case-insensitive; boundaries are
// the ends or bytes that are not ASCII letters, digits or non-ASCII; a needle that starts or
// ends with punctuation needs no boundary there).
bool ContainsWords(std::string_view haystack, std::string_view needle);

// True if `answer` is named in `question` (as whole words) other than as part of an anchor's
// name: "genus Canis" inside the anchor "dog (a member of the genus Canis)" is not a leak.
bool AnswerLeaks(std::string_view question, std::string_view answer,
                 std::span<const std::string> anchor_names);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_ANSWER_LEAK_H_
