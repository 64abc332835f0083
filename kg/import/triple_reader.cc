// Parsers of the triple import formats and the side files. N-Triples follows the W3C grammar
// (RDF 1.1 N-Triples, https://www.w3.org/TR/n-triples/) for one statement per line.
#include "kg/import/triple_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <unordered_set>

#include "base/enum_names.h"
#include "base/file_util.h"
#include "kg/import/names.h"

namespace kgf::kg {
namespace {

constexpr EnumNames<TripleFormat, 3> kTripleFormatNames({"tsv", "ntriples", "kgtk"});

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The first control character of `line` other than a tab (the TSV separator), or -1. Keys and
// names holding one would display alike ("x\0" and "x") and break TSV round trips.
int ControlCharacter(std::string_view line) {
  for (unsigned char c : line) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return c;
  }
  return -1;
}

std::string ControlCharacterProblem(int c) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "control character 0x%02X in the line; keys and names must be "
                "printable text", c);
  return buf;
}


constexpr std::string_view kRdfsLabel = "http://www.w3.org/2000/01/rdf-schema#label";
constexpr std::string_view kSkosPrefLabel = "http://www.w3.org/2004/02/skos/core#prefLabel";
constexpr std::string_view kSchemaName = "http://schema.org/name";
constexpr std::string_view kSchemaNameS = "https://schema.org/name";
constexpr std::string_view kRdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Cursor over one N-Triples line. Each Parse* returns "" on success or the problem.
class NtCursor {
 public:
  explicit NtCursor(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  size_t pos() const { return i_; }

  // "\uXXXX" / "\UXXXXXXXX" after the backslash and letter.
  std::string ParseUnicodeEscape(int digits, std::string* out) {
    if (i_ + digits > s_.size()) return "truncated \\u escape";
    uint32_t cp = 0;
    for (int k = 0; k < digits; ++k) {
      const char c = s_[i_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= c - '0';
      else if (c >= 'a' && c <= 'f') cp |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') cp |= c - 'A' + 10;
      else return "bad hex digit in \\u escape";
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "\\u escape is not a code point";
    AppendUtf8(cp, out);
    return "";
  }

  std::string ParseIri(std::string* out) {
    if (Peek() != '<') return "expected '<' to open an IRI at column " + std::to_string(i_ + 1);
    ++i_;
    out->clear();
    while (i_ < s_.size() && s_[i_] != '>') {
      const char c = s_[i_];
      if (c == '\\') {
        ++i_;
        const char e = Peek();
        ++i_;
        std::string err;
        if (e == 'u') err = ParseUnicodeEscape(4, out);
        else if (e == 'U') err = ParseUnicodeEscape(8, out);
        else err = "bad escape in IRI";
        if (!err.empty()) return err;
        continue;
      }
      if (c == ' ' || c == '<' || c == '"' || c == '{' || c == '}' || c == '|' || c == '^' ||
          c == '`' || static_cast<unsigned char>(c) <= 0x20) {
        return "character not allowed in an IRI at column " + std::to_string(i_ + 1);
      }
      out->push_back(c);
      ++i_;
    }
    if (i_ >= s_.size()) return "unterminated IRI (missing '>')";
    ++i_;
    if (out->empty()) return "empty IRI";
    // N-Triples IRIs are absolute: a scheme ([A-Za-z][A-Za-z0-9+.-]*) and ':' (RFC 3987).
    size_t k = 0;
    if (std::isalpha(static_cast<unsigned char>((*out)[0]))) {
      k = 1;
      while (k < out->size() && (std::isalnum(static_cast<unsigned char>((*out)[k])) ||
                                 (*out)[k] == '+' || (*out)[k] == '.' || (*out)[k] == '-')) {
        ++k;
      }
    }
    if (k == 0 || k >= out->size() || (*out)[k] != ':') {
      return "relative IRI <" + *out + "> (N-Triples needs absolute IRIs such as "
             "<http://example.org/" + *out + ">)";
    }
    return "";
  }

  std::string ParseBlank(std::string* out) {
    if (s_.substr(i_, 2) != "_:") return "expected a blank node '_:'";
    const size_t start = i_;
    i_ += 2;
    while (i_ < s_.size() && !IsSpace(s_[i_]) && s_[i_] != '.' ) ++i_;
    // A trailing '.' may belong to the label only when more label characters follow.
    if (i_ == start + 2) return "empty blank node label";
    out->assign(s_.substr(start, i_ - start));
    return "";
  }

  // Subject or object term that is not a literal.
  std::string ParseResource(std::string* out) {
    if (Peek() == '<') {
      std::string err = ParseIri(out);
      if (err.empty()) *out = DecodeKgforgeIri(*out);
      return err;
    }
    if (Peek() == '_') return ParseBlank(out);
    return "expected an IRI or a blank node at column " + std::to_string(i_ + 1);
  }

  // "lexical" with optional @lang or ^^<datatype>. `lexical` is unescaped; `canonical` is the
  // literal re-serialised in canonical N-Triples form (the entity key).
  std::string ParseLiteral(std::string* lexical, std::string* lang, std::string* canonical) {
    ++i_;  // opening quote
    lexical->clear();
    lang->clear();
    while (true) {
      if (i_ >= s_.size()) return "unterminated string literal";
      const char c = s_[i_++];
      if (c == '"') break;
      if (c == '\\') {
        if (i_ >= s_.size()) return "unterminated escape";
        const char e = s_[i_++];
        std::string err;
        switch (e) {
          case 't': lexical->push_back('\t'); break;
          case 'b': lexical->push_back('\b'); break;
          case 'n': lexical->push_back('\n'); break;
          case 'r': lexical->push_back('\r'); break;
          case 'f': lexical->push_back('\f'); break;
          case '"': lexical->push_back('"'); break;
          case '\'': lexical->push_back('\''); break;
          case '\\': lexical->push_back('\\'); break;
          case 'u': err = ParseUnicodeEscape(4, lexical); break;
          case 'U': err = ParseUnicodeEscape(8, lexical); break;
          default: err = std::string("unknown escape \\") + e;
        }
        if (!err.empty()) return err;
        continue;
      }
      lexical->push_back(c);
    }
    *canonical = NTriplesLiteral(*lexical, "", "");
    if (Peek() == '@') {
      ++i_;
      const size_t start = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-')) ++i_;
      if (i_ == start) return "empty language tag";
      lang->assign(s_.substr(start, i_ - start));
      // LANGTAG: [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*
      bool ok = std::isalpha(static_cast<unsigned char>((*lang)[0])) && lang->back() != '-' &&
                lang->find("--") == std::string::npos;
      for (size_t j = 0; ok && j < lang->size() && (*lang)[j] != '-'; ++j) {
        ok = std::isalpha(static_cast<unsigned char>((*lang)[j]));
      }
      if (!ok) return "language tag '@" + *lang + "' is not [a-zA-Z]+('-'[a-zA-Z0-9]+)*";
      *canonical = NTriplesLiteral(*lexical, *lang, "");
    } else if (s_.substr(i_, 2) == "^^") {
      i_ += 2;
      std::string datatype;
      std::string err = ParseIri(&datatype);
      if (!err.empty()) return "datatype: " + err;
      *canonical = NTriplesLiteral(*lexical, "", datatype);
    }
    return "";
  }

  std::string ParseEnd() {
    SkipSpace();
    if (Peek() != '.') return "expected '.' at the end of the statement";
    ++i_;
    SkipSpace();
    if (!AtEnd() && Peek() != '#') return "unexpected text after '.'";
    return "";
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool IsHeaderWord(std::string_view got, std::string_view want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(got[i])) != want[i]) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

Result<TripleFormat> ResolveTripleFormat(std::string_view format, const std::string& path) {
  if (auto named = kTripleFormatNames.Find(format)) return *named;
  if (format == "nt") return TripleFormat::kNTriples;
  if (format != "auto") {
    return InvalidArgumentError("unknown import format '" + std::string(format) + "': use auto, " +
                                kTripleFormatNames.Alternatives());
  }
  std::string base = path;
  if (EndsWith(base, ".zst")) base.resize(base.size() - 4);
  if (EndsWith(base, ".nt")) return TripleFormat::kNTriples;
  KGF_ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  std::string first;
  if (reader->Next(&first)) {
    bool node1 = false, label = false, node2 = false;
    for (std::string_view col : SplitTabs(first)) {
      node1 |= col == "node1";
      label |= col == "label";
      node2 |= col == "node2";
    }
    if (node1 && label && node2) return TripleFormat::kKgtk;
  }
  KGF_RETURN_IF_ERROR(reader->status());
  return TripleFormat::kTsv;
}

std::string_view TripleFormatName(TripleFormat format) { return kTripleFormatNames.Name(format); }

Result<std::unique_ptr<TripleReader>> TripleReader::Open(const std::string& path,
                                                         const TripleReaderOptions& options) {
  if (options.order != "hrt" && options.order != "htr") {
    return InvalidArgumentError("unknown column order '" + options.order +
                                "': use hrt (head relation tail) or htr (OpenKE head tail relation)");
  }
  if (options.header != "auto" && options.header != "yes" && options.header != "no") {
    return InvalidArgumentError("unknown header mode '" + options.header + "': use auto, yes or no");
  }
  if (!FileExists(path)) return NotFoundError(path + ": triple file not found");
  KGF_ASSIGN_OR_RETURN(auto lines, LineReader::Open(path));
  std::unique_ptr<TripleReader> reader(new TripleReader(std::move(lines), options));
  if (options.format == TripleFormat::kKgtk) {
    std::string header;
    if (!reader->reader_->Next(&header)) {
      KGF_RETURN_IF_ERROR(reader->reader_->status());
      return InvalidArgumentError(path + ": empty KGTK file (expected a header line)");
    }
    std::vector<std::string_view> cols = SplitTabs(header);
    reader->kgtk_columns_ = static_cast<int>(cols.size());
    for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
      if (cols[i] == "node1") reader->kgtk_node1_ = i;
      if (cols[i] == "label") reader->kgtk_label_ = i;
      if (cols[i] == "node2") reader->kgtk_node2_ = i;
    }
    if (reader->kgtk_node1_ < 0 || reader->kgtk_label_ < 0 || reader->kgtk_node2_ < 0) {
      return InvalidArgumentError(path + ":1: KGTK header must name the columns node1, label and "
                                  "node2 (found '" + header + "')");
    }
  }
  return reader;
}

bool TripleReader::Next(RawTriple* out, std::string* line_error) {
  line_error->clear();
  while (reader_->Next(&line_)) {
    const bool first = first_line_;
    first_line_ = false;
    std::string_view line = line_;
    if (first && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) line.remove_prefix(kUtf8Bom.size());
    if (!IsValidUtf8(line)) {
      *line_error = reader_->Where() + ": invalid UTF-8";
      return true;
    }
    if (const int c = ControlCharacter(line); c >= 0) {
      *line_error = reader_->Where() + ": " + ControlCharacterProblem(c);
      return true;
    }
    std::string problem;
    switch (options_.format) {
      case TripleFormat::kTsv: {
        if (line.empty()) continue;
        if (first && options_.header != "no") {
          std::vector<std::string_view> cols = SplitTabs(line);
          const bool looks_like_header =
              cols.size() == 3 && IsHeaderWord(cols[0], "head") &&
              IsHeaderWord(cols[1], options_.order == "hrt" ? "relation" : "tail") &&
              IsHeaderWord(cols[2], options_.order == "hrt" ? "tail" : "relation");
          if (looks_like_header || options_.header == "yes") continue;
        }
        problem = ParseTsv(line, out);
        break;
      }
      case TripleFormat::kKgtk:
        if (line.empty()) continue;
        problem = ParseKgtk(line, out);
        break;
      case TripleFormat::kNTriples: {
        size_t k = 0;
        while (k < line.size() && IsSpace(line[k])) ++k;
        if (k == line.size() || line[k] == '#') continue;
        problem = ParseNTriples(line.substr(k), out);
        break;
      }
    }
    if (!problem.empty()) *line_error = reader_->Where() + ": " + problem;
    return true;
  }
  return false;
}

std::string TripleReader::ParseTsv(std::string_view line, RawTriple* out) {
  // Hot path of large imports: split in place, no allocation.
  std::string_view cols[3];
  size_t n = 0, start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    const std::string_view col = line.substr(start, tab == std::string_view::npos ? line.npos : tab - start);
    if (n < 3) cols[n] = col;
    ++n;
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (n != 3) {
    return "expected 3 tab-separated columns (" +
           std::string(options_.order == "hrt" ? "head, relation, tail" : "head, tail, relation") +
           "), found " + std::to_string(n);
  }
  static const char* kHrt[] = {"head", "relation", "tail"};
  static const char* kHtr[] = {"head", "tail", "relation"};
  for (int i = 0; i < 3; ++i) {
    if (cols[i].empty()) {
      return std::string("empty ") + (options_.order == "hrt" ? kHrt[i] : kHtr[i]) + " field";
    }
  }
  out->kind = RawTriple::Kind::kTriple;
  out->head.assign(cols[0]);
  out->relation.assign(options_.order == "hrt" ? cols[1] : cols[2]);
  out->tail.assign(options_.order == "hrt" ? cols[2] : cols[1]);
  out->tail_name.clear();
  return "";
}

std::string TripleReader::ParseKgtk(std::string_view line, RawTriple* out) {
  std::vector<std::string_view> cols = SplitTabs(line);
  if (static_cast<int>(cols.size()) != kgtk_columns_) {
    return "expected " + std::to_string(kgtk_columns_) + " columns as in the header, found " +
           std::to_string(cols.size());
  }
  const std::string_view h = cols[kgtk_node1_], r = cols[kgtk_label_], t = cols[kgtk_node2_];
  if (h.empty()) return "empty node1 field";
  if (r.empty()) return "empty label field";
  if (t.empty()) return "empty node2 field";
  out->kind = RawTriple::Kind::kTriple;
  out->head.assign(h);
  out->relation.assign(r);
  out->tail.assign(t);
  out->tail_name.clear();
  // KGTK string literals ('text'@lang or "text") name themselves without quotes.
  if (t.size() >= 2 && (t.front() == '"' || t.front() == '\'')) {
    const size_t close = t.rfind(t.front());
    if (close > 0) out->tail_name.assign(t.substr(1, close - 1));
  }
  return "";
}

std::string TripleReader::ParseNTriples(std::string_view line, RawTriple* out) {
  NtCursor c(line);
  std::string subject, predicate, object, lexical, lang;
  std::string err = c.ParseResource(&subject);
  if (!err.empty()) return "subject: " + err;
  c.SkipSpace();
  err = c.ParseIri(&predicate);
  if (!err.empty()) return "predicate: " + err;
  predicate = DecodeKgforgeIri(predicate);
  c.SkipSpace();
  bool literal = false;
  if (c.Peek() == '"') {
    literal = true;
    err = c.ParseLiteral(&lexical, &lang, &object);
  } else {
    err = c.ParseResource(&object);
  }
  if (!err.empty()) return "object: " + err;
  err = c.ParseEnd();
  if (!err.empty()) return err;
  // A kgforge key IRI decodes to the key itself: "<urn:kgforge:key:>" would be an empty key
  // and "%00" a control character (found by fuzz/triple_reader_fuzzer).
  for (const auto& [what, value] : {std::pair<const char*, const std::string*>{"subject", &subject},
                                    {"predicate", &predicate},
                                    {"object", literal ? nullptr : &object}}) {
    if (value == nullptr) continue;
    if (value->empty()) return std::string(what) + ": the IRI names an empty key";
    if (int cc = ControlCharacter(*value); cc >= 0 || value->find('\t') != std::string::npos) {
      return std::string(what) + ": the decoded IRI holds " +
             (cc >= 0 ? ControlCharacterProblem(cc) : std::string("a tab; keys must be printable text"));
    }
  }
  out->head = std::move(subject);
  out->tail_name.clear();
  if (literal && (predicate == kRdfsLabel || predicate == kSkosPrefLabel ||
                  predicate == kSchemaName || predicate == kSchemaNameS)) {
    out->kind = RawTriple::Kind::kName;
    out->relation = lang;  // the label's language, to prefer English / untagged labels
    out->tail = std::move(lexical);
    return "";
  }
  if (!literal && predicate == kRdfType) {
    out->kind = RawTriple::Kind::kType;
    out->relation.clear();
    out->tail = DeriveRelationName(object);
    return "";
  }
  out->kind = RawTriple::Kind::kTriple;
  out->relation = std::move(predicate);
  out->tail = std::move(object);
  if (literal) out->tail_name = std::move(lexical);
  return "";
}

namespace {

// Reads a side file: every non-header row split on tabs, with at most `max_columns` columns.
Result<std::vector<std::pair<int64_t, std::vector<std::string>>>> ReadSideRows(
    const std::string& path, size_t max_columns) {
  if (!FileExists(path)) return NotFoundError(path + ": file not found");
  KGF_ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  std::vector<std::pair<int64_t, std::vector<std::string>>> rows;
  std::unordered_set<std::string> keys;
  size_t widest = 0;  // most columns in a row
  std::string line;
  while (reader->Next(&line)) {
    if (reader->line_number() == 1 && StartsWith(line, kUtf8Bom)) line.erase(0, kUtf8Bom.size());
    if (line.empty()) continue;
    if (!IsValidUtf8(line)) return InvalidArgumentError(reader->Where() + ": invalid UTF-8");
    if (const int c = ControlCharacter(line); c >= 0) {
      return InvalidArgumentError(reader->Where() + ": " + ControlCharacterProblem(c));
    }
    if (reader->line_number() == 1 && StartsWith(line, "key\t")) continue;
    std::vector<std::string_view> cols = SplitTabs(line);
    if (cols.size() > max_columns) {
      return InvalidArgumentError(reader->Where() + ": expected at most " +
                                  std::to_string(max_columns) + " tab-separated columns, found " +
                                  std::to_string(cols.size()));
    }
    widest = std::max(widest, cols.size());
    if (cols[0].empty()) return InvalidArgumentError(reader->Where() + ": empty key field");
    if (!keys.emplace(cols[0]).second) {
      return InvalidArgumentError(reader->Where() + ": duplicate key '" + std::string(cols[0]) + "'");
    }
    std::vector<std::string> row(max_columns);
    for (size_t i = 0; i < cols.size(); ++i) row[i].assign(cols[i]);
    rows.emplace_back(reader->line_number(), std::move(row));
  }
  KGF_RETURN_IF_ERROR(reader->status());
  if (!rows.empty() && widest == 1) {
    // Rows of a key alone are fine (the name is derived), a file of nothing else is not.
    return InvalidArgumentError(path + ": every row has a single column; side files are "
                                       "tab-separated (key, name, ...): is this one?");
  }
  return rows;
}

}  // namespace

// A question phrase with one slot for the entity: "{}", or a named slot such as "{x}" or
// "{country}", which becomes "{}".
Result<std::string> NormalizePhraseSlot(const std::string& phrase, const std::string& where) {
  if (phrase.empty()) return phrase;
  std::string out;
  int slots = 0;
  for (size_t i = 0; i < phrase.size(); ++i) {
    if (phrase[i] == '{') {
      size_t close = phrase.find('}', i);
      bool named = close != std::string::npos && close - i <= 32;
      for (size_t k = i + 1; named && k < close; ++k) {
        const unsigned char c = static_cast<unsigned char>(phrase[k]);
        named = std::isalnum(c) || c == '_';
      }
      if (named) {
        out += "{}";
        ++slots;
        i = close;
        continue;
      }
    }
    out += phrase[i];
  }
  if (slots != 1) {
    return InvalidArgumentError(where + ": question phrase '" + phrase + "' must contain exactly "
                                "one slot for the entity, written {} or {x} (it has " +
                                std::to_string(slots) + ")");
  }
  return out;
}

Result<std::vector<EntityRow>> ReadEntityRows(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(auto rows, ReadSideRows(path, 4));
  std::vector<EntityRow> out;
  out.reserve(rows.size());
  for (auto& [line, cols] : rows) {
    EntityRow e{std::move(cols[0]), std::move(cols[1]), std::move(cols[2]), {}};
    size_t start = 0;
    const std::string& aliases = cols[3];
    while (start < aliases.size()) {
      size_t bar = aliases.find('|', start);
      if (bar == std::string::npos) bar = aliases.size();
      if (bar > start) e.aliases.push_back(aliases.substr(start, bar - start));
      start = bar + 1;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<RelationRow>> ReadRelationRows(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(auto rows, ReadSideRows(path, 7));
  std::vector<RelationRow> out;
  out.reserve(rows.size());
  for (auto& [line, c] : rows) {
    RelationRow r{std::move(c[0]), std::move(c[1]), std::move(c[2]), std::move(c[3]),
                  std::move(c[4]), std::move(c[5]), std::move(c[6])};
    const std::string where = path + ":" + std::to_string(line);
    // Names as people write them ("Official Language", "capital of") become tool-name parts.
    for (std::string* name : {&r.name, &r.inverse_name}) {
      if (name->empty() || IsSnakeCase(*name)) continue;
      std::string derived = DeriveRelationName(*name);
      if (derived == "relation" || !IsSnakeCase(derived)) {
        return InvalidArgumentError(where + ": relation name '" + *name +
                                    "' has no ASCII letters to name a tool after; give a name "
                                    "such as 'official_language'");
      }
      *name = std::move(derived);
    }
    KGF_ASSIGN_OR_RETURN(r.question_phrase, NormalizePhraseSlot(r.question_phrase, where));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kgf::kg
