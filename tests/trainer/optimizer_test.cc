#include "trainer/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/rng.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

Parameter MakeParam(std::string name, std::vector<float> value, bool decay = true) {
  Parameter p;
  p.name = std::move(name);
  p.shape = {static_cast<int64_t>(value.size())};
  p.grad.assign(value.size(), 0.0f);
  p.value = std::move(value);
  p.weight_decay = decay;
  return p;
}

TEST(OptimizerTest, AdamWMatchesHandComputedSteps) {
  // lr 0.1, betas 0.9 / 0.95, eps 1e-8, weight decay 0.1; gradients 0.5 then -0.25.
  // Step 1: p = 1 * (1 - 0.01) - 0.1 * 0.5 / (0.5 + 1e-8) = 0.89
  // Step 2: m = 0.02, v = 0.015, m^ = 0.02 / 0.19, v^ = 0.015 / 0.0975,
  //         p = 0.89 * 0.99 - 0.1 * m^ / sqrt(v^) = 0.8811 - 0.0268372520 = 0.8542627480
  // Without decay: 0.9, then 0.9 - 0.0268372520 = 0.8731627480.
  Parameter w = MakeParam("w", {1.0f});
  Parameter n = MakeParam("n", {1.0f}, /*decay=*/false);
  Optimizer opt({&w, &n}, OptimizerOptions{});
  w.grad = {0.5f};
  n.grad = {0.5f};
  opt.Step(0.1);
  EXPECT_NEAR(w.value[0], 0.89, 1e-7);
  EXPECT_NEAR(n.value[0], 0.9, 1e-7);
  w.grad = {-0.25f};
  n.grad = {-0.25f};
  opt.Step(0.1);
  EXPECT_NEAR(w.value[0], 0.8542627480, 1e-6);
  EXPECT_NEAR(n.value[0], 0.8731627480, 1e-6);
  EXPECT_NEAR(opt.exp_avg()[0][0], 0.02, 1e-8);
  EXPECT_NEAR(opt.exp_avg_sq()[0][0], 0.015, 1e-8);
  EXPECT_EQ(opt.step_count(), 2);
}

TEST(OptimizerTest, AdamWMatchesDoubleReferenceOverManySteps) {
  Rng rng(11);
  const int n = 70000;  // spans several chunks
  std::vector<float> init(n);
  for (float& x : init) x = static_cast<float>(rng.Normal());
  Parameter p = MakeParam("p", init);
  OptimizerOptions options;
  options.weight_decay = 0.05;
  Optimizer opt({&p}, options);
  std::vector<double> ref(init.begin(), init.end()), m(n, 0), v(n, 0);
  for (int t = 1; t <= 5; ++t) {
    const double lr = 1e-2 / t;
    for (int i = 0; i < n; ++i) p.grad[i] = static_cast<float>(rng.Normal() * 0.1);
    opt.Step(lr);
    for (int i = 0; i < n; ++i) {
      const double g = p.grad[i];
      ref[i] *= 1 - lr * 0.05;
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.95 * v[i] + 0.05 * g * g;
      const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.95, t));
      ref[i] -= lr * mh / (std::sqrt(vh) + 1e-8);
    }
  }
  double max_err = 0;
  for (int i = 0; i < n; ++i) max_err = std::max(max_err, std::fabs(ref[i] - p.value[i]));
  EXPECT_LT(max_err, 1e-5);
}

TEST(OptimizerTest, SgdIsPlainGradientStep) {
  Parameter p = MakeParam("p", {1.0f, -2.0f});
  Optimizer opt({&p}, OptimizerOptions{.kind = OptimizerKind::kSgd});
  p.grad = {0.5f, 1.0f};
  opt.Step(0.1);
  EXPECT_FLOAT_EQ(p.value[0], 0.95f);
  EXPECT_FLOAT_EQ(p.value[1], -2.1f);
  EXPECT_TRUE(opt.exp_avg().empty());
}

TEST(OptimizerTest, ClipsGlobalNorm) {
  Parameter a = MakeParam("a", {0, 0});
  Parameter b = MakeParam("b", {0});
  a.grad = {3.0f, 0.0f};
  b.grad = {4.0f};
  ParameterList params = {&a, &b};
  EXPECT_DOUBLE_EQ(GlobalGradNorm(params), 5.0);
  EXPECT_DOUBLE_EQ(ClipGradNorm(params, 10.0), 5.0);
  EXPECT_EQ(a.grad[0], 3.0f) << "below the threshold: untouched";
  EXPECT_DOUBLE_EQ(ClipGradNorm(params, 1.0), 5.0);
  EXPECT_NEAR(a.grad[0], 0.6, 1e-6);
  EXPECT_NEAR(b.grad[0], 0.8, 1e-6);
  EXPECT_NEAR(GlobalGradNorm(params), 1.0, 1e-6);
  EXPECT_TRUE(GradientsFinite(params));
  b.grad[0] = std::nanf("");
  EXPECT_FALSE(GradientsFinite(params));
  ZeroGradients(params);
  EXPECT_EQ(a.grad, std::vector<float>(2, 0.0f));
}

TEST(OptimizerTest, ClipScaleInsideStepGivesTheBitsOfClippingInPlace) {
  // 37 values: four 8-lane blocks and a scalar tail, both paths of the update.
  for (OptimizerKind kind : {OptimizerKind::kAdamW, OptimizerKind::kSgd}) {
    Parameter in_place = MakeParam("w", std::vector<float>(37, 0.5f));
    for (int i = 0; i < 37; ++i) in_place.grad[i] = 0.37f * static_cast<float>(i % 11) - 1.3f;
    Parameter fused = in_place;
    Optimizer a({&in_place}, OptimizerOptions{.kind = kind});
    Optimizer b({&fused}, OptimizerOptions{.kind = kind});
    for (int step = 0; step < 3; ++step) {
      const double norm = ClipGradNorm({&in_place}, 0.5);
      a.Step(0.01);
      const float scale = GradClipScale(GlobalGradNorm({&fused}), 0.5);
      EXPECT_LT(scale, 1.0f);
      b.Step(0.01, scale);
      EXPECT_NE(in_place.grad, fused.grad) << "the fused path leaves the gradients unscaled";
      EXPECT_EQ(in_place.value, fused.value) << OptimizerKindName(kind) << " step " << step;
      EXPECT_GT(norm, 0.5);
      in_place.grad = fused.grad;  // the next step from the same unscaled gradients
    }
  }
  EXPECT_EQ(GradClipScale(0.4, 0.5), 1.0f) << "below the threshold";
  EXPECT_EQ(GradClipScale(4.0, 0.0), 1.0f) << "max_norm 0: no clipping";
  EXPECT_EQ(GradClipScale(std::nan(""), 0.5), 1.0f) << "a non-finite norm is left to the spike check";
}

TEST(OptimizerTest, StateRoundTripsThroughSafetensors) {
  kgf::testing::TempDir dir;
  Parameter p = MakeParam("model.x", {1, 2, 3});
  Optimizer opt({&p}, OptimizerOptions{});
  p.grad = {0.1f, -0.2f, 0.3f};
  opt.Step(0.01);
  opt.Step(0.01);
  ASSERT_TRUE(opt.Save(dir.File("o.safetensors")).ok());
  auto file = SafetensorsFile::Read(dir.File("o.safetensors"));
  ASSERT_TRUE(file.ok());
  ASSERT_NE(file->Find("model.x.exp_avg"), nullptr);
  ASSERT_NE(file->Find("model.x.exp_avg_sq"), nullptr);

  Parameter q = p;
  Optimizer restored({&q}, OptimizerOptions{});
  ASSERT_TRUE(restored.Load(*file, "o").ok());
  EXPECT_EQ(restored.step_count(), 2);
  EXPECT_EQ(restored.exp_avg(), opt.exp_avg());
  EXPECT_EQ(restored.exp_avg_sq(), opt.exp_avg_sq());
  opt.Step(0.01);
  restored.Step(0.01);
  EXPECT_EQ(q.value, p.value) << "continuing from restored state is bit-identical";

  Optimizer sgd({&q}, OptimizerOptions{.kind = OptimizerKind::kSgd});
  EXPECT_EQ(sgd.Load(*file, "o").code(), StatusCode::kFailedPrecondition);
  Parameter other = MakeParam("model.x", {1, 2});
  Optimizer wrong({&other}, OptimizerOptions{});
  EXPECT_EQ(wrong.Load(*file, "o").code(), StatusCode::kFailedPrecondition);
}

TEST(OptimizerTest, ParsesKinds) {
  EXPECT_EQ(*ParseOptimizerKind("adamw"), OptimizerKind::kAdamW);
  EXPECT_EQ(*ParseOptimizerKind("sgd"), OptimizerKind::kSgd);
  EXPECT_EQ(ParseOptimizerKind("adam").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kgf::trainer
