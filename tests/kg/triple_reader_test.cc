// TripleReader and name helpers: every format, every malformed-line message, side files.
#include "kg/import/triple_reader.h"

#include <gtest/gtest.h>

#include "kg/import/names.h"
#include "tests/testing/temp_dir.h"

namespace kgf::kg {
namespace {

using kgf::testing::TempDir;

struct Read {
  std::vector<RawTriple> triples;
  std::vector<std::string> errors;
};

Read ReadAll(const std::string& path, TripleReaderOptions options) {
  Read out;
  Result<std::unique_ptr<TripleReader>> r = TripleReader::Open(path, options);
  KGF_CHECK(r.ok()) << r.status().ToString();
  RawTriple t;
  std::string err;
  while ((*r)->Next(&t, &err)) {
    if (err.empty()) out.triples.push_back(t);
    else out.errors.push_back(err);
  }
  KGF_CHECK((*r)->status().ok()) << (*r)->status().ToString();
  return out;
}

TEST(TripleReaderTest, TsvWithHeaderAndOpenKeOrder) {
  TempDir dir;
  std::string p = dir.Write("a.tsv", "head\trelation\ttail\nFrance\tborders\tSpain\n\nSpain\tcapital\tMadrid\r\n");
  Read r = ReadAll(p, {});
  ASSERT_EQ(r.triples.size(), 2u);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.triples[1].head, "Spain");
  EXPECT_EQ(r.triples[1].relation, "capital");
  EXPECT_EQ(r.triples[1].tail, "Madrid");  // \r stripped
  std::string q = dir.Write("b.tsv", "France\tSpain\tborders\n");
  Read h = ReadAll(q, {TripleFormat::kTsv, "htr", "auto"});
  ASSERT_EQ(h.triples.size(), 1u);
  EXPECT_EQ(h.triples[0].relation, "borders");
  EXPECT_EQ(h.triples[0].tail, "Spain");
}

TEST(TripleReaderTest, TsvBadLinesNameFileLineAndProblem) {
  TempDir dir;
  std::string p = dir.Write("bad.tsv", "a\tb\n\tr\tt\na\tr\tt\tx\nok\tr\tt\nbad\xff\tr\tt\n");
  Read r = ReadAll(p, {});
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0], p + ":1: expected 3 tab-separated columns (head, relation, tail), found 2");
  EXPECT_EQ(r.errors[1], p + ":2: empty head field");
  EXPECT_EQ(r.errors[2], p + ":3: expected 3 tab-separated columns (head, relation, tail), found 4");
  EXPECT_EQ(r.errors[3], p + ":5: invalid UTF-8");
  ASSERT_EQ(r.triples.size(), 1u);
}

// Issue 13: a NUL or control character in a key made two entities display alike; a UTF-8 BOM
// stayed in the first key (`kg query a` -> NotFound).
TEST(TripleReaderTest, ControlCharactersAreRejectedAndABomIsDropped) {
  TempDir dir;
  std::string p = dir.Write("c.tsv", std::string("\xEF\xBB\xBF") + "a\tr\tb\nx" +
                                         std::string(1, '\0') + "\tr\tb\ny\x01\tr\tb\n");
  Read r = ReadAll(p, {});
  ASSERT_EQ(r.triples.size(), 1u);
  EXPECT_EQ(r.triples[0].head, "a");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], p + ":2: control character 0x00 in the line; keys and names must be "
                             "printable text");
  EXPECT_NE(r.errors[1].find(":3: control character 0x01"), std::string::npos) << r.errors[1];
  std::string side = dir.Write("e.tsv", std::string("\xEF\xBB\xBF") +
                                            "key\tname\ttype\taliases\na\tA\tthing\t\n");
  Result<std::vector<EntityRow>> rows = ReadEntityRows(side);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, "a");
  std::string bad_side = dir.Write("f.tsv", "a\tA\x7f\tthing\t\n");
  EXPECT_NE(ReadEntityRows(bad_side).status().message().find("control character 0x7F"),
            std::string::npos);
}

// Issue 13: a one-column entities.tsv (comma-separated, say) and a zero-byte .tsv.zst were
// accepted silently.
TEST(TripleReaderTest, OneColumnSideFilesAndEmptyZstdAreErrors) {
  TempDir dir;
  std::string csv = dir.Write("entities.tsv", "FR,France,country\nDE,Germany,country\n");
  Result<std::vector<EntityRow>> rows = ReadEntityRows(csv);
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("every row has a single column"), std::string::npos)
      << rows.status().message();
  std::string empty = dir.Write("t.tsv.zst", "");
  Result<std::unique_ptr<TripleReader>> r = TripleReader::Open(empty, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("empty file, not a zstd stream"), std::string::npos)
      << r.status().message();
}

TEST(TripleReaderTest, LineOverOneMiBEndsReadingWithError) {
  TempDir dir;
  std::string p = dir.Write("long.tsv", "a\tr\t" + std::string((1 << 20) + 10, 'x') + "\n");
  auto r = TripleReader::Open(p, {});
  ASSERT_TRUE(r.ok());
  RawTriple t;
  std::string err;
  EXPECT_FALSE((*r)->Next(&t, &err));
  EXPECT_NE((*r)->status().message().find(":1: line longer than"), std::string::npos);
}

TEST(TripleReaderTest, NTriplesTermsEscapesLabelsAndTypes) {
  TempDir dir;
  std::string p = dir.Write("g.nt",
      "# comment\n"
      "<http://ex.org/France> <http://ex.org/borders> <http://ex.org/Spain> .\n"
      "_:b1 <http://ex.org/motto> \"Libert\\u00E9, \\\"\\u00E9galit\\u00E9\\\"\"@fr .\n"
      "<http://ex.org/France> <http://www.w3.org/2000/01/rdf-schema#label> \"France\"@en .\n"
      "<http://ex.org/France> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/Country> .\n"
      "<http://ex.org/France> <http://ex.org/population> \"68000000\"^^<http://www.w3.org/2001/XMLSchema#integer> . # c\n"
      "  \n");
  Read r = ReadAll(p, {TripleFormat::kNTriples, "hrt", "auto"});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(r.triples.size(), 5u);
  EXPECT_EQ(r.triples[0].head, "http://ex.org/France");
  EXPECT_EQ(r.triples[0].tail, "http://ex.org/Spain");
  EXPECT_EQ(r.triples[1].head, "_:b1");
  EXPECT_EQ(r.triples[1].tail_name, "Libert\xC3\xA9, \"\xC3\xA9galit\xC3\xA9\"");
  EXPECT_EQ(r.triples[1].tail, "\"Libert\xC3\xA9, \\\"\xC3\xA9galit\xC3\xA9\\\"\"@fr");
  EXPECT_EQ(r.triples[2].kind, RawTriple::Kind::kName);
  EXPECT_EQ(r.triples[2].tail, "France");
  EXPECT_EQ(r.triples[2].relation, "en");
  EXPECT_EQ(r.triples[3].kind, RawTriple::Kind::kType);
  EXPECT_EQ(r.triples[3].tail, "country");
  EXPECT_EQ(r.triples[4].tail, "\"68000000\"^^<http://www.w3.org/2001/XMLSchema#integer>");
}

TEST(TripleReaderTest, MalformedNTriplesAreLocated) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<x:a> <x:b> <x:c>", "expected '.' at the end of the statement"},
      {"<x:a> <x:b> \"x .", "object: unterminated string literal"},
      {"a <x:b> <x:c> .", "subject: expected an IRI or a blank node at column 1"},
      {"<x:a> _:b <x:c> .", "predicate: expected '<' to open an IRI at column 7"},
      {"<x:a b> <x:p> <x:c> .", "subject: character not allowed in an IRI at column 5"},
      {"<x:a> <x:p> \"x\"@ .", "object: empty language tag"},
      {"<x:a> <x:p> \"\\q\" .", "object: unknown escape \\q"},
      {"<x:a> <x:p> <x:c> . extra", "unexpected text after '.'"},
      // Issue 13: relative IRIs and malformed language tags were accepted.
      {"<a> <x:p> <x:c> .",
       "subject: relative IRI <a> (N-Triples needs absolute IRIs such as <http://example.org/a>)"},
      {"<x:a> <x:p> \"hello\"@-en .",
       "object: language tag '@-en' is not [a-zA-Z]+('-'[a-zA-Z0-9]+)*"},
      {"<x:a> <x:p> \"hello\"@en- .",
       "object: language tag '@en-' is not [a-zA-Z]+('-'[a-zA-Z0-9]+)*"},
      // Found by fuzz/triple_reader_fuzzer: kgforge key IRIs that decode to an empty key or
      // to a control character.
      {"<urn:kgforge:key:> <x:p> <x:c> .", "subject: the IRI names an empty key"},
      {"<x:a> <urn:kgforge:key:> <x:c> .", "predicate: the IRI names an empty key"},
      {"<x:a> <x:p> <urn:kgforge:key:a%00b> .",
       "object: the decoded IRI holds control character 0x00 in the line; keys and names must be "
       "printable text"},
      {"<urn:kgforge:key:a%09b> <x:p> <x:c> .",
       "subject: the decoded IRI holds a tab; keys must be printable text"},
  };
  for (const auto& [line, want] : cases) {
    std::string p = dir.Write("m.nt", line + "\n");
    Read r = ReadAll(p, {TripleFormat::kNTriples, "hrt", "auto"});
    ASSERT_EQ(r.errors.size(), 1u) << line;
    EXPECT_EQ(r.errors[0], p + ":1: " + want) << line;
  }
}

TEST(TripleReaderTest, KgtkColumnsByHeader) {
  TempDir dir;
  std::string p = dir.Write("k.tsv", "node2\tid\tlabel\tnode1\nQ2\te1\tP1\tQ1\n'Paris'@en\te2\tP2\tQ1\nx\ty\n");
  Result<TripleFormat> f = ResolveTripleFormat("auto", p);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, TripleFormat::kKgtk);
  Read r = ReadAll(p, {TripleFormat::kKgtk, "hrt", "auto"});
  ASSERT_EQ(r.triples.size(), 2u);
  EXPECT_EQ(r.triples[0].head, "Q1");
  EXPECT_EQ(r.triples[0].relation, "P1");
  EXPECT_EQ(r.triples[0].tail, "Q2");
  EXPECT_EQ(r.triples[1].tail_name, "Paris");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], p + ":4: expected 4 columns as in the header, found 2");
  std::string bad = dir.Write("nohdr.kgtk", "a\tb\tc\n");
  Result<std::unique_ptr<TripleReader>> open = TripleReader::Open(bad, {TripleFormat::kKgtk, "hrt", "auto"});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("must name the columns node1, label and node2"), std::string::npos);
}

TEST(TripleReaderTest, FormatResolution) {
  TempDir dir;
  EXPECT_EQ(*ResolveTripleFormat("auto", dir.Write("x.nt", "")), TripleFormat::kNTriples);
  EXPECT_EQ(*ResolveTripleFormat("auto", dir.Write("x.tsv", "a\tb\tc\n")), TripleFormat::kTsv);
  Result<TripleFormat> bad = ResolveTripleFormat("csv", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("use auto, tsv, ntriples or kgtk"), std::string::npos);
}

TEST(TripleReaderTest, SideFiles) {
  TempDir dir;
  std::string e = dir.Write("entities.tsv", "key\tname\ttype\taliases\nFR\tFrance\tcountry\tFrench Republic|FRA\nDE\n");
  Result<std::vector<EntityRow>> rows = ReadEntityRows(e);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].aliases, (std::vector<std::string>{"French Republic", "FRA"}));
  EXPECT_EQ((*rows)[1].name, "");
  std::string dup = dir.Write("dup.tsv", "FR\tFrance\nFR\tFrance again\n");
  Result<std::vector<EntityRow>> d = ReadEntityRows(dup);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), dup + ":2: duplicate key 'FR'");
  // Names as people write them become snake_case; named slots become {}.
  std::string rel = dir.Write("relations.tsv",
                              "capital\tCapital City\t\tcountry\tcity\tcapital of\tthe capital of {x}\n");
  Result<std::vector<RelationRow>> r = ReadRelationRows(rel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].name, "capital_city");
  EXPECT_EQ((*r)[0].inverse_name, "capital_of");
  EXPECT_EQ((*r)[0].question_phrase, "the capital of {}");
  std::string bad_name = dir.Write("bad_name.tsv", "capital\t\xE9\xA6\x96\xE9\x83\xBD\n");
  Result<std::vector<RelationRow>> b = ReadRelationRows(bad_name);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find(bad_name + ":1: relation name"), std::string::npos)
      << b.status().message();
  std::string phrase = dir.Write("phrase.tsv", "capital\tcapital\t\t\t\t\tthe capital\n");
  Result<std::vector<RelationRow>> p = ReadRelationRows(phrase);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(phrase + ":1: question phrase 'the capital' must contain "
                                      "exactly one slot"),
            std::string::npos)
      << p.status().message();
  std::string two = dir.Write("two.tsv", "capital\tcapital\t\t\t\t\t{a} and {b}\n");
  EXPECT_FALSE(ReadRelationRows(two).ok());
}

TEST(KgNamesTest, DerivedNamesAndIriRoundTrip) {
  EXPECT_EQ(DeriveEntityName("http://dbpedia.org/resource/New_York_City"), "New York City");
  EXPECT_EQ(DeriveEntityName("http://ex.org/onto#Caf%C3%A9"), "Caf\xC3\xA9");
  EXPECT_EQ(DeriveEntityName("\"Paris\"@en"), "Paris");
  EXPECT_EQ(DeriveEntityName("FR"), "FR");
  EXPECT_EQ(DeriveRelationName("http://schema.org/birthPlace"), "birth_place");
  EXPECT_EQ(DeriveRelationName("/people/person/nationality"), "people_person_nationality");
  EXPECT_EQ(DeriveRelationName("_hypernym"), "hypernym");
  EXPECT_EQ(DeriveRelationName("P31"), "p31");
  EXPECT_EQ(DeriveRelationName("!!!"), "relation");
  EXPECT_TRUE(IsSnakeCase("capital_of"));
  EXPECT_FALSE(IsSnakeCase("Capital"));
  for (std::string key : {"FR", "a b/c#d", "http://ex.org/x", "urn:kgforge:key:odd"}) {
    EXPECT_EQ(DecodeKgforgeIri(KeyToIri(key)), key);
  }
  EXPECT_EQ(KeyToIri("a b"), "urn:kgforge:key:a%20b");
}

}  // namespace
}  // namespace kgf::kg
