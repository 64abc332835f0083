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
