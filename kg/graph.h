// Graph: the immutable in-memory knowledge graph, a Boost.Graph compressed-sparse-row graph
// with forward and reverse adjacency grouped by relation. Built once (from the store or from
// vectors in tests), then shared read-only: every method is const and thread-safe.
#ifndef KGF_KG_GRAPH_H_
#define KGF_KG_GRAPH_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kg/types.h"

namespace kgf::kg {

class Graph {
 public:
  // Builds the graph. Triples may repeat (kept once) and come in any order.
  // Errors: an id out of range, duplicate entity names or keys, duplicate relation keys
  // or names (InvalidArgument naming the offender).
  static Result<Graph> Build(std::vector<EntityInfo> entities, std::vector<RelationInfo> relations,
                             std::vector<Triple> triples);

  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;
  ~Graph();

  size_t num_entities() const;
  size_t num_relations() const;
  size_t num_triples() const;  // distinct triples

  // REQUIRES: id < num_entities() / num_relations().
  const EntityInfo& entity(EntityId id) const;
  const RelationInfo& relation(RelationId id) const;

  std::optional<EntityId> FindEntityByName(std::string_view name) const;
  std::optional<EntityId> FindEntityByKey(std::string_view key) const;
  std::optional<RelationId> FindRelationByKey(std::string_view key) const;
  std::optional<RelationId> FindRelationByName(std::string_view name) const;

  // Tails t with (head, r, t), sorted by id. The range is found among head's distinct
  // relations (bounded by num_relations(), independent of the graph's size); no allocation.
  std::span<const EntityId> Tails(EntityId head, RelationId r) const;
  // Heads h with (h, r, tail), sorted by id. Found like Tails.
  std::span<const EntityId> Heads(RelationId r, EntityId tail) const;
  // All out-edges / in-edges of e, sorted by (relation, other).
  std::span<const Edge> OutEdges(EntityId e) const;
  std::span<const Edge> InEdges(EntityId e) const;
  // Number of distinct out- / in-edges of e (from the Boost CSR). O(1).
  size_t OutDegree(EntityId e) const;
  size_t InDegree(EntityId e) const;
  // Number of triples per relation.
  size_t RelationSize(RelationId r) const;
  // All distinct triples sorted by (head, relation, tail).
  std::vector<Triple> AllTriples() const;

 private:
  struct Impl;
  explicit Graph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kgf::kg

#endif  // KGF_KG_GRAPH_H_
