// How entity names read in English prose: questions, the assistant's thoughts, fact sentences.
// The names themselves stay verbatim (tool arguments, answers).
#ifndef KGF_KG_NAMES_H_
#define KGF_KG_NAMES_H_

#include <string>

namespace kgf::kg {

// A proper name as it reads inside a sentence: "the United Kingdom", "the Solomon Islands",
// "the Isle of Man", "the Republic of the Congo", "the Netherlands", "the Gambia", "the Swiss
// franc"; most names as they are ("France", "Saint Kitts and Nevis"), common nouns
// ("landlocked", "dog (...)") too.
std::string NameInText(const std::string& name);

// `tmpl` with its "{}" replaced by `inner` (appended after a space when there is no slot). A
// slot in apposition ("the terms used in the region {}") takes a name without its own article:
// "the region United Kingdom", not "the region the United Kingdom".
std::string FillNameSlot(const std::string& tmpl, const std::string& inner);

}  // namespace kgf::kg

#endif  // KGF_KG_NAMES_H_
