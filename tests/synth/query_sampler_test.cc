#include "synth/query_sampler.h"

#include <gtest/gtest.h>

#include <array>

#include "synth/query.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

TEST(QuerySamplerTest, AcceptedQueriesSatisfyTheRulesForAllPatternsAndSeeds) {
  kg::Graph g = testing::RandomGraph(7);
  SamplerOptions options;
  auto sampler = QuerySampler::Create(g, options);
  ASSERT_TRUE(sampler.ok());
  for (Pattern p : AllPatterns()) {
    int accepted = 0;
    for (uint64_t seed = 0; seed < 800; ++seed) {
      Rng rng = Rng::ForItem(seed, static_cast<uint64_t>(p));
      SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) {
        EXPECT_NE(s.reason, RejectReason::kNone);
        continue;
      }
      ++accepted;
      const EntitySet answers = ExecuteQuery(g, *s.query);
      EXPECT_EQ(answers, s.answers());
      EXPECT_FALSE(answers.empty());
      EXPECT_LE(answers.size(), static_cast<size_t>(options.answer_cap));
      const PatternTree& tree = TreeOf(p);
      std::vector<EntitySet> sets = ExecuteQueryNodes(g, *s.query);
      for (size_t n = 0; n < tree.nodes.size(); ++n) {
        EXPECT_FALSE(sets[n].empty()) << PatternName(p) << " node " << n;
        if (tree.nodes[n].op == QueryOp::kNegate) {
          // The negated branch removes something.
          EXPECT_LT(sets[n].size(), sets[tree.nodes[n].children[0]].size());
        }
      }
    }
    EXPECT_GT(accepted, 10) << PatternName(p) << " is almost never fillable on the test graph";
  }
}

TEST(QuerySamplerTest, SameSeedYieldsSameQueries) {
  kg::Graph g = testing::RandomGraph(3);
  auto sampler = QuerySampler::Create(g, {});
  ASSERT_TRUE(sampler.ok());
  for (Pattern p : AllPatterns()) {
    for (uint64_t i = 0; i < 50; ++i) {
      Rng a = Rng::ForItem(11, i), b = Rng::ForItem(11, i);
      SampleOutcome x = sampler->Sample(p, a), y = sampler->Sample(p, b);
      ASSERT_EQ(x.reason, y.reason);
      if (x.query) EXPECT_EQ(QueryKey(g, *x.query), QueryKey(g, *y.query));
    }
  }
}

TEST(QuerySamplerTest, EmptyGraphIsAnError) {
  auto g = kg::Graph::Build({{"a", "A", "", {}}}, {{"r", "r", "", "", "", "", ""}}, {});
  ASSERT_TRUE(g.ok());
  auto s = QuerySampler::Create(*g, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("empty"), std::string::npos);
}

TEST(QuerySamplerTest, UnknownAllowedRelationIsAnError) {
  kg::Graph g = testing::CountryGraph();
  SamplerOptions o;
  o.deny_relations = {"nope"};
  auto s = QuerySampler::Create(g, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("'nope'"), std::string::npos);
}

TEST(QuerySamplerTest, UnfillablePatternRejectsWithReasonsNeverHangs) {
  // A chain a -> b -> c: every entity has one in-edge, so intersections always have identical
  // branches and negations remove everything.
  auto g = kg::Graph::Build({{"a", "A", "", {}}, {"b", "B", "", {}}, {"c", "C", "", {}}},
                            {{"r", "r", "", "", "", "", ""}},
                            {{kg::EntityId(0), kg::RelationId(0), kg::EntityId(1)},
                             {kg::EntityId(1), kg::RelationId(0), kg::EntityId(2)}});
  ASSERT_TRUE(g.ok());
  auto sampler = QuerySampler::Create(*g, {});
  ASSERT_TRUE(sampler.ok());
  for (Pattern p : {Pattern::k2i, Pattern::k3i, Pattern::k2in, Pattern::k3p, Pattern::kPni}) {
    std::array<int, kNumRejectReasons> reasons{};
    for (uint64_t i = 0; i < 200; ++i) {
      Rng rng = Rng::ForItem(1, i);
      SampleOutcome s = sampler->Sample(p, rng);
      EXPECT_FALSE(s.query.has_value()) << PatternName(p);
      ++reasons[static_cast<int>(s.reason)];
    }
    EXPECT_EQ(reasons[0], 0);
  }
}

TEST(QuerySamplerTest, DenyListRemovesRelations) {
  kg::Graph g = testing::CountryGraph();
  SamplerOptions o;
  o.deny_relations = {"borders", "official_language"};
  auto sampler = QuerySampler::Create(g, o);
  ASSERT_TRUE(sampler.ok());
  // The capitals (forward) and their countries (the inverse hop city -> country).
  EXPECT_EQ(sampler->num_candidates(), 16u);
  int accepted = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    Rng rng = Rng::ForItem(2, i);
    SampleOutcome s = sampler->Sample(Pattern::k1p, rng);
    if (!s.query) continue;
    ++accepted;
    EXPECT_EQ(g.relation(s.query->relations[0]).key, "capital");
  }
  EXPECT_GT(accepted, 50);
}

TEST(QuerySamplerTest, ASymmetricRoundTripNeverYieldsItsAnchor) {
  // borders is symmetric: borders(borders(X)) always holds X, so such a 2p is always rejected
  // (as an answer that is its anchor) and never emitted.
  kg::Graph g = testing::CountryGraph();
  auto sampler = QuerySampler::Create(g, {});
  ASSERT_TRUE(sampler.ok());
  for (uint64_t i = 0; i < 300; ++i) {
    Rng rng = Rng::ForItem(5, i);
    SampleOutcome s = sampler->Sample(Pattern::k2p, rng);
    if (!s.query) continue;
    EXPECT_FALSE(g.relation(s.query->relations[0]).key == "borders" &&
                 g.relation(s.query->relations[1]).key == "borders");
  }
}

}  // namespace
}  // namespace kgf::synth
