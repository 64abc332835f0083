// TripleReader: streams raw (head, relation, tail) key triples out of a triple file in one of
// the import formats, with errors that name the file and the line. Also the readers of the
// side files (entities.tsv, relations.tsv). Pure parsing: no store, no ids.
//
// Formats:
//   tsv       head<TAB>relation<TAB>tail (order `htr`: head<TAB>tail<TAB>relation, OpenKE);
//             an optional header line ("head relation tail" in the chosen order).
//   ntriples  W3C N-Triples: <iri> / _:blank subjects, <iri> predicates, <iri> / _:blank /
//             "literal"(@lang | ^^<datatype>) objects, \-escapes (\t \n \" \\ \uXXXX \UXXXXXXXX).
//             rdfs:label (and skos:prefLabel, schema:name) triples with a literal object name the
//             subject; rdf:type triples with an IRI object type it. Both become metadata, not
//             triples. Literal objects become entities keyed by their canonical literal form.
//   kgtk      KGTK edge file: a header naming at least node1, label, node2 (id optional, any
//             column order), then one edge per line.
// Files ending in .zst are decompressed on the fly.
#ifndef KGF_KG_IMPORT_TRIPLE_READER_H_
#define KGF_KG_IMPORT_TRIPLE_READER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/line_reader.h"
#include "base/status.h"

namespace kgf::kg {

enum class TripleFormat { kTsv, kNTriples, kKgtk };

// "tsv" | "ntriples" | "kgtk"; "auto" picks by extension (.nt -> ntriples, a .tsv whose first
// line is a KGTK header -> kgtk, otherwise tsv). Errors: InvalidArgument naming the value.
Result<TripleFormat> ResolveTripleFormat(std::string_view format, const std::string& path);
std::string_view TripleFormatName(TripleFormat format);

struct TripleReaderOptions {
  TripleFormat format = TripleFormat::kTsv;
  std::string order = "hrt";     // tsv column order: hrt | htr
  std::string header = "auto";   // tsv: auto (skip a first line naming the columns) | yes | no
};

// What one line yielded.
struct RawTriple {
  enum class Kind { kTriple, kName, kType };
  Kind kind = Kind::kTriple;
  std::string head, relation, tail;  // kName: head = entity key, tail = name; kType: tail = type
  std::string tail_name;             // a literal tail's lexical form (its display name)
};

class TripleReader {
 public:
  // Errors: NotFound for a missing file, InvalidArgument for a bad order/header value or a
  // KGTK file without the required columns.
  static Result<std::unique_ptr<TripleReader>> Open(const std::string& path,
                                                    const TripleReaderOptions& options);

  // Reads the next data line into *out. Returns false at end of file. A malformed line gives
  // true with `*line_error` set to "file:line: problem" (the caller fails or skips it); I/O
  // errors and lines over 1 MiB end reading: false with status() not OK.
  bool Next(RawTriple* out, std::string* line_error);
  const Status& status() const { return reader_->status(); }
  int64_t line_number() const { return reader_->line_number(); }
  const std::string& path() const { return reader_->path(); }

 private:
  TripleReader(std::unique_ptr<LineReader> reader, TripleReaderOptions options)
      : reader_(std::move(reader)), options_(std::move(options)) {}
  std::string ParseTsv(std::string_view line, RawTriple* out);
  std::string ParseKgtk(std::string_view line, RawTriple* out);
  std::string ParseNTriples(std::string_view line, RawTriple* out);

  std::unique_ptr<LineReader> reader_;
  TripleReaderOptions options_;
  std::string line_;
  bool first_line_ = true;
  int kgtk_node1_ = -1, kgtk_label_ = -1, kgtk_node2_ = -1, kgtk_columns_ = 0;
};

// Splits on '\t' (no quoting).
std::vector<std::string_view> SplitTabs(std::string_view line);

// Side-file rows. Columns beyond the first may be missing or empty.
struct EntityRow {
  std::string key, name, type;
  std::vector<std::string> aliases;  // '|'-separated in the file
};
struct RelationRow {
  std::string key, name, description, head_type, tail_type, inverse_name, question_phrase;
};
// entities.tsv: key, name, type, aliases. relations.tsv: key, name, description, head_type,
// tail_type, inverse_name, question_phrase. A first line starting with "key\t" is a header.
// Errors: InvalidArgument naming file:line (empty key, invalid UTF-8, too many columns,
// a duplicate key, a relation name that is not snake_case ASCII).
Result<std::vector<EntityRow>> ReadEntityRows(const std::string& path);
Result<std::vector<RelationRow>> ReadRelationRows(const std::string& path);

}  // namespace kgf::kg

#endif  // KGF_KG_IMPORT_TRIPLE_READER_H_
