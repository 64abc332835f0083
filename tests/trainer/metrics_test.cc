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
