// GraphStore: imports (incremental, idempotent, transactional), names, bad stores, and the
// store against a std::set oracle over random import sequences; export round trips.
#include "kg/graph_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <tuple>

#include "base/file_util.h"
#include "base/rng.h"
#include "base/json.h"
#include "kg/fact_sentences.h"
#include "kg/graph_export.h"
#include "kg/graph_report.h"
#include "tests/testing/temp_dir.h"

namespace kgf::kg {
namespace {

using kgf::testing::TempDir;
using KeyTriple = std::tuple<std::string, std::string, std::string>;

std::set<KeyTriple> KeyTriples(const Graph& g) {
  std::set<KeyTriple> out;
  for (const Triple& t : g.AllTriples()) {
    out.emplace(g.entity(t.head).key, g.relation(t.relation).key, g.entity(t.tail).key);
  }
  return out;
}

Graph Load(const std::string& path) {
  Result<GraphStore> s = GraphStore::Open(path, GraphStore::Mode::kReadOnly);
  KGF_CHECK(s.ok()) << s.status().ToString();
  Result<Graph> g = s->LoadGraph();
  KGF_CHECK(g.ok()) << g.status().ToString();
  return std::move(g).value();
}

std::string Checksum(const std::string& path) {
  Result<GraphStore> s = GraphStore::Open(path, GraphStore::Mode::kReadOnly);
  KGF_CHECK(s.ok()) << s.status().ToString();
  return s->checksum();
}

// One text value of a query against the SQLite file itself ("" when there is no row).
std::string SqlValue(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  KGF_CHECK(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  KGF_CHECK(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) << sql;
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::string Indexes(const std::string& path) {
  return SqlValue(path, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master "
                        "WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)");
}

// A generated TSV: n triples over n/4 entities, 7 relations.
std::string GeneratedTsv(const TempDir& dir, const std::string& name, int n, uint64_t seed) {
  Rng rng(seed);
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "e" + std::to_string(rng.Uniform(n / 4 + 1)) + "\tr" + std::to_string(rng.Uniform(7)) +
            "\te" + std::to_string(rng.Uniform(n / 4 + 1)) + "\n";
  }
  return dir.Write(name, text);
}

TEST(GraphStoreTest, ImportWithSideFilesLoadsNamesTypesAndMetadata) {
  TempDir dir;
  std::string t = dir.Write("t.tsv", "FR\tcapital\tc:paris\nFR\tborders\tES\nES\tborders\tFR\n");
  std::string e = dir.Write("e.tsv", "key\tname\ttype\taliases\nFR\tFrance\tcountry\tFrench Republic\nES\tSpain\tcountry\t\nc:paris\tParis\tcity\t\n");
  std::string r = dir.Write("r.tsv", "capital\tcapital\tThe capital.\tcountry\tcity\tcapital_of\tthe capital of {}\n");
  ImportOptions o;
  o.entities = e;
  o.relations = r;
  o.name = "countries";
  Result<ImportReport> rep = ImportIntoStore(dir.File("kg.db"), {t}, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->triples_added, 3u);
  EXPECT_EQ(rep->entities_added, 3u);
  EXPECT_EQ(rep->relations_added, 2u);
  Graph g = Load(dir.File("kg.db"));
  ASSERT_EQ(g.num_triples(), 3u);
  EntityId fr = *g.FindEntityByName("France");
  EXPECT_EQ(g.entity(fr).key, "FR");
  EXPECT_EQ(g.entity(fr).type, "country");
  EXPECT_EQ(g.entity(fr).aliases, std::vector<std::string>{"French Republic"});
  RelationId cap = *g.FindRelationByName("capital");
  EXPECT_EQ(g.relation(cap).inverse_name, "capital_of");
  EXPECT_EQ(g.relation(cap).question_phrase, "the capital of {}");
  // borders had no side-file row: types are inferred from its triples.
  RelationId borders = *g.FindRelationByName("borders");
  EXPECT_EQ(g.relation(borders).head_type, "country");
  EXPECT_EQ(g.relation(borders).tail_type, "country");
  ASSERT_EQ(g.Tails(fr, cap).size(), 1u);
  EXPECT_EQ(g.entity(g.Tails(fr, cap)[0]).name, "Paris");
  Result<GraphStore> s = GraphStore::Open(dir.File("kg.db"), GraphStore::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->name(), "countries");
  EXPECT_EQ(s->checksum(), rep->checksum);
  EXPECT_EQ(s->checksum().rfind("xxh3:", 0), 0u);
}

// Side-file mistakes are imported but said: triples' entities missing from the entities file,
// a relation missing from the relations file, a relation type no entity has (a typo).
TEST(GraphStoreTest, SideFileGapsAndUnknownTypesAreWarnings) {
  TempDir dir;
  std::string t = dir.Write("t.tsv", "FR\tcapital\tc:paris\nFR\tborders\tES\nES\tborders\tXX\n");
  std::string e = dir.Write("e.tsv", "key\tname\ttype\taliases\nFR\tFrance\tcountry\t\nES\tSpain\tcountry\t\nc:paris\tParis\tcity\t\n");
  std::string r = dir.Write("r.tsv", "capital\tcapital\tThe capital.\tcuntry\tcity\t\tthe capital of {}\n");
  ImportOptions o;
  o.entities = e;
  o.relations = r;
  Result<ImportReport> rep = ImportIntoStore(dir.File("kg.db"), {t}, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->warnings.size(), 3u) << rep->ToText();
  EXPECT_NE(rep->warnings[0].find("1 entities of the triples are not in " + e + " (XX)"), std::string::npos)
      << rep->warnings[0];
  EXPECT_NE(rep->warnings[1].find("1 relations of the triples are not in " + r + " (borders (country -> "),
            std::string::npos) << rep->warnings[1];
  EXPECT_NE(rep->warnings[2].find("relation 'capital' has head_type 'cuntry', which no entity has (city, country)"),
            std::string::npos) << rep->warnings[2];
  EXPECT_NE(rep->ToText().find("warning: relation 'capital' has head_type 'cuntry'"), std::string::npos);
  EXPECT_NE(rep->ToJson().find("\"warnings\":[\"1 entities"), std::string::npos) << rep->ToJson();
  // Complete side files: no warning (a relation listed without types is listed).
  std::string r2 = dir.Write("r2.tsv", "capital\tcapital\t\tcountry\tcity\t\t\nborders\tborders\t\t\t\t\t\n");
  std::string t2 = dir.Write("t2.tsv", "FR\tcapital\tc:paris\nFR\tborders\tES\n");
  o.relations = r2;
  Result<ImportReport> clean = ImportIntoStore(dir.File("clean.db"), {t2}, o);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_TRUE(clean->warnings.empty()) << clean->ToText();
  // A changed phrase on re-import is an update, and said so; the same file again is not.
  EXPECT_EQ(clean->relations_updated, 0u);
  o.relations = dir.Write("r3.tsv", "capital\tcapital\t\tcountry\tcity\t\tthe capital city of {}\n");
  Result<ImportReport> again = ImportIntoStore(dir.File("clean.db"), {t2}, o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->relations_added, 0u);
  EXPECT_EQ(again->relations_updated, 1u);
  EXPECT_NE(again->ToText().find("+0 relations, 1 updated"), std::string::npos) << again->ToText();
  Result<ImportReport> same = ImportIntoStore(dir.File("clean.db"), {t2}, o);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->relations_updated, 0u);
}

// Issue 13: a store on a read-only file system failed every reading command ("unable to open
// database file"). Needs a read-only bind mount (root); skipped elsewhere.
TEST(GraphStoreTest, ReadingCommandsWorkOnAReadOnlyFileSystem) {
  TempDir dir;
  ASSERT_TRUE(ImportIntoStore(dir.File("kg.db"), {dir.Write("a.tsv", "x\tr\ty\n")}, {}).ok());
  const std::string ro = dir.File("ro");
  ASSERT_TRUE(CreateDirectories(ro).ok());
  const std::string mount = "mount --bind " + dir.path() + " " + ro + " 2>/dev/null && mount -o "
                            "remount,ro,bind " + ro + " 2>/dev/null";
  if (std::system(mount.c_str()) != 0) {
    std::system(("umount " + ro + " 2>/dev/null").c_str());
    GTEST_SKIP() << "no read-only bind mount here (needs root)";
  }
  auto graph = OpenGraph(ro + "/kg.db");
  std::system(("umount " + ro).c_str());
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_EQ(graph->graph.num_triples(), 1u);
}

TEST(GraphStoreTest, ReimportAddsNothingAndIncrementalImportAdds) {
  TempDir dir;
  std::string a = dir.Write("a.tsv", "x\tr\ty\ny\tr\tz\nx\tr\ty\n");
  std::string b = dir.Write("b.tsv", "z\tr\tx\nx\tr\ty\n");
  const std::string db = dir.File("kg.db");
  Result<ImportReport> first = ImportIntoStore(db, {a}, {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->triples_read, 3u);
  EXPECT_EQ(first->triples_added, 2u);  // duplicate triple kept once
  Result<ImportReport> again = ImportIntoStore(db, {a}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->triples_added, 0u);
  EXPECT_EQ(again->entities_added, 0u);
  EXPECT_EQ(again->checksum, first->checksum);
  Result<ImportReport> more = ImportIntoStore(db, {b}, {});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->triples_added, 1u);
  EXPECT_EQ(more->total_triples, 3u);
  EXPECT_NE(more->checksum, first->checksum);
  Result<GraphStore> s = GraphStore::Open(db, GraphStore::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  Result<std::vector<std::string>> sources = s->Sources();
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->size(), 3u);
}

TEST(GraphStoreTest, FailedImportLeavesStoreExactlyAsBefore) {
  TempDir dir;
  const std::string db = dir.File("kg.db");
  ASSERT_TRUE(ImportIntoStore(db, {dir.Write("a.tsv", "x\tr\ty\n")}, {}).ok());
  const std::string before = Checksum(db);
  std::string bad = dir.Write("bad.tsv", "p\tr\tq\nbroken line\n");
  Result<ImportReport> r = ImportIntoStore(db, {bad}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(bad + ":2: expected 3 tab-separated columns"), std::string::npos);
  EXPECT_EQ(Checksum(db), before);
  Graph g = Load(db);
  EXPECT_EQ(g.num_entities(), 2u);
  EXPECT_EQ(g.num_triples(), 1u);
  // A store the failed import would have created is not left behind.
  Result<ImportReport> fresh = ImportIntoStore(dir.File("new.db"), {bad}, {});
  ASSERT_FALSE(fresh.ok());
  EXPECT_FALSE(FileExists(dir.File("new.db")));
  EXPECT_FALSE(FileExists(dir.File("new.db-wal")));
  EXPECT_FALSE(FileExists(dir.File("new.db.importing")));  // nor the file it was built in
  EXPECT_FALSE(FileExists(dir.File("new.db.lock")));       // nor its lock file
  // The lock file of an existing store stays (it is the store's), and a later import into the
  // failed name takes a lock of its own.
  EXPECT_TRUE(FileExists(db + ".lock"));
  ASSERT_TRUE(ImportIntoStore(dir.File("new.db"), {dir.Write("b.tsv", "u\tr\tv\n")}, {}).ok());
  EXPECT_EQ(Load(dir.File("new.db")).num_triples(), 1u);
  // A missing file is an error too, with the store unchanged.
  Result<ImportReport> missing = ImportIntoStore(db, {dir.File("nope.tsv")}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Checksum(db), before);
}

// Issue 12: a new store is bulk-loaded into "<store>.importing" (no journal) and renamed into
// place; it must come out an ordinary WAL store without indexes (none is read), and equal, checksum
// and all, to the same import written row by row into an existing empty store.
TEST(GraphStoreTest, BulkLoadedNewStoreEqualsImportIntoExistingEmptyStore) {
  TempDir dir;
  const std::string tsv = GeneratedTsv(dir, "g.tsv", 20000, 3);
  const std::string fresh = dir.File("fresh.db");
  // A leftover of a killed import is overwritten.
  dir.Write("fresh.db.importing", "half a store");
  Result<ImportReport> bulk = ImportIntoStore(fresh, {tsv}, {});
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  for (const char* left : {".importing", ".importing-wal", ".importing-shm", "-wal"}) {
    EXPECT_FALSE(FileExists(fresh + left)) << left;  // nothing the rename could have missed
  }
  EXPECT_EQ(SqlValue(fresh, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Indexes(fresh), "");
  EXPECT_EQ(SqlValue(fresh, "SELECT value FROM meta WHERE key = 'name'"), "fresh");
  EXPECT_EQ(SqlValue(fresh, "PRAGMA integrity_check"), "ok");

  const std::string existing = dir.File("existing.db");
  ASSERT_TRUE(GraphStore::Open(existing, GraphStore::Mode::kReadWrite).ok());
  Result<ImportReport> rows = ImportIntoStore(existing, {tsv}, {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(bulk->checksum, rows->checksum);
  EXPECT_EQ(Checksum(fresh), Checksum(existing));
  for (auto total : {&ImportReport::total_entities, &ImportReport::total_relations,
                     &ImportReport::total_triples, &ImportReport::triples_added,
                     &ImportReport::entities_added, &ImportReport::relations_added}) {
    EXPECT_EQ((*bulk).*total, (*rows).*total);
  }
  Graph a = Load(fresh), b = Load(existing);
  EXPECT_EQ(KeyTriples(a), KeyTriples(b));
  EXPECT_EQ(a.AllTriples().size(), bulk->total_triples);
}

// Stores made before issue 12 carry an index of triples by tail: imports keep it (also when
// an empty store's first import drops and rebuilds the indexes) and reads do not depend on it.
TEST(GraphStoreTest, StoresWithTheOldTailIndexKeepItAndReadTheSame) {
  TempDir dir;
  const std::string big = GeneratedTsv(dir, "big.tsv", 120000, 4);  // over the rebuild size
  const std::string more = GeneratedTsv(dir, "more.tsv", 500, 5);
  const std::string old_store = dir.File("old.db");
  ASSERT_TRUE(GraphStore::Open(old_store, GraphStore::Mode::kReadWrite).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(old_store.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE INDEX triples_by_tail ON triples(tail, relation, head)",
                         nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  for (const std::string& file : {big, more}) {
    Result<ImportReport> r = ImportIntoStore(old_store, {file}, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // The first import bulk-loaded the empty store: the entity indexes (no statement reads
  // them) are dropped for it and not rebuilt; the tail index is kept.
  EXPECT_EQ(Indexes(old_store), "triples_by_tail");
  EXPECT_EQ(SqlValue(old_store, "PRAGMA integrity_check"), "ok");

  const std::string new_store = dir.File("new.db");
  ASSERT_TRUE(ImportIntoStore(new_store, {big}, {}).ok());
  ASSERT_TRUE(ImportIntoStore(new_store, {more}, {}).ok());
  EXPECT_EQ(Indexes(new_store), "");
  EXPECT_EQ(Checksum(old_store), Checksum(new_store));

  // A non-empty store of the old layout (its first import small, row by row) keeps its unique
  // entity indexes through later imports, and SQLite finds them sound.
  const std::string layout = dir.File("layout.db");
  ASSERT_TRUE(ImportIntoStore(layout, {more}, {}).ok());  // bulk: no indexes
  ASSERT_TRUE(ImportIntoStore(layout, {big}, {}).ok());
  const std::string kept = dir.File("kept.db");
  ASSERT_TRUE(GraphStore::Open(kept, GraphStore::Mode::kReadWrite).ok());
  EXPECT_EQ(Indexes(kept), "entities_by_key entities_by_name");
  ASSERT_TRUE(ImportIntoStore(kept, {more}, {}).ok());
  ASSERT_TRUE(ImportIntoStore(kept, {big}, {}).ok());
  EXPECT_EQ(Indexes(kept), "entities_by_key entities_by_name");
  EXPECT_EQ(SqlValue(kept, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Checksum(kept), Checksum(layout));
  EXPECT_EQ(Indexes(layout), "");
  Graph a = Load(old_store), b = Load(new_store);
  EXPECT_EQ(a.AllTriples(), b.AllTriples());

  // A first import that leaves the store empty (relations only) keeps the old layout, so an
  // older kgforge's first bulk load into it (which drops and rebuilds the index) still works.
  const std::string empty = dir.File("empty.db");
  ImportOptions relations_only;
  relations_only.relations = dir.Write("r.tsv", "r1\tfirst relation\n");
  ASSERT_TRUE(ImportIntoStore(empty, {}, relations_only).ok());
  EXPECT_EQ(Indexes(empty), "entities_by_key entities_by_name triples_by_tail");
}

// A bulk-loaded store has no UNIQUE entity indexes: a store edited by hand into a duplicate
// key or name is refused at load, naming it, instead of loading an ambiguous graph.
TEST(GraphStoreTest, LoadRefusesADuplicateEntityNameOrKeyInAStoreWithoutIndexes) {
  TempDir dir;
  const std::string tsv = dir.Write("g.tsv", "a\tr\tb\nb\tr\tc\n");
  for (const char* column : {"name", "key"}) {
    const std::string path = dir.File(std::string(column) + ".db");
    ASSERT_TRUE(ImportIntoStore(path, {tsv}, {}).ok());
    ASSERT_EQ(Indexes(path), "");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = std::string("UPDATE entities SET ") + column + " = (SELECT " + column +
                            " FROM entities WHERE id = 0) WHERE id = 1";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    Result<GraphStore> store = GraphStore::Open(path, GraphStore::Mode::kReadOnly);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Result<Graph> g = store->LoadGraph();
    ASSERT_FALSE(g.ok()) << column;
    EXPECT_NE(g.status().message().find(std::string("duplicate entity ") + column + " 'a'"),
              std::string::npos) << g.status().message();
  }
  // An import into the store with the duplicate name refuses too, naming both keys, and
  // leaves it as it was.
  const std::string path = dir.File("name.db");
  const std::string before = *ReadFileToString(path);
  Result<ImportReport> more = ImportIntoStore(path, {dir.Write("more.tsv", "c\tr\td\n")}, {});
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("two entities named 'a' (keys 'a' and 'b')"),
            std::string::npos) << more.status().message();
  EXPECT_EQ(*ReadFileToString(path), before);
}

TEST(GraphStoreTest, SkipModeImportsGoodLinesAndReportsBadOnes) {
  TempDir dir;
  std::string f = dir.Write("f.tsv", "a\tr\tb\nbad\n\tr\tb\nc\tr\td\nx\xfe\tr\ty\ne\tr\tf\ng\th\nh\ti\nj\tk\n");
  ImportOptions o;
  o.on_error = "skip";
  Result<ImportReport> r = ImportIntoStore(dir.File("kg.db"), {f}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->triples_added, 3u);
  EXPECT_EQ(r->skipped, 6u);
  ASSERT_EQ(r->skipped_examples.size(), 5u);
  EXPECT_EQ(r->skipped_examples[0], f + ":2: expected 3 tab-separated columns (head, relation, tail), found 1");
  EXPECT_EQ(r->skipped_examples[1], f + ":3: empty head field");
  EXPECT_EQ(r->skipped_examples[2], f + ":5: invalid UTF-8");
  EXPECT_NE(r->ToText().find("skipped 6 bad lines"), std::string::npos);
  ImportOptions bad_mode;
  bad_mode.on_error = "ignore";
  EXPECT_EQ(ImportIntoStore(dir.File("kg.db"), {f}, bad_mode).status().code(), StatusCode::kInvalidArgument);
}

TEST(GraphStoreTest, DuplicateDisplayNamesAreDisambiguatedDeterministically) {
  TempDir dir;
  std::string t = dir.Write("t.tsv", "bank1\tr\tbank2\nbank2\tr\tbank3\nbank3\tr\tbank4\n");
  std::string e = dir.Write("e.tsv", "bank1\tbank\tslope\nbank2\tbank\tinstitution\nbank3\tbank\tinstitution\nbank4\tbank\n");
  ImportOptions o;
  o.entities = e;
  Result<ImportReport> r = ImportIntoStore(dir.File("kg.db"), {t}, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->renamed, 3u);
  Graph g = Load(dir.File("kg.db"));
  EXPECT_EQ(g.entity(*g.FindEntityByKey("bank1")).name, "bank");
  EXPECT_EQ(g.entity(*g.FindEntityByKey("bank2")).name, "bank (institution)");
  EXPECT_EQ(g.entity(*g.FindEntityByKey("bank3")).name, "bank (2)");
  EXPECT_EQ(g.entity(*g.FindEntityByKey("bank4")).name, "bank (3)");
  // A later import naming a new entity "bank" also gets a free name.
  ASSERT_TRUE(ImportIntoStore(dir.File("kg.db"), {dir.Write("u.tsv", "http://x/bank\tr\tbank1\n")}, {}).ok());
  Graph g2 = Load(dir.File("kg.db"));
  EXPECT_EQ(g2.entity(*g2.FindEntityByKey("http://x/bank")).name, "bank (4)");
}

TEST(GraphStoreTest, SideFileRenamesMaySwapNamesAndReimportIsStable) {
  TempDir dir;
  const std::string db = dir.File("kg.db");
  std::string t = dir.Write("t.tsv", "a\tr\tb\nb\tr\tc\n");
  ImportOptions o;
  o.entities = dir.Write("e1.tsv", "a\tx\nb\ty\nc\tx\n");
  ASSERT_TRUE(ImportIntoStore(db, {t}, o).ok());
  const std::string first = Checksum(db);
  ASSERT_TRUE(ImportIntoStore(db, {t}, o).ok());  // same side file again: nothing changes
  EXPECT_EQ(Checksum(db), first);
  o.entities = dir.Write("e2.tsv", "a\ty\nb\tx\n");
  ASSERT_TRUE(ImportIntoStore(db, {t}, o).ok());
  Graph g = Load(db);
  EXPECT_EQ(g.entity(*g.FindEntityByKey("a")).name, "y");
  EXPECT_EQ(g.entity(*g.FindEntityByKey("b")).name, "x");      // the two swapped names
  EXPECT_EQ(g.entity(*g.FindEntityByKey("c")).name, "x (2)");  // untouched
}

TEST(GraphStoreTest, NTriplesLabelsNameEntitiesAndLiteralsBecomeEntities) {
  TempDir dir;
  std::string nt = dir.Write("g.nt",
      "<http://ex.org/Q90> <http://ex.org/capitalOf> <http://ex.org/Q142> .\n"
      "<http://ex.org/Q90> <http://www.w3.org/2000/01/rdf-schema#label> \"Parigi\"@it .\n"
      "<http://ex.org/Q90> <http://www.w3.org/2000/01/rdf-schema#label> \"Paris\"@en .\n"
      "<http://ex.org/Q142> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex.org/Country> .\n"
      "<http://ex.org/Q142> <http://ex.org/motto> \"Liberté\"@fr .\n");
  ASSERT_TRUE(ImportIntoStore(dir.File("kg.db"), {nt}, {}).ok());
  Graph g = Load(dir.File("kg.db"));
  EXPECT_EQ(g.num_triples(), 2u);
  EntityId paris = *g.FindEntityByKey("http://ex.org/Q90");
  EXPECT_EQ(g.entity(paris).name, "Paris");
  EntityId france = *g.FindEntityByKey("http://ex.org/Q142");
  EXPECT_EQ(g.entity(france).name, "Q142");
  EXPECT_EQ(g.entity(france).type, "country");
  ASSERT_TRUE(g.FindEntityByName("Liberté").has_value());
  EXPECT_EQ(g.relation(*g.FindRelationByKey("http://ex.org/capitalOf")).name, "capital_of");
}

TEST(GraphStoreTest, BadStoresGiveClearErrors) {
  TempDir dir;
  Result<GraphStore> missing = GraphStore::Open(dir.File("none.db"), GraphStore::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("kgforge kg import"), std::string::npos);

  std::string text = dir.Write("text.db", std::string(4096, 'x'));
  Result<GraphStore> not_sqlite = GraphStore::Open(text, GraphStore::Mode::kReadOnly);
  ASSERT_FALSE(not_sqlite.ok());
  EXPECT_NE(not_sqlite.status().message().find("not an SQLite database"), std::string::npos);
  // Import into it fails and leaves the file as it was.
  EXPECT_FALSE(ImportIntoStore(text, {dir.Write("a.tsv", "a\tr\tb\n")}, {}).ok());
  EXPECT_EQ(*ReadFileToString(text), std::string(4096, 'x'));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("other.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Result<GraphStore> foreign = GraphStore::Open(dir.File("other.db"), GraphStore::Mode::kReadWrite);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.status().message().find("not a kgforge graph store"), std::string::npos);

  const std::string newer = dir.File("newer.db");
  ASSERT_TRUE(ImportIntoStore(newer, {dir.Write("b.tsv", "a\tr\tb\n")}, {}).ok());
  ASSERT_EQ(sqlite3_open(newer.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Result<GraphStore> future = GraphStore::Open(newer, GraphStore::Mode::kReadOnly);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(future.status().message().find("schema version 99 is newer"), std::string::npos);
}

TEST(GraphStoreTest, StoreMatchesSetOracleOverRandomImportSequences) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    TempDir dir;
    Rng rng(seed);
    std::set<KeyTriple> oracle;
    const std::string db = dir.File("kg.db");
    const int imports = 1 + static_cast<int>(rng.Uniform(4));
    for (int i = 0; i < imports; ++i) {
      std::string text;
      const int n = static_cast<int>(rng.Uniform(200));
      for (int k = 0; k < n; ++k) {
        KeyTriple t{"e" + std::to_string(rng.Uniform(50)), "r" + std::to_string(rng.Uniform(4)),
                    "e" + std::to_string(rng.Uniform(50))};
        text += std::get<0>(t) + "\t" + std::get<1>(t) + "\t" + std::get<2>(t) + "\n";
        oracle.insert(t);
      }
      if (n == 0) text = "e0\tr0\te1\n", oracle.emplace("e0", "r0", "e1");
      ASSERT_TRUE(ImportIntoStore(db, {dir.Write("f" + std::to_string(i) + ".tsv", text)}, {}).ok());
      // A failing import in between changes nothing.
      EXPECT_FALSE(ImportIntoStore(db, {dir.Write("bad.tsv", "e1\tr1\te2\nx\n")}, {}).ok());
    }
    Graph g = Load(db);
    EXPECT_EQ(KeyTriples(g), oracle) << "seed " << seed;
  }
}

TEST(GraphStoreTest, ExportRoundTripsReproduceTheGraph) {
  TempDir dir;
  std::string t = dir.Write("t.tsv", "FR\tcapital\tc:paris\nFR\tborders\tES\nES\tborders\tFR\nES\tmotto\t\"Plus ultra\"@la\n");
  std::string e = dir.Write("e.tsv", "FR\tFrance\tcountry\tFrench Republic|FRA\nES\tSpain\tcountry\nc:paris\tParis\tcity\n");
  std::string r = dir.Write("r.tsv", "capital\tcapital\tThe capital.\tcountry\tcity\tcapital_of\tthe capital of {}\n");
  ImportOptions o;
  o.entities = e;
  o.relations = r;
  ASSERT_TRUE(ImportIntoStore(dir.File("a.db"), {t}, o).ok());
  Graph a = Load(dir.File("a.db"));

  // tsv folder: the same content checksum after re-import.
  ASSERT_TRUE(ExportGraph(a, {"tsv", dir.File("tsv")}).ok());
  ImportOptions back;
  back.entities = dir.File("tsv/entities.tsv");
  back.relations = dir.File("tsv/relations.tsv");
  ASSERT_TRUE(ImportIntoStore(dir.File("b.db"), {dir.File("tsv/triples.tsv")}, back).ok());
  EXPECT_EQ(Checksum(dir.File("b.db")), Checksum(dir.File("a.db")));

  // N-Triples: the same triples by key, names and types.
  Result<uint64_t> n = ExportGraph(a, {"ntriples", dir.File("g.nt")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  ASSERT_TRUE(ImportIntoStore(dir.File("c.db"), {dir.File("g.nt")}, {}).ok());
  Graph c = Load(dir.File("c.db"));
  EXPECT_EQ(KeyTriples(c), KeyTriples(a));
  for (uint32_t v = 0; v < a.num_entities(); ++v) {
    const EntityInfo& ea = a.entity(EntityId(v));
    std::optional<EntityId> ec = c.FindEntityByKey(ea.key);
    ASSERT_TRUE(ec.has_value()) << ea.key;
    EXPECT_EQ(c.entity(*ec).name, ea.name);
    if (ea.key.front() != '"') EXPECT_EQ(c.entity(*ec).type, ea.type);
  }

  // neo4j-admin CSV headers and row counts.
  ASSERT_TRUE(ExportGraph(a, {"neo4j-csv", dir.File("neo")}).ok());
  std::string nodes = *ReadFileToString(dir.File("neo/nodes.csv"));
  std::string rels = *ReadFileToString(dir.File("neo/relationships.csv"));
  EXPECT_EQ(nodes.substr(0, nodes.find('\n')), "key:ID,name,type,aliases:string[],:LABEL");
  EXPECT_EQ(std::count(rels.begin(), rels.end(), '\n'), 5);
  EXPECT_NE(rels.find("\"FR\",\"c:paris\",\"capital\",\"capital\""), std::string::npos);
  // sentences: one {"text": ...} line per head entity, the facts in words (a corpus text source).
  n = ExportGraph(a, {"sentences", dir.File("facts.jsonl")});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, a.num_triples());
  std::string facts = *ReadFileToString(dir.File("facts.jsonl"));
  const std::vector<std::string> docs = VerbaliseGraph(a);
  EXPECT_EQ(std::count(facts.begin(), facts.end(), '\n'), static_cast<long>(docs.size()));
  for (size_t at = 0, end; (end = facts.find('\n', at)) != std::string::npos; at = end + 1) {
    const std::string line = facts.substr(at, end - at);
    auto doc = ParseJson(line, "facts.jsonl");
    ASSERT_TRUE(doc.ok() && doc->IsObject() && (*doc)["text"].IsString()) << line;
  }
  EXPECT_NE(facts.find(JsonQuote(docs[0])), std::string::npos) << facts;
  EXPECT_FALSE(ExportGraph(a, {"graphml", dir.File("x")}).ok());
}

TEST(GraphReportTest, StatsAndLookups) {
  TempDir dir;
  std::string t = dir.Write("t.tsv", "a\tr\tb\na\tr\tc\na\ts\tb\nb\tr\tc\n");
  ASSERT_TRUE(ImportIntoStore(dir.File("kg.db"), {t, dir.Write("iso.tsv", "")}, {}).ok());
  Graph g = Load(dir.File("kg.db"));
  GraphStats s = ComputeStats(g, "g", "x");
  EXPECT_EQ(s.entities, 3u);
  EXPECT_EQ(s.triples, 4u);
  EXPECT_EQ(s.out_degree.max, 3u);
  EXPECT_EQ(s.out_degree.min, 0u);
  EXPECT_EQ(s.in_degree.max, 2u);
  ASSERT_EQ(s.per_relation.size(), 2u);
  EXPECT_EQ(s.per_relation[0].triples, 3u);
  EXPECT_EQ(s.per_relation[0].heads, 2u);
  EXPECT_EQ(s.per_relation[0].tails, 2u);
  EXPECT_NE(s.ToJson().find("\"triples\":4"), std::string::npos);
  Result<EntityId> miss = ResolveEntity(g, "A");
  ASSERT_FALSE(miss.ok());
  EXPECT_NE(miss.status().message().find("did you mean: 'a'"), std::string::npos);
  EXPECT_FALSE(ResolveRelation(g, "zzz").ok());
  std::string view = DescribeEntity(g, *ResolveEntity(g, "a"), 1);
  EXPECT_NE(view.find("-> r (2): b, ... and 1 more"), std::string::npos);
}

}  // namespace
}  // namespace kgf::kg

namespace kgf::kg {
namespace {

// Issue 13: two `kg import` runs into one store (both new, or the second while the first
// writes) must neither fail on the schema nor interleave: ids were read before the write lock,
// and two data sets could rename each other's entities. This process and a kgforge process,
// started together, 6 rounds.
TEST(GraphStoreConcurrencyTest, TwoProcessesImportingIntoOneStoreNeverMixUp) {
  TempDir dir;
  constexpr int kEntities = 20000;
  auto data = [&](char tag) {
    std::string triples, entities = "key\tname\ttype\taliases\n";
    // Large enough (~0.2 s an import) that the two imports overlap in time.
    for (int i = 0; i < kEntities; ++i) {
      const std::string k = std::string(1, tag) + std::to_string(i);
      triples += k + "\trel_" + tag + "\t" + tag + std::to_string((i + 1) % kEntities) + "\n";
      entities += k + "\tName " + k + "\tthing\t\n";
    }
    return std::make_pair(dir.Write(std::string(1, tag) + ".tsv", triples),
                          dir.Write(std::string(1, tag) + "_entities.tsv", entities));
  };
  const auto [a, a_entities] = data('a');
  const auto [b, b_entities] = data('b');
  for (int round = 0; round < 6; ++round) {
    const std::string store = dir.File("shared" + std::to_string(round) + ".db");
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The other import is a separate kgforge process (exec at once: this one runs threads).
      const std::string kgforge = std::string(KGF_BINARY_DIR) + "/cli/kgforge";
      execl(kgforge.c_str(), "kgforge", "kg", "import", "--store", store.c_str(), b.c_str(),
            "--entities", b_entities.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ImportOptions o;
    o.entities = a_entities;
    Result<ImportReport> mine = ImportIntoStore(store, {a}, o);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(mine.ok()) << mine.status().ToString();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    Graph g = Load(store);
    EXPECT_EQ(g.num_entities(), 2u * kEntities);
    EXPECT_EQ(g.num_triples(), 2u * kEntities);
    for (uint32_t v = 0; v < g.num_entities(); ++v) {
      const EntityInfo& e = g.entity(EntityId(v));
      ASSERT_EQ(e.name, "Name " + e.key) << "round " << round;
    }
    for (const Triple& t : g.AllTriples()) {
      const char head = g.entity(t.head).key[0], tail = g.entity(t.tail).key[0];
      ASSERT_EQ(head, tail);
      ASSERT_EQ(g.relation(t.relation).key, std::string("rel_") + head);
    }
  }
}

}  // namespace
}  // namespace kgf::kg
