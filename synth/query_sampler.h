// QuerySampler: samples grounded FOL queries of the 14 patterns by BetaE backward fill
// (BetaE create_queries.py, Ren & Leskovec 2020) over the graph taken in both directions: every
// triple (h, r, t) is also the hop t -> h over r^-1 (the inverse tool), unless the graph states
// r^-1 itself (RelationDirections). Pick an answer entity, fill the pattern backwards: per hop
// choose a move (relation and direction) uniformly among those reaching the node, then an edge
// of it, never the entity the chain came from (bounded tries per hop). Branches of an
// intersection are filled independently towards the same answer, each starting with a hop no
// earlier branch took; a union's second branch aims at another entity (of the answer's type for
// 2u, another start of the outer hop for up); the negated branch of a negation is filled
// towards another member of the positive branch, so it always removes something. Then execute forward and apply the rejection rules of SPEC §1. Every attempt
// returns a query or one counted RejectReason; no attempt loops unboundedly. Thread-safe:
// Sample() is const.
#ifndef KGF_SYNTH_QUERY_SAMPLER_H_
#define KGF_SYNTH_QUERY_SAMPLER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "kg/graph.h"
#include "synth/query.h"
#include "synth/record.h"

namespace kgf::synth {

enum class RejectReason : uint8_t {
  kNone = 0,
  kNoCandidates,       // no entity has an incoming edge over an allowed relation
  kBroken,             // backward fill hit a dead end within the per-hop tries
  kEmptyIntermediate,  // an intermediate set, or one call of a fan-out hop, is empty
  kEmptyAnswer,        // the answer set is empty
  kTooManyAnswers,     // more answers than the cap
  kTooWide,            // a hop fans out over more entities than max_width, or a set > max_set
  kNegationNoEffect,   // the negated branch removes nothing
  kIdenticalBranches,  // two branches of an intersection/union/negation give the same set
  kDuplicate,          // the same grounded query was already emitted (runner)
  kAnswerLeak,         // an answer name appears in the rendered question (renderer)
  kRoundTrip,          // a hop leads back to where its chain came from (x -> y -> x, a self loop)
  kRedundantBranch,    // a set operation's result equals one of its branches
  kAnswerIsAnchor,     // an answer is one of the anchor entities
  kHeldOut,            // a valid or test sample under SplitOptions::train_only (runner)
  kAnchorType,         // no anchor is of SamplerOptions::anchor_types
};
inline constexpr int kNumRejectReasons = 16;
std::string_view RejectReasonName(RejectReason r);  // "too_many_answers", ...

struct SamplerOptions {
  int answer_cap = 20;  // max answers (SPEC default: observations stay readable)
  int max_width = 8;    // max entities one hop fans out over (= parallel calls in one turn)
  int max_set = 50;     // max size of any intermediate set
  int hop_tries = 40;   // BetaE: tries per hop before the fill counts as broken
  // Walk relations backwards too (BetaE's -r edges; calls the inverse tools). false keeps the
  // forward-only sampling of earlier versions, for comparison.
  bool both_directions = true;
  bool allow_anchor_answers = false;  // accept answers that are anchors of the query
  // Relation keys or names; empty allow list = all relations. Deny wins over allow.
  std::vector<std::string> allow_relations;
  std::vector<std::string> deny_relations;
  // Entity types (EntityInfo::type); empty = any. When set, a query needs at least one anchor of
  // one of these types: targeted data for the names a model copies least often (a capital city
  // anchors ~6 distinct queries of 1p/2p, a country hundreds).
  std::vector<std::string> anchor_types;
};

struct SampleOutcome {
  RejectReason reason = RejectReason::kNone;  // kNone <=> query is set
  std::optional<Query> query;
  std::vector<EntitySet> node_sets;  // per tree node (post-order), when accepted
  // How its dialogue ends; set by OutcomeShaper (the sampler's own samples are answered).
  RecordOutcome outcome = RecordOutcome::kAnswered;
  const EntitySet& answers() const;  // REQUIRES: accepted
};

class QuerySampler {
 public:
  // REQUIRES: graph outlives the sampler.
  // Errors: InvalidArgument for an empty graph (no triples), bad options, or an allow/deny
  // entry that names no relation.
  static Result<QuerySampler> Create(const kg::Graph& graph, SamplerOptions options);

  SampleOutcome Sample(Pattern pattern, Rng& rng) const;

  const SamplerOptions& options() const { return options_; }
  // Entities some allowed move reaches (answer candidates).
  size_t num_candidates() const { return candidates_by_hops_[0].size(); }

 private:
  QuerySampler(const kg::Graph& graph, SamplerOptions options)
      : graph_(&graph), options_(std::move(options)) {}
  struct Move;
  // Moves whose hop ends at `target` (forward: its in-edges; inverse: its out-edges).
  void MovesInto(kg::EntityId target, std::vector<Move>* moves) const;
  struct FillHints {
    int64_t avoid = -1;  // the entity the chain continues to: a hop must not come from it
    int64_t alt = -1;    // a union's second branch aims here instead of at the target
    // Or among these edges' entities (each reaches the target by the hop above the union): the
    // second branch aims at one outside the first branch's set, so neither set holds the other.
    std::span<const kg::Edge> alt_pool;
    std::vector<uint64_t>* siblings = nullptr;  // first hops of earlier branches; gets this one
    // The hop this subtree feeds (a chain): an anchored hop checks its set against it at once.
    int64_t outer_relation = -1;
    bool outer_inverse = false;
    bool wide = false;  // an intersection branch: its set needs a member besides the target
  };
  // Fills node n's subtree so that its set contains `target` (a union: one of its branches).
  // On failure sets *why.
  bool Fill(const PatternTree& tree, int n, kg::EntityId target, const FillHints& hints,
            Query* query, Rng& rng, RejectReason* why) const;
  // The wide hops an entity needs to end an intersection of anchored hops at node n (2i 3i
  // below: one per branch), else 0.
  static size_t WideHopsNeeded(const PatternTree& tree, int n);
  // kNone when the set of the hop `move` from `from` passes the checks of the hop it feeds.
  RejectReason FeedsOuterHop(kg::EntityId from, const Move& move, const FillHints& hints) const;
  bool FillNegation(const PatternTree& tree, int n, kg::EntityId target, int64_t avoid,
                    Query* query, Rng& rng, RejectReason* why) const;
  RejectReason Verify(const Query& q, std::vector<EntitySet>* sets) const;
  // Whether dropping any one branch of any set operation (an input of an intersection or a
  // union, the negated set of a negation) changes the query's answers; sets: every node's set.
  bool EveryBranchMatters(const Query& q, const std::vector<EntitySet>& sets) const;

  const kg::Graph* graph_;
  SamplerOptions options_;
  std::vector<uint8_t> allowed_;      // per relation
  std::vector<uint8_t> anchor_ok_;    // per entity, when anchor_types is set
  std::vector<uint8_t> inverse_hop_;  // per relation: r^-1 is a move of its own
  std::vector<kg::EntityId> candidates_by_hops_[3];  // [k-1]: entities with >= k hops into them
  // [k-1]: entities with >= k hops into them from an entity the hop leads to one more entity
  // from: the answers of an intersection of k anchored hops (2i, 3i).
  std::vector<kg::EntityId> candidates_by_wide_hops_[3];
  std::vector<uint8_t> wide_hops_;  // per entity: that count, capped at 3
  // Entities one hop from an entity with >= 2 wide hops: the answers of a hop over an
  // intersection of two anchored hops (ip).
  std::vector<kg::EntityId> hop_over_intersection_targets_;
  // Entities with two edges of one move into them: the answers a hop over a union (up) can end at.
  std::vector<kg::EntityId> union_hop_targets_;
};

}  // namespace kgf::synth

#endif  // KGF_SYNTH_QUERY_SAMPLER_H_
