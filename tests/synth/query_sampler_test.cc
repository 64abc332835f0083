#include "synth/query_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "synth/query.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

// A three-way intersection whose every branch cuts needs branch sets that overlap beyond the
// answer: 3,000 triples over 300 entities have enough of them for every pattern.
TEST(QuerySamplerTest, AcceptedQueriesSatisfyTheRulesForAllPatternsAndSeeds) {
  kg::Graph g = testing::RandomGraph(7, 300, 8, 3000);
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

// The answers of node n with one branch left out: children[drop_child] of node drop_node
// (recursive, independent of the sampler's post-order execution).
std::set<uint32_t> AnswersWithout(const kg::Graph& g, const Query& q, int n, int drop_node,
                                  int drop_child) {
  const QueryNode& node = TreeOf(q.pattern).nodes[n];
  std::set<uint32_t> out;
  if (node.op == QueryOp::kAnchor) return {q.anchors[node.slot].value()};
  if (node.op == QueryOp::kProject) {
    for (uint32_t x : AnswersWithout(g, q, node.children[0], drop_node, drop_child)) {
      for (kg::EntityId y : Neighbors(g, kg::EntityId(x), q.relations[node.slot],
                                      q.IsInverse(node.slot))) {
        out.insert(y.value());
      }
    }
    return out;
  }
  std::vector<std::set<uint32_t>> kids;
  for (int c = 0; c < static_cast<int>(node.children.size()); ++c) {
    if (n == drop_node && c == drop_child) continue;
    kids.push_back(AnswersWithout(g, q, node.children[c], drop_node, drop_child));
  }
  out = kids[0];
  for (size_t k = 1; k < kids.size(); ++k) {
    std::set<uint32_t> next;
    for (uint32_t x : out) {
      const bool in = kids[k].count(x) > 0;
      if (node.op == QueryOp::kIntersect ? in : node.op == QueryOp::kNegate ? !in : true) {
        next.insert(x);
      }
    }
    if (node.op == QueryOp::kUnion) next.insert(kids[k].begin(), kids[k].end());
    out = std::move(next);
  }
  return out;
}

TEST(QuerySamplerTest, EveryBranchOfEverySetOperationChangesTheAnswers) {
  // Dropping an intersection's or a union's input, or a negation's negated set, must change the
  // answers: a third intersection branch the other two imply, or a union branch whose members
  // lead on (up) to what the other's lead to, would ask for a condition that changes nothing.
  for (uint64_t graph_seed : {7, 11}) {
    kg::Graph g = testing::RandomGraph(graph_seed, 300, 8, 3000);
    auto sampler = QuerySampler::Create(g, SamplerOptions{});
    ASSERT_TRUE(sampler.ok());
    for (Pattern p : AllPatterns()) {
      const PatternTree& tree = TreeOf(p);
      int checked = 0;
      for (uint64_t seed = 0; seed < 600; ++seed) {
        Rng rng = Rng::ForItem(seed, static_cast<uint64_t>(p));
        SampleOutcome s = sampler->Sample(p, rng);
        if (!s.query) continue;
        const std::set<uint32_t> all = AnswersWithout(g, *s.query, tree.root, -1, -1);
        for (int n = 0; n < static_cast<int>(tree.nodes.size()); ++n) {
          const QueryNode& node = tree.nodes[n];
          if (node.op == QueryOp::kAnchor || node.op == QueryOp::kProject) continue;
          for (int c = node.op == QueryOp::kNegate ? 1 : 0;
               c < static_cast<int>(node.children.size()); ++c) {
            EXPECT_NE(AnswersWithout(g, *s.query, tree.root, n, c), all)
                << PatternName(p) << " seed " << seed << ": node " << n << " without input " << c;
            ++checked;
          }
        }
      }
      const bool has_set_op = std::any_of(tree.nodes.begin(), tree.nodes.end(), [](const QueryNode& x) {
        return x.op != QueryOp::kAnchor && x.op != QueryOp::kProject;
      });
      if (has_set_op) EXPECT_GT(checked, 10) << PatternName(p) << " was almost never checked";
    }
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

TEST(QuerySamplerTest, AnchorTypesKeepOnlyQueriesAnchoredOnThoseTypes) {
  kg::Graph g = testing::CountryGraph();
  auto all = QuerySampler::Create(g, {});
  SamplerOptions o;
  o.anchor_types = {"city"};
  auto cities = QuerySampler::Create(g, o);
  ASSERT_TRUE(all.ok() && cities.ok());
  for (Pattern p : {Pattern::k1p, Pattern::k2p}) {
    int city_anchored = 0, other = 0, accepted = 0, rejected_by_type = 0;
    for (uint64_t i = 0; i < 400; ++i) {
      Rng a = Rng::ForItem(4, i), b = Rng::ForItem(4, i);
      SampleOutcome x = all->Sample(p, a), y = cities->Sample(p, b);
      const bool x_city = x.query && g.entity(x.query->anchors[0]).type == "city";
      (x_city ? city_anchored : other) += x.query.has_value();
      // The filter only rejects: the same draw gives the same query when its anchor is a city.
      if (x_city) {
        ASSERT_TRUE(y.query.has_value());
        EXPECT_EQ(QueryKey(g, *x.query), QueryKey(g, *y.query));
      }
      if (y.query) {
        ++accepted;
        EXPECT_EQ(g.entity(y.query->anchors[0]).type, "city") << PatternName(p);
      }
      rejected_by_type += y.reason == RejectReason::kAnchorType;
    }
    EXPECT_EQ(accepted, city_anchored) << PatternName(p);
    EXPECT_GT(accepted, 5) << PatternName(p);
    EXPECT_GT(rejected_by_type, 0) << PatternName(p);
    EXPECT_GT(other, 0) << PatternName(p) << ": the unfiltered sampler draws other anchors too";
  }
  EXPECT_EQ(RejectReasonName(RejectReason::kAnchorType), "anchor_type");
}

TEST(QuerySamplerTest, UnknownAnchorTypeIsAnErrorListingTheGraphsTypes) {
  kg::Graph g = testing::CountryGraph();
  SamplerOptions o;
  for (auto types : {std::vector<std::string>{"city", "capital"}, {"capital", "city"}}) {
    o.anchor_types = types;
    auto s = QuerySampler::Create(g, o);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("'capital'"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("its types are: city, country, language"), std::string::npos)
        << s.status().message();
  }
  o.anchor_types = {"city", ""};
  auto s = QuerySampler::Create(g, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("empty"), std::string::npos) << s.status().message();
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
