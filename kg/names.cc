// How entity names read in English prose (see names.h).
#include "kg/names.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

namespace kgf::kg {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string NameInText(const std::string& name) {
  // Heads that make a proper name take "the"; "Saint Kitts and Nevis" and "Cyprus" do not.
  static const std::set<std::string_view> kHeads = {
      "Republic", "Kingdom", "States", "Islands", "Isles", "Isle", "Emirates", "Federation",
      "Union", "Territory", "Territories", "Lands", "Coast", "Netherlands", "Philippines",
      "Bahamas", "Maldives", "Seychelles", "Comoros", "Antilles"};
  // Whole names that take it by usage.
  static const std::set<std::string_view> kNames = {"Gambia", "DR Congo", "Congo", "Euro",
                                                    "Americas", "Caribbean", "Antarctic"};
  // A common noun ("landlocked", "dog (...)") or a name that has its article reads as it is;
  // a first byte outside ASCII ("Åland Islands") may be a capital.
  const auto first = name.empty() ? 'a' : static_cast<unsigned char>(name[0]);
  if (name.empty() || (first < 0x80 && !std::isupper(first)) || name.rfind("The ", 0) == 0) {
    return name;
  }
  std::string_view head = name;
  if (size_t paren = head.find(" ("); paren != std::string_view::npos && EndsWith(head, ")")) {
    head = head.substr(0, paren);
  }
  if (kNames.count(head)) return "the " + name;
  if (size_t of = head.find(" of "); of != std::string_view::npos) head = head.substr(0, of);
  const size_t sp = head.rfind(' ');
  const std::string_view word = sp == std::string_view::npos ? head : head.substr(sp + 1);
  // A name ending in a common noun: "the West African CFA franc", "the Pound sterling".
  const bool common_tail = sp != std::string_view::npos && !word.empty() &&
                           std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return kHeads.count(word) || common_tail ? "the " + name : name;
}

std::string FillNameSlot(const std::string& tmpl, const std::string& inner) {
  size_t at = tmpl.find("{}");
  if (at == std::string::npos) return tmpl + " " + inner;
  // A slot in apposition ("the terms used in the region {}") takes a name without its own
  // article: "the region United Kingdom", not "the region the United Kingdom".
  std::string_view filler = inner;
  const std::string_view before = std::string_view(tmpl).substr(0, at);
  if (filler.size() > 4 && filler.rfind("the ", 0) == 0 && std::isupper(static_cast<unsigned char>(filler[4])) &&
      before.size() > 1 && before.back() == ' ') {
    const std::string_view words = before.substr(0, before.size() - 1);
    const size_t sp = words.rfind(' ');
    if (sp != std::string_view::npos && (words.substr(0, sp) == "the" || EndsWith(words.substr(0, sp), " the"))) {
      filler.remove_prefix(4);
    }
  }
  return tmpl.substr(0, at) + std::string(filler) + tmpl.substr(at + 2);
}

}  // namespace kgf::kg
