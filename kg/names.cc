// How entity names read in English prose (see names.h).
#include "kg/names.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>

#include "base/file_util.h"

namespace kgf::kg {

std::string NameInText(const std::string& name) {
  // Head words that make a name take "the" after a modifier ("United Kingdom", "Solomon
  // Islands"); alone they are a common noun ("Territory" as a subdivision type).
  static const std::set<std::string_view> kHeads = {
      "Republic", "Kingdom", "States", "Islands", "Isles", "Isle", "Emirates", "Federation",
      "Union", "Territory", "Territories", "Lands", "Coast", "Antilles"};
  // Whole names that take it by usage.
  static const std::set<std::string_view> kNames = {
      "Netherlands", "Philippines", "Bahamas", "Maldives", "Seychelles", "Comoros", "Gambia",
      "DR Congo", "Congo", "Euro", "Americas", "Caribbean", "Antarctic"};
  // Currency units: "the West African CFA franc", "the Pound sterling", "the Danish Krone".
  static const std::set<std::string_view> kUnits = {
      "dollar", "franc", "peso", "pound", "sterling", "rupee", "krone", "krona", "dinar", "dirham",
      "rial", "riyal", "shilling", "lira", "yen", "yuan", "won", "ruble", "rouble", "rupiah",
      "lev", "leu", "lek", "real", "rand", "kwacha", "naira", "mark", "florin", "guilder",
      "escudo", "dram", "manat", "taka", "ringgit", "baht", "dong", "kip", "riel", "kyat",
      "rufiyaa", "ouguiya", "cedi", "dalasi", "birr", "nakfa", "kwanza", "ariary", "loti",
      "lilangeni", "pula", "metical", "afghani", "somoni", "tenge", "som", "sum", "lari", "hryvnia",
      "zloty", "forint", "koruna", "kuna", "denar", "tolar", "colón", "colon", "córdoba",
      "cordoba", "lempira", "quetzal", "balboa", "sol", "boliviano", "guaraní", "guarani",
      "bolívar", "bolivar", "gourde", "tala", "pa'anga", "vatu", "kina", "ngultrum", "tugrik",
      "pataca", "shekel", "ouguiya"};
  // A common noun ("landlocked", "dog (...)"), a name that has its article, or an inverted one
  // ("Micronesia, Federated States of") reads as it is; a first byte outside ASCII ("Åland
  // Islands") may be a capital.
  const auto first = name.empty() ? 'a' : static_cast<unsigned char>(name[0]);
  if (name.empty() || (first < 0x80 && !std::isupper(first)) || name.find(", ") != std::string::npos) {
    return name;
  }
  for (std::string_view article : {"The ", "La ", "Le ", "Les ", "Los ", "Las ", "El ", "Al "}) {
    if (name.rfind(article, 0) == 0) return name;  // "La Union", "El Salvador"
  }
  std::string_view head = name;
  if (size_t paren = head.find(" ("); paren != std::string_view::npos && EndsWith(head, ")")) {
    head = head.substr(0, paren);
  }
  if (kNames.count(head)) return "the " + name;
  if (head.find(' ') == std::string_view::npos) return name;  // one word: "France", "Territory"
  if (size_t of = head.find(" of "); of != std::string_view::npos) head = head.substr(0, of);
  const size_t sp = head.rfind(' ');
  std::string word(sp == std::string_view::npos ? head : head.substr(sp + 1));
  if (kHeads.count(word)) return "the " + name;
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return kUnits.count(word) ? "the " + name : name;
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
