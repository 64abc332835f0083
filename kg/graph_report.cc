// Graph statistics, entity views and name/key resolution.
#include "kg/graph_report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/json.h"

namespace kgf::kg {
namespace {

DegreeSummary Summarise(std::vector<uint64_t> degrees) {
  DegreeSummary s;
  if (degrees.empty()) return s;
  uint64_t total = 0;
  for (uint64_t d : degrees) {
    total += d;
    size_t bucket = 0;
    while ((uint64_t{1} << bucket) <= d) ++bucket;  // d = 0 -> 0, 1 -> 1, 2..3 -> 2, ...
    if (s.histogram.size() <= bucket) s.histogram.resize(bucket + 1, 0);
    ++s.histogram[bucket];
  }
  std::sort(degrees.begin(), degrees.end());
  auto quantile = [&](double q) {
    return degrees[std::min(degrees.size() - 1, static_cast<size_t>(q * (degrees.size() - 1) + 0.5))];
  };
  s.min = degrees.front();
  s.max = degrees.back();
  s.mean = static_cast<double>(total) / static_cast<double>(degrees.size());
  s.median = quantile(0.5);
  s.p90 = quantile(0.9);
  s.p99 = quantile(0.99);
  return s;
}

std::string DegreeText(const char* label, const DegreeSummary& d) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-10s min %llu  median %llu  mean %.2f  p90 %llu  p99 %llu  max %llu\n",
                label, static_cast<unsigned long long>(d.min), static_cast<unsigned long long>(d.median),
                d.mean, static_cast<unsigned long long>(d.p90), static_cast<unsigned long long>(d.p99),
                static_cast<unsigned long long>(d.max));
  std::string out = buf;
  out += "           histogram:";
  for (size_t k = 0; k < d.histogram.size(); ++k) {
    if (d.histogram[k] == 0) continue;
    if (k == 0) {
      std::snprintf(buf, sizeof(buf), " 0:%llu", static_cast<unsigned long long>(d.histogram[k]));
    } else {
      std::snprintf(buf, sizeof(buf), " %llu+:%llu", static_cast<unsigned long long>(1ull << (k - 1)),
                    static_cast<unsigned long long>(d.histogram[k]));
    }
    out += buf;
  }
  return out + "\n";
}

std::string DegreeJson(const DegreeSummary& d) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "{\"min\":%llu,\"median\":%llu,\"mean\":%.4f,\"p90\":%llu,\"p99\":%llu,\"max\":%llu,\"histogram\":[",
                static_cast<unsigned long long>(d.min), static_cast<unsigned long long>(d.median), d.mean,
                static_cast<unsigned long long>(d.p90), static_cast<unsigned long long>(d.p99),
                static_cast<unsigned long long>(d.max));
  std::string out = buf;
  for (size_t k = 0; k < d.histogram.size(); ++k) out += (k ? "," : "") + std::to_string(d.histogram[k]);
  return out + "]}";
}

}  // namespace

GraphStats ComputeStats(const Graph& graph, std::string name, std::string checksum) {
  GraphStats s;
  s.name = std::move(name);
  s.checksum = std::move(checksum);
  s.entities = graph.num_entities();
  s.relations = graph.num_relations();
  s.triples = graph.num_triples();
  std::vector<uint64_t> out_deg(s.entities), in_deg(s.entities);
  std::vector<uint64_t> heads(s.relations, 0), tails(s.relations, 0);
  std::map<std::string, uint64_t> types;
  for (uint32_t v = 0; v < s.entities; ++v) {
    const EntityId e(v);
    auto out = graph.OutEdges(e);
    auto in = graph.InEdges(e);
    out_deg[v] = graph.OutDegree(e);
    in_deg[v] = graph.InDegree(e);
    if (out.empty() && in.empty()) ++s.isolated;
    // Edges are grouped by relation: count each group once.
    for (size_t i = 0; i < out.size(); ++i) {
      if (i == 0 || out[i].relation != out[i - 1].relation) ++heads[out[i].relation.value()];
    }
    for (size_t i = 0; i < in.size(); ++i) {
      if (i == 0 || in[i].relation != in[i - 1].relation) ++tails[in[i].relation.value()];
    }
    ++types[graph.entity(e).type.empty() ? "(untyped)" : graph.entity(e).type];
  }
  s.out_degree = Summarise(std::move(out_deg));
  s.in_degree = Summarise(std::move(in_deg));
  for (uint32_t r = 0; r < s.relations; ++r) {
    const RelationInfo& info = graph.relation(RelationId(r));
    s.per_relation.push_back({info.key, info.name, info.head_type, info.tail_type,
                              graph.RelationSize(RelationId(r)), heads[r], tails[r]});
  }
  s.types.assign(types.begin(), types.end());
  std::stable_sort(s.types.begin(), s.types.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return s;
}

std::string GraphStats::ToText() const {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof(buf), "graph %s (%s)\n%llu entities (%llu isolated), %llu relations, %llu triples\n",
                name.c_str(), checksum.empty() ? "empty" : checksum.c_str(),
                static_cast<unsigned long long>(entities), static_cast<unsigned long long>(isolated),
                static_cast<unsigned long long>(relations), static_cast<unsigned long long>(triples));
  out += buf;
  out += DegreeText("out-degree", out_degree);
  out += DegreeText("in-degree", in_degree);
  out += "types:";
  for (size_t i = 0; i < types.size() && i < 12; ++i) {
    out += " " + types[i].first + " " + std::to_string(types[i].second);
    if (i + 1 < types.size()) out += ",";
  }
  if (types.size() > 12) out += " ...";
  out += "\n";
  std::snprintf(buf, sizeof(buf), "%-32s %10s %9s %9s  %s\n", "relation", "triples", "heads", "tails", "types");
  out += buf;
  for (const RelationStats& r : per_relation) {
    std::snprintf(buf, sizeof(buf), "%-32s %10llu %9llu %9llu  %s -> %s\n", r.name.c_str(),
                  static_cast<unsigned long long>(r.triples), static_cast<unsigned long long>(r.heads),
                  static_cast<unsigned long long>(r.tails), r.head_type.empty() ? "?" : r.head_type.c_str(),
                  r.tail_type.empty() ? "?" : r.tail_type.c_str());
    out += buf;
  }
  return out;
}

std::string GraphStats::ToJson() const {
  std::string out = "{\"name\":" + JsonQuote(name) + ",\"checksum\":" + JsonQuote(checksum) +
                    ",\"entities\":" + std::to_string(entities) + ",\"isolated\":" + std::to_string(isolated) +
                    ",\"relations\":" + std::to_string(relations) + ",\"triples\":" + std::to_string(triples) +
                    ",\"out_degree\":" + DegreeJson(out_degree) + ",\"in_degree\":" + DegreeJson(in_degree) +
                    ",\"types\":{";
  for (size_t i = 0; i < types.size(); ++i) {
    out += (i ? "," : "") + JsonQuote(types[i].first) + ":" + std::to_string(types[i].second);
  }
  out += "},\"per_relation\":[";
  for (size_t i = 0; i < per_relation.size(); ++i) {
    const RelationStats& r = per_relation[i];
    out += std::string(i ? "," : "") + "{\"key\":" + JsonQuote(r.key) + ",\"name\":" + JsonQuote(r.name) +
           ",\"head_type\":" + JsonQuote(r.head_type) + ",\"tail_type\":" + JsonQuote(r.tail_type) +
           ",\"triples\":" + std::to_string(r.triples) + ",\"heads\":" + std::to_string(r.heads) +
           ",\"tails\":" + std::to_string(r.tails) + "}";
  }
  return out + "]}";
}

Result<EntityId> ResolveEntity(const Graph& graph, std::string_view name_or_key) {
  if (auto id = graph.FindEntityByName(name_or_key)) return *id;
  if (auto id = graph.FindEntityByKey(name_or_key)) return *id;
  std::vector<std::string> similar;
  for (uint32_t v = 0; v < graph.num_entities() && similar.size() < 5; ++v) {
    const std::string& n = graph.entity(EntityId(v)).name;
    if (!name_or_key.empty() && n.size() >= name_or_key.size() &&
        std::equal(name_or_key.begin(), name_or_key.end(), n.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                               std::tolower(static_cast<unsigned char>(b)); })) {
      similar.push_back(n);
    }
  }
  std::string msg = "no entity named or keyed '" + std::string(name_or_key) + "'";
  if (!similar.empty()) {
    msg += "; did you mean:";
    for (const std::string& s : similar) msg += " '" + s + "'";
  }
  return NotFoundError(msg);
}

Result<RelationId> ResolveRelation(const Graph& graph, std::string_view name_or_key) {
  if (auto id = graph.FindRelationByName(name_or_key)) return *id;
  if (auto id = graph.FindRelationByKey(name_or_key)) return *id;
  std::string msg = "no relation named or keyed '" + std::string(name_or_key) + "'; relations:";
  for (uint32_t r = 0; r < graph.num_relations() && r < 40; ++r) {
    msg += " " + graph.relation(RelationId(r)).name;
  }
  if (graph.num_relations() > 40) msg += " ...";
  return NotFoundError(msg);
}

std::string DescribeEntity(const Graph& graph, EntityId e, size_t max_per_relation) {
  const EntityInfo& info = graph.entity(e);
  std::string out = info.name + "\n  key:  " + info.key + "\n  type: " +
                    (info.type.empty() ? "(none)" : info.type) + "\n";
  if (!info.aliases.empty()) {
    out += "  aliases:";
    for (const std::string& a : info.aliases) out += " " + a + ";";
    out.pop_back();
    out += "\n";
  }
  auto group = [&](std::span<const Edge> edges, const char* arrow, bool inverse) {
    size_t i = 0;
    while (i < edges.size()) {
      size_t j = i;
      while (j < edges.size() && edges[j].relation == edges[i].relation) ++j;
      const RelationInfo& r = graph.relation(edges[i].relation);
      std::string label = inverse && !r.inverse_name.empty() ? r.inverse_name : r.name;
      out += std::string("  ") + arrow + " " + label + " (" + std::to_string(j - i) + "): ";
      for (size_t k = i; k < j && k - i < max_per_relation; ++k) {
        out += (k > i ? ", " : "") + graph.entity(edges[k].other).name;
      }
      if (j - i > max_per_relation) out += ", ... and " + std::to_string(j - i - max_per_relation) + " more";
      out += "\n";
      i = j;
    }
  };
  group(graph.OutEdges(e), "->", false);
  group(graph.InEdges(e), "<-", true);
  if (graph.OutEdges(e).empty() && graph.InEdges(e).empty()) out += "  (no edges)\n";
  return out;
}

}  // namespace kgf::kg
