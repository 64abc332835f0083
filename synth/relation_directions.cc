// Inverse hops from relation metadata and the triples themselves (see relation_directions.h).
#include "synth/relation_directions.h"

#include <algorithm>

namespace kgf::synth {

RelationDirections RelationDirections::Analyze(const kg::Graph& graph) {
  const size_t nr = graph.num_relations();
  RelationDirections d;
  d.partner_.assign(nr, -1);
  d.symmetric_.assign(nr, 0);
  for (uint32_t i = 0; i < nr; ++i) {
    const kg::RelationInfo& info = graph.relation(kg::RelationId(i));
    if (info.inverse_name.empty()) continue;
    std::optional<kg::RelationId> inv = graph.FindRelationByName(info.inverse_name);
    if (!inv) inv = graph.FindRelationByKey(info.inverse_name);
    if (!inv) continue;
    if (inv->value() == i) {
      d.symmetric_[i] = 1;
    } else {
      d.partner_[i] = static_cast<int32_t>(inv->value());
      if (d.partner_[inv->value()] < 0) d.partner_[inv->value()] = static_cast<int32_t>(i);
    }
  }
  // Symmetric in the data: every (h, r, t) has (t, r, h). Start from "yes" for relations with
  // triples and clear on the first missing reverse.
  std::vector<uint8_t> all_reversed(nr, 0);
  for (uint32_t i = 0; i < nr; ++i) all_reversed[i] = graph.RelationSize(kg::RelationId(i)) > 0;
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    const kg::EntityId h(e);
    for (const kg::Edge& edge : graph.OutEdges(h)) {
      const uint32_t r = edge.relation.value();
      if (!all_reversed[r]) continue;
      auto back = graph.Tails(edge.other, edge.relation);
      if (!std::binary_search(back.begin(), back.end(), h)) all_reversed[r] = 0;
    }
  }
  for (uint32_t i = 0; i < nr; ++i) {
    if (all_reversed[i]) d.symmetric_[i] = 1;
  }
  return d;
}

}  // namespace kgf::synth
