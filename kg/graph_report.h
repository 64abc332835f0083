// Reports on an in-memory graph for people and scripts: statistics (sizes, degree
// distributions, per-relation counts), an entity's neighbourhood, and one-hop look-ups by
// name or key. Used by `kgforge kg stats|show|query`.
#ifndef KGF_KG_GRAPH_REPORT_H_
#define KGF_KG_GRAPH_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kg/graph.h"

namespace kgf::kg {

struct DegreeSummary {
  uint64_t min = 0, max = 0;
  double mean = 0;
  uint64_t median = 0, p90 = 0, p99 = 0;
  // histogram[k]: entities with degree in [2^(k-1), 2^k) (k = 0: degree 0).
  std::vector<uint64_t> histogram;
};

struct RelationStats {
  std::string key, name, head_type, tail_type;
  uint64_t triples = 0, heads = 0, tails = 0;  // distinct heads / tails
};

struct GraphStats {
  std::string name, checksum;
  uint64_t entities = 0, relations = 0, triples = 0, isolated = 0;
  DegreeSummary out_degree, in_degree;
  std::vector<RelationStats> per_relation;  // in relation-id order
  std::vector<std::pair<std::string, uint64_t>> types;  // entity type -> count, by count desc
  std::string ToText() const;
  std::string ToJson() const;
};

GraphStats ComputeStats(const Graph& graph, std::string name, std::string checksum);

// An entity by display name, else by key. Errors: NotFound with up to 5 names that start
// with the same text ("did you mean").
Result<EntityId> ResolveEntity(const Graph& graph, std::string_view name_or_key);
// A relation by name, else by key. Errors: NotFound listing the relation names.
Result<RelationId> ResolveRelation(const Graph& graph, std::string_view name_or_key);

// Text view of an entity: key, name, type, aliases, out- and in-edges grouped by relation
// (at most `max_per_relation` neighbours each, then "... and N more").
std::string DescribeEntity(const Graph& graph, EntityId e, size_t max_per_relation = 20);

}  // namespace kgf::kg

#endif  // KGF_KG_GRAPH_REPORT_H_
