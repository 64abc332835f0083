// Slow model tests (label `slow`): the real presets at shapes that cross every chunk boundary.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <vector>

#include "base/rng.h"
#include "trainer/model/model.h"

namespace kgf::trainer {
namespace {

// Loss, every gradient and the router state after two warmup steps of the `small` preset with
// B = 2, T = 300: two causal attention blocks, two LM-head row chunks, several GEMM chunks.
std::vector<float> SmallPresetTrace(int threads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  ModelConfig c = ModelConfig::Preset("small").value();
  c.routing_warmup_steps = 10;
  Model m = Model::Create(c, 3).value();
  Batch b;
  b.B = 2;
  b.T = 300;
  Rng rng(4);
  for (int i = 0; i < b.B * b.T; ++i) {
    b.tokens.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
    b.targets.push_back(static_cast<int32_t>(rng.Uniform(c.vocab_size)));
    b.loss_mask.push_back(1.0f);
  }
  std::vector<float> trace;
  for (int step = 0; step < 2; ++step) {
    const LossParts parts = m.ForwardBackward(b, step, 1.0f);
    trace.push_back(static_cast<float>(parts.loss));
  }
  for (Parameter* p : m.parameters()) trace.insert(trace.end(), p->grad.begin(), p->grad.end());
  const std::vector<float> state = m.RouterState();
  trace.insert(trace.end(), state.begin(), state.end());
  EXPECT_NEAR(trace[0], std::log(double(c.vocab_size)), 0.5);
  return trace;
}

TEST(ModelSlowTest, SmallPresetParallelEqualsSerial) {
  const std::vector<float> one = SmallPresetTrace(1);
  const std::vector<float> many = SmallPresetTrace(4);
  ASSERT_EQ(one.size(), many.size());
  EXPECT_TRUE(one == many);
}

}  // namespace
}  // namespace kgf::trainer
