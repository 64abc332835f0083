// Graph export writers (tsv folder, N-Triples file, neo4j-admin CSV folder).
#include "kg/graph_export.h"

#include <memory>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "kg/fact_sentences.h"
#include "kg/import/names.h"

namespace kgf::kg {
namespace {

constexpr std::string_view kRdfsLabel = "http://www.w3.org/2000/01/rdf-schema#label";
constexpr std::string_view kRdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

// Tabs and newlines cannot appear inside a TSV field: they become spaces.
std::string TsvField(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string CsvField(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

bool IsLiteralKey(std::string_view key) { return !key.empty() && key.front() == '"'; }

std::string EntityTerm(const EntityInfo& e) {
  return IsLiteralKey(e.key) ? e.key : NTriplesIri(KeyToIri(e.key));
}

Status WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(path));
  for (const std::string& l : lines) KGF_RETURN_IF_ERROR(w->WriteLine(l));
  return w->Close();
}

Result<uint64_t> ExportTsv(const Graph& g, const std::string& dir) {
  KGF_RETURN_IF_ERROR(CreateDirectories(dir));
  std::vector<std::string> lines = {"key\tname\ttype\taliases"};
  for (uint32_t v = 0; v < g.num_entities(); ++v) {
    const EntityInfo& e = g.entity(EntityId(v));
    std::string aliases;
    for (const std::string& a : e.aliases) aliases += (aliases.empty() ? "" : "|") + TsvField(a);
    lines.push_back(TsvField(e.key) + "\t" + TsvField(e.name) + "\t" + TsvField(e.type) + "\t" + aliases);
  }
  KGF_RETURN_IF_ERROR(WriteLines(JoinPath(dir, "entities.tsv"), lines));
  lines = {"key\tname\tdescription\thead_type\ttail_type\tinverse_name\tquestion_phrase"};
  for (uint32_t r = 0; r < g.num_relations(); ++r) {
    const RelationInfo& i = g.relation(RelationId(r));
    lines.push_back(TsvField(i.key) + "\t" + i.name + "\t" + TsvField(i.description) + "\t" +
                    TsvField(i.head_type) + "\t" + TsvField(i.tail_type) + "\t" + i.inverse_name +
                    "\t" + TsvField(i.question_phrase));
  }
  KGF_RETURN_IF_ERROR(WriteLines(JoinPath(dir, "relations.tsv"), lines));
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(JoinPath(dir, "triples.tsv")));
  KGF_RETURN_IF_ERROR(w->WriteLine("head\trelation\ttail"));
  uint64_t n = 0;
  for (const Triple& t : g.AllTriples()) {
    KGF_RETURN_IF_ERROR(w->WriteLine(TsvField(g.entity(t.head).key) + "\t" +
                                     TsvField(g.relation(t.relation).key) + "\t" +
                                     TsvField(g.entity(t.tail).key)));
    ++n;
  }
  KGF_RETURN_IF_ERROR(w->Close());
  return n;
}

Result<uint64_t> ExportNTriples(const Graph& g, const std::string& path) {
  const std::string dir = Dirname(path);
  if (!dir.empty()) KGF_RETURN_IF_ERROR(CreateDirectories(dir));
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(path));
  const std::string label = NTriplesIri(kRdfsLabel), type = NTriplesIri(kRdfType);
  for (uint32_t v = 0; v < g.num_entities(); ++v) {
    const EntityInfo& e = g.entity(EntityId(v));
    if (IsLiteralKey(e.key)) continue;  // a literal cannot be a subject; its name is its text
    const std::string s = EntityTerm(e);
    KGF_RETURN_IF_ERROR(w->WriteLine(s + " " + label + " " + NTriplesLiteral(e.name, "", "") + " ."));
    if (!e.type.empty()) {
      KGF_RETURN_IF_ERROR(w->WriteLine(s + " " + type + " " + NTriplesIri(KeyToIri(e.type)) + " ."));
    }
  }
  uint64_t n = 0;
  for (const Triple& t : g.AllTriples()) {
    KGF_RETURN_IF_ERROR(w->WriteLine(EntityTerm(g.entity(t.head)) + " " +
                                     NTriplesIri(KeyToIri(g.relation(t.relation).key)) + " " +
                                     EntityTerm(g.entity(t.tail)) + " ."));
    ++n;
  }
  KGF_RETURN_IF_ERROR(w->Close());
  return n;
}

Result<uint64_t> ExportNeo4j(const Graph& g, const std::string& dir) {
  KGF_RETURN_IF_ERROR(CreateDirectories(dir));
  std::vector<std::string> lines = {"key:ID,name,type,aliases:string[],:LABEL"};
  for (uint32_t v = 0; v < g.num_entities(); ++v) {
    const EntityInfo& e = g.entity(EntityId(v));
    std::string aliases;
    for (const std::string& a : e.aliases) aliases += (aliases.empty() ? "" : ";") + a;
    lines.push_back(CsvField(e.key) + "," + CsvField(e.name) + "," + CsvField(e.type) + "," +
                    CsvField(aliases) + "," + CsvField(e.type.empty() ? "Entity" : "Entity;" + e.type));
  }
  KGF_RETURN_IF_ERROR(WriteLines(JoinPath(dir, "nodes.csv"), lines));
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(JoinPath(dir, "relationships.csv")));
  KGF_RETURN_IF_ERROR(w->WriteLine(":START_ID,:END_ID,:TYPE,key"));
  uint64_t n = 0;
  for (const Triple& t : g.AllTriples()) {
    const RelationInfo& r = g.relation(t.relation);
    KGF_RETURN_IF_ERROR(w->WriteLine(CsvField(g.entity(t.head).key) + "," + CsvField(g.entity(t.tail).key) +
                                     "," + CsvField(r.name) + "," + CsvField(r.key)));
    ++n;
  }
  KGF_RETURN_IF_ERROR(w->Close());
  return n;
}

// One JSON line {"text": ...} per document of VerbaliseGraph (a corpus text source). Returns
// the number of triples the documents state.
Result<uint64_t> ExportSentences(const Graph& g, const std::string& path) {
  const std::string dir = Dirname(path);
  if (!dir.empty()) KGF_RETURN_IF_ERROR(CreateDirectories(dir));
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(path));
  for (const std::string& doc : VerbaliseGraph(g)) {
    KGF_RETURN_IF_ERROR(w->WriteLine("{\"text\":" + JsonQuote(doc) + "}"));
  }
  KGF_RETURN_IF_ERROR(w->Close());
  return static_cast<uint64_t>(g.num_triples());
}

// Every entity's display name, one per line in id order (user symbols for a tokenizer that
// keeps names whole). Returns the number of names.
Result<uint64_t> ExportNames(const Graph& g, const std::string& path) {
  const std::string dir = Dirname(path);
  if (!dir.empty()) KGF_RETURN_IF_ERROR(CreateDirectories(dir));
  KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(path));
  for (uint32_t v = 0; v < g.num_entities(); ++v) {
    KGF_RETURN_IF_ERROR(w->WriteLine(g.entity(EntityId(v)).name));
  }
  KGF_RETURN_IF_ERROR(w->Close());
  return static_cast<uint64_t>(g.num_entities());
}

}  // namespace

Result<uint64_t> ExportGraph(const Graph& graph, const ExportOptions& options) {
  if (options.out.empty()) return InvalidArgumentError("--out is required");
  if (options.format == "tsv") return ExportTsv(graph, options.out);
  if (options.format == "ntriples") return ExportNTriples(graph, options.out);
  if (options.format == "neo4j-csv") return ExportNeo4j(graph, options.out);
  if (options.format == "sentences") return ExportSentences(graph, options.out);
  if (options.format == "names") return ExportNames(graph, options.out);
  return InvalidArgumentError("unknown export format '" + options.format +
                              "': use tsv, ntriples, neo4j-csv, sentences or names");
}

}  // namespace kgf::kg
