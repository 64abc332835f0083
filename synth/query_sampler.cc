// BetaE-style backward sampling with forward verification (BetaE create_queries.py:
// achieve_answer / ground_queries; rejection rules from SPEC §1).
#include "synth/query_sampler.h"

namespace kgf::synth {
namespace {

// Structural hash of a grounded subtree, to detect identical branches cheaply.
uint64_t NodeHash(const PatternTree& tree, int n, const Query& q) {
  const QueryNode& node = tree.nodes[n];
  switch (node.op) {
    case QueryOp::kAnchor: return Mix64(0xA11CE000ULL + q.anchors[node.slot].value());
    case QueryOp::kProject:
      return Mix64(NodeHash(tree, node.children[0], q) * 31 + q.relations[node.slot].value() + 7);
    default: {
      uint64_t h = static_cast<uint64_t>(node.op) * 0x9E3779B97F4A7C15ULL;
      for (int c : node.children) h = Mix64(h ^ NodeHash(tree, c, q));
      return h;
    }
  }
}

}  // namespace

std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kNone: return "none";
    case RejectReason::kNoCandidates: return "no_candidates";
    case RejectReason::kBroken: return "broken";
    case RejectReason::kEmptyIntermediate: return "empty_intermediate";
    case RejectReason::kEmptyAnswer: return "empty_answer";
    case RejectReason::kTooManyAnswers: return "too_many_answers";
    case RejectReason::kTooWide: return "too_wide";
    case RejectReason::kNegationNoEffect: return "negation_no_effect";
    case RejectReason::kIdenticalBranches: return "identical_branches";
    case RejectReason::kDuplicate: return "duplicate";
    case RejectReason::kAnswerLeak: return "answer_leak";
  }
  return "";
}

const EntitySet& SampleOutcome::answers() const {
  KGF_CHECK(query.has_value()) << "answers() of a rejected sample";
  return node_sets[TreeOf(query->pattern).root];
}

Result<QuerySampler> QuerySampler::Create(const kg::Graph& graph, SamplerOptions options) {
  if (graph.num_triples() == 0 || graph.num_entities() == 0) {
    return InvalidArgumentError(
        "query sampler: the graph is empty (no triples); build or load a graph with triples "
        "before synthesizing");
  }
  if (options.answer_cap < 1 || options.max_width < 1 || options.max_set < 1 ||
      options.hop_tries < 1) {
    return InvalidArgumentError(
        "query sampler: answer_cap, max_width, max_set and hop_tries must all be >= 1");
  }
  QuerySampler s(graph, std::move(options));
  const size_t nr = graph.num_relations();
  auto resolve = [&](const std::string& name, const char* which) -> Result<kg::RelationId> {
    if (auto r = graph.FindRelationByKey(name)) return *r;
    if (auto r = graph.FindRelationByName(name)) return *r;
    return InvalidArgumentError(std::string("query sampler: ") + which + " relation '" + name +
                                "' is neither a relation key nor a relation name of the graph");
  };
  s.allowed_.assign(nr, s.options_.allow_relations.empty() ? 1 : 0);
  for (const std::string& name : s.options_.allow_relations) {
    KGF_ASSIGN_OR_RETURN(kg::RelationId r, resolve(name, "allowed"));
    s.allowed_[r.value()] = 1;
  }
  for (const std::string& name : s.options_.deny_relations) {
    KGF_ASSIGN_OR_RETURN(kg::RelationId r, resolve(name, "denied"));
    s.allowed_[r.value()] = 0;
  }
  // Inverse pairs from relation metadata: s is the inverse of r when r.inverse_name names s.
  s.inverse_of_.assign(nr, -1);
  for (uint32_t i = 0; i < nr; ++i) {
    const kg::RelationInfo& info = graph.relation(kg::RelationId(i));
    if (info.inverse_name.empty()) continue;
    if (auto inv = graph.FindRelationByName(info.inverse_name)) {
      s.inverse_of_[i] = static_cast<int32_t>(inv->value());
      if (s.inverse_of_[inv->value()] < 0) s.inverse_of_[inv->value()] = static_cast<int32_t>(i);
    }
  }
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    for (const kg::Edge& edge : graph.InEdges(kg::EntityId(e))) {
      if (s.allowed_[edge.relation.value()]) {
        s.candidates_.push_back(kg::EntityId(e));
        break;
      }
    }
  }
  return s;
}

bool QuerySampler::Fill(const PatternTree& tree, int n, kg::EntityId target, int after_relation,
                        Query* query, Rng& rng) const {
  const QueryNode& node = tree.nodes[n];
  switch (node.op) {
    case QueryOp::kAnchor:
      query->anchors[node.slot] = target;
      return true;
    case QueryOp::kProject: {
      auto in = graph_->InEdges(target);
      if (in.empty()) return false;
      for (int t = 0; t < options_.hop_tries; ++t) {
        const kg::Edge& edge = in[rng.Uniform(in.size())];
        uint32_t r = edge.relation.value();
        if (!allowed_[r]) continue;
        // Never a relation right after its own inverse (BetaE): h -r-> t -r^-1-> h.
        if (after_relation >= 0 && inverse_of_[r] == after_relation) continue;
        query->relations[node.slot] = edge.relation;
        return Fill(tree, node.children[0], edge.other, static_cast<int>(r), query, rng);
      }
      return false;
    }
    default:
      // Every branch is filled independently towards the same target (BetaE).
      for (int c : node.children) {
        if (!Fill(tree, c, target, -1, query, rng)) return false;
      }
      return true;
  }
}

SampleOutcome QuerySampler::Sample(Pattern pattern, Rng& rng) const {
  SampleOutcome out;
  if (candidates_.empty()) {
    out.reason = RejectReason::kNoCandidates;
    return out;
  }
  const PatternTree& tree = TreeOf(pattern);
  Query q;
  q.pattern = pattern;
  q.anchors.assign(NumAnchors(pattern), kg::EntityId(0));
  q.relations.assign(NumRelations(pattern), kg::RelationId(0));
  kg::EntityId answer = candidates_[rng.Uniform(candidates_.size())];
  if (!Fill(tree, tree.root, answer, -1, &q, rng)) {
    out.reason = RejectReason::kBroken;
    return out;
  }
  for (const QueryNode& node : tree.nodes) {
    if (node.children.size() < 2) continue;
    for (size_t a = 0; a < node.children.size(); ++a) {
      for (size_t b = a + 1; b < node.children.size(); ++b) {
        if (NodeHash(tree, node.children[a], q) == NodeHash(tree, node.children[b], q)) {
          out.reason = RejectReason::kIdenticalBranches;
          return out;
        }
      }
    }
  }
  // Forward execution with early exits (sets can explode around hub entities).
  std::vector<EntitySet> sets(tree.nodes.size());
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    switch (node.op) {
      case QueryOp::kAnchor: sets[n] = {q.anchors[node.slot]}; break;
      case QueryOp::kProject: {
        const EntitySet& from = sets[node.children[0]];
        if (static_cast<int>(from.size()) > options_.max_width) {
          out.reason = RejectReason::kTooWide;
          return out;
        }
        // Every call of the hop must return something: an empty observation in a fan-out is
        // an empty intermediate result too (the verification layer drops such records).
        for (kg::EntityId x : from) {
          if (graph_->Tails(x, q.relations[node.slot]).empty()) {
            out.reason = RejectReason::kEmptyIntermediate;
            return out;
          }
        }
        sets[n] = Project(*graph_, from, q.relations[node.slot]);
        break;
      }
      case QueryOp::kIntersect:
        sets[n] = sets[node.children[0]];
        for (size_t c = 1; c < node.children.size(); ++c) {
          sets[n] = SetIntersection(sets[n], sets[node.children[c]]);
        }
        break;
      case QueryOp::kUnion:
        sets[n] = sets[node.children[0]];
        for (size_t c = 1; c < node.children.size(); ++c) {
          sets[n] = SetUnion(sets[n], sets[node.children[c]]);
        }
        break;
      case QueryOp::kNegate: {
        const EntitySet& within = sets[node.children[0]];
        const EntitySet& removed = sets[node.children[1]];
        sets[n] = SetDifference(within, removed);
        if (sets[n].size() == within.size()) {
          out.reason = RejectReason::kNegationNoEffect;
          return out;
        }
        break;
      }
    }
    if (static_cast<int>(n) == tree.root) break;
    if (sets[n].empty()) {
      out.reason = RejectReason::kEmptyIntermediate;
      return out;
    }
    if (static_cast<int>(sets[n].size()) > options_.max_set) {
      out.reason = RejectReason::kTooWide;
      return out;
    }
  }
  const EntitySet& answers = sets[tree.root];
  if (answers.empty()) {
    out.reason = RejectReason::kEmptyAnswer;
    return out;
  }
  if (static_cast<int>(answers.size()) > options_.answer_cap) {
    out.reason = RejectReason::kTooManyAnswers;
    return out;
  }
  out.query = std::move(q);
  out.node_sets = std::move(sets);
  return out;
}

}  // namespace kgf::synth
