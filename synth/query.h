// Query: a pattern grounded with anchor entities and relations, and its forward execution.
#ifndef KGF_SYNTH_QUERY_H_
#define KGF_SYNTH_QUERY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kg/graph.h"
#include "synth/pattern.h"

namespace kgf::synth {

struct Query {
  Pattern pattern = Pattern::k1p;
  std::vector<kg::EntityId> anchors;      // slot order e1, e2, e3 (size NumAnchors)
  std::vector<kg::RelationId> relations;  // slot order r1, r2, r3 (size NumRelations)
  // Per relation slot: 1 when the hop walks the relation backwards, tail -> heads (BetaE's -r,
  // the relation's inverse tool). Empty means every hop is forward.
  std::vector<uint8_t> inverse;
  bool IsInverse(int slot) const { return !inverse.empty() && inverse[slot] != 0; }
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
// One hop from x: Tails(x, r), or Heads(r, x) when `inverse`. Sorted by id.
std::span<const kg::EntityId> Neighbors(const kg::Graph& graph, kg::EntityId x, kg::RelationId r,
                                        bool inverse);
// Union of Neighbors(x, r, inverse) over x in `from`.
EntitySet Project(const kg::Graph& graph, const EntitySet& from, kg::RelationId r,
                  bool inverse = false);

// Executes the nodes lo..hi (post-order indices, a contiguous range whose children all lie
// inside it or before lo with their sets already in *sets) into (*sets)[lo..hi].
void ExecuteNodeRange(const kg::Graph& graph, const Query& query, int lo, int hi,
                      std::vector<EntitySet>* sets);
// The first post-order index of node n's subtree: the subtree is [SubtreeBegin(n), n].
int SubtreeBegin(const PatternTree& tree, int n);

// Canonical grounded form, e.g. "n(p[borders](a[FR]),p[capital^-1](a[c:berlin]))" with
// relation and entity keys (an inverse hop is "key^-1"); equal strings <=> equal queries. Used
// for duplicate detection.
std::string QueryKey(const kg::Graph& graph, const Query& query);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_QUERY_H_
