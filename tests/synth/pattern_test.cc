#include "synth/pattern.h"

#include <gtest/gtest.h>

#include <set>

namespace kgf::synth {
namespace {

TEST(PatternTest, FourteenPatternsNineePositiveFiveNegative) {
  int negative = 0;
  std::set<std::string_view> names;
  for (Pattern p : AllPatterns()) {
    names.insert(PatternName(p));
    negative += IsNegative(p) ? 1 : 0;
  }
  EXPECT_EQ(names.size(), 14u);
  EXPECT_EQ(negative, 5);
}

TEST(PatternTest, TreesUseEverySlotOnce) {
  for (Pattern p : AllPatterns()) {
    const PatternTree& tree = TreeOf(p);
    std::multiset<int> anchors, relations;
    for (const QueryNode& n : tree.nodes) {
      if (n.op == QueryOp::kAnchor) anchors.insert(n.slot);
      if (n.op == QueryOp::kProject) relations.insert(n.slot);
    }
    EXPECT_EQ(static_cast<int>(anchors.size()), NumAnchors(p)) << PatternName(p);
    EXPECT_EQ(static_cast<int>(relations.size()), NumRelations(p)) << PatternName(p);
    for (int s = 0; s < NumAnchors(p); ++s) EXPECT_EQ(anchors.count(s), 1u) << PatternName(p);
    for (int s = 0; s < NumRelations(p); ++s) EXPECT_EQ(relations.count(s), 1u) << PatternName(p);
    EXPECT_EQ(tree.root, static_cast<int>(tree.nodes.size()) - 1);
  }
}

TEST(PatternTest, NegationRootsAndShapes) {
  EXPECT_EQ(TreeOf(Pattern::k2in).nodes[TreeOf(Pattern::k2in).root].op, QueryOp::kNegate);
  EXPECT_EQ(TreeOf(Pattern::kInp).nodes[TreeOf(Pattern::kInp).root].op, QueryOp::kProject);
  EXPECT_EQ(TreeOf(Pattern::k3i).nodes[TreeOf(Pattern::k3i).root].children.size(), 3u);
  EXPECT_EQ(PatternStructure(Pattern::kPni), "((e,(r,r,n)),(e,(r)))");
}

TEST(PatternTest, UnknownPatternNamesValidOnes) {
  Result<Pattern> p = ParsePattern("4p");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("'4p'"), std::string::npos);
  EXPECT_NE(p.status().message().find("pni"), std::string::npos);
}

TEST(PatternTest, MixParsesGroupsAndWeights) {
  auto w = ParsePatternMix("positive");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)[static_cast<int>(Pattern::k2i)], 1.0);
  EXPECT_EQ((*w)[static_cast<int>(Pattern::k2in)], 0.0);
  w = ParsePatternMix("1p:3, 2in:0.5");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)[static_cast<int>(Pattern::k1p)], 3.0);
  EXPECT_EQ((*w)[static_cast<int>(Pattern::k2in)], 0.5);
  EXPECT_EQ((*w)[static_cast<int>(Pattern::k2p)], 0.0);
  EXPECT_FALSE(ParsePatternMix("1p:x").ok());
  EXPECT_FALSE(ParsePatternMix("1p:0").ok());
  EXPECT_FALSE(ParsePatternMix("").ok());
  EXPECT_FALSE(ParsePatternMix("1p,zz").ok());
}

TEST(PatternTest, QuotasParse) {
  auto q = ParsePatternQuotas("1p=10, pni=3");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)[static_cast<int>(Pattern::k1p)], 10u);
  EXPECT_EQ((*q)[static_cast<int>(Pattern::kPni)], 3u);
  EXPECT_TRUE(IsQuotaSpec("1p=1"));
  EXPECT_FALSE(IsQuotaSpec("1p:1"));
  EXPECT_FALSE(ParsePatternQuotas("1p=-1").ok());
  EXPECT_FALSE(ParsePatternQuotas("1p=0").ok());
  EXPECT_FALSE(ParsePatternQuotas("1p").ok());
  EXPECT_FALSE(ParsePatternQuotas("9x=4").ok());
}

}  // namespace
}  // namespace kgf::synth
