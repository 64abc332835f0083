// Exports an in-memory graph: `tsv` (a folder with triples.tsv, entities.tsv, relations.tsv,
// re-importable with `kgforge kg import` to the same graph), `ntriples` (one .nt file: triples,
// rdfs:label names and rdf:type types; non-IRI keys in the urn:kgforge:key: namespace so they
// come back unchanged), `neo4j-csv` (a folder with nodes.csv and relationships.csv in the
// neo4j-admin import header format), `sentences` (one .jsonl file of {"text": ...} documents,
// the facts in words: kg/fact_sentences.h; a text source for `kgforge corpus`), `names` (one
// entity name per line: user symbols for `kgforge corpus tokenizer train --user-symbols`).
// Every file is written atomically.
#ifndef KGF_KG_GRAPH_EXPORT_H_
#define KGF_KG_GRAPH_EXPORT_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "kg/graph.h"

namespace kgf::kg {

struct ExportOptions {
  std::string format = "tsv";  // tsv | ntriples | neo4j-csv | sentences | names
  std::string out;  // a folder (tsv, neo4j-csv) or a file (ntriples, sentences; .zst compresses)
};

// Returns the number of triples written (names: the number of names). Errors: InvalidArgument (unknown format, missing
// out), IoError (unwritable destination).
Result<uint64_t> ExportGraph(const Graph& graph, const ExportOptions& options);

}  // namespace kgf::kg

#endif  // KGF_KG_GRAPH_EXPORT_H_
