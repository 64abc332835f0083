#include "base/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace kgf {
namespace {

TEST(RngTest, SameSeedGivesSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, ForItemIsAFunctionOfSeedAndIndexOnly) {
  std::set<uint64_t> firsts;
  for (uint64_t i = 0; i < 1000; ++i) {
    Rng r1 = Rng::ForItem(7, i);
    Rng r2 = Rng::ForItem(7, i);
    uint64_t x = r1.Next();
    EXPECT_EQ(x, r2.Next());
    firsts.insert(x);
  }
  EXPECT_EQ(firsts.size(), 1000u);
  EXPECT_NE(Rng::ForItem(7, 0).Next(), Rng::ForItem(8, 0).Next());
}

TEST(RngTest, SplitDoesNotAdvanceParent) {
  Rng a(1), b(1);
  Rng child = a.Split(3);
  EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(child.Next(), Rng(1).Next());
}

TEST(RngTest, UniformIsInRangeAndRoughlyFlat) {
  Rng r(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    uint64_t x = r.Uniform(7);
    ASSERT_LT(x, 7u);
    ++counts[x];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.UniformInt(-3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
}

TEST(RngTest, NormalHasUnitMoments) {
  Rng r(9);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.Normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
}

TEST(RngTest, WeightedFollowsWeightsAndSkipsZeros) {
  Rng r(11);
  std::vector<double> w = {0.0, 1.0, 3.0, 0.0};
  int counts[4] = {0, 0, 0, 0};
  for (int i = 0; i < 40000; ++i) ++counts[r.Weighted(w)];
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[3], 0);
  EXPECT_NEAR(counts[2] / 40000.0, 0.75, 0.02);
}

TEST(RngTest, ShuffleIsAPermutation) {
  Rng r(3);
  std::vector<int> v(50);
  for (int i = 0; i < 50; ++i) v[i] = i;
  r.Shuffle(std::span<int>(v));
  std::set<int> s(v.begin(), v.end());
  EXPECT_EQ(s.size(), 50u);
  bool moved = false;
  for (int i = 0; i < 50; ++i) moved |= v[i] != i;
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace kgf
