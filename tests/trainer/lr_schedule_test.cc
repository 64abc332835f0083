#include "trainer/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kgf::trainer {
namespace {

LrScheduleOptions Wsd() {
  LrScheduleOptions o;
  o.peak_lr = 1.0;
  o.warmup_steps = 10;
  o.total_steps = 100;
  return o;  // halve at 60, anneal from 90, final 1e-4
}

TEST(LrScheduleTest, WsdValuesAtKeySteps) {
  const LrScheduleOptions o = Wsd();
  ASSERT_TRUE(ValidateLrSchedule(o).ok());
  EXPECT_DOUBLE_EQ(LearningRate(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(LearningRate(o, 4), 0.5);
  EXPECT_DOUBLE_EQ(LearningRate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 10), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 59), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 60), 0.5);
  EXPECT_DOUBLE_EQ(LearningRate(o, 89), 0.5);
  EXPECT_DOUBLE_EQ(LearningRate(o, 90), 0.5);
  // Inverse square root: at p = 1/9 of the anneal, 0.5 / sqrt(1 + (5000^2 - 1) / 9).
  EXPECT_NEAR(LearningRate(o, 91), 0.5 / std::sqrt(1 + (25e6 - 1) / 9), 1e-12);
  EXPECT_NEAR(LearningRate(o, 99), 1e-4, 1e-15);
  EXPECT_NEAR(LearningRate(o, 500), 1e-4, 1e-15);
  for (int s = 90; s < 99; ++s) EXPECT_GT(LearningRate(o, s), LearningRate(o, s + 1)) << s;
}

TEST(LrScheduleTest, CosineEndsAtFinal) {
  LrScheduleOptions o = Wsd();
  o.kind = LrScheduleKind::kCosine;
  EXPECT_DOUBLE_EQ(LearningRate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 10), 1.0);
  EXPECT_NEAR(LearningRate(o, 99), 1e-4, 1e-12);
  // Halfway through the decay: the mean of peak and final.
  o.total_steps = 111;  // decay over steps 10..110, midpoint 60
  EXPECT_NEAR(LearningRate(o, 60), (1.0 + 1e-4) / 2, 1e-12);
  for (int s = 10; s < 110; ++s) EXPECT_GE(LearningRate(o, s), LearningRate(o, s + 1));
}

TEST(LrScheduleTest, ConstantAndNoWarmup) {
  LrScheduleOptions o = Wsd();
  o.kind = LrScheduleKind::kConstant;
  o.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(LearningRate(o, 0), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 99), 1.0);
}

TEST(LrScheduleTest, RejectsBadOptions) {
  LrScheduleOptions o = Wsd();
  o.total_steps = 0;
  EXPECT_EQ(ValidateLrSchedule(o).code(), StatusCode::kInvalidArgument);
  o = Wsd();
  o.halve_at_fraction = 0.95;
  EXPECT_EQ(ValidateLrSchedule(o).code(), StatusCode::kInvalidArgument);
  o = Wsd();
  o.peak_lr = 0;
  EXPECT_EQ(ValidateLrSchedule(o).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLrScheduleKind("linear").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseLrScheduleKind("cosine"), LrScheduleKind::kCosine);
}

TEST(LrScheduleTest, BatchSizeWarmup) {
  BatchSizeSchedule b{.start = 4, .end = 16, .warmup_steps = 10, .multiple = 4};
  EXPECT_EQ(b.At(0), 4);
  EXPECT_EQ(b.At(5), 8);  // 4 + 12 * 5 / 10 = 10, rounded down to a multiple of 4
  EXPECT_EQ(b.At(9), 12);
  EXPECT_EQ(b.At(10), 16);
  EXPECT_EQ(b.At(1000), 16);
  BatchSizeSchedule off{.start = 0, .end = 6, .warmup_steps = 10, .multiple = 2};
  EXPECT_EQ(off.At(0), 6);
  BatchSizeSchedule tiny{.start = 1, .end = 8, .warmup_steps = 10, .multiple = 4};
  EXPECT_EQ(tiny.At(0), 4) << "never below one multiple";
}

}  // namespace
}  // namespace kgf::trainer
