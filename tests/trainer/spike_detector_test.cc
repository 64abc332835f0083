#include "trainer/train/spike_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "base/rng.h"

namespace kgf::trainer {
namespace {

// A noisy, slowly falling loss: 3.0 - 0.001 t + N(0, 0.01).
double Loss(Rng& rng, int t) { return 3.0 - 0.001 * t + 0.01 * rng.Normal(); }

TEST(SpikeDetectorTest, QuietSeriesHasNoEvents) {
  SpikeDetector d;
  Rng rng(1);
  for (int t = 0; t < 1000; ++t) {
    SpikeDecision dec = d.Observe(t, Loss(rng, t), 1.0);
    EXPECT_EQ(dec.action, SpikeAction::kUpdate) << t;
    EXPECT_FALSE(dec.has_event);
  }
  EXPECT_EQ(d.observed(), 1000);
  EXPECT_NEAR(d.ema(), 3.0 - 0.001 * 999, 0.1);
}

TEST(SpikeDetectorTest, SpikeSkipsThenRetriesThenLowersLr) {
  SpikeDetector d;
  Rng rng(2);
  int t = 0;
  for (; t < 200; ++t) ASSERT_EQ(d.Observe(t, Loss(rng, t), 1.0).action, SpikeAction::kUpdate);
  const double ema = d.ema();
  // A spike at step 200: skipped, EMA untouched.
  SpikeDecision a = d.Observe(200, 5.0, 1.0);
  EXPECT_EQ(a.action, SpikeAction::kSkipAndRetry);
  ASSERT_TRUE(a.has_event);
  EXPECT_EQ(a.event.kind, "spike_skipped");
  EXPECT_EQ(a.event.step, 200);
  EXPECT_DOUBLE_EQ(d.ema(), ema);
  // The retry of step 200 on another batch is fine: normal update.
  SpikeDecision b = d.Observe(200, Loss(rng, 200), 1.0);
  EXPECT_EQ(b.action, SpikeAction::kUpdate);
  EXPECT_FALSE(b.has_event);
  // A spike at 201, and again on its retry: applied with half the LR.
  EXPECT_EQ(d.Observe(201, 6.0, 1.0).action, SpikeAction::kSkipAndRetry);
  SpikeDecision c = d.Observe(201, 6.0, 1.0);
  EXPECT_EQ(c.action, SpikeAction::kUpdateReducedLr);
  EXPECT_DOUBLE_EQ(c.lr_factor, 0.5);
  EXPECT_EQ(c.event.kind, "spike_lr_reduced");
  EXPECT_GT(d.ema(), ema) << "an applied spike moves the EMA";
}

TEST(SpikeDetectorTest, NoDetectionDuringWarmup) {
  SpikeDetector d;
  for (int t = 0; t < 100; ++t) {
    EXPECT_EQ(d.Observe(t, t == 50 ? 100.0 : 3.0, 1.0).action, SpikeAction::kUpdate);
  }
  EXPECT_EQ(d.Observe(100, 100.0, 1.0).action, SpikeAction::kSkipAndRetry);
}

TEST(SpikeDetectorTest, NonFiniteIsSkippedAndCountsTowardsDivergence) {
  SpikeOptions o;
  o.max_consecutive_nonfinite = 2;
  SpikeDetector d(o);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(d.Observe(0, 3.0, 1.0).action, SpikeAction::kUpdate);
  SpikeDecision a = d.Observe(1, nan, 1.0);
  EXPECT_EQ(a.action, SpikeAction::kSkipNonFinite);
  EXPECT_EQ(a.event.kind, "nonfinite_skipped");
  EXPECT_EQ(d.Observe(1, 3.0, inf).action, SpikeAction::kSkipNonFinite);
  EXPECT_FALSE(d.Diverged());
  EXPECT_EQ(d.Observe(1, 3.0, nan).action, SpikeAction::kSkipNonFinite);
  EXPECT_TRUE(d.Diverged());
  EXPECT_EQ(d.Observe(1, 3.0, 1.0).action, SpikeAction::kUpdate);
  EXPECT_FALSE(d.Diverged());
  EXPECT_EQ(d.observed(), 2) << "non-finite losses never enter the EMA";
  EXPECT_TRUE(std::isfinite(d.ema()));
}

TEST(SpikeDetectorTest, SavedBatchesComeBackWhenDue) {
  SpikeOptions o;
  o.reinject_after_steps = 5;
  SpikeDetector d(o);
  d.SaveBatch(10, {1, 2, 3});
  d.SaveBatch(12, {7});
  EXPECT_TRUE(d.TakeDue(14).empty());
  auto due = d.TakeDue(15);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].sequences, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(due[0].from_step, 10);
  EXPECT_EQ(d.saved().size(), 1u);
  EXPECT_EQ(d.TakeDue(30).size(), 1u);
  EXPECT_TRUE(d.saved().empty());
}

TEST(SpikeDetectorTest, StateRoundTripGivesIdenticalDecisions) {
  SpikeDetector a;
  Rng rng(5);
  for (int t = 0; t < 150; ++t) (void)a.Observe(t, Loss(rng, t), 1.0);
  (void)a.Observe(150, 9.0, 1.0);  // pending retry
  a.SaveBatch(150, {4, 5});
  auto doc = ParseJson(a.StateJson(), "state");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  SpikeDetector b;
  ASSERT_TRUE(b.RestoreState(*doc, "state").ok());
  EXPECT_EQ(b.StateJson(), a.StateJson());
  EXPECT_EQ(b.ema(), a.ema());
  Rng r1(9), r2(9);
  for (int t = 150; t < 400; ++t) {
    const double x = Loss(r1, t) + (t % 97 == 0 ? 1.0 : 0.0);
    (void)Loss(r2, t);
    const SpikeDecision da = a.Observe(t, x, 1.0), db = b.Observe(t, x, 1.0);
    ASSERT_EQ(da.action, db.action) << t;
  }
  EXPECT_EQ(a.StateJson(), b.StateJson());
  EXPECT_EQ(b.RestoreState(JsonDoc(), "bad").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kgf::trainer
