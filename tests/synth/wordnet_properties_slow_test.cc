// Slow property test (label `slow`) on the real WordNet 3.0 graph: Debian's wordnet-base (installed
// by scripts/setup.sh) is converted with examples/wordnet/convert.js into a temporary store, then
// every pattern is sampled over many seeds and each record is checked by the re-execution oracle
// (calls re-run to their observations, answers equal a naive triple scan, question and split rules).
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/file_util.h"
#include "kg/graph_store.h"
#include "synth/dialogue_renderer.h"
#include "tests/synth/record_checks.h"
#include "tests/testing/temp_dir.h"

namespace kgf::synth {
namespace {

TEST(WordNetSlowTest, EveryPatternVerifiesOnRealWordNet) {
  if (!FileExists("/usr/share/wordnet/data.noun") || std::system("node --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs Debian's wordnet-base and node (scripts/setup.sh installs both)";
  }
  kgf::testing::TempDir dir;
  const std::string cmd = std::string("node ") + KGF_SOURCE_DIR + "/examples/wordnet/convert.js /usr/share/wordnet " +
                          dir.path() + " 2> /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  kg::ImportOptions o;
  o.entities = dir.File("entities.tsv");
  o.relations = dir.File("relations.tsv");
  ASSERT_TRUE(kg::ImportIntoStore(dir.File("wn.db"), {dir.File("triples.tsv")}, o).ok());
  auto store = kg::GraphStore::Open(dir.File("wn.db"), kg::GraphStore::Mode::kReadOnly);
  ASSERT_TRUE(store.ok());
  kg::Graph g = std::move(store->LoadGraph()).value();
  ASSERT_EQ(g.num_entities(), 117659u);
  ToolCatalog cat = *ToolCatalog::Build(g);
  auto sampler = QuerySampler::Create(g, {});
  ASSERT_TRUE(sampler.ok());
  DialogueRenderer renderer(g, cat, {.distractors = 4, .reflection_share = 0.2}, {"wordnet", store->checksum()});
  for (Pattern p : AllPatterns()) {
    int made = 0;
    for (uint64_t i = 0; i < 100000 && made < 300; ++i) {
      Rng rng = Rng::ForItem(99, static_cast<uint64_t>(p) << 32 | i);
      SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      std::optional<Record> r = renderer.Render(s, "train", 99, i, rng);
      if (!r) continue;
      ++made;
      testing::ExpectRecordVerifies(g, cat, *r);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(made, 0) << PatternName(p);
  }
}

}  // namespace
}  // namespace kgf::synth
