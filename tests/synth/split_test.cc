#include "synth/split.h"

#include <gtest/gtest.h>

namespace kgf::synth {
namespace {

TEST(SplitTest, SmallGraphsHoldOutAtLeastTheMinimum) {
  SplitOptions o;  // 5% each, at least 30
  SplitOptions big = ResolveSplit(o, 10000);
  EXPECT_DOUBLE_EQ(big.test_fraction, 0.05);
  EXPECT_DOUBLE_EQ(big.valid_fraction, 0.05);
  SplitOptions small = ResolveSplit(o, 300);
  EXPECT_DOUBLE_EQ(small.test_fraction, 0.1);
  EXPECT_DOUBLE_EQ(small.valid_fraction, 0.1);
  EXPECT_DOUBLE_EQ(ResolveSplit(o, 40).test_fraction, 0.25);  // capped
  o.valid_fraction = 0;  // no valid split asked for: none made
  EXPECT_DOUBLE_EQ(ResolveSplit(o, 300).valid_fraction, 0);
  // The resolved options give about the asked share of entities.
  int test = 0;
  for (int i = 0; i < 300; ++i) test += EntitySplit("e" + std::to_string(i), small) == Split::kTest;
  EXPECT_GE(test, 18);
  EXPECT_LE(test, 45);
}

}  // namespace
}  // namespace kgf::synth
