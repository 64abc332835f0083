// Counterfactual copies (kg/graph_relabel.h): a permutation within each type, the copy's
// triples and degree profile, the store it is written to (marked, atomic, never overwriting).
#include "kg/graph_relabel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "base/file_util.h"
#include "kg/graph_export.h"
#include "kg/graph_store.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::kg {
namespace {

using kgf::testing::ListFilesRecursive;
using kgf::testing::TempDir;

// Writes `g` as a store at dir/name and returns its path.
std::string StoreOf(const Graph& g, const TempDir& dir, const std::string& name) {
  const std::string tsv = dir.File(name + ".tsv");
  KGF_CHECK(ExportGraph(g, ExportOptions{"tsv", tsv}).ok());
  ImportOptions o;
  o.entities = JoinPath(tsv, "entities.tsv");
  o.relations = JoinPath(tsv, "relations.tsv");
  o.name = name;
  const std::string path = dir.File(name + ".db");
  Result<ImportReport> r = ImportIntoStore(path, {JoinPath(tsv, "triples.tsv")}, o);
  KGF_CHECK(r.ok()) << r.status().ToString();
  return path;
}

TEST(RelabelTest, PermutesWithinEachTypeDeterministically) {
  const Graph g = synth::testing::CountryGraph();
  const std::vector<EntityId> perm = RelabelPermutation(g, 3);
  ASSERT_EQ(perm.size(), g.num_entities());
  std::set<uint32_t> image;
  size_t moved = 0;
  for (uint32_t e = 0; e < perm.size(); ++e) {
    image.insert(perm[e].value());
    EXPECT_EQ(g.entity(perm[e]).type, g.entity(EntityId(e)).type) << g.entity(EntityId(e)).name;
    moved += perm[e].value() != e;
  }
  EXPECT_EQ(image.size(), g.num_entities()) << "not a permutation";
  EXPECT_GT(moved, g.num_entities() / 2);
  EXPECT_EQ(RelabelPermutation(g, 3), perm);
  EXPECT_NE(RelabelPermutation(g, 4), perm);
}

TEST(RelabelTest, EveryTripleMovesWithItsEntitiesAndRelationsKeepTheirProfile) {
  const Graph g = synth::testing::CountryGraph();
  const std::vector<EntityId> perm = RelabelPermutation(g, 5);
  Result<Graph> copy = RelabelGraph(g, 5);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  ASSERT_EQ(copy->num_entities(), g.num_entities());
  for (uint32_t e = 0; e < g.num_entities(); ++e) {
    EXPECT_EQ(copy->entity(EntityId(e)).name, g.entity(EntityId(e)).name);
    EXPECT_EQ(copy->entity(EntityId(e)).key, g.entity(EntityId(e)).key);
  }
  std::set<Triple> expected;
  for (const Triple& t : g.AllTriples()) {
    expected.insert({perm[t.head.value()], t.relation, perm[t.tail.value()]});
  }
  const std::vector<Triple> got = copy->AllTriples(), before = g.AllTriples();
  EXPECT_EQ(std::set<Triple>(got.begin(), got.end()), expected);
  EXPECT_NE(std::set<Triple>(got.begin(), got.end()), std::set<Triple>(before.begin(), before.end()));
  // Per relation: the same number of triples and the same sorted out-degree sequence.
  for (uint32_t r = 0; r < g.num_relations(); ++r) {
    EXPECT_EQ(copy->RelationSize(RelationId(r)), g.RelationSize(RelationId(r)));
    std::multiset<size_t> a, b;
    for (uint32_t e = 0; e < g.num_entities(); ++e) {
      a.insert(g.Tails(EntityId(e), RelationId(r)).size());
      b.insert(copy->Tails(EntityId(e), RelationId(r)).size());
    }
    EXPECT_EQ(a, b) << g.relation(RelationId(r)).name;
  }
}

TEST(RelabelTest, AcrossTypesNamesMoveAndEveryPlaceKeepsItsType) {
  const Graph g = synth::testing::CountryGraph();
  const std::vector<EntityId> perm = RelabelPermutation(g, 5, RelabelScope::kAcrossTypes);
  std::set<uint32_t> image;
  size_t retyped = 0;
  for (uint32_t e = 0; e < perm.size(); ++e) {
    image.insert(perm[e].value());
    retyped += g.entity(perm[e]).type != g.entity(EntityId(e)).type;
  }
  EXPECT_EQ(image.size(), g.num_entities()) << "not a permutation";
  EXPECT_GT(retyped, 0u) << "across types, some names must land on a place of another type";
  EXPECT_EQ(RelabelPermutation(g, 5, RelabelScope::kAcrossTypes), perm);
  EXPECT_NE(RelabelPermutation(g, 5, RelabelScope::kWithinType), perm);

  Result<Graph> copy = RelabelGraph(g, 5, RelabelScope::kAcrossTypes);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  for (uint32_t e = 0; e < g.num_entities(); ++e) {
    // The entity keeps its key and name and takes the type of the place it moved into.
    EXPECT_EQ(copy->entity(perm[e]).key, g.entity(perm[e]).key);
    EXPECT_EQ(copy->entity(perm[e]).name, g.entity(perm[e]).name);
    EXPECT_EQ(copy->entity(perm[e]).type, g.entity(EntityId(e)).type) << g.entity(perm[e]).name;
  }
  // Every triple's head and tail have the types they had before the move, so each relation
  // still joins the types it joined (its tools keep their parameters).
  std::multiset<std::tuple<std::string, uint32_t, std::string>> before, after;
  for (const Triple& t : g.AllTriples()) {
    before.emplace(g.entity(t.head).type, t.relation.value(), g.entity(t.tail).type);
  }
  for (const Triple& t : copy->AllTriples()) {
    after.emplace(copy->entity(t.head).type, t.relation.value(), copy->entity(t.tail).type);
  }
  EXPECT_EQ(after, before);
  // Within-type copies are unchanged by the option's existence: the default scope.
  EXPECT_EQ(RelabelPermutation(g, 5), RelabelPermutation(g, 5, RelabelScope::kWithinType));
}

TEST(RelabelTest, StoreIsMarkedAsACopyOfTheOriginalEvenFromACopy) {
  TempDir dir;
  const Graph g = synth::testing::CountryGraph();
  const std::string in = StoreOf(g, dir, "countries");
  const std::string original = GraphStore::Open(in, GraphStore::Mode::kReadOnly)->checksum();
  Result<RelabelReport> r = WriteRelabelledStore(in, dir.File("v1.db"), 1, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->original_checksum, original);
  EXPECT_EQ(r->triples, g.num_triples());
  EXPECT_GT(r->moved, 0u);
  Result<GraphStore> v1 = GraphStore::Open(dir.File("v1.db"), GraphStore::Mode::kReadOnly);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->counterfactual_of(), original);
  EXPECT_EQ(v1->relabel_seed(), 1u);
  EXPECT_EQ(v1->name(), "countries, relabelled 1");
  EXPECT_EQ(v1->checksum(), r->checksum);
  EXPECT_NE(v1->checksum(), original);
  Result<Graph> loaded = v1->LoadGraph();
  ASSERT_TRUE(loaded.ok());
  std::set<std::tuple<std::string, std::string, std::string>> want, got;
  const Graph expected = std::move(RelabelGraph(g, 1)).value();
  for (const Triple& t : expected.AllTriples()) {
    want.emplace(expected.entity(t.head).key, expected.relation(t.relation).key, expected.entity(t.tail).key);
  }
  for (const Triple& t : loaded->AllTriples()) {
    got.emplace(loaded->entity(t.head).key, loaded->relation(t.relation).key, loaded->entity(t.tail).key);
  }
  EXPECT_EQ(got, want);
  // A copy of the copy still names the original graph; an untouched store names nothing.
  ASSERT_TRUE(WriteRelabelledStore(dir.File("v1.db"), dir.File("v2.db"), 2, "second").ok());
  Result<GraphStore> v2 = GraphStore::Open(dir.File("v2.db"), GraphStore::Mode::kReadOnly);
  EXPECT_EQ(v2->counterfactual_of(), original);
  EXPECT_EQ(v2->name(), "second");
  EXPECT_EQ(GraphStore::Open(in, GraphStore::Mode::kReadOnly)->counterfactual_of(), "");
}

TEST(RelabelTest, NeverOverwritesAndLeavesNothingBehindOnFailure) {
  TempDir dir;
  const std::string in = StoreOf(synth::testing::CountryGraph(), dir, "countries");
  const std::string taken = dir.Write("taken.db", "mine");
  Result<RelabelReport> r = WriteRelabelledStore(in, taken, 1, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("taken.db"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(*ReadFileToString(taken), "mine");
  const std::string before = ListFilesRecursive(dir.path());
  Result<RelabelReport> missing = WriteRelabelledStore(dir.File("nope.db"), dir.File("out.db"), 1, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(ListFilesRecursive(dir.path()), before);
  ASSERT_TRUE(WriteRelabelledStore(in, dir.File("out.db"), 1, "").ok());
  EXPECT_FALSE(FileExists(dir.File("out.db.relabelling")));
}

}  // namespace
}  // namespace kgf::kg
