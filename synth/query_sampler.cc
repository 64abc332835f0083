// BetaE-style backward sampling over both edge directions, with forward verification (BetaE
// create_queries.py: achieve_answer / ground_queries; rejection rules from SPEC §1).
#include "synth/query_sampler.h"

#include <algorithm>
#include <set>

#include "synth/relation_directions.h"

namespace kgf::synth {
namespace {

// True when every element of the sorted set `a` is in the sorted set `b`.
bool IsSubset(const EntitySet& a, const EntitySet& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

}  // namespace

// A run of edges of one relation in a node's adjacency: the hop over `relation` (backwards when
// `inverse`) from any of edges[begin, end).other into the node.
struct QuerySampler::Move {
  kg::RelationId relation;
  bool inverse;
  std::span<const kg::Edge> edges;
};

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
    case RejectReason::kRoundTrip: return "round_trip";
    case RejectReason::kRedundantBranch: return "redundant_branch";
    case RejectReason::kAnswerIsAnchor: return "answer_is_anchor";
    case RejectReason::kHeldOut: return "held_out";
    case RejectReason::kAnchorType: return "anchor_type";
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
  if (!s.options_.anchor_types.empty()) {
    s.anchor_ok_.assign(graph.num_entities(), 0);
    for (const std::string& type : s.options_.anchor_types) {
      if (type.empty()) {
        return InvalidArgumentError("query sampler: an anchor type is empty (a stray comma?)");
      }
      bool found = false;
      for (uint32_t e = 0; e < graph.num_entities(); ++e) {
        if (graph.entity(kg::EntityId(e)).type != type) continue;
        s.anchor_ok_[e] = 1;
        found = true;
      }
      if (found) continue;
      std::set<std::string> types;  // the graph's, for the error
      for (uint32_t e = 0; e < graph.num_entities(); ++e) {
        if (!graph.entity(kg::EntityId(e)).type.empty()) types.insert(graph.entity(kg::EntityId(e)).type);
      }
      std::string list;
      for (const std::string& t : types) list += (list.empty() ? "" : ", ") + t;
      return InvalidArgumentError("query sampler: anchor type '" + type +
                                  "' is the type of no entity of the graph; its types are: " +
                                  (list.empty() ? "(none)" : list));
    }
  }
  const RelationDirections directions = RelationDirections::Analyze(graph);
  s.inverse_hop_.assign(nr, 0);
  for (uint32_t i = 0; i < nr; ++i) {
    s.inverse_hop_[i] = s.options_.both_directions && directions.HasInverseHop(kg::RelationId(i));
  }
  std::vector<Move> moves;
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    moves.clear();
    s.MovesInto(kg::EntityId(e), &moves);
    size_t hops = 0;       // distinct (move, edge) ways into e
    size_t wide_hops = 0;  // those whose start reaches another entity by the same move
    bool wide_move = false;
    for (const Move& m : moves) {
      hops += m.edges.size();
      wide_move = wide_move || m.edges.size() >= 2;
      for (const kg::Edge& edge : m.edges) {
        wide_hops += Neighbors(graph, edge.other, m.relation, m.inverse).size() >= 2;
      }
    }
    if (wide_move) s.union_hop_targets_.push_back(kg::EntityId(e));
    s.wide_hops_.push_back(static_cast<uint8_t>(std::min<size_t>(wide_hops, 3)));
    for (size_t k = 1; k <= 3; ++k) {
      if (hops >= k) s.candidates_by_hops_[k - 1].push_back(kg::EntityId(e));
      if (wide_hops >= k) s.candidates_by_wide_hops_[k - 1].push_back(kg::EntityId(e));
    }
  }
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    moves.clear();
    s.MovesInto(kg::EntityId(e), &moves);
    bool found = false;
    for (size_t m = 0; m < moves.size() && !found; ++m) {
      for (const kg::Edge& edge : moves[m].edges) {
        if (s.wide_hops_[edge.other.value()] >= 2 && edge.other.value() != e) {
          found = true;
          break;
        }
      }
    }
    if (found) s.hop_over_intersection_targets_.push_back(kg::EntityId(e));
  }
  return s;
}

void QuerySampler::MovesInto(kg::EntityId target, std::vector<Move>* moves) const {
  auto add_runs = [&](std::span<const kg::Edge> edges, bool inverse) {
    // Edges are sorted by (relation, other): one run per relation, found by binary search so a
    // hub with thousands of edges costs O(relations x log degree).
    for (auto it = edges.begin(); it != edges.end();) {
      const kg::RelationId r = it->relation;
      auto end = std::upper_bound(it, edges.end(), r, [](kg::RelationId x, const kg::Edge& e) {
        return x < e.relation;
      });
      if (allowed_[r.value()] && (!inverse || inverse_hop_[r.value()])) {
        moves->push_back({r, inverse, std::span<const kg::Edge>(&*it, static_cast<size_t>(end - it))});
      }
      it = end;
    }
  };
  add_runs(graph_->InEdges(target), false);   // h -r-> target: forward hop from h
  add_runs(graph_->OutEdges(target), true);   // target -r-> t: inverse hop from t
}

namespace {

// A hop choice (relation, direction, entity it starts from) as one number, to keep the branches
// of one set operation from starting with the same hop.
uint64_t HopKey(kg::RelationId r, bool inverse, kg::EntityId from) {
  return (static_cast<uint64_t>(r.value()) << 33) | (static_cast<uint64_t>(inverse) << 32) |
         from.value();
}

// Whether each of the inputs children[0..last] of an intersection removes something the others
// keep (none is implied by the rest), so every condition of the question shows in its answers.
bool EachInputCuts(const std::vector<EntitySet>& sets, std::span<const int> children,
                   size_t last) {
  if (last == 0) return true;
  EntitySet all = sets[children[0]];
  for (size_t i = 1; i <= last; ++i) all = SetIntersection(all, sets[children[i]]);
  for (size_t drop = 0; drop <= last; ++drop) {
    EntitySet rest;
    bool first = true;
    for (size_t i = 0; i <= last; ++i) {
      if (i == drop) continue;
      rest = first ? sets[children[i]] : SetIntersection(rest, sets[children[i]]);
      first = false;
    }
    if (rest == all) return false;
  }
  return true;
}

size_t RunningIntersectionSize(const std::vector<EntitySet>& sets, std::span<const int> children,
                               size_t last) {
  EntitySet all = sets[children[0]];
  for (size_t i = 1; i <= last; ++i) all = SetIntersection(all, sets[children[i]]);
  return all.size();
}

}  // namespace

bool QuerySampler::Fill(const PatternTree& tree, int n, kg::EntityId target, const FillHints& hints,
                        Query* query, Rng& rng, RejectReason* why) const {
  const QueryNode& node = tree.nodes[n];
  switch (node.op) {
    case QueryOp::kAnchor:
      query->anchors[node.slot] = target;
      return true;
    case QueryOp::kProject: {
      thread_local std::vector<Move> moves;
      moves.clear();
      MovesInto(target, &moves);
      if (moves.empty()) {
        *why = RejectReason::kBroken;
        return false;
      }
      const bool union_below = tree.nodes[node.children[0]].op == QueryOp::kUnion;
      const bool anchored = tree.nodes[node.children[0]].op == QueryOp::kAnchor;
      const size_t wide_needed = WideHopsNeeded(tree, node.children[0]);
      if (union_below) {
        // The union's two branches aim at two entities this hop starts from: only relations
        // with two edges into the target can carry it.
        std::erase_if(moves, [](const Move& m) { return m.edges.size() < 2; });
        if (moves.empty()) {
          *why = RejectReason::kBroken;
          return false;
        }
      }
      RejectReason skipped = RejectReason::kNone;
      for (int t = 0; t < options_.hop_tries; ++t) {
        // BetaE: the relation (direction included) uniformly, then one of its edges, so small
        // relations are not crowded out by large ones.
        const Move& move = moves[rng.Uniform(moves.size())];
        const kg::EntityId from = move.edges[rng.Uniform(move.edges.size())].other;
        if (static_cast<int64_t>(from.value()) == hints.avoid || from == target) continue;
        // Look-ahead: a draw the rest of the query could not use is skipped now (the reason is
        // kept for when every try is skipped).
        if (anchored && hints.outer_relation >= 0) {
          const RejectReason r = FeedsOuterHop(from, move, hints);
          if (r != RejectReason::kNone) {
            skipped = r;
            continue;
          }
        }
        if (wide_needed > 0 && wide_hops_[from.value()] < wide_needed) {
          skipped = RejectReason::kBroken;
          continue;
        }
        if (anchored && hints.wide &&
            Neighbors(*graph_, from, move.relation, move.inverse).size() < 2) {
          skipped = RejectReason::kRedundantBranch;
          continue;
        }
        const uint64_t key = HopKey(move.relation, move.inverse, from);
        if (hints.siblings != nullptr) {
          // A branch that starts like an earlier one would give the same set.
          if (std::find(hints.siblings->begin(), hints.siblings->end(), key) !=
              hints.siblings->end()) {
            continue;
          }
          hints.siblings->push_back(key);
        }
        query->relations[node.slot] = move.relation;
        query->inverse[node.slot] = move.inverse ? 1 : 0;
        FillHints next;
        next.avoid = target.value();
        // A union below this hop: its second branch aims at another entity this hop also starts
        // from, so the branches differ and both lead on to `target`.
        if (union_below) next.alt_pool = move.edges;
        // A chain, or a union whose every member leads on over this hop (up).
        if (tree.nodes[node.children[0]].op == QueryOp::kProject || union_below) {
          next.outer_relation = move.relation.value();
          next.outer_inverse = move.inverse;
        }
        return Fill(tree, node.children[0], from, next, query, rng, why);
      }
      if (skipped != RejectReason::kNone) {
        *why = skipped;
      } else {
        *why = hints.siblings != nullptr ? RejectReason::kIdenticalBranches
                                         : RejectReason::kRoundTrip;
      }
      return false;
    }
    case QueryOp::kNegate: return FillNegation(tree, n, target, hints.avoid, query, rng, why);
    default: {
      // Intersection: every branch towards the same target (BetaE), each starting with a hop no
      // earlier branch took. Union: the second branch towards hints.alt when there is one.
      // A branch that would make the operation redundant is drawn again, a few times: an
      // intersection branch whose set is only the target, a union branch nested in another.
      std::vector<uint64_t> taken;
      FillHints branch;
      branch.siblings = &taken;
      branch.wide = node.op == QueryOp::kIntersect;
      if (node.op == QueryOp::kUnion) {
        branch.outer_relation = hints.outer_relation;
        branch.outer_inverse = hints.outer_inverse;
      }
      branch.avoid = hints.avoid;  // a branch's hop must not start where the outer hop goes
      std::vector<EntitySet> sets(tree.nodes.size());
      // A three-way intersection whose every branch cuts is rarer than a two-way one: a later
      // branch gets more draws (each draw is a hop into the target, so this stays cheap).
      const int max_redraws = node.op == QueryOp::kIntersect && node.children.size() > 2 ? 24 : 3;
      for (size_t c = 0; c < node.children.size(); ++c) {
        const int child = node.children[c];
        for (int redraw = 0;; ++redraw) {
          kg::EntityId to = target;
          if (node.op == QueryOp::kUnion && c > 0 && !hints.alt_pool.empty()) {
            // An entity the first branch's set lacks: the second set is not inside the first.
            const EntitySet& first = sets[node.children[0]];
            bool found = false;
            for (int t = 0; t < 8 && !found; ++t) {
              to = hints.alt_pool[rng.Uniform(hints.alt_pool.size())].other;
              found = !std::binary_search(first.begin(), first.end(), to);
            }
            if (!found) {
              *why = RejectReason::kRedundantBranch;
              return false;
            }
          } else if (node.op == QueryOp::kUnion && c > 0 && hints.alt >= 0) {
            to = kg::EntityId(static_cast<uint32_t>(hints.alt));
          }
          if (!Fill(tree, child, to, branch, query, rng, why)) return false;
          if (node.op == QueryOp::kIntersect) {
            ExecuteNodeRange(*graph_, *query, SubtreeBegin(tree, child), child, &sets);
            // A branch of one member (the target) makes the others redundant; one with the set
            // of an earlier branch adds nothing.
            bool same = false;
            for (size_t e = 0; e < c; ++e) same = same || sets[node.children[e]] == sets[child];
            if (sets[child].size() > 1 && !same && EachInputCuts(sets, node.children, c)) {
              // A branch still to come needs a member besides the target to remove.
              if (c + 1 == node.children.size() || RunningIntersectionSize(sets, node.children, c) > 1) break;
            }
          } else {
            // A union branch inside an earlier one (or containing it) adds nothing.
            ExecuteNodeRange(*graph_, *query, SubtreeBegin(tree, child), child, &sets);
            bool nested = false;
            for (size_t e = 0; e < c; ++e) {
              const EntitySet& a = sets[node.children[e]];
              const EntitySet& b = sets[child];
              nested = nested || IsSubset(a, b) || IsSubset(b, a);
            }
            if (!nested) break;
          }
          if (redraw == max_redraws) {
            *why = RejectReason::kRedundantBranch;
            return false;
          }
        }
      }
      return true;
    }
  }
}

size_t QuerySampler::WideHopsNeeded(const PatternTree& tree, int n) {
  const QueryNode& node = tree.nodes[n];
  if (node.op != QueryOp::kIntersect) return 0;
  for (int c : node.children) {
    const QueryNode& b = tree.nodes[c];
    if (b.op != QueryOp::kProject || tree.nodes[b.children[0]].op != QueryOp::kAnchor) return 0;
  }
  return std::min<size_t>(node.children.size(), 3);
}

// The first hop of a chain, from an anchor: its set must pass what Verify asks of the hop it
// feeds (no wider than max_width, every member leads on, none to itself), or another edge is
// drawn now instead of rejecting the whole query later.
RejectReason QuerySampler::FeedsOuterHop(kg::EntityId from, const Move& move,
                                         const FillHints& hints) const {
  const auto set = Neighbors(*graph_, from, move.relation, move.inverse);
  if (static_cast<int>(set.size()) > options_.max_width) return RejectReason::kTooWide;
  const kg::RelationId outer(static_cast<uint32_t>(hints.outer_relation));
  for (kg::EntityId x : set) {
    const auto next = Neighbors(*graph_, x, outer, hints.outer_inverse);
    if (next.empty()) return RejectReason::kEmptyIntermediate;
    if (std::binary_search(next.begin(), next.end(), x)) return RejectReason::kRoundTrip;
  }
  return RejectReason::kNone;
}

bool QuerySampler::FillNegation(const PatternTree& tree, int n, kg::EntityId target,
                                int64_t avoid, Query* query, Rng& rng, RejectReason* why) const {
  const QueryNode& node = tree.nodes[n];
  const int positive = node.children[0], negated = node.children[1];
  // The negated branch must remove something, so the positive branch needs a second member: it
  // is drawn again (a few times) while its set is only the target.
  std::vector<EntitySet> sets(tree.nodes.size());
  for (int redraw = 0;; ++redraw) {
    if (!Fill(tree, positive, target, {.avoid = avoid,
                                           .alt = -1,
                                           .alt_pool = {},
                                           .siblings = nullptr,
                                           .outer_relation = -1,
                                           .outer_inverse = false,
                                           .wide = false}, query, rng, why)) return false;
    ExecuteNodeRange(*graph_, *query, SubtreeBegin(tree, positive), positive, &sets);
    if (sets[positive].size() >= 2) break;
    if (redraw == 3) {
      *why = RejectReason::kNegationNoEffect;
      return false;
    }
  }
  const EntitySet& within = sets[positive];
  if (static_cast<int>(within.size()) > options_.max_set) {
    *why = RejectReason::kTooWide;
    return false;
  }
  // The negated branch is filled towards another member of the positive set (the target stays
  // an answer unless the negated branch also reaches it).
  size_t pick = rng.Uniform(within.size() - 1);
  if (within[pick] == target) pick = within.size() - 1;  // skip the target, uniformly
  return Fill(tree, negated, within[pick], {.avoid = avoid,
                                           .alt = -1,
                                           .alt_pool = {},
                                           .siblings = nullptr,
                                           .outer_relation = -1,
                                           .outer_inverse = false,
                                           .wide = false}, query, rng, why);
}

// Forward execution with early exits (sets can explode around hub entities) and the SPEC §1
// rejection rules. Fills *sets per node.
RejectReason QuerySampler::Verify(const Query& q, std::vector<EntitySet>* out) const {
  const PatternTree& tree = TreeOf(q.pattern);
  std::vector<EntitySet>& sets = *out;
  sets.assign(tree.nodes.size(), {});
  for (int n = 0; n < static_cast<int>(tree.nodes.size()); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op == QueryOp::kProject) {
      const EntitySet& from = sets[node.children[0]];
      if (static_cast<int>(from.size()) > options_.max_width) return RejectReason::kTooWide;
      const kg::RelationId r = q.relations[node.slot];
      const bool inverse = q.IsInverse(node.slot);
      // Every call of the hop must return something (an empty observation in a fan-out is an
      // empty intermediate result too) and no call may return its own input (a self loop).
      EntitySet& out = sets[n];
      for (kg::EntityId x : from) {
        auto next = Neighbors(*graph_, x, r, inverse);
        if (next.empty()) return RejectReason::kEmptyIntermediate;
        if (std::binary_search(next.begin(), next.end(), x)) return RejectReason::kRoundTrip;
        out.insert(out.end(), next.begin(), next.end());
      }
      if (from.size() > 1) {
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
      }
    } else {
      ExecuteNodeRange(*graph_, q, n, n, &sets);
    }
    switch (node.op) {
      case QueryOp::kProject: {
        // x -> y -> x: a chain of two hops that only leads back into where it started.
        const QueryNode& child = tree.nodes[node.children[0]];
        if (child.op == QueryOp::kProject && IsSubset(sets[n], sets[child.children[0]])) {
          return RejectReason::kRoundTrip;
        }
        break;
      }
      case QueryOp::kIntersect:
      case QueryOp::kUnion:
        for (size_t a = 0; a < node.children.size(); ++a) {
          for (size_t b = a + 1; b < node.children.size(); ++b) {
            if (sets[node.children[a]] == sets[node.children[b]]) {
              return RejectReason::kIdenticalBranches;
            }
          }
        }
        // SPEC §1: the operation's result equals one of its branches (the other branches
        // constrain nothing, or add nothing).
        for (int c : node.children) {
          if (sets[c] == sets[n]) return RejectReason::kRedundantBranch;
        }
        break;
      case QueryOp::kNegate:
        if (sets[node.children[0]] == sets[node.children[1]]) {
          return RejectReason::kIdenticalBranches;
        }
        if (sets[n].size() == sets[node.children[0]].size()) {
          return RejectReason::kNegationNoEffect;
        }
        break;
      case QueryOp::kAnchor: break;
    }
    if (n == tree.root) break;
    if (sets[n].empty()) return RejectReason::kEmptyIntermediate;
    if (static_cast<int>(sets[n].size()) > options_.max_set) return RejectReason::kTooWide;
  }
  const EntitySet& answers = sets[tree.root];
  if (answers.empty()) return RejectReason::kEmptyAnswer;
  if (static_cast<int>(answers.size()) > options_.answer_cap) return RejectReason::kTooManyAnswers;
  if (!options_.allow_anchor_answers) {
    for (kg::EntityId a : q.anchors) {
      if (std::binary_search(answers.begin(), answers.end(), a)) {
        return RejectReason::kAnswerIsAnchor;
      }
    }
  }
  // A branch whose loss the answers would not show (a third intersection branch the other two
  // already imply, a union branch whose members lead on to what the other's lead to) makes the
  // question ask for a condition that changes nothing.
  if (!EveryBranchMatters(q, sets)) return RejectReason::kRedundantBranch;
  return RejectReason::kNone;
}

bool QuerySampler::EveryBranchMatters(const Query& q, const std::vector<EntitySet>& sets) const {
  const PatternTree& tree = TreeOf(q.pattern);
  thread_local std::vector<EntitySet> alt;
  for (int n = 0; n < static_cast<int>(tree.nodes.size()); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op != QueryOp::kIntersect && node.op != QueryOp::kUnion &&
        node.op != QueryOp::kNegate) {
      continue;
    }
    // A negation's positive set is the question's subject, not a condition: only the negated
    // set is dropped.
    for (size_t drop = node.op == QueryOp::kNegate ? 1 : 0; drop < node.children.size(); ++drop) {
      alt = sets;
      EntitySet& s = alt[n];
      if (node.op == QueryOp::kNegate) {
        s = sets[node.children[0]];
      } else {
        bool first = true;
        for (size_t c = 0; c < node.children.size(); ++c) {
          if (c == drop) continue;
          const EntitySet& x = sets[node.children[c]];
          s = first ? x : node.op == QueryOp::kIntersect ? SetIntersection(s, x) : SetUnion(s, x);
          first = false;
        }
      }
      if (n != tree.root) ExecuteNodeRange(*graph_, q, n + 1, tree.root, &alt);
      if (alt[tree.root] == sets[tree.root]) return false;
    }
  }
  return true;
}

SampleOutcome QuerySampler::Sample(Pattern pattern, Rng& rng) const {
  SampleOutcome out;
  const std::vector<kg::EntityId>& candidates = candidates_by_hops_[0];
  if (candidates.empty()) {
    out.reason = RejectReason::kNoCandidates;
    return out;
  }
  const PatternTree& tree = TreeOf(pattern);
  Query q;
  q.pattern = pattern;
  q.anchors.assign(NumAnchors(pattern), kg::EntityId(0));
  q.relations.assign(NumRelations(pattern), kg::RelationId(0));
  q.inverse.assign(NumRelations(pattern), 0);
  // The answer of an intersection at the top (2i 3i pi 3in) needs one distinct hop into it per
  // branch: draw it among the entities that have that many (uniform otherwise, as BetaE).
  const QueryNode* top = &tree.nodes[tree.root];
  if (top->op == QueryOp::kNegate) top = &tree.nodes[top->children[0]];
  const size_t branches = top->op == QueryOp::kIntersect ? top->children.size() : 1;
  // A hop over a union at the top (up) ends at an entity with two edges of one move into it
  // (uniform among them: the same distribution as drawing from all and rejecting the rest).
  const bool union_hop = tree.nodes[tree.root].op == QueryOp::kProject &&
                         tree.nodes[tree.nodes[tree.root].children[0]].op == QueryOp::kUnion;
  // An intersection of anchored hops (2i 3i 2in 3in): each hop's set needs a second member.
  const bool anchored_branches = WideHopsNeeded(tree, static_cast<int>(top - tree.nodes.data())) > 0;
  const size_t k = std::min<size_t>(branches, 3) - 1;
  // A hop over an intersection of two anchored hops (ip) starts at an entity with two wide hops.
  const bool intersection_hop =
      tree.nodes[tree.root].op == QueryOp::kProject &&
      WideHopsNeeded(tree, tree.nodes[tree.root].children[0]) == 2;
  const std::vector<kg::EntityId>& pool =
      union_hop          ? union_hop_targets_
      : intersection_hop ? hop_over_intersection_targets_
      : anchored_branches ? candidates_by_wide_hops_[k]
                          : candidates_by_hops_[k];
  if (pool.empty()) {
    out.reason = RejectReason::kNoCandidates;
    return out;
  }
  kg::EntityId answer = pool[rng.Uniform(pool.size())];
  RejectReason why = RejectReason::kBroken;
  FillHints hints;
  if (tree.nodes[tree.root].op == QueryOp::kUnion) {
    // 2u: the second branch aims at another answer of the same type.
    const std::string& type = graph_->entity(answer).type;
    for (int t = 0; t < 8 && hints.alt < 0; ++t) {
      kg::EntityId other = candidates[rng.Uniform(candidates.size())];
      if (other != answer && graph_->entity(other).type == type) hints.alt = other.value();
    }
  }
  if (!Fill(tree, tree.root, answer, hints, &q, rng, &why)) {
    out.reason = why;
    return out;
  }
  if (!anchor_ok_.empty() && std::none_of(q.anchors.begin(), q.anchors.end(), [&](kg::EntityId a) {
        return anchor_ok_[a.value()] != 0;
      })) {
    out.reason = RejectReason::kAnchorType;
    return out;
  }
  std::vector<EntitySet> sets;
  out.reason = Verify(q, &sets);
  if (out.reason != RejectReason::kNone) return out;
  out.query = std::move(q);
  out.node_sets = std::move(sets);
  return out;
}

}  // namespace kgf::synth
