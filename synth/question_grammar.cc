// Question grammar (see question_grammar.h): lexicon per relation, phrases per node, frames per
// root shape.
#include "synth/question_grammar.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <set>

#include "kg/names.h"

namespace kgf::synth {
namespace {

std::string SpacedWords(std::string_view snake) {
  std::string out(snake);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Applies `fn` to the head word of `text` -- its last word, or the last before " of " ("region
// of use" -> "regions of use") -- and of its trailing "(...)" part if any.
std::string InflectLast(std::string_view text, const std::function<std::string(std::string_view)>& fn) {
  auto last_word = [&](std::string_view t) {
    const size_t of = t.find(" of ");
    const std::string_view head = of == std::string_view::npos ? t : t.substr(0, of);
    const std::string_view rest = of == std::string_view::npos ? std::string_view() : t.substr(of);
    size_t sp = head.rfind(' ');
    size_t start = sp == std::string_view::npos ? 0 : sp + 1;
    return std::string(head.substr(0, start)) + fn(head.substr(start)) + std::string(rest);
  };
  size_t paren = text.find(" (");
  if (paren != std::string_view::npos && EndsWith(text, ")")) {
    std::string_view main = text.substr(0, paren);
    std::string_view inside = text.substr(paren + 2, text.size() - paren - 3);
    return last_word(main) + " (" + last_word(inside) + ")";
  }
  return last_word(text);
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

std::string PluralWord(std::string_view w) {
  static const std::pair<std::string_view, std::string_view> kIrregular[] = {
      {"person", "people"}, {"child", "children"}, {"man", "men"}, {"woman", "women"},
      {"mouse", "mice"}, {"foot", "feet"}, {"tooth", "teeth"}, {"genus", "genera"},
      {"species", "species"}, {"series", "series"}, {"criterion", "criteria"},
      {"pokemon", "pokemon"}, {"sheep", "sheep"}, {"deer", "deer"}, {"fish", "fish"},
      {"aircraft", "aircraft"}, {"information", "information"}, {"equipment", "equipment"},
      {"phenomenon", "phenomena"}, {"analysis", "analyses"}, {"thesis", "theses"}};
  for (auto [sg, pl] : kIrregular) {
    if (w == sg) return std::string(pl);
  }
  if (w.empty()) return "";
  if (EndsWith(w, "y") && w.size() > 1 && !IsVowel(w[w.size() - 2])) {
    return std::string(w.substr(0, w.size() - 1)) + "ies";
  }
  if (EndsWith(w, "s") || EndsWith(w, "x") || EndsWith(w, "z") || EndsWith(w, "ch") ||
      EndsWith(w, "sh")) {
    return std::string(w) + "es";
  }
  return std::string(w) + "s";
}

std::string SingularWord(std::string_view w) {
  static const std::pair<std::string_view, std::string_view> kIrregular[] = {
      {"people", "person"}, {"children", "child"}, {"men", "man"}, {"women", "woman"},
      {"mice", "mouse"}, {"feet", "foot"}, {"teeth", "tooth"}, {"genera", "genus"},
      {"criteria", "criterion"}, {"phenomena", "phenomenon"}, {"species", "species"},
      {"series", "series"}};
  for (auto [pl, sg] : kIrregular) {
    if (w == pl) return std::string(sg);
  }
  if (!QuestionGrammar::LooksPlural(w)) return std::string(w);
  if (EndsWith(w, "ies") && w.size() > 3) return std::string(w.substr(0, w.size() - 3)) + "y";
  // "classes" -> "class", "boxes" -> "box", but "courses" -> "course".
  for (std::string_view es : {"sses", "xes", "zes", "ches", "shes"}) {
    if (EndsWith(w, es)) return std::string(w.substr(0, w.size() - 2));
  }
  return std::string(w.substr(0, w.size() - 1));
}

// Mean number of distinct other ends per entity that has the relation on this side.
double MeanFanOut(const kg::Graph& g, kg::RelationId r, bool inverse) {
  uint64_t entities = 0, edges = 0;
  for (uint32_t e = 0; e < g.num_entities(); ++e) {
    size_t n = Neighbors(g, kg::EntityId(e), r, inverse).size();
    if (n > 0) {
      ++entities;
      edges += n;
    }
  }
  return entities == 0 ? 1.0 : static_cast<double>(edges) / static_cast<double>(entities);
}

// The head noun of a phrase of its own shape, "the <words> <marker> ...": among the words
// after "the" up to a relative pronoun, a preposition, a participle or the slot, the first that
// reads plural ("the official languages spoken in {}", "the member states that ..."), else the
// last ("the country that {} is part of"). None when the phrase does not start with "the".
void FindPhraseHead(const std::string& phrase, QuestionGrammar::Words* w) {
  static const std::set<std::string_view> kMarkers = {
      "that", "which", "who", "whom", "whose", "where", "in", "of", "with", "for", "from",
      "on", "at", "by", "to", "as", "than", "similar", "grouped", "spoken", "used", "located",
      "made", "related", "known", "called", "named", "associated"};
  if (phrase.rfind("the ", 0) != 0) return;
  size_t last_at = std::string::npos, last_end = std::string::npos;
  for (size_t at = 4; at < phrase.size();) {
    size_t end = phrase.find(' ', at);
    if (end == std::string::npos) end = phrase.size();
    const std::string_view word(phrase.data() + at, end - at);
    if (word.find("{}") != std::string_view::npos || kMarkers.count(word) || word.empty() ||
        word.front() == '(') {
      break;
    }
    if (QuestionGrammar::LooksPlural(word)) {
      w->head_at = at, w->head_end = end, w->head_plural = true;
      return;
    }
    last_at = at, last_end = end;
    at = end + 1;
  }
  w->head_at = last_at, w->head_end = last_end, w->head_plural = false;
}

QuestionGrammar::Words MakeWords(const kg::Graph& g, kg::RelationId r) {
  const kg::RelationInfo& info = g.relation(r);
  QuestionGrammar::Words w;
  const double fanout = MeanFanOut(g, r, false);
  w.inverse_plural = MeanFanOut(g, r, true) > 1.3;
  // inverse_name "countries_that_are": the heads "are" the tail ("are landlocked").
  w.copula_inverse = EndsWith(info.inverse_name, "_that_are");
  std::string phrase = info.question_phrase;
  // "the language of the locale {}" names the head type before the slot: as "the language of
  // {}" it nests ("the languages of the locales whose territory is Peru") and inflects.
  if (!info.head_type.empty() && phrase.rfind("the ", 0) == 0) {
    const std::string head = SpacedWords(info.head_type);
    for (const std::string& tail : {" of the " + head + " {}", " of " + head + " {}"}) {
      if (EndsWith(phrase, tail) && phrase.size() > tail.size() + 4) {
        phrase = phrase.substr(0, phrase.size() - tail.size()) + " of {}";
        break;
      }
    }
  }
  if (phrase.rfind("the ", 0) == 0 && EndsWith(phrase, " of {}") && phrase.size() > 10) {
    std::string noun = phrase.substr(4, phrase.size() - 4 - 6);
    w.of_shape = true;
    w.forward_plural = QuestionGrammar::LooksPlural(noun);
    w.noun_sg = w.forward_plural ? QuestionGrammar::Singularize(noun) : noun;
    w.noun_pl = w.forward_plural ? noun : QuestionGrammar::Pluralize(noun);
  } else {
    // The noun from the relation's name ("official_language"); a trailing "_of" is dropped.
    std::string name = SpacedWords(info.name.empty() ? info.key : info.name);
    if (EndsWith(name, " of")) name.resize(name.size() - 3);
    const bool plural_name = QuestionGrammar::LooksPlural(name);
    w.noun_sg = plural_name ? QuestionGrammar::Singularize(name) : name;
    w.noun_pl = plural_name ? name : QuestionGrammar::Pluralize(name);
    w.forward_plural = plural_name || fanout > 1.3;
    if (phrase.find("{}") != std::string::npos) {
      w.forward = phrase;
      FindPhraseHead(phrase, &w);
    } else {
      w.of_shape = true;
    }
  }
  if (w.of_shape) w.forward = "the " + (w.forward_plural ? w.noun_pl : w.noun_sg) + " of {}";
  if (!info.head_type.empty()) {
    w.head_sg = SpacedWords(info.head_type);
    w.head_pl = QuestionGrammar::Pluralize(w.head_sg);
  }
  if (!info.tail_type.empty()) {
    w.tail_sg = SpacedWords(info.tail_type);
    w.tail_pl = QuestionGrammar::Pluralize(w.tail_sg);
  }
  return w;
}

std::string Capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// "A and B", "A, B and C" with a chosen conjunction.
std::string JoinClauses(const std::vector<std::string>& parts, std::string_view conj) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " " + std::string(conj) + " " : ", ";
    out += parts[i];
  }
  return out;
}

// A phrase whose slot is the subject of its verb, the slot about to name several: "{} is a
// member of" -> "{} are members of" (one word between the article and "of"), "{} is part of" -> "{} are part of", "{} has" -> "{} have".
std::string AgreeWithPluralSlot(std::string phrase) {
  for (std::string_view a : {"{} is a ", "{} is an "}) {
    const size_t at = phrase.find(a);
    if (at == std::string::npos) continue;
    const size_t w0 = at + a.size();
    size_t w1 = phrase.find(' ', w0);
    if (w1 == std::string::npos || w1 == w0 || phrase.compare(w1, 3, " of") != 0 ||
        (w1 + 3 < phrase.size() && phrase[w1 + 3] != ' ')) {
      break;
    }
    phrase.replace(at, w1 - at, "{} are " + QuestionGrammar::Pluralize(phrase.substr(w0, w1 - w0)));
    return phrase;
  }
  for (auto [sg, pl] : {std::pair<std::string_view, std::string_view>{"{} is ", "{} are "},
                        {"{} has ", "{} have "}}) {
    if (size_t at = phrase.find(sg); at != std::string::npos) phrase.replace(at, sg.size(), pl);
  }
  return phrase;
}

}  // namespace

// "a language", "an official language".
std::string QuestionGrammar::Article(const std::string& noun) {
  const char c = noun.empty() ? 'x' : static_cast<char>(std::tolower(static_cast<unsigned char>(noun[0])));
  return (IsVowel(c) ? "an " : "a ") + noun;
}

bool QuestionGrammar::LooksPlural(std::string_view noun) {
  size_t paren = noun.find(" (");
  std::string_view main = paren == std::string_view::npos ? noun : noun.substr(0, paren);
  if (size_t of = main.find(" of "); of != std::string_view::npos) main = main.substr(0, of);
  size_t sp = main.rfind(' ');
  std::string_view w = sp == std::string_view::npos ? main : main.substr(sp + 1);
  for (std::string_view p : {"people", "children", "men", "women", "mice", "feet", "teeth",
                             "genera", "criteria", "phenomena", "species", "series"}) {
    if (w == p) return true;
  }
  if (!EndsWith(w, "s") || w.size() < 3) return false;
  for (std::string_view sg : {"ss", "us", "is", "ics", "news"}) {
    if (EndsWith(w, sg)) return false;
  }
  return true;
}

std::string QuestionGrammar::Pluralize(std::string_view noun) {
  return InflectLast(noun, [](std::string_view w) {
    return QuestionGrammar::LooksPlural(w) ? std::string(w) : PluralWord(w);
  });
}

std::string QuestionGrammar::Singularize(std::string_view noun) {
  return InflectLast(noun, [](std::string_view w) { return SingularWord(w); });
}

QuestionGrammar QuestionGrammar::Build(const kg::Graph& graph) {
  QuestionGrammar g(graph);
  for (uint32_t i = 0; i < graph.num_relations(); ++i) {
    g.words_.push_back(MakeWords(graph, kg::RelationId(i)));
  }
  return g;
}

QuestionGrammar::Phrase QuestionGrammar::HopNounPhrase(const Words& w, bool inverse,
                                                       const Phrase& inner, bool possessive,
                                                       size_t count) const {
  if (!inverse) {
    // The number of what the phrase names when known ("the currency of Peru", "the currencies
    // of the countries whose calling code is +1"); else the relation's.
    const bool known = count > 0 && w.of_shape;
    const bool plural = known ? count > 1 : w.forward_plural || inner.plural;
    const std::string& noun = (known ? plural : w.forward_plural) ? w.noun_pl : w.noun_sg;
    if (possessive && w.of_shape && !inner.plural && !EndsWith(inner.text, ")")) {
      // A name's own last word decides ("United States of America's", "Solomon Islands'").
      const std::string_view name = inner.text;
      const bool plural_name = LooksPlural(name.substr(name.rfind(' ') == std::string_view::npos ? 0 : name.rfind(' ') + 1));
      const std::string mark = plural_name ? "' " : "'s ";  // "Solomon Islands' capital"
      return {inner.text + mark + noun, plural};
    }
    std::string tmpl = w.forward;
    if (known) {
      tmpl = "the " + noun + " of {}";
    } else if (inner.plural && w.of_shape && !w.forward_plural) {
      tmpl = "the " + w.noun_pl + " of {}";
    } else if (!w.of_shape && w.head_at != std::string::npos) {
      // A phrase of its own shape, "the groups that {} is a member of": its head noun takes the
      // number of what it names when known ("the group that kinkajou is a member of"), else
      // its own; over a plural inner phrase the verb agrees ("that the hyponyms of ratite are
      // a member of").
      const bool want = count > 0 ? count > 1 : w.head_plural;
      std::string head = tmpl.substr(w.head_at, w.head_end - w.head_at);
      if (want != w.head_plural) head = want ? Pluralize(head) : Singularize(head);
      std::string rest = tmpl.substr(w.head_end);
      if (inner.plural) rest = AgreeWithPluralSlot(std::move(rest));
      return {kg::FillNameSlot(tmpl.substr(0, w.head_at) + head + rest, inner.text), want};
    }
    return {kg::FillNameSlot(tmpl, inner.text), plural};
  }
  // Inverse: the heads whose relation reaches the inner phrase, as many as there are when
  // known ("the countries whose calling code is +1" though most codes have one country).
  const bool plural = count > 0 ? count > 1 : w.inverse_plural || inner.plural;
  std::string head = plural ? w.head_pl : w.head_sg;
  if (head.empty()) head = plural ? "ones" : "one";
  std::string text = "the " + head + " whose ";
  if (w.forward_plural) {
    text += w.noun_pl + (inner.plural ? " include any of " : " include ") + inner.text;
  } else {
    text += w.noun_sg + (inner.plural ? " is one of " : " is ") + inner.text;
  }
  return {std::move(text), plural};
}

std::string QuestionGrammar::HopPhrase(kg::RelationId r, bool inverse, const std::string& inner,
                                       bool inner_plural) const {
  return HopNounPhrase(words(r), inverse, {inner, inner_plural}, false).text;
}

std::pair<std::string, std::string> QuestionGrammar::TypeOf(const Query& q, int n) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  if (node.op == QueryOp::kAnchor) {
    const std::string& t = graph_->entity(q.anchors[node.slot]).type;
    if (t.empty()) return {};
    std::string sg = SpacedWords(t);
    return {sg, Pluralize(sg)};
  }
  if (node.op != QueryOp::kProject) return TypeOf(q, node.children[0]);
  const Words& w = words(q.relations[node.slot]);
  return q.IsInverse(node.slot) ? std::make_pair(w.head_sg, w.head_pl)
                                : std::make_pair(w.tail_sg, w.tail_pl);
}

// r^-1(r(X)) with X an anchor: the entities sharing X's r ("the countries in the same
// subregion as Egypt"), said without repeating the noun. Returns the anchor's name or "".
std::string QuestionGrammar::SameAs(const Query& q, int n) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  if (node.op != QueryOp::kProject || !q.IsInverse(node.slot)) return "";
  const QueryNode& child = tree.nodes[node.children[0]];
  if (child.op != QueryOp::kProject || q.IsInverse(child.slot) ||
      q.relations[child.slot] != q.relations[node.slot] ||
      tree.nodes[child.children[0]].op != QueryOp::kAnchor) {
    return "";
  }
  return kg::NameInText(graph_->entity(q.anchors[tree.nodes[child.children[0]].slot]).name);
}

QuestionGrammar::Phrase QuestionGrammar::NounPhrase(const Query& q, int n, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  switch (node.op) {
    case QueryOp::kAnchor: return {kg::NameInText(graph_->entity(q.anchors[node.slot]).name), false};
    case QueryOp::kProject: {
      if (std::string same = SameAs(q, n); !same.empty()) {
        const Words& w = words(q.relations[node.slot]);
        const std::string head = w.head_pl.empty() ? "ones" : w.head_pl;
        return {w.forward_plural ? "the " + head + " that share " + Article(w.noun_sg) + " with " + same
                                 : "the " + head + " with the same " + w.noun_sg + " as " + same,
                true};
      }
      const int c = node.children[0];
      const QueryOp child_op = tree.nodes[c].op;
      Phrase inner = child_op == QueryOp::kAnchor || child_op == QueryOp::kProject
                         ? NounPhrase(q, c, rng)
                         : Phrase{SetClause(q, c, rng), true};
      const bool possessive = child_op == QueryOp::kAnchor && rng.Bernoulli(0.4);
      // Over a set clause (always plural: "the countries that are neighbours of A and of B")
      // the relation's number stays, so a singular head does not sit on a plural clause.
      const size_t count = child_op == QueryOp::kAnchor || child_op == QueryOp::kProject
                               ? ExecuteQueryNodes(*graph_, q)[n].size()
                               : 0;
      return HopNounPhrase(words(q.relations[node.slot]), q.IsInverse(node.slot), inner,
                           possessive, count);
    }
    default: return {SetClause(q, n, rng), true};
  }
}

// A predicate on the (plural) answer entities for the hop at node n: "are neighbours of X",
// "have X among their official languages"; negated: "are not ...", "do not have ...".
std::string QuestionGrammar::Predicate(const Query& q, int n, bool negated, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  KGF_CHECK(node.op == QueryOp::kProject) << "a predicate describes one hop";
  const Words& w = words(q.relations[node.slot]);
  if (std::string same = SameAs(q, n); !same.empty()) {
    // "share an official language with X", "have the same capital as X".
    if (w.forward_plural) {
      return std::string(negated ? "do not share " : "share ") + Article(w.noun_sg) + " with " + same;
    }
    return std::string(negated ? "do not have " : "have ") + "the same " + w.noun_sg + " as " + same;
  }
  const int c = node.children[0];
  const QueryOp child_op = tree.nodes[c].op;
  Phrase inner = child_op == QueryOp::kAnchor || child_op == QueryOp::kProject
                     ? NounPhrase(q, c, rng)
                     : Phrase{SetClause(q, c, rng), true};
  if (!q.IsInverse(node.slot)) {
    std::string be = negated ? "are not " : "are ";
    if (w.of_shape) return be + w.noun_pl + " of " + inner.text;
    return be + "among " +
           kg::FillNameSlot(inner.plural ? AgreeWithPluralSlot(w.forward) : w.forward, inner.text);
  }
  if (w.copula_inverse && child_op == QueryOp::kAnchor) {
    return std::string(negated ? "are not " : "are ") + inner.text;  // "are landlocked"
  }
  // A plural object: "have one of X as their capital"; negated "do not have any of X ..." (not
  // the ambiguous "do not have one of").
  std::string have = negated ? "do not have " : "have ";
  std::string object = !inner.plural ? inner.text
                       : negated     ? "any of " + inner.text
                                     : "one of " + inner.text;
  return have + object +
         (w.forward_plural ? " among their " + w.noun_pl : " as their " + w.noun_sg);
}

// "are N of A, of B and of C".
std::string QuestionGrammar::OfClause(kg::RelationId r, const std::vector<std::string>& targets,
                                      std::string_view conj) const {
  std::vector<std::string> ofs;
  for (size_t i = 0; i < targets.size(); ++i) ofs.push_back((i > 0 ? "of " : "") + targets[i]);
  return "are " + words(r).noun_pl + " of " + JoinClauses(ofs, conj);
}

QuestionGrammar::Conditions QuestionGrammar::SetConditions(const Query& q, const std::vector<int>& kids,
                                                           int negated, std::string_view conj,
                                                           Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  // The relation of a forward "are N of X" hop, else none.
  auto of_relation = [&](int n) -> std::optional<kg::RelationId> {
    const QueryNode& node = tree.nodes[n];
    if (node.op != QueryOp::kProject || q.IsInverse(node.slot) ||
        !words(q.relations[node.slot]).of_shape || !SameAs(q, n).empty()) {
      return std::nullopt;
    }
    return q.relations[node.slot];
  };
  auto target = [&](int n) {
    const int c = tree.nodes[n].children[0];
    const QueryOp op = tree.nodes[c].op;
    return op == QueryOp::kAnchor || op == QueryOp::kProject ? NounPhrase(q, c, rng).text
                                                             : SetClause(q, c, rng);
  };
  // The relation of an inverse "have X among their Ns" hop from a named anchor, else none:
  // such conditions over one relation share their noun too ("have A and B among their moves").
  auto among_relation = [&](int n) -> std::optional<kg::RelationId> {
    const QueryNode& node = tree.nodes[n];
    if (node.op != QueryOp::kProject || !q.IsInverse(node.slot) ||
        tree.nodes[node.children[0]].op != QueryOp::kAnchor || !SameAs(q, n).empty()) {
      return std::nullopt;
    }
    const Words& w = words(q.relations[node.slot]);
    if (!w.forward_plural || w.copula_inverse) return std::nullopt;
    return q.relations[node.slot];
  };
  auto anchor_name = [&](int n) { return NounPhrase(q, tree.nodes[n].children[0], rng).text; };
  Conditions out;
  std::vector<std::optional<kg::RelationId>> relation(kids.size()), among(kids.size());
  for (size_t i = 0; i < kids.size(); ++i) {
    relation[i] = of_relation(kids[i]);
    if (!relation[i]) among[i] = among_relation(kids[i]);
  }
  std::vector<bool> said(kids.size(), false);
  std::vector<std::optional<kg::RelationId>> relation_of_part, among_of_part;
  std::vector<std::vector<std::string>> among_targets;  // per part; empty unless an among part
  for (size_t i = 0; i < kids.size(); ++i) {
    if (said[i]) continue;
    relation_of_part.push_back(relation[i]);
    among_of_part.push_back(among[i]);
    among_targets.emplace_back();
    if (!relation[i] && !among[i]) {
      out.parts.push_back(Predicate(q, kids[i], false, rng));
      continue;
    }
    std::vector<std::string> targets;
    for (size_t j = i; j < kids.size(); ++j) {
      if (said[j]) continue;
      if (relation[i] ? relation[j] == relation[i] : among[j] == among[i]) {
        said[j] = true;
        targets.push_back(relation[i] ? target(kids[j]) : anchor_name(kids[j]));
      }
    }
    if (among[i]) {
      out.parts.push_back(targets.size() == 1
                              ? Predicate(q, kids[i], false, rng)
                              : "have " + JoinClauses(targets, conj) + " among their " +
                                    words(*among[i]).noun_pl);
      among_targets.back() = std::move(targets);
      continue;
    }
    // "of Rolycoly and of the pokemon whose evolutions include Bronzong", not "of the pokemon
    // whose evolutions include Bronzong and of Rolycoly".
    std::stable_partition(targets.begin(), targets.end(), [](const std::string& t) {
      return t.find(" whose ") == std::string::npos;
    });
    if (kids.size() == targets.size()) {
      out.of = relation[i];
      out.of_targets = targets;
      out.of_named = std::all_of(kids.begin(), kids.end(), [&](int k) {
        return tree.nodes[tree.nodes[k].children[0]].op == QueryOp::kAnchor;
      });
    }
    out.parts.push_back(OfClause(*relation[i], targets, conj));
  }
  // A condition ending in a "whose" clause goes after the others: in "are level-up moves of the
  // pokemon whose abilities include Rattled and have Water as their type" the second condition
  // reads as the pokemon's; "have Water as their type and are level-up moves of the pokemon
  // whose ..." cannot. (The operator is commutative; the excluded one still goes last below.)
  {
    std::vector<size_t> order(out.parts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_partition(order.begin(), order.end(), [&](size_t i) {
      return out.parts[i].find(" whose ") == std::string::npos;
    });
    auto permute = [&order](auto& v) {
      auto copy = v;
      for (size_t i = 0; i < order.size(); ++i) v[i] = std::move(copy[order[i]]);
    };
    permute(out.parts);
    permute(relation_of_part);
    permute(among_of_part);
    permute(among_targets);
  }
  // The condition over the excluded one's relation goes last, where "but not of C" continues it
  // (or, over an inverse hop, "have A but not C among their Ns").
  const std::optional<kg::RelationId> excluded = negated >= 0 ? of_relation(negated) : std::nullopt;
  const std::optional<kg::RelationId> excluded_among =
      negated >= 0 && !excluded ? among_relation(negated) : std::nullopt;
  auto rotate_last = [&](size_t i) {
    auto rot = [i](auto& v) {
      std::rotate(v.begin() + static_cast<std::ptrdiff_t>(i),
                  v.begin() + static_cast<std::ptrdiff_t>(i) + 1, v.end());
    };
    rot(out.parts);
    rot(relation_of_part);
    rot(among_of_part);
    rot(among_targets);
  };
  for (size_t i = 0; i + 1 < out.parts.size(); ++i) {
    if ((excluded && relation_of_part[i] == excluded) ||
        (excluded_among && among_of_part[i] == excluded_among)) {
      rotate_last(i);
      break;
    }
  }
  const std::optional<kg::RelationId> last = relation_of_part.back();
  if (negated >= 0 && excluded_among && among_of_part.back() == excluded_among) {
    // "have A but not C among their Ns"; the excluded one alone still reads in full.
    const std::vector<std::string>& t = among_targets.back();
    out.neg = Predicate(q, negated, true, rng);
    std::vector<std::string> said_parts = out.parts;  // `parts` stays the positive conditions
    said_parts.back() = "have " + JoinClauses(t, conj) + " but not " + anchor_name(negated) +
                        " among their " + words(*excluded_among).noun_pl;
    out.clause = JoinClauses(said_parts, conj);
    out.of.reset();
    return out;
  }
  out.clause = JoinClauses(out.parts, conj);
  if (negated >= 0) {
    if (last && excluded == last) {
      const std::string t = target(negated);
      out.neg = "are not " + words(*last).noun_pl + " of " + t;
      out.clause += " but not of " + t;
      out.but_not = t;
    } else {
      out.of.reset();
      out.neg = Predicate(q, negated, true, rng);
      out.clause += " but " + out.neg;
    }
  }
  return out;
}

// Node n (a set node) as a noun phrase: "the countries that are neighbours of X and have Y
// among their official languages".
// "the abilities common to A and B", not "the abilities that are abilities of A and of B": when
// the one condition's noun is the set's own type ("abilities", or "official languages" of
// languages, "types" of pokemon types), the noun takes the targets itself. None otherwise.
std::optional<std::string> QuestionGrammar::OwnNounSet(const Conditions& c, const std::string& pl,
                                                       std::string_view conj) const {
  // Only over plain names without "and" of their own: "common to the neighbours of France and
  // Spain" or "common to Bosnia and Herzegovina and Croatia" would not say which is which.
  if (!c.of || pl.empty() || !c.of_named) return std::nullopt;
  for (const std::string& t : c.of_targets) {
    if (t.find(" and ") != std::string::npos || t.find(" or ") != std::string::npos) {
      return std::nullopt;
    }
  }
  if (c.of_targets.size() > 1 && !c.but_not.empty()) return std::nullopt;
  const std::string& noun = words(*c.of).noun_pl;
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0 &&
           s[s.size() - tail.size() - 1] == ' ';
  };
  const std::string* own = noun == pl || ends_with(noun, pl) ? &noun
                           : ends_with(pl, noun)              ? &pl
                                                              : nullptr;
  if (own == nullptr) return std::nullopt;
  std::string text = "the " + *own + " ";
  const std::vector<std::string>& t = c.of_targets;
  if (t.size() == 1) {
    text += "of " + t[0];
  } else if (conj == "or") {
    std::vector<std::string> ofs;
    for (const std::string& x : t) ofs.push_back("of " + x);
    text += JoinClauses(ofs, "or");
  } else {  // an intersection: "common to", never "of both" / "of each of" (read as a union)
    text += "common to " + JoinClauses(t, "and");
  }
  if (!c.but_not.empty()) text += " but not of " + c.but_not;
  return text;
}

std::string QuestionGrammar::SetClause(const Query& q, int n, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  auto [sg, pl] = TypeOf(q, n);
  std::string head = "the " + (pl.empty() ? std::string("ones") : pl) + " that ";
  Conditions c;
  std::string_view conj = node.op == QueryOp::kUnion ? "or" : "and";
  if (node.op == QueryOp::kNegate) {
    const QueryNode& pos = tree.nodes[node.children[0]];
    const std::vector<int> kids =
        pos.op == QueryOp::kProject ? std::vector<int>{node.children[0]} : pos.children;
    conj = "and";
    c = SetConditions(q, kids, node.children[1], conj, rng);
  } else {
    c = SetConditions(q, node.children, -1, conj, rng);
  }
  if (std::optional<std::string> own = OwnNounSet(c, pl, conj)) return *own;
  return head + c.clause;
}

Question QuestionGrammar::ProjectionQuestion(const Query& q, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const Phrase np = NounPhrase(q, tree.root, rng);
  // Named variables, not a structured binding: lambdas below capture them (clang < 16).
  const auto type_names = TypeOf(q, tree.root);
  const std::string& sg = type_names.first;
  const std::string& pl = type_names.second;
  const std::string be = np.plural ? "are" : "is";
  const std::string type = np.plural ? pl : sg;
  // Frames are built lazily: only the chosen one is rendered.
  std::vector<std::pair<int, std::function<std::string()>>> frames;
  auto add = [&](int id, std::function<std::string()> text) {
    frames.emplace_back(id, std::move(text));
  };
  // Frames that put words after the noun phrase read badly after a long, clausal one.
  const bool short_np = np.text.size() < 60 && np.text.find(" whose ") == std::string::npos &&
                        np.text.find(" that ") == std::string::npos;
  add(0, [&] { return std::string("What " + be + " " + np.text + "?"); });
  add(1, [&] { return std::string("Can you tell me " + np.text + "?"); });
  add(2, [&] { return std::string("Could you look up " + np.text + "?"); });
  add(3, [&] { return std::string("I'd like to know " + np.text + "."); });
  add(4, [&] { return std::string("Please find " + np.text + "."); });
  add(7, [&] { return std::string("Give me " + np.text + "."); });
  add(9, [&] { return std::string("Tell me " + np.text + "."); });
  add(10, [&] { return std::string("Help me find " + np.text + "."); });
  add(18, [&] { return std::string("Quick question: what " + be + " " + np.text + "?"); });
  add(19, [&] { return std::string("Please tell me " + np.text + "."); });
  add(20, [&] { return std::string("Look up " + np.text + "."); });
  add(21, [&] { return std::string("I'm trying to find " + np.text + "."); });
  add(22, [&] { return std::string("What " + be + " " + np.text + ", according to the knowledge graph?"); });
  if (short_np) {
    add(23, [&] { return std::string("Could you find " + np.text + " for me?"); });
    add(5, [&] { return std::string("Do you know what " + np.text + " " + be + "?"); });
    add(6, [&] { return std::string("Find out what " + np.text + " " + be + "."); });
    add(8, [&] { return std::string("Look up " + np.text + " for me."); });
    add(11, [&] { return std::string("I need to know what " + np.text + " " + be + "."); });
  }
  if (np.plural) {
    add(12, [&] { return std::string("List " + np.text + "."); });
    add(13, [&] { return std::string("What are all of " + np.text + "?"); });
  }
  // "Which <type> ..." frames, unless the type only repeats the relation's noun ("Which
  // currencies are currencies of ...") or the phrase already names it ("the countries whose").
  const QueryNode& root = tree.nodes[tree.root];
  const Words& w = words(q.relations[root.slot]);
  const bool inverse = q.IsInverse(root.slot);
  auto last_word = [](const std::string& t) { return t.substr(t.rfind(' ') + 1); };
  const bool repeats = !inverse && !sg.empty() && last_word(w.noun_sg) == last_word(sg);
  if (!type.empty() && !inverse && !repeats) {
    add(14, [&] { return std::string("Which " + type + " " + be + " " + np.text + "?"); });
  }
  // The predicate frames of a forward hop speak of several ("Which cities are capitals of
  // Kuwait?"): not for one. Inverse ones ask openly ("Which countries have Paris as their
  // capital?").
  if (!type.empty() && !repeats && (np.plural || inverse)) {
    add(15, [&] { return std::string("Which " + pl + " " + Predicate(q, tree.root, false, rng) + "?"); });
    add(16, [&] { return std::string("Name the " + pl + " that " + Predicate(q, tree.root, false, rng) + "."); });
    add(17, [&] { return std::string("What " + pl + " " + Predicate(q, tree.root, false, rng) + "?"); });
  }
  const auto& [id, text] = frames[rng.Uniform(frames.size())];
  return {Capitalize(text()), "hop." + std::to_string(id)};
}

Question QuestionGrammar::SetQuestion(const Query& q, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& root = tree.nodes[tree.root];
  // Named variables, not a structured binding: lambdas below capture them (clang < 16).
  const auto type_names = TypeOf(q, tree.root);
  const std::string& sg = type_names.first;
  const std::string& pl = type_names.second;
  const bool negation = root.op == QueryOp::kNegate;
  // The positive clauses (joined by the operator) and, for a negation, the negated one.
  std::vector<std::string> parts;
  std::string conj = root.op == QueryOp::kUnion ? "or" : "and";
  std::string clause;
  int positive = negation ? root.children[0] : tree.root;
  const QueryNode& pos = tree.nodes[positive];
  const std::vector<int> kids = pos.op == QueryOp::kProject ? std::vector<int>{positive} : pos.children;
  Conditions cond = SetConditions(q, kids, negation ? root.children[1] : -1, conj, rng);
  parts = std::move(cond.parts);
  clause = std::move(cond.clause);
  const std::string neg = std::move(cond.neg);
  const std::string family = negation ? "not" : conj;
  // Frames are built lazily: only the chosen one is rendered.
  std::vector<std::pair<int, std::function<std::string()>>> frames;
  auto add = [&](int id, std::function<std::string()> text) {
    frames.emplace_back(id, std::move(text));
  };
  const std::string who = pl.empty() ? "ones" : pl;
  const std::optional<std::string> own = OwnNounSet(cond, pl, conj);
  if (own) {  // "Find the abilities common to A and B.", never "the abilities that are abilities"
    add(40, [&] { return std::string("Find " + *own + "."); });
    add(41, [&] { return std::string("What are " + *own + "?"); });
    add(42, [&] { return std::string("Name " + *own + "."); });
    add(43, [&] { return std::string("Can you find " + *own + "?"); });
    add(44, [&] { return std::string("I'm looking for " + *own + "."); });
    add(45, [&] { return std::string("Give me " + *own + "."); });
    add(46, [&] { return std::string("Could you list " + *own + "?"); });
    add(47, [&] { return std::string("Show me " + *own + "."); });
    add(48, [&] { return std::string("Help me find " + *own + "."); });
    add(49, [&] { return std::string("Tell me " + *own + "."); });
    add(50, [&] { return std::string("List " + *own + ", please."); });
    add(51, [&] { return std::string("Which are " + *own + "? Please check the knowledge graph."); });
    if (root.op == QueryOp::kUnion) {
      add(52, [&] { return std::string("What are " + *own + "? Either one is enough."); });
    }
  }
  if (!own) {
    add(0, [&] { return std::string("Which " + who + " " + clause + "?"); });
    add(1, [&] { return std::string("Find the " + who + " that " + clause + "."); });
    add(2, [&] { return std::string("Name the " + who + " that " + clause + "."); });
    add(3, [&] { return std::string("Can you find the " + who + " that " + clause + "?"); });
    add(4, [&] { return std::string("Tell me which " + who + " " + clause + "."); });
    add(5, [&] { return std::string("I'm looking for the " + who + " that " + clause + "."); });
    add(12, [&] { return std::string("Give me the " + who + " that " + clause + "."); });
    add(13, [&] { return std::string("Could you list the " + who + " that " + clause + "?"); });
    add(14, [&] { return std::string("Show me the " + who + " that " + clause + "."); });
    add(15, [&] { return std::string("Help me find the " + who + " that " + clause + "."); });
    add(16, [&] { return std::string("Which are the " + who + " that " + clause + "?"); });
    add(17, [&] { return std::string("I need the " + who + " that " + clause + "."); });
    add(18, [&] { return std::string("Please look up which " + who + " " + clause + "."); });
    add(19, [&] { return std::string("Find all " + who + " that " + clause + "."); });
    add(20, [&] { return std::string("Tell me the " + who + " that " + clause + "."); });
    add(21, [&] { return std::string("Which " + who + " " + clause + "? Please check the knowledge graph."); });
    if (root.op == QueryOp::kUnion) {
      add(22, [&] { return std::string("Which " + who + " " + clause + "? Either one is enough."); });
      add(24, [&] { return std::string("What are the " + who + " that " + clause + "?"); });
      add(25, [&] { return std::string("Get me all the " + who + " that " + clause + "."); });
      add(26, [&] { return std::string("List all the " + who + " that " + clause + "; one of the two is enough."); });
      if (parts.size() == 2) {
        add(27, [&] { return std::string("Find the " + who + " that " + parts[0] + ", or that " + parts[1] + "."); });
        add(28, [&] { return std::string("Which " + who + " either " + parts[0] + " or " + parts[1] + "?"); });
        add(29, [&] { return std::string("Look up the " + who + " that " + parts[0] + ", or the ones that " +
                                         parts[1] + "."); });
        add(30, [&] { return std::string("Which " + who + " meet at least one of these: they " + parts[0] +
                                         ", or they " + parts[1] + "?"); });
        add(31, [&] { return std::string("Find all " + who + " that either " + parts[0] + " or " + parts[1] +
                                         "."); });
      }
    }
    if (negation) {
      add(23, [&] { return std::string("Of the " + who + " that " + JoinClauses(parts, conj) + ", which " + neg + "?"); });
    }
    if (!pl.empty()) {
      add(6, [&] { return std::string("What " + pl + " " + clause + "?"); });
      add(7, [&] { return std::string("List all " + pl + " that " + clause + "."); });
    }
  }
  if (parts.size() == 2 && !negation) {
    add(8, [&] { return std::string("Which " + who + " " + parts[0] + ", " + conj + (conj == "or" ? " else " : " also ") +
               parts[1] + "?"); });
  }
  if (negation && pos.op == QueryOp::kProject) {
    add(9, [&] { return "Among " + NounPhrase(q, positive, rng).text + ", which " + neg + "?"; });
    add(10, [&] { return "Which of " + NounPhrase(q, positive, rng).text + " " + neg + "?"; });
  }
  // "Which official languages do Belgium and Switzerland have in common?": two forward hops of
  // one relation from two anchors.
  if (!negation && root.op == QueryOp::kIntersect && root.children.size() == 2) {
    const QueryNode& a = tree.nodes[root.children[0]];
    const QueryNode& b = tree.nodes[root.children[1]];
    if (a.op == QueryOp::kProject && b.op == QueryOp::kProject && !q.IsInverse(a.slot) &&
        !q.IsInverse(b.slot) && q.relations[a.slot] == q.relations[b.slot] &&
        tree.nodes[a.children[0]].op == QueryOp::kAnchor &&
        tree.nodes[b.children[0]].op == QueryOp::kAnchor) {
      // Captured by value: `a` and `b` end with this block, the frame is built later.
      const int left = a.children[0], right = b.children[0];
      const kg::RelationId rel = q.relations[a.slot];
      add(11, [&, left, right, rel] {
        return "Which " + words(rel).noun_pl + " do " + NounPhrase(q, left, rng).text + " and " +
               NounPhrase(q, right, rng).text + " have in common?";
      });
    }
  }
  const auto& [id, text] = frames[rng.Uniform(frames.size())];
  return {Capitalize(text()), "set." + family + "." + std::to_string(id)};
}

Question QuestionGrammar::Render(const Query& q, Rng& rng) const {
  const PatternTree& tree = TreeOf(q.pattern);
  return tree.nodes[tree.root].op == QueryOp::kProject ? ProjectionQuestion(q, rng)
                                                       : SetQuestion(q, rng);
}

}  // namespace kgf::synth
