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
