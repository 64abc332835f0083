// RelationDirections: which relations can be walked backwards as a hop of their own (BetaE
// stores every triple (h, r, t) also as (t, r^-1, h)). The inverse of r is its own hop, with its
// own inverse tool, unless the graph already states it:
//   - a partner relation: r's inverse_name names another relation s of the graph (WordNet's
//     hypernym / hyponym), so r^-1 is s's forward hop;
//   - a symmetric relation: inverse_name is r itself, or every triple's reverse is in the graph
//     (borders), so r^-1 is r.
// Sampler and tool catalog both read this, so a listed inverse tool is always one the sampler
// can call, and no two listed tools compute the same thing. Immutable: thread-safe.
#ifndef KGF_SYNTH_RELATION_DIRECTIONS_H_
#define KGF_SYNTH_RELATION_DIRECTIONS_H_

#include <cstdint>
#include <vector>

#include "kg/graph.h"

namespace kgf::synth {

class RelationDirections {
 public:
  // O(triples x log degree): the symmetry check looks up the reverse of every triple.
  static RelationDirections Analyze(const kg::Graph& graph);

  // The relation whose forward hop is r^-1, or -1 (none stated).
  int32_t Partner(kg::RelationId r) const { return partner_[r.value()]; }
  bool Symmetric(kg::RelationId r) const { return symmetric_[r.value()] != 0; }
  // True when r^-1 is a hop of its own (neither a partner nor symmetric).
  bool HasInverseHop(kg::RelationId r) const {
    return partner_[r.value()] < 0 && symmetric_[r.value()] == 0;
  }

 private:
  std::vector<int32_t> partner_;
  std::vector<uint8_t> symmetric_;
};

}  // namespace kgf::synth

#endif  // KGF_SYNTH_RELATION_DIRECTIONS_H_
