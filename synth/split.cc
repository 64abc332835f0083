// Anchor-hash splits (see split.h).
#include "synth/split.h"

#include <algorithm>

#include "base/hash.h"

namespace kgf::synth {

std::string_view SplitName(Split s) {
  switch (s) {
    case Split::kTrain: return "train";
    case Split::kValid: return "valid";
    case Split::kTest: return "test";
  }
  return "";
}

SplitOptions ResolveSplit(const SplitOptions& options, size_t num_entities) {
  SplitOptions out = options;
  if (num_entities > 0 && options.min_held_out > 0) {
    const double floor = std::min(
        0.25, static_cast<double>(options.min_held_out) / static_cast<double>(num_entities));
    if (out.valid_fraction > 0) out.valid_fraction = std::max(out.valid_fraction, floor);
    if (out.test_fraction > 0) out.test_fraction = std::max(out.test_fraction, floor);
  }
  out.min_held_out = 0;
  return out;
}

Split EntitySplit(std::string_view entity_key, const SplitOptions& options) {
  // 53 high bits of xxh3 -> uniform in [0, 1).
  double u = static_cast<double>(Hash64(entity_key, 0x5011175ULL) >> 11) * 0x1p-53;
  if (u < options.test_fraction) return Split::kTest;
  if (u < options.test_fraction + options.valid_fraction) return Split::kValid;
  return Split::kTrain;
}

Split QuerySplit(const kg::Graph& graph, std::span<const kg::EntityId> anchors,
                 const SplitOptions& options) {
  Split out = Split::kTrain;
  for (kg::EntityId a : anchors) out = std::max(out, EntitySplit(graph.entity(a).key, options));
  return out;
}

}  // namespace kgf::synth

namespace kgf::synth {

std::vector<kg::Triple> QueryFacts(const kg::Graph& graph, const Query& query,
                                   const std::vector<EntitySet>& node_sets) {
  const PatternTree& tree = TreeOf(query.pattern);
  std::vector<kg::Triple> facts;
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op != QueryOp::kProject) continue;
    const kg::RelationId r = query.relations[node.slot];
    const bool inverse = query.IsInverse(node.slot);
    for (kg::EntityId x : node_sets[node.children[0]]) {
      for (kg::EntityId y : Neighbors(graph, x, r, inverse)) {
        facts.push_back(inverse ? kg::Triple{y, r, x} : kg::Triple{x, r, y});
      }
    }
  }
  std::sort(facts.begin(), facts.end());
  facts.erase(std::unique(facts.begin(), facts.end()), facts.end());
  return facts;
}

Split FactSplit(const kg::Graph& graph, const kg::Triple& fact, const SplitOptions& options) {
  return EntitySplit(graph.entity(fact.head).key + "\t" + graph.relation(fact.relation).key +
                         "\t" + graph.entity(fact.tail).key,
                     options);
}

Split SampleSplit(const kg::Graph& graph, const Query& query,
                  const std::vector<EntitySet>& node_sets, const SplitOptions& options) {
  if (!options.by_facts) return QuerySplit(graph, query.anchors, options);
  Split out = Split::kTrain;
  for (const kg::Triple& t : QueryFacts(graph, query, node_sets)) {
    out = std::max(out, FactSplit(graph, t, options));
  }
  return out;
}

}  // namespace kgf::synth
