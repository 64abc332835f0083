// Held-out splits by anchor entity. Each entity gets train/valid/test from a hash of its key
// (independent of the run seed, so splits are stable across runs); a query takes the most
// held-out split of its anchors (test > valid > train). Hence no test or valid anchor is ever
// an anchor of a train query, and no test anchor is an anchor of a valid query.
#ifndef KGF_SYNTH_SPLIT_H_
#define KGF_SYNTH_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kg/graph.h"
#include "synth/query.h"

namespace kgf::synth {

enum class Split : uint8_t { kTrain = 0, kValid = 1, kTest = 2 };
inline constexpr int kNumSplits = 3;
std::string_view SplitName(Split s);

struct SplitOptions {
  double valid_fraction = 0.05;  // of entities
  double test_fraction = 0.05;
  // At least this many entities held out for each of valid and test (on a small graph the
  // fractions grow, up to 25% each), so evaluation has enough distinct anchors.
  uint64_t min_held_out = 30;
  // What is held out: false = anchor entities (above); true = facts: each triple is test /
  // valid / train by a hash of its keys, and a record takes the most held-out split of the
  // triples its gold calls read, so no test fact is read by a train or valid record. A record
  // reads several facts, so far more than test_fraction of the records become test.
  bool by_facts = false;
  // Write train records only: a sample that the split would hold out (valid or test) is
  // rejected (reason held_out) and another drawn. For counterfactual copies of a graph (`kg
  // relabel`): their held-out facts are, by key, the original's, and a copy is never evaluated on.
  bool train_only = false;
};

// The fractions actually used on a graph of `num_entities` entities: each raised to
// min_held_out / num_entities when that is larger (capped at 0.25), then min_held_out set to 0.
SplitOptions ResolveSplit(const SplitOptions& options, size_t num_entities);

Split EntitySplit(std::string_view entity_key, const SplitOptions& options);
Split QuerySplit(const kg::Graph& graph, std::span<const kg::EntityId> anchors,
                 const SplitOptions& options);
// The triples the gold calls of a query read: every hop over every entity of its input set,
// as stored (head, relation, tail) whatever the hop's direction. Sorted, distinct.
// REQUIRES: node_sets from ExecuteQueryNodes (or an accepted sample).
std::vector<kg::Triple> QueryFacts(const kg::Graph& graph, const Query& query,
                                   const std::vector<EntitySet>& node_sets);
Split FactSplit(const kg::Graph& graph, const kg::Triple& fact, const SplitOptions& options);
// The split of an accepted sample under options.by_facts (facts) or not (anchors).
Split SampleSplit(const kg::Graph& graph, const Query& query,
                  const std::vector<EntitySet>& node_sets, const SplitOptions& options);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_SPLIT_H_
