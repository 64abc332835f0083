// QuestionGrammar: natural-language questions for grounded queries, over relation phrases in
// both directions (KG2Tool has an LLM translate each FOL query; we use a small grammar). Per
// relation it derives, once, from relations.tsv metadata and the triples:
//   - a noun ("capital", "official languages") from question_phrase "the N of {}" or the name;
//   - the number of each direction (many tails per head -> plural, many heads per tail -> the
//     inverse reads plural), so verbs agree ("What is the capital of France?", "What are the
//     official languages of Cyprus?");
//   - the answer-type nouns from head/tail types ("Which languages ...").
// Hops become noun phrases ("the capital of X", "X's capital", "the countries whose currency is
// X") or predicates on the answer ("are neighbours of X", "have X among their official
// languages", negated "do not have ..."); set nodes become relative clauses joined by "and",
// "or", "but ... not". Questions pick one of several frames per root shape. Every anchor name
// appears verbatim. Immutable after Build(): thread-safe.
#ifndef KGF_SYNTH_QUESTION_GRAMMAR_H_
#define KGF_SYNTH_QUESTION_GRAMMAR_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "kg/graph.h"
#include "synth/query.h"

namespace kgf::synth {

struct Question {
  std::string text;
  std::string frame;  // frame id, e.g. "set.and.3" (recorded as template.question)
};

class QuestionGrammar {
 public:
  // REQUIRES: graph outlives the grammar.
  static QuestionGrammar Build(const kg::Graph& graph);

  Question Render(const Query& query, Rng& rng) const;

  // One hop as a noun phrase over a given inner phrase: "the capital of France", "the
  // countries whose capital is Paris". For thoughts and tests.
  std::string HopPhrase(kg::RelationId r, bool inverse, const std::string& inner,
                        bool inner_plural) const;

  // English number helpers on the last word (a trailing parenthesis is inflected too).
  static std::string Pluralize(std::string_view noun);
  static std::string Singularize(std::string_view noun);
  static bool LooksPlural(std::string_view noun);
  // "a country", "an ability".
  static std::string Article(const std::string& noun);

  // Per-relation lexicon.
  struct Words {
    std::string noun_sg, noun_pl;  // "capital"/"capitals"
    std::string forward;           // forward noun phrase with "{}": "the capital of {}"
    bool of_shape = false;         // forward is "the <noun> of {}" (possessive, "are N of")
    // A forward phrase of its own shape ("the groups that {} is a member of"): where its head
    // noun starts and ends (npos: none found) and whether that noun reads plural.
    size_t head_at = std::string::npos, head_end = std::string::npos;
    bool head_plural = false;
    bool forward_plural = false;   // the forward phrase reads plural
    bool inverse_plural = false;   // many heads per tail: "the countries whose ..."
    // relations.tsv's inverse_name is "<heads>_that_are": a head "is" its tail, so the inverse
    // predicate over a name reads "are landlocked" (not "have landlocked as their coastline").
    bool copula_inverse = false;
    std::string head_sg, head_pl, tail_sg, tail_pl;  // type nouns, empty when untyped
  };

 private:
  struct Phrase {
    std::string text;
    bool plural = false;
  };
  explicit QuestionGrammar(const kg::Graph& graph) : graph_(&graph) {}
  Phrase NounPhrase(const Query& q, int node, Rng& rng) const;
  // count: how many entities the phrase names (0: unknown, the relation's number decides).
  Phrase HopNounPhrase(const Words& w, bool inverse, const Phrase& inner, bool possessive,
                       size_t count = 0) const;
  std::string Predicate(const Query& q, int node, bool negated, Rng& rng) const;
  std::string SameAs(const Query& q, int node) const;
  std::string SetClause(const Query& q, int node, Rng& rng) const;
  // The conditions of a set node: its positive children `kids` joined by `conj` and, when
  // `negated` >= 0, the excluded one after "but". Forward "are N of X" conditions over one
  // relation are said once, at the first one's place ("are neighbours of A and of B"); an
  // excluded one over the relation of the last condition reads "but not of C". Inverse
  // "have X among their Ns" conditions from named anchors likewise ("have A and B among their
  // Ns"; excluded: "have A but not C among their Ns", in `clause` only).
  struct Conditions {
    std::vector<std::string> parts;  // the positive conditions
    std::string neg;                 // the excluded one as a predicate ("are not N of C")
    std::string clause;              // all of it
    // Set when every positive condition is one "are N of A and of B" over relation `of` and
    // the excluded one, if any, reads "but not of C": the targets, for "the N common to A and
    // B"; `of_named` when each target is an anchor's name.
    std::optional<kg::RelationId> of;
    std::vector<std::string> of_targets;
    bool of_named = false;
    std::string but_not;             // "C" of "but not of C"; empty without an exclusion
  };
  Conditions SetConditions(const Query& q, const std::vector<int>& kids, int negated,
                           std::string_view conj, Rng& rng) const;
  std::optional<std::string> OwnNounSet(const Conditions& c, const std::string& pl,
                                        std::string_view conj) const;
  std::string OfClause(kg::RelationId r, const std::vector<std::string>& targets,
                       std::string_view conj) const;
  const Words& words(kg::RelationId r) const { return words_[r.value()]; }
  // The type of node n's entities as {singular, plural}; empty when unknown.
  std::pair<std::string, std::string> TypeOf(const Query& q, int node) const;
  Question ProjectionQuestion(const Query& q, Rng& rng) const;
  Question SetQuestion(const Query& q, Rng& rng) const;

  const kg::Graph* graph_;
  std::vector<Words> words_;
};

}  // namespace kgf::synth

#endif  // KGF_SYNTH_QUESTION_GRAMMAR_H_
