// Value types of the knowledge graph: typed ids, entity and relation metadata, triples.
#ifndef KGF_KG_TYPES_H_
#define KGF_KG_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/strong_id.h"

namespace kgf::kg {

struct EntityTag {};
struct RelationTag {};
// Dense ids: entities 0..num_entities-1, relations 0..num_relations-1 (in the in-memory graph).
using EntityId = StrongId<EntityTag, uint32_t>;
using RelationId = StrongId<RelationTag, uint32_t>;

struct EntityInfo {
  std::string key;   // stable source key (IRI, synset offset, ISO code)
  std::string name;  // display name, unique inside one graph (tools take it as argument)
  std::string type;  // entity type used for tool names ("country", "synset"); may be empty
  std::vector<std::string> aliases;
};

struct RelationInfo {
  std::string key;              // source key ("borders", "http://.../capital")
  std::string name;             // snake_case ASCII name used in tool names ("borders")
  std::string description;      // may be empty: derived from names
  std::string head_type;        // may be empty
  std::string tail_type;        // may be empty
  std::string inverse_name;     // snake_case label of the inverse, may be empty
  std::string question_phrase;  // e.g. "the capital of {}"; may be empty
};

struct Triple {
  EntityId head;
  RelationId relation;
  EntityId tail;
  friend auto operator<=>(const Triple&, const Triple&) = default;
};

// One adjacency entry: the relation and the entity at the other end.
struct Edge {
  RelationId relation;
  EntityId other;
  friend auto operator<=>(const Edge&, const Edge&) = default;
};

}  // namespace kgf::kg

#endif  // KGF_KG_TYPES_H_
