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

EntitySet Project(const kg::Graph& graph, const EntitySet& from, kg::RelationId r) {
  EntitySet out;
  for (kg::EntityId x : from) {
    auto tails = graph.Tails(x, r);
    out.insert(out.end(), tails.begin(), tails.end());
  }
  if (from.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

std::vector<EntitySet> ExecuteQueryNodes(const kg::Graph& graph, const Query& query) {
  const PatternTree& tree = TreeOf(query.pattern);
  KGF_CHECK(static_cast<int>(query.anchors.size()) == NumAnchors(query.pattern) &&
            static_cast<int>(query.relations.size()) == NumRelations(query.pattern))
      << "query slots do not match pattern " << PatternName(query.pattern);
  std::vector<EntitySet> sets(tree.nodes.size());
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    switch (node.op) {
      case QueryOp::kAnchor: sets[n] = {query.anchors[node.slot]}; break;
      case QueryOp::kProject:
        sets[n] = Project(graph, sets[node.children[0]], query.relations[node.slot]);
        break;
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
      case QueryOp::kNegate:
        sets[n] = SetDifference(sets[node.children[0]], sets[node.children[1]]);
        break;
    }
  }
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
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace kgf::synth
