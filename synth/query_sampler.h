// QuerySampler: samples grounded FOL queries of the 14 patterns by BetaE backward fill
// (BetaE create_queries.py, Ren & Leskovec 2020): pick an answer entity with incoming edges,
// fill the pattern backwards along incoming edges (bounded tries per hop, never a relation
// right after its own inverse), fill every branch independently towards the same answer,
// then execute forward and apply the rejection rules of SPEC §1. Every attempt returns a query
// or one counted RejectReason; no attempt loops unboundedly. Thread-safe: Sample() is const.
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
  kIdenticalBranches,  // two branches of an intersection/union/negation are the same query
  kDuplicate,          // the same grounded query was already emitted (runner, per shard)
  kAnswerLeak,         // an answer name appears in the rendered question (renderer)
};
inline constexpr int kNumRejectReasons = 11;
std::string_view RejectReasonName(RejectReason r);  // "too_many_answers", ...

struct SamplerOptions {
  int answer_cap = 20;  // max answers (SPEC default: observations stay readable)
  int max_width = 8;    // max entities one hop fans out over (= parallel calls in one turn)
  int max_set = 50;     // max size of any intermediate set
  int hop_tries = 40;   // BetaE: tries per hop before the fill counts as broken
  // Relation keys or names; empty allow list = all relations. Deny wins over allow.
  std::vector<std::string> allow_relations;
  std::vector<std::string> deny_relations;
};

struct SampleOutcome {
  RejectReason reason = RejectReason::kNone;  // kNone <=> query is set
  std::optional<Query> query;
  std::vector<EntitySet> node_sets;  // per tree node (post-order), when accepted
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
  // Entities with at least one allowed incoming edge (answer candidates).
  size_t num_candidates() const { return candidates_.size(); }

 private:
  QuerySampler(const kg::Graph& graph, SamplerOptions options)
      : graph_(&graph), options_(std::move(options)) {}
  bool Fill(const PatternTree& tree, int node, kg::EntityId target, int after_relation,
            Query* query, Rng& rng) const;

  const kg::Graph* graph_;
  SamplerOptions options_;
  std::vector<uint8_t> allowed_;      // per relation
  std::vector<int32_t> inverse_of_;   // per relation: its inverse relation or -1
  std::vector<kg::EntityId> candidates_;
};

}  // namespace kgf::synth

#endif  // KGF_SYNTH_QUERY_SAMPLER_H_
