#include "trainer/train/local_sgd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "dist/communicator.h"

namespace kgf::trainer {
namespace {

// One worker: the outer step is plain Nesterov SGD on the pseudo-gradient.
TEST(LocalSgdTest, OuterNesterovStepOnOneWorker) {
  dist::LocalCommunicator comm;
  Parameter p{"w", {2}, {1.0f, 2.0f}, {0, 0}};
  LocalSgdOptions o;
  o.outer_lr = 0.5;
  o.outer_momentum = 0.5;
  LocalSgd sgd(o, {&p}, &comm);
  p.value = {0.0f, 2.0f};  // a local step moved w[0] by -1: delta = synced - local = (1, 0)
  auto r = sgd.Sync();
  ASSERT_TRUE(r.ok());
  // m = 0.5*0 + 1 = 1; synced -= 0.5 * (1 + 0.5*1) = 0.75 -> 0.25
  EXPECT_FLOAT_EQ(p.value[0], 0.25f);
  EXPECT_FLOAT_EQ(p.value[1], 2.0f);
  EXPECT_DOUBLE_EQ(r->norms[0], 1.0);
  EXPECT_DOUBLE_EQ(r->weights[0], 1.0);
  EXPECT_EQ(r->sync, 1);
  // Second sync with no local movement: momentum alone moves on. m = 0.5; step 0.5*(0 + 0.25).
  r = sgd.Sync();
  ASSERT_TRUE(r.ok());
  EXPECT_FLOAT_EQ(p.value[0], 0.25f - 0.125f);
}

TEST(LocalSgdTest, LrOneMomentumZeroKeepsTheLocalStepAndClipBounds) {
  dist::LocalCommunicator comm;
  Parameter p{"w", {3}, {0, 0, 0}, {0, 0, 0}};
  LocalSgdOptions o;
  o.outer_lr = 1;
  o.outer_momentum = 0;
  LocalSgd sgd(o, {&p}, &comm);
  p.value = {3, 4, 0};
  ASSERT_TRUE(sgd.Sync().ok());
  EXPECT_EQ(p.value, (std::vector<float>{3, 4, 0})) << "identity: the synced point is the local one";
  o.clip_norm = 1;
  LocalSgd clipped(o, {&p}, &comm);
  p.value = {6, 8, 0};  // delta (-3, -4, 0), norm 5 -> clipped to norm 1
  auto r = clipped.Sync();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->clipped);
  EXPECT_DOUBLE_EQ(r->delta_norm, 5.0);
  EXPECT_NEAR(p.value[0], 3.6, 1e-6);
  EXPECT_NEAR(p.value[1], 4.8, 1e-6);
}

TEST(LocalSgdTest, StateRoundTripsThroughACheckpointFile) {
  dist::LocalCommunicator comm;
  Parameter p{"w", {2}, {1, 1}, {0, 0}};
  LocalSgdOptions o;
  LocalSgd a(o, {&p}, &comm);
  p.value = {0.5f, 1.5f};
  ASSERT_TRUE(a.Sync().ok());
  auto file = SafetensorsFile::Parse(a.Encode(), "local_sgd.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Parameter q = p;
  LocalSgd b(o, {&q}, &comm);
  ASSERT_TRUE(b.Restore(*file, "ck").ok());
  EXPECT_EQ(b.syncs(), 1);
  // Same momentum: the same next step from the same point.
  p.value = q.value = {0.25f, 1.0f};
  ASSERT_TRUE(a.Sync().ok());
  ASSERT_TRUE(b.Sync().ok());
  EXPECT_EQ(p.value, q.value);
  Parameter other{"v", {2}, {0, 0}, {0, 0}};
  LocalSgd c(o, {&other}, &comm);
  EXPECT_EQ(c.Restore(*file, "ck").code(), StatusCode::kFailedPrecondition);
}

TEST(LocalSgdTest, ANonFinitePseudoGradientFailsTheSyncInsteadOfPoisoningIt) {
  dist::LocalCommunicator comm;
  Parameter p{"w", {2}, {1, 1}, {0, 0}};
  LocalSgd sgd({}, {&p}, &comm);
  p.value = {std::numeric_limits<float>::infinity(), 1};
  auto r = sgd.Sync();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("non-finite"), std::string::npos) << r.status().message();
}

TEST(LocalSgdTest, OptionsAreValidatedByName) {
  LocalSgdOptions o;
  o.sync_every = 0;
  EXPECT_NE(o.Validate().message().find("sync interval"), std::string::npos);
  o = {};
  o.outer_momentum = 1;
  EXPECT_NE(o.Validate().message().find("outer momentum"), std::string::npos);
  o = {};
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace kgf::trainer
