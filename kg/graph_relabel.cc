// Counterfactual copies of a graph (see graph_relabel.h).
#include "kg/graph_relabel.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/rng.h"
#include "kg/graph_export.h"
#include "kg/graph_store.h"

namespace kgf::kg {

std::vector<EntityId> RelabelPermutation(const Graph& graph, uint64_t seed, RelabelScope scope) {
  std::map<std::string, std::vector<EntityId>> by_type;  // type order: deterministic
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    // Across types, one group under a name no type-hash of a within-type copy shares.
    by_type[scope == RelabelScope::kWithinType ? graph.entity(EntityId(e)).type
                                               : std::string("\x01all types")]
        .push_back(EntityId(e));
  }
  std::vector<EntityId> perm(graph.num_entities());
  for (auto& [type, ids] : by_type) {
    std::vector<EntityId> to = ids;
    Rng rng = Rng::ForItem(seed, Hash64(type, 0x7e1abe1ULL));
    rng.Shuffle(std::span<EntityId>(to));
    for (size_t i = 0; i < ids.size(); ++i) perm[ids[i].value()] = to[i];
  }
  return perm;
}

Result<Graph> RelabelGraph(const Graph& graph, uint64_t seed, RelabelScope scope) {
  const std::vector<EntityId> perm = RelabelPermutation(graph, seed, scope);
  std::vector<EntityInfo> entities;
  entities.reserve(graph.num_entities());
  for (uint32_t e = 0; e < graph.num_entities(); ++e) entities.push_back(graph.entity(EntityId(e)));
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    entities[perm[e].value()].type = graph.entity(EntityId(e)).type;  // the place keeps its type
  }
  std::vector<RelationInfo> relations;
  for (uint32_t r = 0; r < graph.num_relations(); ++r) {
    relations.push_back(graph.relation(RelationId(r)));
  }
  std::vector<Triple> triples = graph.AllTriples();
  for (Triple& t : triples) {
    t.head = perm[t.head.value()];
    t.tail = perm[t.tail.value()];
  }
  return Graph::Build(std::move(entities), std::move(relations), std::move(triples));
}

std::string RelabelReport::ToText() const {
  const std::string how =
      scope == RelabelScope::kWithinType
          ? "within their type"
          : "across types (" + std::to_string(retyped) + " into a place of another type)";
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "relabelled %s -> %s (seed %llu): %llu of %llu entities moved %s, %llu "
                "triples, checksum %s (a counterfactual copy of %s: synthesize from it with "
                "--train-only)\n",
                in.c_str(), out.c_str(), static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(moved), static_cast<unsigned long long>(entities),
                how.c_str(),
                static_cast<unsigned long long>(triples), checksum.c_str(),
                original_checksum.c_str());
  return buf;
}

std::string RelabelReport::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("in").String(in).Key("out").String(out).Key("seed").Uint(seed);
  w.Key("scope").String(scope == RelabelScope::kWithinType ? "within_type" : "across_types");
  w.Key("entities").Uint(entities).Key("moved").Uint(moved).Key("retyped").Uint(retyped);
  w.Key("triples").Uint(triples);
  w.Key("counterfactual_of").String(original_checksum).Key("checksum").String(checksum);
  w.Key("seconds").Double(seconds).EndObject();
  return w.str();
}

Result<RelabelReport> WriteRelabelledStore(const std::string& in, const std::string& out,
                                           uint64_t seed, const std::string& name,
                                           RelabelScope scope) {
  const auto start = std::chrono::steady_clock::now();
  if (out.empty()) return InvalidArgumentError("--out is required (the new store's path)");
  if (FileExists(out)) {
    return AlreadyExistsError(out + ": exists; remove it or choose another --out");
  }
  RelabelReport report;
  report.in = in;
  report.out = out;
  report.seed = seed;
  report.scope = scope;
  std::string in_name;
  Result<Graph> copy = [&]() -> Result<Graph> {
    KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::Open(in, GraphStore::Mode::kReadOnly));
    report.original_checksum =
        store.counterfactual_of().empty() ? store.checksum() : store.counterfactual_of();
    in_name = store.name();
    KGF_ASSIGN_OR_RETURN(Graph graph, store.LoadGraph());
    const std::vector<EntityId> perm = RelabelPermutation(graph, seed, scope);
    for (uint32_t e = 0; e < perm.size(); ++e) {
      report.moved += perm[e].value() != e ? 1 : 0;
      report.retyped += graph.entity(perm[e]).type != graph.entity(EntityId(e)).type ? 1 : 0;
    }
    return RelabelGraph(graph, seed, scope);
  }();
  KGF_RETURN_IF_ERROR(copy.status());
  report.entities = copy->num_entities();
  report.triples = copy->num_triples();
  // Exported and re-imported in a private folder beside `out`, marked, then renamed into place:
  // `out` appears complete or not at all.
  const std::string work = out + ".relabelling";
  KGF_RETURN_IF_ERROR(RemoveTree(work));
  Status status = [&]() -> Status {
    KGF_RETURN_IF_ERROR(CreateDirectories(work));
    KGF_RETURN_IF_ERROR(ExportGraph(*copy, ExportOptions{"tsv", work}).status());
    ImportOptions options;
    options.entities = JoinPath(work, "entities.tsv");
    options.relations = JoinPath(work, "relations.tsv");
    options.name = name.empty() ? in_name + ", relabelled " + std::to_string(seed) : name;
    const std::string file = JoinPath(work, "store.db");
    KGF_ASSIGN_OR_RETURN(ImportReport imported,
                         ImportIntoStore(file, {JoinPath(work, "triples.tsv")}, options));
    report.checksum = imported.checksum;
    {
      KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::Open(file, GraphStore::Mode::kReadWrite));
      KGF_RETURN_IF_ERROR(store.MarkCounterfactual(report.original_checksum, seed));
    }  // closed: the WAL is checkpointed into the file
    if (FileExists(out)) {
      return AlreadyExistsError(out + ": appeared while relabelling; remove it or choose another --out");
    }
    if (std::rename(file.c_str(), out.c_str()) != 0) {
      return IoError(out + ": cannot move the new store into place");
    }
    return Status::Ok();
  }();
  RemoveTree(work).IgnoreError();
  KGF_RETURN_IF_ERROR(status);
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace kgf::kg
