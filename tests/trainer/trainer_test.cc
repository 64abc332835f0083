#include "trainer/train/trainer.h"
#include "trainer/model/bf16_gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/file_util.h"
#include "base/rng.h"
#include "trainer/io/checkpoint.h"
#include "trainer/model/model_config.h"
#include "tests/testing/temp_dir.h"
#include "trainer/model/model.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

// A token stream with period 11 over the tiny vocabulary (64): learnable from context.
std::string RepeatingTokens(const TempDir& dir, int n = 4000, int32_t max_id = 63) {
  std::vector<int32_t> t(n);
  for (int i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i % 11) * 5 % (max_id + 1));
  t[n / 2] = max_id;
  return dir.Write("tokens.bin", std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4));
}

// Half periodic, half random tokens: batch losses vary with their mix, so spikes happen.
std::string MixedTokens(const TempDir& dir) {
  std::vector<int32_t> t(4000);
  Rng rng(17);
  for (int i = 0; i < 4000; ++i) {
    t[i] = i < 2000 ? static_cast<int32_t>((i % 11) * 5) : static_cast<int32_t>(rng.Uniform(64));
  }
  return dir.Write("mixed.bin", std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4));
}

TrainOptions Base(const TempDir& dir, const std::string& out) {
  TrainOptions o;
  o.preset = "tiny";
  o.data = RepeatingTokens(dir);
  o.out = dir.File(out);
  o.seq_len = 16;
  o.batch_size = 4;
  o.steps = 30;
  o.lr = 1e-2;
  o.warmup_steps = 3;
  o.schedule = "constant";
  o.progress = false;
  o.log_every = 0;
  o.threads = 2;
  return o;
}

TEST(TrainerTest, LossDecreasesOnARepeatingStream) {
  TempDir dir;
  TrainOptions o = Base(dir, "run");
  auto sum = Train(o);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  ASSERT_EQ(sum->losses.size(), 30u);
  EXPECT_NEAR(sum->losses[0], std::log(64.0), 0.3) << "starts near uniform";
  const double last = (sum->losses[27] + sum->losses[28] + sum->losses[29]) / 3;
  EXPECT_LT(last, 0.6 * sum->losses[0]) << LossCurveSummary(*sum);
  EXPECT_EQ(sum->end_step, 30);
  // Metrics: one line per update; checkpoint at the end.
  auto metrics = ReadFileToString(JoinPath(o.out, "metrics.jsonl"));
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(std::count(metrics->begin(), metrics->end(), '\n'), 30);
  EXPECT_NE(metrics->find("\"expert_load\":[{\"layer\":0,\"counts\":["), std::string::npos);
  EXPECT_EQ(sum->last_checkpoint, JoinPath(o.out, "step-00000030"));
  EXPECT_TRUE(ReadCheckpoint(sum->last_checkpoint).ok());
  EXPECT_NE(LossCurveSummary(*sum).find("min"), std::string::npos);
}

// Options that exercise everything with state: accumulation, batch-size warmup, routing warmup
// (router EMA state), aggressive spike detection (skips, re-injection, LR cuts), WSD decay.
TrainOptions StatefulOptions(const TempDir& dir, const std::string& out) {
  TrainOptions o = Base(dir, out);
  ModelConfig c = *ModelConfig::Preset("tiny");
  c.routing_warmup_steps = 6;
  o.config = dir.Write("tiny.json", c.ToJson());
  o.data = MixedTokens(dir);
  o.steps = 14;
  o.schedule = "wsd";
  o.micro_batch_size = 2;
  o.batch_warmup_start = 2;
  o.batch_warmup_steps = 4;
  o.checkpoint_every = 4;
  o.spike_warmup_steps = 2;
  o.spike_sigma = 0.05;
  o.reinject_after_steps = 3;
  return o;
}

TEST(TrainerTest, ResumeReproducesTheUninterruptedRunExactly) {
  TempDir dir;
  auto full = Train(StatefulOptions(dir, "full"));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ASSERT_EQ(full->losses.size(), 14u);
  EXPECT_GT(full->spike_events, 0) << "the spike path must be exercised";
  auto full_metrics = ReadFileToString(JoinPath(dir.File("full"), "metrics.jsonl"));
  ASSERT_TRUE(full_metrics.ok());
  EXPECT_NE(full_metrics->find("\"kind\":\"spike_skipped\""), std::string::npos);
  EXPECT_NE(full_metrics->find("\"kind\":\"reinjected\""), std::string::npos);

  TrainOptions first = StatefulOptions(dir, "split");
  first.stop_after_steps = 6;
  auto a = Train(first);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->end_step, 6);
  EXPECT_FALSE(a->resumed);
  auto b = Train(StatefulOptions(dir, "split"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->resumed);
  EXPECT_EQ(b->start_step, 6);

  std::vector<double> joined = a->losses;
  joined.insert(joined.end(), b->losses.begin(), b->losses.end());
  ASSERT_EQ(joined.size(), full->losses.size());
  for (size_t i = 0; i < joined.size(); ++i) {
    EXPECT_EQ(joined[i], full->losses[i]) << "step " << i;  // bit-identical
  }
  auto m1 = ReadFileToString(JoinPath(JoinPath(dir.File("full"), "step-00000014"), kModelFile));
  auto m2 = ReadFileToString(JoinPath(JoinPath(dir.File("split"), "step-00000014"), kModelFile));
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_TRUE(*m1 == *m2) << "final weights byte-identical";
  // The resumed run's metrics file reads as one run.
  auto metrics = ReadFileToString(JoinPath(dir.File("split"), "metrics.jsonl"));
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(std::count(metrics->begin(), metrics->end(), '\n'), 14);
}

TEST(TrainerTest, ResumeFallsBackPastACorruptCheckpoint) {
  TempDir dir;
  TrainOptions o = StatefulOptions(dir, "run");
  o.stop_after_steps = 8;  // checkpoints at 4 and 8
  ASSERT_TRUE(Train(o).ok());
  const std::string model8 = JoinPath(JoinPath(o.out, "step-00000008"), kModelFile);
  auto bytes = ReadFileToString(model8);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(WriteFileAtomic(model8, bytes->substr(0, bytes->size() - 100)).ok());
  o.stop_after_steps = 0;
  auto resumed = Train(o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->start_step, 4);
  auto full = Train(StatefulOptions(dir, "full"));
  ASSERT_TRUE(full.ok());
  for (size_t i = 0; i < resumed->losses.size(); ++i) {
    EXPECT_EQ(resumed->losses[i], full->losses[4 + i]) << "step " << 4 + i;
  }

  // Every checkpoint corrupt: a clear error instead of silently starting over.
  for (const auto& [step, path] : ListCheckpoints(o.out)) {
    ASSERT_TRUE(RemoveFile(JoinPath(path, kChecksumsFile)).ok());
  }
  auto none = Trainer::Create(o);
  EXPECT_EQ(none.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(none.status().message().find("none is valid"), std::string::npos)
      << none.status().message();
}

TEST(TrainerTest, BadInputIsReportedBeforeTraining) {
  TempDir dir;
  // Unwritable run directory (its parent is a file).
  TrainOptions o = Base(dir, "x");
  o.out = JoinPath(dir.Write("afile", "x"), "run");
  auto t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("run directory"), std::string::npos) << t.status().message();

  // A token id the model's vocabulary cannot hold.
  TempDir dir2;
  o = Base(dir2, "run");
  o.data = RepeatingTokens(dir2, 400, /*max_id=*/100);
  t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("vocab_size 64"), std::string::npos) << t.status().message();
  EXPECT_FALSE(FileExists(o.out)) << "nothing written";

  // Unknown config key.
  o = Base(dir, "run2");
  o.config = dir.Write("bad.json", R"({"hidden_sise": 32})");
  t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("hidden_sise"), std::string::npos) << t.status().message();

  // seq_len beyond the model's positions; bad option values.
  o = Base(dir, "run3");
  o.seq_len = 65;
  EXPECT_EQ(Trainer::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Base(dir, "run3");
  o.optimizer = "lion";
  EXPECT_EQ(Trainer::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Base(dir, "run3");
  o.preset = "huge";
  EXPECT_EQ(Trainer::Create(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(FileExists(dir.File("run3")));

  // A checkpoint of another shape in the run directory.
  o = Base(dir, "run4");
  o.steps = 2;
  ASSERT_TRUE(Train(o).ok());
  ModelConfig c = *ModelConfig::Preset("tiny");
  c.hidden_size = 64;
  o.config = dir.Write("wide.json", c.ToJson());
  t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("another shape"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("hidden_size"), std::string::npos) << t.status().message();

  // --no-resume into a run directory that already has checkpoints.
  o = Base(dir, "run4");
  o.resume = false;
  t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("already holds checkpoints"), std::string::npos)
      << t.status().message();
}

TEST(TrainerTest, NonFiniteStepsAreSkippedThenReportedAsDivergence) {
  TempDir dir;
  TrainOptions o = Base(dir, "run");
  o.optimizer = "sgd";
  o.lr = 1e30;  // the first update overflows the weights
  o.clip_grad_norm = 0;
  o.warmup_steps = 0;
  o.steps = 20;
  std::vector<StepMetrics> applied;
  auto sum = Train(o, [&](const StepMetrics& m) { applied.push_back(m); });
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(sum.status().message().find("diverged at step 1"), std::string::npos)
      << sum.status().message();
  ASSERT_EQ(applied.size(), 1u) << "only the first (finite) update was applied";
}

TEST(TrainerTest, LossesDoNotDependOnTheThreadCount) {
  TempDir dir;
  TrainOptions one = StatefulOptions(dir, "one");
  one.steps = 6;
  one.threads = 1;
  TrainOptions two = one;
  two.out = dir.File("two");
  two.threads = 2;
  auto a = Train(one), b = Train(two);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->losses, b->losses);
}

// bf16 products (fp32 master weights, optimizer, norms, router and losses): over 200 updates the
// loss curve tracks the fp32 run's (20-update window means within 2%), learns as well, and is
// bit-identical for 1 and 2 threads.
TEST(TrainerTest, Bf16TracksTheFp32LossCurveAndIsDeterministic) {
  if (!CpuHasBf16()) GTEST_SKIP() << "no AVX-512 BF16";
  TempDir dir;
  TrainOptions fp32 = Base(dir, "fp32");
  fp32.data = MixedTokens(dir);
  fp32.steps = 200;
  fp32.lr = 3e-3;
  fp32.checkpoint_every = 0;
  TrainOptions bf16 = fp32;
  bf16.out = dir.File("bf16");
  bf16.precision = "bf16";
  auto a = Train(fp32), b = Train(bf16);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
  EXPECT_EQ(a->precision, "fp32");
  EXPECT_EQ(b->precision, "bf16");
  ASSERT_EQ(a->losses.size(), 200u);
  ASSERT_EQ(b->losses.size(), 200u);
  // Per 20-update window, the mean losses agree within 2% (batches of this stream range from
  // 0.04 to 4 nats, so single updates may differ more as the two runs drift apart).
  double worst = 0;
  for (size_t w = 0; w < 200; w += 20) {
    double fa = 0, fb = 0;
    for (size_t i = w; i < w + 20; ++i) {
      fa += a->losses[i] / 20;
      fb += b->losses[i] / 20;
    }
    worst = std::max(worst, std::fabs(fa - fb) / fa);
  }
  EXPECT_LT(worst, 0.02) << LossCurveSummary(*a) << LossCurveSummary(*b);
  EXPECT_NE(a->losses, b->losses) << "the bf16 run must differ from fp32 somewhere";
  // It learns: the last 20 updates' mean well below the first 20's.
  const double first = std::accumulate(b->losses.begin(), b->losses.begin() + 20, 0.0) / 20;
  const double last = std::accumulate(b->losses.end() - 20, b->losses.end(), 0.0) / 20;
  EXPECT_LT(last, 0.8 * first);
  TrainOptions one = bf16;
  one.out = dir.File("bf16_one_thread");
  one.threads = 1;
  one.steps = 20;
  TrainOptions two = one;
  two.out = dir.File("bf16_two_threads");
  two.threads = 2;
  auto c = Train(one), d = Train(two);
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_EQ(c->losses, d->losses);
}

TEST(TrainerTest, InitCheckpointStartsFreshFromItsWeights) {
  TempDir dir;
  TrainOptions pre = Base(dir, "pre");
  pre.steps = 10;
  auto a = Train(pre);
  ASSERT_TRUE(a.ok());
  TrainOptions ft = Base(dir, "ft");
  ft.preset = "";
  ft.init_checkpoint = a->last_checkpoint;
  ft.steps = 3;
  auto b = Train(ft);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->start_step, 0);
  EXPECT_LT(b->losses[0], a->losses[0]) << "starts from the trained weights";
  // A run directory means its newest checkpoint.
  ft.init_checkpoint = pre.out;
  ft.out = dir.File("ft2");
  auto c = Train(ft);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->losses, b->losses);
  ft.init_checkpoint = dir.File("nothing");
  ft.out = dir.File("ft3");
  EXPECT_EQ(Trainer::Create(ft).status().code(), StatusCode::kNotFound);
}

TEST(TrainerTest, RoutingWarmupDefaultsToTheLrWarmupLength) {
  TempDir dir;
  TrainOptions o = Base(dir, "w");  // tiny: an MoE preset whose config leaves W = 0
  auto t = Trainer::Create(o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->model().config().routing_warmup_steps, o.warmup_steps);  // SPEC §4 default
  o.out = dir.File("off");
  o.routing_warmup_steps = 0;
  auto off = Trainer::Create(o);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ((*off)->model().config().routing_warmup_steps, 0);
  o.out = dir.File("seven");
  o.routing_warmup_steps = 7;
  auto seven = Trainer::Create(o);
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ((*seven)->model().config().routing_warmup_steps, 7);
}

TEST(TrainerTest, TieEmbeddingsOverridesThePresetForAFreshModelOnly) {
  TempDir dir;
  TrainOptions o = Base(dir, "tied");  // tiny: a head of its own
  o.steps = 4;
  o.tie_word_embeddings = 1;
  auto tied = Train(o);
  ASSERT_TRUE(tied.ok()) << tied.status().ToString();
  auto ck = ReadCheckpoint(tied->last_checkpoint);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_NE(ck->config_json.find("\"tie_word_embeddings\": true"), std::string::npos)
      << ck->config_json;
  EXPECT_FALSE(ck->model.Find("lm_head.weight").has_value()) << "one [V, C] table";
  // A checkpoint keeps its layout: asking otherwise names both.
  TrainOptions ft = Base(dir, "ft");
  ft.init_checkpoint = tied->last_checkpoint;
  ft.tie_word_embeddings = 0;
  auto bad = Trainer::Create(ft);
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("was trained with true"), std::string::npos)
      << bad.status().ToString();
  ft.tie_word_embeddings = 1;
  EXPECT_TRUE(Trainer::Create(ft).ok());
}

TEST(TrainerTest, NormHeadOverridesThePresetForAFreshModelOnly) {
  TempDir dir;
  TrainOptions o = Base(dir, "plain");
  o.steps = 4;
  o.norm_head = 0;
  auto plain = Train(o);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto ck = ReadCheckpoint(plain->last_checkpoint);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_NE(ck->config_json.find("\"norm_head\": false"), std::string::npos) << ck->config_json;
  // Unset, the preset's NormHead stays.
  TrainOptions d = Base(dir, "default");
  d.steps = 1;
  auto def = Train(d);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto dck = ReadCheckpoint(def->last_checkpoint);
  ASSERT_TRUE(dck.ok());
  EXPECT_NE(dck->config_json.find("\"norm_head\": true"), std::string::npos) << dck->config_json;
  // The same weights give other logits under the other head: fine-tuning keeps the checkpoint's.
  TrainOptions ft = Base(dir, "ft");
  ft.init_checkpoint = plain->last_checkpoint;
  ft.norm_head = 1;
  auto bad = Trainer::Create(ft);
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("was trained with false"), std::string::npos)
      << bad.status().ToString();
  ft.norm_head = 0;
  EXPECT_TRUE(Trainer::Create(ft).ok());
  ft.norm_head = -1;
  EXPECT_TRUE(Trainer::Create(ft).ok());
}

}  // namespace
}  // namespace kgf::trainer

namespace kgf::trainer {
namespace {

TEST(TrainerTest, EvaluationHookRunsOnSavedCheckpointsAndItsScoresGoToMetrics) {
  TempDir dir;
  TrainOptions o = Base(dir, "run");
  o.steps = 5;
  o.checkpoint_every = 0;
  o.eval_every = 2;
  std::vector<std::pair<std::string, int64_t>> calls;
  o.evaluate = [&](const std::string& checkpoint, int64_t step) -> Result<std::string> {
    EXPECT_TRUE(FileExists(JoinPath(checkpoint, "model.safetensors"))) << checkpoint;
    calls.emplace_back(checkpoint, step);
    return "{\"score\":" + std::to_string(step) + "}\n";
  };
  ASSERT_TRUE(Train(o).ok());
  ASSERT_EQ(calls.size(), 3u);  // after updates 2, 4 and the last (5)
  EXPECT_EQ(calls[0].second, 2);
  EXPECT_EQ(calls[2].second, 5);
  const std::string metrics = *ReadFileToString(dir.File("run/metrics.jsonl"));
  EXPECT_NE(metrics.find("{\"step\":2,\"eval\":{\"score\":2}}\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("{\"step\":5,\"eval\":{\"score\":5}}\n"), std::string::npos);
  // A run resumed from the checkpoint an eval scored keeps that eval line.
  TrainOptions first = Base(dir, "resumed");
  first.steps = 4;
  first.checkpoint_every = 0;
  first.eval_every = 2;
  first.evaluate = [](const std::string&, int64_t step) -> Result<std::string> {
    return "{\"score\":" + std::to_string(step) + "}";
  };
  first.stop_after_steps = 2;
  ASSERT_TRUE(Train(first).ok());
  first.stop_after_steps = 0;
  ASSERT_TRUE(Train(first).ok());
  const std::string resumed = *ReadFileToString(dir.File("resumed/metrics.jsonl"));
  EXPECT_NE(resumed.find("{\"step\":2,\"eval\":{\"score\":2}}"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("{\"step\":4,\"eval\":{\"score\":4}}"), std::string::npos) << resumed;
  // An evaluation error stops the run with that error.
  TrainOptions failing = Base(dir, "run2");
  failing.steps = 3;
  failing.eval_every = 1;
  failing.evaluate = [](const std::string&, int64_t) -> Result<std::string> {
    return NotFoundError("no records");
  };
  auto r = Train(failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no records");
}

}  // namespace
}  // namespace kgf::trainer
