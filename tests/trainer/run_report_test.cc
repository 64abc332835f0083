#include "trainer/train/run_report.h"

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

std::string StepLine(int step, double loss) {
  return "{\"step\":" + std::to_string(step) + ",\"loss\":" + std::to_string(loss) +
         ",\"lm_loss\":" + std::to_string(loss - 0.1) +
         ",\"balance_loss\":0.05,\"z_loss\":0.001,\"grad_norm\":1.5,\"lr\":0.002,"
         "\"tokens_per_s\":5000,\"expert_load\":[{\"layer\":0,\"counts\":[3,1],"
         "\"max_over_mean\":1.5,\"entropy\":0.5}],\"events\":[]}\n";
}

TEST(RunReportTest, ChartsShowTheLastValuesOfMetricsAndEvalScores) {
  TempDir dir;
  std::string metrics = StepLine(0, 7.5) + StepLine(1, 3.25);
  metrics += "{\"step\":2,\"eval\":{\"records\":4,\"model\":{\"all\":{\"valid_call_rate\":0.75,"
             "\"chain_exact\":0.5,\"executed_answer\":0.25,\"f1\":0.625,"
             "\"anchor_copy_rate\":0.875}}}}\n";
  metrics += StepLine(2, 1.125);
  dir.Write("run/metrics.jsonl", metrics);
  auto html = RenderRunReport(dir.File("run"));
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("3 updates"), std::string::npos);
  EXPECT_NE(html->find("data-series=\"loss/loss\">1.125<"), std::string::npos) << *html;
  EXPECT_NE(html->find("data-series=\"learning rate/lr\">0.002<"), std::string::npos);
  EXPECT_NE(html->find("MoE layer 0 max/mean"), std::string::npos);
  EXPECT_NE(html->find(">0.625<"), std::string::npos) << "the eval F1";
  EXPECT_NE(html->find("valid_call_rate"), std::string::npos);
  EXPECT_NE(html->find("anchor_copy_rate"), std::string::npos);
  EXPECT_NE(html->find(">0.875<"), std::string::npos) << "the first-turn anchors";
  EXPECT_EQ(html->find("<script"), std::string::npos) << "self-contained, no scripts";
}

TEST(RunReportTest, PerRankTimelineAndLocalSgdDecisions) {
  TempDir dir;
  std::string line = StepLine(0, 2.0);
  line.resize(line.size() - 2);  // drop "}\n"
  line += ",\"ranks\":[{\"data\":0.01,\"compute\":0.2,\"comm\":0.05,\"optimizer\":0.01},"
          "{\"data\":0.01,\"compute\":0.5,\"comm\":0.01,\"optimizer\":0.01}],"
          "\"sync\":{\"sync\":3,\"norms\":[0.5,9.0],\"excluded\":[1]},"
          "\"system\":[{\"kind\":\"straggler\",\"rank\":1}]}\n";
  dir.Write("run/metrics.jsonl", line);
  auto html = RenderRunReport(dir.File("run"));
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("/rank 1 work (data+compute+optimizer) s\">0.52<"), std::string::npos)
      << "rank 1's work per update";
  EXPECT_NE(html->find("rank 1 ||delta||"), std::string::npos);
  EXPECT_NE(html->find("excluded [1]"), std::string::npos);
  EXPECT_NE(html->find("straggler"), std::string::npos);
}

TEST(RunReportTest, BadRunsAreClearErrors) {
  TempDir dir;
  EXPECT_EQ(RenderRunReport(dir.File("nope")).status().code(), StatusCode::kNotFound);
  dir.Write("bad/metrics.jsonl", StepLine(0, 1.0) + "[1,2]\n");
  auto bad = RenderRunReport(dir.File("bad"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("metrics.jsonl:2"), std::string::npos)
      << bad.status().message();
  dir.Write("empty/metrics.jsonl", "");
  EXPECT_EQ(RenderRunReport(dir.File("empty")).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kgf::trainer
