// `kgforge kg`: the knowledge-graph store (kg/): import, stats, show, query, export, relabel.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "cli/command.h"
#include "kg/graph_export.h"
#include "kg/graph_relabel.h"
#include "kg/graph_report.h"
#include "kg/graph_store.h"

namespace kgf::cli {
namespace {

void Fail(const Status& status) {
  ReportError(status);
}

// Opens the store read-only and loads the graph.
Result<kg::Graph> Load(const std::string& store_path, std::string* name, std::string* checksum) {
  KGF_ASSIGN_OR_RETURN(kg::OpenedGraph opened, kg::OpenGraph(store_path));
  if (name) *name = opened.name;
  if (checksum) *checksum = opened.checksum;
  return std::move(opened.graph);
}

// {"key","name","type","out":[{"relation","entities":[...],"total"}],"in":[...]}: the edges
// grouped by relation, at most `limit` neighbours per group (total: all of them).
std::string EntityJson(const kg::Graph& g, kg::EntityId e, size_t limit) {
  const kg::EntityInfo& info = g.entity(e);
  JsonWriter w;
  w.BeginObject().Key("key").String(info.key).Key("name").String(info.name);
  w.Key("type").String(info.type);
  auto edges = [&](const char* key, std::span<const kg::Edge> list) {
    w.Key(key).BeginArray();
    for (size_t i = 0; i < list.size();) {
      size_t j = i;
      while (j < list.size() && list[j].relation == list[i].relation) ++j;
      w.BeginObject().Key("relation").String(g.relation(list[i].relation).name);
      w.Key("entities").BeginArray();
      for (size_t k = i; k < j && k - i < limit; ++k) w.String(g.entity(list[k].other).name);
      w.EndArray().Key("total").Uint(j - i).EndObject();
      i = j;
    }
    w.EndArray();
  };
  edges("out", g.OutEdges(e));
  edges("in", g.InEdges(e));
  w.EndObject();
  return w.str();
}

// The graph store every kg subcommand reads or writes (--store, one value shared by all).
using StorePath = std::shared_ptr<std::string>;

void AddStoreOption(CLI::App* cmd, const StorePath& store) {
  cmd->add_option("--store", *store, "Graph store file (SQLite)")->capture_default_str();
}

void AddImportCommand(CLI::App* kg, const StorePath& store) {
  struct ImportFlags {
    std::vector<std::string> files;
    kg::ImportOptions options;
    bool json = false;
  };
  auto imp = std::make_shared<ImportFlags>();
  CLI::App* import_cmd = kg->add_subcommand(
      "import", "Import triples (TSV, N-Triples, KGTK) and side files into the store, transactionally");
  AddStoreOption(import_cmd, store);
  import_cmd->add_option("files", imp->files, "Triple files (.tsv, .nt, KGTK .tsv; .zst ok)");
  import_cmd->add_option("--format", imp->options.format, "auto | tsv | ntriples | kgtk")->capture_default_str();
  import_cmd->add_option("--order", imp->options.order, "TSV columns: hrt (head relation tail) | htr (OpenKE)")
      ->capture_default_str();
  import_cmd->add_option("--header", imp->options.header, "TSV header line: auto | yes | no")->capture_default_str();
  import_cmd->add_option("--entities", imp->options.entities, "entities.tsv: key, name, type, aliases");
  import_cmd->add_option("--relations", imp->options.relations,
                         "relations.tsv: key, name, description, head_type, tail_type, inverse_name, question_phrase");
  import_cmd->add_option("--on-error", imp->options.on_error,
                         "fail: a bad line aborts, store unchanged | skip: import the good lines, report the rest")
      ->capture_default_str();
  import_cmd->add_option("--name", imp->options.name, "Graph name recorded in the store");
  import_cmd->add_flag("--json", imp->json, "Print the report as JSON on stdout");
  import_cmd->callback([store, imp] {
    Result<kg::ImportReport> r = kg::ImportIntoStore(*store, imp->files, imp->options);
    if (!r.ok()) return Fail(r.status());
    if (imp->json) std::printf("%s\n", r->ToJson().c_str());
    else std::fputs(r->ToText().c_str(), stdout);
    SetExitCode(0);
  });
}

void AddStatsCommand(CLI::App* kg, const StorePath& store) {
  auto stats_json = std::make_shared<bool>(false);
  CLI::App* stats_cmd = kg->add_subcommand("stats", "Entities, relations, triples, degrees, per-relation counts");
  AddStoreOption(stats_cmd, store);
  stats_cmd->add_flag("--json", *stats_json, "Print as JSON");
  stats_cmd->callback([store, stats_json] {
    std::string name, checksum;
    Result<kg::Graph> g = Load(*store, &name, &checksum);
    if (!g.ok()) return Fail(g.status());
    kg::GraphStats s = kg::ComputeStats(*g, name, checksum);
    if (*stats_json) std::printf("%s\n", s.ToJson().c_str());
    else std::fputs(s.ToText().c_str(), stdout);
    SetExitCode(0);
  });
}

void AddShowCommand(CLI::App* kg, const StorePath& store) {
  struct ShowFlags {
    std::string entity;
    size_t limit = 20;
    bool json = false;
  };
  auto show = std::make_shared<ShowFlags>();
  CLI::App* show_cmd = kg->add_subcommand("show", "An entity (by name or key) and its edges");
  AddStoreOption(show_cmd, store);
  show_cmd->add_option("entity", show->entity, "Entity display name or key")->required();
  show_cmd->add_option("--limit", show->limit, "Neighbours shown per relation")->capture_default_str();
  show_cmd->add_flag("--json", show->json, "Print the entity and its edges as JSON");
  show_cmd->callback([store, show] {
    Result<kg::Graph> g = Load(*store, nullptr, nullptr);
    if (!g.ok()) return Fail(g.status());
    Result<kg::EntityId> e = kg::ResolveEntity(*g, show->entity);
    if (!e.ok()) return Fail(e.status());
    if (show->json) {
      std::printf("%s\n", EntityJson(*g, *e, show->limit).c_str());
    } else {
      std::fputs(kg::DescribeEntity(*g, *e, show->limit).c_str(), stdout);
    }
    SetExitCode(0);
  });
}

void AddQueryCommand(CLI::App* kg, const StorePath& store) {
  struct QueryFlags {
    std::string entity, relation;
    bool inverse = false;
    bool json = false;
  };
  auto query = std::make_shared<QueryFlags>();
  CLI::App* query_cmd = kg->add_subcommand(
      "query", "One hop: tails of (ENTITY, RELATION), or heads with --inverse; one name per line");
  AddStoreOption(query_cmd, store);
  query_cmd->add_option("entity", query->entity, "Entity display name or key")->required();
  query_cmd->add_option("relation", query->relation, "Relation name or key")->required();
  query_cmd->add_flag("--inverse", query->inverse, "Follow the relation backwards (heads of RELATION to ENTITY)");
  query_cmd->add_flag("--json", query->json, "Print {entity, relation, inverse, results} as JSON");
  query_cmd->callback([store, query] {
    Result<kg::Graph> g = Load(*store, nullptr, nullptr);
    if (!g.ok()) return Fail(g.status());
    Result<kg::EntityId> e = kg::ResolveEntity(*g, query->entity);
    if (!e.ok()) return Fail(e.status());
    Result<kg::RelationId> r = kg::ResolveRelation(*g, query->relation);
    if (!r.ok()) return Fail(r.status());
    auto ids = query->inverse ? g->Heads(*r, *e) : g->Tails(*e, *r);
    if (query->json) {
      JsonWriter w;
      w.BeginObject().Key("entity").String(g->entity(*e).name);
      w.Key("relation").String(g->relation(*r).name).Key("inverse").Bool(query->inverse);
      w.Key("results").BeginArray();
      for (kg::EntityId id : ids) w.String(g->entity(id).name);
      w.EndArray().EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      for (kg::EntityId id : ids) std::printf("%s\n", g->entity(id).name.c_str());
    }
    SetExitCode(0);
  });
}

void AddExportCommand(CLI::App* kg, const StorePath& store) {
  auto exp = std::make_shared<kg::ExportOptions>();
  CLI::App* export_cmd = kg->add_subcommand("export", "Export the graph: tsv folder, N-Triples file, neo4j-admin CSV folder, fact sentences, entity names");
  AddStoreOption(export_cmd, store);
  export_cmd->add_option("--format", exp->format, "tsv | ntriples | neo4j-csv | sentences | names")->capture_default_str();
  export_cmd->add_option("--out", exp->out, "Output folder (tsv, neo4j-csv) or file (ntriples, sentences, names)")->required();
  auto export_json = std::make_shared<bool>(false);
  export_cmd->add_flag("--json", *export_json, "Print the summary as JSON");
  export_cmd->callback([store, exp, export_json] {
    Result<kg::Graph> g = Load(*store, nullptr, nullptr);
    if (!g.ok()) return Fail(g.status());
    Result<uint64_t> n = kg::ExportGraph(*g, *exp);
    if (!n.ok()) return Fail(n.status());
    if (*export_json) {
      JsonWriter w;
      w.BeginObject().Key(exp->format == "names" ? "names" : "triples").Uint(*n);
      w.Key("format").String(exp->format);
      w.Key("out").String(exp->out).EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf("exported %llu %s as %s to %s\n", static_cast<unsigned long long>(*n),
                  exp->format == "names" ? "names" : "triples", exp->format.c_str(),
                  exp->out.c_str());
    }
    SetExitCode(0);
  });
}

void AddRelabelCommand(CLI::App* kg, const StorePath& store) {
  struct RelabelFlags {
    std::string out, name;
    uint64_t seed = 1;
    bool across_types = false;
    bool json = false;
  };
  auto f = std::make_shared<RelabelFlags>();
  CLI::App* cmd = kg->add_subcommand(
      "relabel",
      "Write a counterfactual copy of the graph for training: entities trade places within their "
      "type (seeded), so the facts change and names, types and relations do not");
  AddStoreOption(cmd, store);
  cmd->add_option("--out", f->out, "The new store (must not exist)")->required();
  cmd->add_option("--seed", f->seed, "Permutation seed: one copy per seed")->capture_default_str();
  cmd->add_option("--name", f->name, "Graph name of the copy (default: \"<name>, relabelled <seed>\")");
  cmd->add_flag("--across-types", f->across_types,
                "Names (with keys and aliases) trade places over all entities; every place keeps "
                "its type and edges, so rare names (a capital's) land on well-connected places too");
  cmd->add_flag("--json", f->json, "Print the report as JSON");
  cmd->callback([store, f] {
    Result<kg::RelabelReport> r = kg::WriteRelabelledStore(
        *store, f->out, f->seed, f->name,
        f->across_types ? kg::RelabelScope::kAcrossTypes : kg::RelabelScope::kWithinType);
    if (!r.ok()) return Fail(r.status());
    std::printf("%s", f->json ? (r->ToJson() + "\n").c_str() : r->ToText().c_str());
    SetExitCode(0);
  });
}

void SetupKgCommand(CLI::App& root) {
  CLI::App* kg = root.add_subcommand("kg", "Knowledge-graph store: import, stats, show, query, export, relabel");
  kg->require_subcommand(1);
  auto store = std::make_shared<std::string>("kg.db");
  AddImportCommand(kg, store);
  AddStatsCommand(kg, store);
  AddShowCommand(kg, store);
  AddQueryCommand(kg, store);
  AddExportCommand(kg, store);
  AddRelabelCommand(kg, store);
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(kg, kgf::cli::SetupKgCommand);
