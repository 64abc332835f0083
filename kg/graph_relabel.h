// Counterfactual copies of a graph for training (`kgforge kg relabel`). Within each entity
// type, a seeded permutation moves every entity into another's place: each triple keeps its
// relation and its head and tail types but joins other entities, so "the capital of Peru" in a
// copy may be "Oslo". Keys, names, aliases and relations are unchanged, and every relation keeps
// its degree profile. Dialogues synthesized on copies cannot be answered from memorised facts
// (the facts differ in every copy), only by copying names from the question and reading the
// tool results, which is what a tool-using model must learn; their calls are still executed,
// on the copy, so they stay correct by construction. The copy's store records the original's
// checksum (GraphStore::counterfactual_of), and `synth` writes only train records from it
// (--train-only): its held-out facts are, by key, the original's held-out facts, and a copy is
// never evaluated on.
//
// Across types (RelabelScope::kAcrossTypes), the identities (key, name, aliases) trade places
// over all entities while every place keeps its type and edges: a capital's name may stand for
// a country in the copy. Within-type copies keep each name in the few facts its type allows (a
// capital is in one fact), so rare names stay rare in every copy; across types every name is
// equally likely to land on a well-connected place, which evens out how often each name is
// copied in training.
#ifndef KGF_KG_GRAPH_RELABEL_H_
#define KGF_KG_GRAPH_RELABEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "kg/graph.h"

namespace kgf::kg {

enum class RelabelScope : uint8_t {
  kWithinType,  // entities trade places with entities of their own type
  kAcrossTypes, // with any entity; each place keeps its type (the entity taking it adopts it)
};

// Where each entity goes: perm[e] is the entity that takes e's place in the copy. A
// permutation within each type (entities without a type form one group), or over all entities
// across types; depends only on the graph's entities (in id order), the seed and the scope.
std::vector<EntityId> RelabelPermutation(const Graph& graph, uint64_t seed,
                                         RelabelScope scope = RelabelScope::kWithinType);

// The copy in memory: same entities and relations, every triple (h, r, t) as (perm[h], r,
// perm[t]); across types, entity perm[e] takes e's type, so every place keeps its type.
Result<Graph> RelabelGraph(const Graph& graph, uint64_t seed,
                           RelabelScope scope = RelabelScope::kWithinType);

struct RelabelReport {
  std::string in, out;
  uint64_t seed = 0;
  RelabelScope scope = RelabelScope::kWithinType;
  uint64_t entities = 0, moved = 0;  // entities, and those that changed place
  uint64_t retyped = 0;               // entities that took a place of another type
  uint64_t triples = 0;
  std::string original_checksum;  // of the graph the copy stands for
  std::string checksum;           // of the copy
  double seconds = 0;
  std::string ToText() const;
  std::string ToJson() const;
};

// Writes the copy of the store `in` as a new store `out` (named `name`, default "<in's
// name>, relabelled <seed>"), marked as a counterfactual copy of `in`'s graph (of the original
// when `in` is itself a copy). Nothing is left at `out` on failure. Errors: AlreadyExists
// (`out` exists), those of GraphStore::Open / LoadGraph / ImportIntoStore.
Result<RelabelReport> WriteRelabelledStore(const std::string& in, const std::string& out,
                                           uint64_t seed, const std::string& name,
                                           RelabelScope scope = RelabelScope::kWithinType);

}  // namespace kgf::kg

#endif  // KGF_KG_GRAPH_RELABEL_H_
