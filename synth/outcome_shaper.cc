// Dialogues without answers (see outcome_shaper.h).
#include "synth/outcome_shaper.h"

#include <algorithm>

namespace kgf::synth {
namespace {

bool AllowsEmptyStep(Pattern p) {
  return p != Pattern::k1p && p != Pattern::k2u && p != Pattern::kUp;
}

// The node holding anchor `slot`.
int AnchorNode(const PatternTree& tree, int slot) {
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    if (tree.nodes[n].op == QueryOp::kAnchor && tree.nodes[n].slot == slot) return static_cast<int>(n);
  }
  return -1;
}

// The sampler's rules on a non-empty node n: a hop that lands inside the set its chain came
// from (a round trip) or on its own input (a self loop); a set operation with two equal inputs,
// or whose result equals one of them.
bool Degenerate(const kg::Graph& graph, const Query& q, const std::vector<EntitySet>& sets,
                int n) {
  const PatternTree& tree = TreeOf(q.pattern);
  const QueryNode& node = tree.nodes[n];
  const std::vector<int>& kids = node.children;
  if (node.op == QueryOp::kProject) {
    const QueryNode& child = tree.nodes[kids[0]];
    for (kg::EntityId x : sets[kids[0]]) {
      for (kg::EntityId y : Neighbors(graph, x, q.relations[node.slot], q.IsInverse(node.slot))) {
        if (x == y) return true;
      }
    }
    if (child.op == QueryOp::kProject) {
      const EntitySet& from = sets[child.children[0]];
      if (std::includes(from.begin(), from.end(), sets[n].begin(), sets[n].end())) return true;
    }
    return false;
  }
  for (size_t a = 0; a < kids.size(); ++a) {
    for (size_t b = a + 1; b < kids.size(); ++b) {
      if (!sets[kids[a]].empty() && sets[kids[a]] == sets[kids[b]]) return true;
    }
    if (node.op != QueryOp::kNegate && sets[kids[a]] == sets[n]) return true;
  }
  return false;
}

}  // namespace

bool AllowsNoAnswer(Pattern p) {
  switch (p) {
    case Pattern::k1p: case Pattern::k2p: case Pattern::k3p: case Pattern::k2i:
    case Pattern::k3i: case Pattern::kIp: case Pattern::kPi:
      return true;
    default:
      return false;
  }
}

Status OutcomeOptions::Validate() const {
  auto bad = [](double s) { return !(s >= 0 && s <= 1); };
  if (bad(no_answer_share)) return InvalidArgumentError("no-answer share must be in [0, 1]");
  if (bad(empty_step_share)) return InvalidArgumentError("empty-step share must be in [0, 1]");
  if (bad(no_tool_share)) return InvalidArgumentError("no-tool share must be in [0, 1]");
  if (no_answer_share + empty_step_share + no_tool_share > 1) {
    return InvalidArgumentError("the no-answer, empty-step and no-tool shares sum to more than 1");
  }
  if (tries < 1) return InvalidArgumentError("outcome tries must be at least 1");
  return Status::Ok();
}

OutcomeShaper::OutcomeShaper(const kg::Graph& graph, OutcomeOptions options, SamplerOptions limits)
    : graph_(&graph), options_(options), limits_(std::move(limits)) {
  if (options_.no_answer_share == 0 && options_.empty_step_share == 0) return;
  for (size_t e = 0; e < graph.num_entities(); ++e) {
    const kg::EntityInfo& info = graph.entity(kg::EntityId(static_cast<uint32_t>(e)));
    if (!info.type.empty()) by_type_[info.type].push_back(kg::EntityId(static_cast<uint32_t>(e)));
  }
}

void OutcomeShaper::Shape(SampleOutcome* sample, Rng& rng) const {
  const OutcomeOptions& o = options_;
  // No draw at all when every share is 0: the output is then that of a run without outcomes.
  if (o.no_answer_share == 0 && o.empty_step_share == 0 && o.no_tool_share == 0) return;
  const double u = rng.UniformDouble();
  const Pattern p = sample->query->pattern;
  if (u < o.no_answer_share) {
    if (AllowsNoAnswer(p)) Reshape(sample, RecordOutcome::kNoAnswer, rng);
  } else if (u < o.no_answer_share + o.empty_step_share) {
    if (AllowsEmptyStep(p)) Reshape(sample, RecordOutcome::kEmptyStep, rng);
  } else if (u < o.no_answer_share + o.empty_step_share + o.no_tool_share) {
    sample->outcome = RecordOutcome::kNoTool;
  }
}

// Swaps one anchor for another entity of its type until the sets have the wanted shape.
bool OutcomeShaper::Reshape(SampleOutcome* sample, RecordOutcome want, Rng& rng) const {
  const Query& q = *sample->query;
  for (int t = 0; t < options_.tries; ++t) {
    const int slot = static_cast<int>(rng.Uniform(q.anchors.size()));
    auto it = by_type_.find(graph_->entity(q.anchors[slot]).type);
    if (it == by_type_.end() || it->second.size() < 2) continue;
    const kg::EntityId x = it->second[rng.Uniform(it->second.size())];
    if (std::find(q.anchors.begin(), q.anchors.end(), x) != q.anchors.end()) continue;
    Query candidate = q;
    candidate.anchors[slot] = x;
    std::vector<EntitySet> sets = ExecuteQueryNodes(*graph_, candidate);
    if (!Fits(candidate, sets, want, slot)) continue;
    sample->query = std::move(candidate);
    sample->node_sets = std::move(sets);
    sample->outcome = want;
    return true;
  }
  return false;
}

// no_answer: only the root is empty. A non-empty hop has no empty call. empty_step: the empty nodes are one non-root projection E
// (above the swapped anchor) and nodes that contain E, the root among them. Every hop stays
// within the sampler's width and set limits.
bool OutcomeShaper::Fits(const Query& q, const std::vector<EntitySet>& sets, RecordOutcome want,
                         int slot) const {
  const PatternTree& tree = TreeOf(q.pattern);
  const int root = tree.root;
  if (!sets[root].empty()) return false;
  int first_empty = -1;
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op == QueryOp::kAnchor) continue;
    if (static_cast<int64_t>(sets[n].size()) > limits_.max_set) return false;
    if (node.op == QueryOp::kProject) {
      const EntitySet& inputs = sets[node.children[0]];
      if (static_cast<int64_t>(inputs.size()) > limits_.max_width) return false;
      // A hop that gives something gives something for each of its calls.
      if (!sets[n].empty()) {
        for (kg::EntityId x : inputs) {
          if (Neighbors(*graph_, x, q.relations[node.slot], q.IsInverse(node.slot)).empty()) {
            return false;
          }
        }
      }
    }
    if (!sets[n].empty() && Degenerate(*graph_, q, sets, static_cast<int>(n))) return false;
    if (!sets[n].empty()) continue;
    if (first_empty < 0) {
      first_empty = static_cast<int>(n);
    } else if (SubtreeBegin(tree, static_cast<int>(n)) > first_empty) {
      return false;  // a second empty node that does not contain the first
    }
  }
  if (want == RecordOutcome::kNoAnswer) return first_empty == root;
  if (first_empty == root || tree.nodes[first_empty].op != QueryOp::kProject) return false;
  // The empty hop starts from the swapped anchor or from a set it feeds.
  const int anchor = AnchorNode(tree, slot);
  return anchor >= SubtreeBegin(tree, first_empty) && anchor < first_empty;
}

}  // namespace kgf::synth
