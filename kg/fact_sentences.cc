// Verbalisation of kg triples into plain sentences (see fact_sentences.h).
#include "kg/fact_sentences.h"

#include <algorithm>

#include "kg/names.h"

namespace kgf::kg {
namespace {

std::string Capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// "A", "A and B", "A, B and C".
std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

// Names read as prose reads them ("The capital of the United Kingdom is London.").
std::string Sentence(const EntityInfo& head, const RelationInfo& rel,
                     const std::vector<std::string>& tails) {
  std::vector<std::string> in_text;
  for (const std::string& t : tails) in_text.push_back(NameInText(t));
  const std::string objects = JoinNames(in_text);
  const std::string& phrase = rel.question_phrase;
  if (!phrase.empty() && phrase.find("{}") != std::string::npos) {
    return Capitalise(FillNameSlot(phrase, NameInText(head.name))) +
           (tails.size() == 1 ? " is " : " are ") + objects + ".";
  }
  std::string verb = rel.name.empty() ? rel.key : rel.name;
  std::replace(verb.begin(), verb.end(), '_', ' ');
  return Capitalise(NameInText(head.name)) + " " + verb + " " + objects + ".";
}

}  // namespace

std::vector<std::string> VerbaliseTriples(std::span<const EntityInfo> entities,
                                          std::span<const RelationInfo> relations,
                                          std::span<const Triple> triples_in) {
  std::vector<Triple> triples(triples_in.begin(), triples_in.end());
  std::sort(triples.begin(), triples.end());
  triples.erase(std::unique(triples.begin(), triples.end()), triples.end());
  std::vector<std::string> docs;
  size_t i = 0;
  while (i < triples.size()) {
    const EntityId head = triples[i].head;
    KGF_CHECK(head.value() < entities.size()) << "entity id out of range";
    const EntityInfo& h = entities[head.value()];
    std::string doc;
    if (!h.type.empty()) {
      std::string type = h.type;
      std::replace(type.begin(), type.end(), '_', ' ');
      const char first = type[0];
      const bool vowel = first == 'a' || first == 'e' || first == 'i' || first == 'o' || first == 'u';
      doc = Capitalise(NameInText(h.name)) + " is " + (vowel ? "an " : "a ") + type + ".";
    }
    while (i < triples.size() && triples[i].head == head) {
      const RelationId r = triples[i].relation;
      KGF_CHECK(r.value() < relations.size()) << "relation id out of range";
      std::vector<std::string> tails;
      for (; i < triples.size() && triples[i].head == head && triples[i].relation == r; ++i) {
        KGF_CHECK(triples[i].tail.value() < entities.size()) << "entity id out of range";
        tails.push_back(entities[triples[i].tail.value()].name);
      }
      if (!doc.empty()) doc += ' ';
      doc += Sentence(h, relations[r.value()], tails);
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::vector<std::string> VerbaliseGraph(const Graph& graph) {
  std::vector<EntityInfo> entities;
  std::vector<RelationInfo> relations;
  entities.reserve(graph.num_entities());
  for (uint32_t i = 0; i < graph.num_entities(); ++i) entities.push_back(graph.entity(EntityId(i)));
  for (uint32_t i = 0; i < graph.num_relations(); ++i) {
    relations.push_back(graph.relation(RelationId(i)));
  }
  return VerbaliseTriples(entities, relations, graph.AllTriples());
}

}  // namespace kgf::kg
