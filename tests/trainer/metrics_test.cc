#include "trainer/train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/file_util.h"
#include "base/json.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

TEST(MetricsTest, LoadStats) {
  const int64_t balanced[] = {5, 5, 5, 5};
  ExpertLoadStats b = ComputeLoadStats(balanced);
  EXPECT_DOUBLE_EQ(b.max_over_mean, 1.0);
  EXPECT_NEAR(b.entropy, std::log(4.0), 1e-12);
  const int64_t skewed[] = {20, 0, 0, 0};
  ExpertLoadStats s = ComputeLoadStats(skewed);
  EXPECT_DOUBLE_EQ(s.max_over_mean, 4.0);
  EXPECT_DOUBLE_EQ(s.entropy, 0.0);
  const int64_t none[] = {0, 0};
  EXPECT_DOUBLE_EQ(ComputeLoadStats(none).max_over_mean, 0.0);
}

// The line format is pinned (readers: kgforge report, users' scripts): field order, %.17g
// numbers, null for a non-finite value, optional parts only when present.
TEST(MetricsTest, LineFormatIsPinned) {
  StepMetrics m;
  m.step = 3;
  m.loss = 1.5;
  m.lm_loss = 1.25;
  m.balance_loss = 0.125;
  m.grad_norm = std::nan("");
  m.lr = 0.1;
  m.sequences = 8;
  m.micro_batches = 2;
  m.tokens = 2048;
  m.target_tokens = 2040;
  m.step_seconds = 0.5;
  m.tokens_per_s = 4096;
  m.model_flops_per_s = 1e9;
  m.expert_load = {{3, 1}};
  m.events.push_back({.step = 3, .kind = "spike_skipped", .loss = 9, .ema = 2, .sigma = 1});
  m.rank_seconds = {{0.25, 0.5, 0.125, 0.0625}};
  m.sync = "{\"k\":1}";
  m.system = {"{\"kind\":\"x\"}"};
  EXPECT_EQ(m.ToJson(),
            "{\"step\":3,\"loss\":1.5,\"lm_loss\":1.25,\"balance_loss\":0.125,\"z_loss\":0,"
            "\"grad_norm\":null,\"lr\":0.10000000000000001,\"sequences\":8,\"micro_batches\":2,"
            "\"tokens\":2048,\"target_tokens\":2040,\"step_seconds\":0.5,\"tokens_per_s\":4096,"
            "\"model_flops_per_s\":1000000000,\"expert_load\":[{\"layer\":0,\"counts\":[3,1],"
            "\"max_over_mean\":1.5,\"entropy\":0.56233514461880829}],\"events\":[" +
                m.events[0].ToJson() +
                "],\"ranks\":[{\"data\":0.25,\"compute\":0.5,\"comm\":0.125,\"optimizer\":0.0625}],"
                "\"sync\":{\"k\":1},\"system\":[{\"kind\":\"x\"}]}");
  StepMetrics bare;
  const std::string tail = ",\"model_flops_per_s\":0,\"expert_load\":[],\"events\":[]}";
  EXPECT_EQ(bare.ToJson().substr(bare.ToJson().size() - tail.size()), tail);
}

TEST(MetricsTest, LinesAreJsonAndResumeDropsLaterSteps) {
  kgf::testing::TempDir dir;
  const std::string path = dir.File("metrics.jsonl");
  {
    auto w = MetricsWriter::Open(path, 0);
    ASSERT_TRUE(w.ok());
    for (int s = 0; s < 5; ++s) {
      StepMetrics m;
      m.step = s;
      m.loss = 4.0 - s;
      m.expert_load = {{3, 1}, {2, 2}};
      if (s == 2) m.events.push_back({2, "spike_skipped", 9.0, 4.0, 0.5, 1.0});
      ASSERT_TRUE(w->Write(m).ok());
    }
  }
  auto text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  const std::string first = text->substr(0, text->find('\n'));
  auto doc = ParseJson(first, "line");
  ASSERT_TRUE(doc.ok()) << first;
  EXPECT_EQ((*doc)["expert_load"][0]["max_over_mean"].GetDouble(), 1.5);
  EXPECT_NE(text->find("\"kind\":\"spike_skipped\""), std::string::npos);
  {
    auto w = MetricsWriter::Open(path, 3);  // resumed at step 3
    ASSERT_TRUE(w.ok());
    StepMetrics m;
    m.step = 3;
    ASSERT_TRUE(w->Write(m).ok());
  }
  text = ReadFileToString(path);
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 4);
  EXPECT_EQ(text->find("\"step\":4"), std::string::npos);
}

}  // namespace
}  // namespace kgf::trainer
