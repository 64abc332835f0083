// Forward execution of grounded queries (BetaE semantics: projection = union of tails).
#include "synth/query.h"

#include <algorithm>
#include <iterator>

namespace kgf::synth {

EntitySet SetIntersection(const EntitySet& a, const EntitySet& b) {
  EntitySet out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

EntitySet SetUnion(const EntitySet& a, const EntitySet& b) {
  EntitySet out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

EntitySet SetDifference(const EntitySet& a, const EntitySet& b) {
  EntitySet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::span<const kg::EntityId> Neighbors(const kg::Graph& graph, kg::EntityId x, kg::RelationId r,
                                        bool inverse) {
  return inverse ? graph.Heads(r, x) : graph.Tails(x, r);
}

EntitySet Project(const kg::Graph& graph, const EntitySet& from, kg::RelationId r, bool inverse) {
  EntitySet out;
  for (kg::EntityId x : from) {
    auto next = Neighbors(graph, x, r, inverse);
    out.insert(out.end(), next.begin(), next.end());
  }
  if (from.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

int SubtreeBegin(const PatternTree& tree, int n) {
  while (!tree.nodes[n].children.empty()) n = tree.nodes[n].children[0];
  return n;
}

void ExecuteNodeRange(const kg::Graph& graph, const Query& query, int lo, int hi,
                      std::vector<EntitySet>* sets) {
  const PatternTree& tree = TreeOf(query.pattern);
  std::vector<EntitySet>& s = *sets;
  for (int n = lo; n <= hi; ++n) {
    const QueryNode& node = tree.nodes[n];
    switch (node.op) {
      case QueryOp::kAnchor: s[n] = {query.anchors[node.slot]}; break;
      case QueryOp::kProject:
        s[n] = Project(graph, s[node.children[0]], query.relations[node.slot],
                       query.IsInverse(node.slot));
        break;
      case QueryOp::kIntersect:
        s[n] = s[node.children[0]];
        for (size_t c = 1; c < node.children.size(); ++c) {
          s[n] = SetIntersection(s[n], s[node.children[c]]);
        }
        break;
      case QueryOp::kUnion:
        s[n] = s[node.children[0]];
        for (size_t c = 1; c < node.children.size(); ++c) s[n] = SetUnion(s[n], s[node.children[c]]);
        break;
      case QueryOp::kNegate:
        s[n] = SetDifference(s[node.children[0]], s[node.children[1]]);
        break;
    }
  }
}

std::vector<EntitySet> ExecuteQueryNodes(const kg::Graph& graph, const Query& query) {
  const PatternTree& tree = TreeOf(query.pattern);
  KGF_CHECK(static_cast<int>(query.anchors.size()) == NumAnchors(query.pattern) &&
            static_cast<int>(query.relations.size()) == NumRelations(query.pattern) &&
            (query.inverse.empty() || query.inverse.size() == query.relations.size()))
      << "query slots do not match pattern " << PatternName(query.pattern);
  std::vector<EntitySet> sets(tree.nodes.size());
  ExecuteNodeRange(graph, query, 0, static_cast<int>(tree.nodes.size()) - 1, &sets);
  return sets;
}

EntitySet ExecuteQuery(const kg::Graph& graph, const Query& query) {
  std::vector<EntitySet> sets = ExecuteQueryNodes(graph, query);
  return std::move(sets[TreeOf(query.pattern).root]);
}

std::string QueryKey(const kg::Graph& graph, const Query& query) {
  std::string out;
  std::string_view program = PatternProgram(query.pattern);
  for (size_t i = 0; i < program.size(); ++i) {
    char c = program[i];
    if ((c == 'a' || c == 'p') && i + 1 < program.size()) {
      int slot = program[++i] - '0';
      out += c;
      out += '[';
      out += c == 'a' ? graph.entity(query.anchors[slot]).key
                      : graph.relation(query.relations[slot]).key;
      if (c == 'p' && query.IsInverse(slot)) out += "^-1";
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace kgf::synth
