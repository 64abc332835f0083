// Slow property tests (label `slow`): many seeds x all 14 patterns on a larger WordNet-shaped
// generated graph; every record is checked by the re-execution oracle, and a whole run is
// checked for determinism across thread counts.
#include <gtest/gtest.h>

#include <map>

#include "base/file_util.h"
#include "synth/dialogue_renderer.h"
#include "synth/synth_runner.h"
#include "tests/synth/record_checks.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::synth {
namespace {

TEST(SynthSlowTest, ThousandsOfRecordsPerPatternVerify) {
  kg::Graph g = testing::RandomGraph(77, 6000, 12, 40000);
  ToolCatalog cat = *ToolCatalog::Build(g);
  auto sampler = QuerySampler::Create(g, {});
  ASSERT_TRUE(sampler.ok());
  DialogueRenderer renderer(g, cat, {.distractors = 6, .reflection_share = 0.2}, {"gen", "x"});
  for (Pattern p : AllPatterns()) {
    int made = 0;
    for (uint64_t i = 0; i < 200000 && made < 1500; ++i) {
      Rng rng = Rng::ForItem(1234, static_cast<uint64_t>(p) << 32 | i);
      SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      std::optional<Record> r = renderer.Render(s, "train", 1234, i, rng);
      if (!r) continue;
      ++made;
      testing::ExpectRecordVerifies(g, cat, *r);
      auto back = RecordFromJson(RecordToJson(*r), "roundtrip");
      ASSERT_TRUE(back.ok());
      ASSERT_EQ(*back, *r);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(made, 0) << PatternName(p);
  }
}

TEST(SynthSlowTest, LargeRunIsIdenticalForOneAndTwoThreads) {
  kg::Graph g = testing::RandomGraph(78, 6000, 12, 40000);
  kgf::testing::TempDir a, b;
  SynthOptions o;
  o.count = 20000;
  o.shard_size = 2500;
  o.seed = 9;
  o.out_dir = a.path();
  o.threads = 1;
  dist::LocalCommunicator comm;
  auto s1 = RunSynth(g, {"gen", "x"}, o, comm);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  o.out_dir = b.path();
  o.threads = 2;
  auto s2 = RunSynth(g, {"gen", "x"}, o, comm);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s1->counts.records, 20000u);
  std::vector<std::string> names = *ListDirectory(a.path());
  for (const std::string& n : names) {
    EXPECT_EQ(*ReadFileToString(a.File(n)), *ReadFileToString(b.File(n))) << n;
  }
}

}  // namespace
}  // namespace kgf::synth
