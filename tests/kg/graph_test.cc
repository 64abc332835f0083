// Graph: the CSR adjacency against a std::map oracle over many random graphs, plus the
// contract's errors.
#include "kg/graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "base/rng.h"

namespace kgf::kg {
namespace {

std::vector<EntityInfo> Entities(uint32_t n) {
  std::vector<EntityInfo> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back({"k" + std::to_string(i), "E" + std::to_string(i), "t", {}});
  return out;
}
std::vector<RelationInfo> Relations(uint32_t n) {
  std::vector<RelationInfo> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back({"rk" + std::to_string(i), "r" + std::to_string(i), "", "", "", "", ""});
  return out;
}

TEST(GraphTest, MatchesMapOracleOnRandomGraphs) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    const uint32_t V = 1 + static_cast<uint32_t>(rng.Uniform(60));
    const uint32_t R = 1 + static_cast<uint32_t>(rng.Uniform(6));
    const uint32_t T = static_cast<uint32_t>(rng.Uniform(400));
    std::vector<Triple> triples;
    std::set<Triple> oracle;
    std::map<std::pair<uint32_t, uint32_t>, std::set<uint32_t>> tails, heads;
    for (uint32_t i = 0; i < T; ++i) {
      Triple t{EntityId(static_cast<uint32_t>(rng.Uniform(V))), RelationId(static_cast<uint32_t>(rng.Uniform(R))),
               EntityId(static_cast<uint32_t>(rng.Uniform(V)))};
      triples.push_back(t);
      if (rng.Bernoulli(0.2)) triples.push_back(t);  // duplicates are kept once
      oracle.insert(t);
      tails[{t.head.value(), t.relation.value()}].insert(t.tail.value());
      heads[{t.tail.value(), t.relation.value()}].insert(t.head.value());
    }
    Rng shuffle(seed + 1000);
    shuffle.Shuffle(std::span<Triple>(triples));
    Result<Graph> g = Graph::Build(Entities(V), Relations(R), triples);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    ASSERT_EQ(g->num_triples(), oracle.size()) << "seed " << seed;
    EXPECT_EQ(g->AllTriples(), std::vector<Triple>(oracle.begin(), oracle.end()));
    std::vector<size_t> per_relation(R, 0);
    for (const Triple& t : oracle) ++per_relation[t.relation.value()];
    for (uint32_t r = 0; r < R; ++r) EXPECT_EQ(g->RelationSize(RelationId(r)), per_relation[r]);
    for (uint32_t v = 0; v < V; ++v) {
      size_t out_degree = 0, in_degree = 0;
      for (uint32_t r = 0; r < R; ++r) {
        auto got_t = g->Tails(EntityId(v), RelationId(r));
        auto got_h = g->Heads(RelationId(r), EntityId(v));
        std::vector<uint32_t> want_t, want_h, have_t, have_h;
        if (auto it = tails.find({v, r}); it != tails.end()) want_t.assign(it->second.begin(), it->second.end());
        if (auto it = heads.find({v, r}); it != heads.end()) want_h.assign(it->second.begin(), it->second.end());
        for (EntityId e : got_t) have_t.push_back(e.value());
        for (EntityId e : got_h) have_h.push_back(e.value());
        EXPECT_EQ(have_t, want_t) << "seed " << seed << " tails of (" << v << ", " << r << ")";
        EXPECT_EQ(have_h, want_h) << "seed " << seed << " heads of (" << r << ", " << v << ")";
        out_degree += want_t.size();
        in_degree += want_h.size();
      }
      auto out = g->OutEdges(EntityId(v));
      auto in = g->InEdges(EntityId(v));
      EXPECT_EQ(out.size(), out_degree);
      EXPECT_EQ(in.size(), in_degree);
      EXPECT_EQ(g->OutDegree(EntityId(v)), out_degree);  // Boost's CSR agrees with the spans
      EXPECT_EQ(g->InDegree(EntityId(v)), in_degree);
      EXPECT_TRUE(std::is_sorted(out.begin(), out.end()));
      EXPECT_TRUE(std::is_sorted(in.begin(), in.end()));
    }
  }
}

TEST(GraphTest, LooksUpByNameAndKey) {
  Result<Graph> g = Graph::Build(Entities(3), Relations(2), {{EntityId(0), RelationId(1), EntityId(2)}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->FindEntityByName("E2"), EntityId(2));
  EXPECT_EQ(g->FindEntityByKey("k1"), EntityId(1));
  EXPECT_EQ(g->FindEntityByName("k1"), std::nullopt);
  EXPECT_EQ(g->FindRelationByName("r1"), RelationId(1));
  EXPECT_EQ(g->FindRelationByKey("rk0"), RelationId(0));
  EXPECT_EQ(g->FindRelationByKey("nope"), std::nullopt);
  EXPECT_TRUE(g->Tails(EntityId(2), RelationId(1)).empty());
  EXPECT_TRUE(g->Tails(EntityId(99), RelationId(1)).empty());  // out of range: empty, not a crash
}

TEST(GraphTest, RejectsDuplicateNamesKeysAndOutOfRangeIds) {
  auto e = Entities(2);
  e[1].name = "E0";
  Result<Graph> dup_name = Graph::Build(e, Relations(1), {});
  ASSERT_FALSE(dup_name.ok());
  EXPECT_NE(dup_name.status().message().find("duplicate entity name 'E0'"), std::string::npos);
  e = Entities(2);
  e[1].key = "k0";
  EXPECT_FALSE(Graph::Build(e, Relations(1), {}).ok());
  auto r = Relations(2);
  r[1].name = "r0";
  EXPECT_FALSE(Graph::Build(Entities(2), r, {}).ok());
  Result<Graph> range = Graph::Build(Entities(2), Relations(1), {{EntityId(0), RelationId(0), EntityId(2)}});
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("out of range"), std::string::npos);
}

TEST(GraphTest, EmptyGraphIsValid) {
  Result<Graph> g = Graph::Build({}, {}, {});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->num_entities(), 0u);
  EXPECT_TRUE(g->AllTriples().empty());
}

}  // namespace
}  // namespace kgf::kg
