#include "synth/synth_runner.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/line_reader.h"
#include "base/json.h"
#include "tests/synth/record_checks.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::synth {
namespace {

using kgf::testing::ListFilesRecursive;
using kgf::testing::TempDir;

// name -> bytes of every file in dir.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::vector<std::string> names = *ListDirectory(dir);
  for (const std::string& name : names) out[name] = *ReadFileToString(JoinPath(dir, name));
  return out;
}

std::vector<Record> ReadAll(const std::string& dir) {
  std::vector<Record> out;
  std::vector<std::string> names = *ListDirectory(dir);
  for (const std::string& name : names) {
    if (!EndsWith(name, ".jsonl.zst")) continue;
    auto reader = LineReader::Open(JoinPath(dir, name), 64 << 20);
    KGF_CHECK(reader.ok());
    std::string line;
    while ((*reader)->Next(&line)) out.push_back(*RecordFromJson(line, (*reader)->Where()));
    KGF_CHECK((*reader)->status().ok());
  }
  return out;
}

SynthOptions SmallOptions(const std::string& out) {
  SynthOptions o;
  o.out_dir = out;
  o.count = 600;
  o.shard_size = 150;
  o.seed = 42;
  return o;
}

class SynthRunnerTest : public ::testing::Test {
 protected:
  SynthRunnerTest() : graph_(testing::RandomGraph(21)) {}
  Result<SynthSummary> Run(const SynthOptions& o) {
    LocalCommunicator comm;
    return RunSynth(graph_, {"random", "xxh3:feed"}, o, comm);
  }
  kg::Graph graph_;
};

TEST_F(SynthRunnerTest, ParallelEqualsSerialByteForByte) {
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.threads = 1;
  auto s1 = Run(o);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  o.out_dir = b.path();
  o.threads = 2;
  auto s2 = Run(o);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s1->counts.records, 600u);
  EXPECT_EQ(Snapshot(a.path()), Snapshot(b.path()));
  EXPECT_EQ(ListFilesRecursive(a.path()),
            "manifest.json\nrun.json\nshard-00000.jsonl.zst\nshard-00000.stats.json\n"
            "shard-00001.jsonl.zst\nshard-00001.stats.json\nshard-00002.jsonl.zst\n"
            "shard-00002.stats.json\nshard-00003.jsonl.zst\nshard-00003.stats.json\ntools.json\n")
      << ListFilesRecursive(a.path());
}

TEST_F(SynthRunnerTest, RecordsVerifyAndSplitsHoldOut) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.split.valid_fraction = 0.15;
  o.split.test_fraction = 0.15;
  ASSERT_TRUE(Run(o).ok());
  std::vector<Record> records = ReadAll(a.path());
  ASSERT_EQ(records.size(), 600u);
  ToolCatalog cat = *ToolCatalog::Build(graph_);
  std::map<std::string, std::set<std::string>> anchors_by_split;
  std::set<std::string> ids;
  for (const Record& r : records) {
    testing::ExpectRecordVerifies(graph_, cat, r);
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    for (const AnchorRef& a : r.anchors) anchors_by_split[r.split].insert(a.key);
    EXPECT_EQ(r.kg_name, "random");
    EXPECT_EQ(r.kg_checksum, "xxh3:feed");
  }
  ASSERT_GT(anchors_by_split["test"].size(), 0u);
  ASSERT_GT(anchors_by_split["valid"].size(), 0u);
  // Held-out anchors (their own split is test/valid) never anchor a less held-out query.
  for (const auto& [split, keys] : anchors_by_split) {
    for (const std::string& k : keys) {
      Split own = EntitySplit(k, o.split);
      EXPECT_LE(static_cast<int>(own), static_cast<int>(split == "train" ? Split::kTrain
                                                       : split == "valid" ? Split::kValid
                                                                          : Split::kTest))
          << k << " in " << split;
    }
  }
  // The query's split is the most held-out split of its anchors.
  for (const Record& r : records) {
    Split worst = Split::kTrain;
    for (const AnchorRef& a : r.anchors) worst = std::max(worst, EntitySplit(a.key, o.split));
    EXPECT_EQ(r.split, SplitName(worst));
  }
}

TEST_F(SynthRunnerTest, ManifestCountsAndChecksums) {
  TempDir a;
  auto s = Run(SmallOptions(a.path()));
  ASSERT_TRUE(s.ok());
  auto doc = ParseJson(*ReadFileToString(a.File("manifest.json")), "manifest");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["records"].GetUint64(), 600u);
  uint64_t by_pattern = 0, by_split = 0, rejected = 0;
  for (auto& m : (*doc)["patterns"].GetObject()) by_pattern += m.value["records"].GetUint64();
  for (auto& m : (*doc)["splits"].GetObject()) by_split += m.value.GetUint64();
  for (auto& m : (*doc)["rejections"].GetObject()) rejected += m.value.GetUint64();
  EXPECT_EQ(by_pattern, 600u);
  EXPECT_EQ(by_split, 600u);
  EXPECT_EQ(rejected + 600, (*doc)["attempts"].GetUint64());
  EXPECT_GT(rejected, 0u);
  for (auto& shard : (*doc)["shards"].GetArray()) {
    EXPECT_EQ(*FileChecksum(a.File(shard["file"].GetString())), shard["checksum"].GetString());
  }
  EXPECT_EQ(*FileChecksum(a.File("tools.json")), (*doc)["tools"]["checksum"].GetString());
  std::string text = s->ToText();
  EXPECT_NE(text.find("600 records"), std::string::npos) << text;
}

TEST_F(SynthRunnerTest, ResumeAfterKillGivesIdenticalOutput) {
  TempDir a, b;
  ASSERT_TRUE(Run(SmallOptions(a.path())).ok());
  std::map<std::string, std::string> full = Snapshot(a.path());
  // Simulate kills at different moments in a second directory.
  SynthOptions o = SmallOptions(b.path());
  ASSERT_TRUE(Run(o).ok());
  ASSERT_TRUE(RemoveFile(b.File("manifest.json")).ok());
  ASSERT_TRUE(RemoveFile(b.File("shard-00001.jsonl.zst")).ok());     // shard never written
  ASSERT_TRUE(RemoveFile(b.File("shard-00002.stats.json")).ok());    // killed before its stats
  b.Write("shard-00003.jsonl.zst", "truncated garbage");              // torn (stats mismatch)
  b.Write("shard-00001.jsonl.zst.tmp.12345", "partial temp file");    // left by the kill
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 1u);
  EXPECT_EQ(Snapshot(b.path()), full);
  // A rerun of a finished run reuses everything and changes nothing.
  s = Run(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->shards_reused, 4u);
  EXPECT_EQ(Snapshot(b.path()), full);
}

TEST_F(SynthRunnerTest, DifferentOptionsInSameDirectoryIsAnError) {
  TempDir a;
  ASSERT_TRUE(Run(SmallOptions(a.path())).ok());
  SynthOptions o = SmallOptions(a.path());
  o.seed = 43;
  auto s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("--out"), std::string::npos);
}

TEST_F(SynthRunnerTest, BadInputWritesNothing) {
  TempDir a;
  SynthOptions o = SmallOptions(a.File("out"));
  o.patterns = "1p,5p";
  auto s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("'5p'"), std::string::npos);
  o.patterns = "all";
  o.out_dir = "";
  EXPECT_EQ(Run(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ListFilesRecursive(a.path()), "");
  // Unwritable output directory: a regular file is in the way.
  a.Write("blocker", "x");
  o.out_dir = a.File("blocker/out");
  s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("blocker"), std::string::npos) << s.status().ToString();
  EXPECT_EQ(ListFilesRecursive(a.path()), "blocker\n");
}

TEST_F(SynthRunnerTest, EmptyGraphIsAnError) {
  auto g = kg::Graph::Build({{"a", "A", "", {}}}, {{"r", "r", "", "", "", "", ""}}, {});
  TempDir a;
  LocalCommunicator comm;
  auto s = RunSynth(*g, {"e", "x"}, SmallOptions(a.File("out")), comm);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ListFilesRecursive(a.path()), "");
}

TEST_F(SynthRunnerTest, UnfillablePatternGivesZeroWithReasonsCounted) {
  auto g = kg::Graph::Build({{"a", "A", "", {}}, {"b", "B", "", {}}, {"c", "C", "", {}}},
                            {{"r", "r", "", "", "", "", ""}},
                            {{kg::EntityId(0), kg::RelationId(0), kg::EntityId(1)},
                             {kg::EntityId(1), kg::RelationId(0), kg::EntityId(2)}});
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "2i";
  o.count = 10;
  o.shard_size = 10;
  o.max_attempts_per_record = 5;
  LocalCommunicator comm;
  auto s = RunSynth(*g, {"chain", "x"}, o, comm);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 0u);
  EXPECT_EQ(s->counts.attempts, 50u);
  EXPECT_EQ(s->counts.Rejections(RejectReason::kIdenticalBranches), 50u);
}

TEST_F(SynthRunnerTest, PatternMixIsRespected) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "2in,pni";
  o.count = 100;
  auto s = Run(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k2in) + s->counts.RecordsOf(Pattern::kPni), 100u);
  EXPECT_GT(s->counts.RecordsOf(Pattern::k2in), 20u);
  EXPECT_GT(s->counts.RecordsOf(Pattern::kPni), 20u);
}

TEST_F(SynthRunnerTest, QuotasGiveExactCountsPerPattern) {
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p=130,2i=70,pin=41";
  o.shard_size = 50;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 241u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k1p), 130u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k2i), 70u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::kPin), 41u);
  o.out_dir = b.path();
  o.threads = 2;
  ASSERT_TRUE(Run(o).ok());
  EXPECT_EQ(Snapshot(a.path()), Snapshot(b.path()));
  o.patterns = "1p=x";
  EXPECT_EQ(Run(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kgf::synth
