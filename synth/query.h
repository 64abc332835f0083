// Query: a pattern grounded with anchor entities and relations, and its forward execution.
#ifndef KGF_SYNTH_QUERY_H_
#define KGF_SYNTH_QUERY_H_

#include <string>
#include <vector>

#include "kg/graph.h"
#include "synth/pattern.h"

namespace kgf::synth {

struct Query {
  Pattern pattern = Pattern::k1p;
  std::vector<kg::EntityId> anchors;      // slot order e1, e2, e3 (size NumAnchors)
  std::vector<kg::RelationId> relations;  // slot order r1, r2, r3 (size NumRelations)
};

// Sets of entities are vectors sorted by id, without duplicates.
using EntitySet = std::vector<kg::EntityId>;

// Executes every node of the query's tree in post-order; result[n] is node n's set, the
// answer set is result[TreeOf(pattern).root].
// REQUIRES: the query's ids are valid in `graph` and its vectors have the pattern's sizes.
// Complexity: linear in the sizes of the intermediate sets and their adjacency.
std::vector<EntitySet> ExecuteQueryNodes(const kg::Graph& graph, const Query& query);
EntitySet ExecuteQuery(const kg::Graph& graph, const Query& query);

// Set helpers on id-sorted sets.
EntitySet SetIntersection(const EntitySet& a, const EntitySet& b);
EntitySet SetUnion(const EntitySet& a, const EntitySet& b);
EntitySet SetDifference(const EntitySet& a, const EntitySet& b);  // a \ b
// Union of Tails(x, r) over x in `from`.
EntitySet Project(const kg::Graph& graph, const EntitySet& from, kg::RelationId r);

// Canonical grounded form, e.g. "n(p[borders](a[FR]),p[capital](a[DE]))" with relation and
// entity keys; equal strings <=> equal queries. Used for duplicate detection.
std::string QueryKey(const kg::Graph& graph, const Query& query);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_QUERY_H_
