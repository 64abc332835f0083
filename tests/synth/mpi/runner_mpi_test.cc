// Runs under `mpirun -np 2`: both ranks synthesize into one directory, then rank 0 checks the
// result is byte-identical to a single-process run of the same command. Cross-shard dedup runs
// its selection on every rank from the attempts files the ranks exchange in the directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/file_util.h"
#include "dist/communicator.h"
#include "synth/synth_runner.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

dist::Communicator* g_comm = nullptr;

std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::vector<std::string> names = *ListDirectory(dir);
  for (const std::string& name : names) out[name] = *ReadFileToString(JoinPath(dir, name));
  return out;
}

TEST(SynthMpiTest, RanksTogetherEqualOneProcess) {
  ASSERT_EQ(g_comm->size(), 2) << "run under mpirun -np 2";
  const std::string root = std::string(KGF_BINARY_DIR) + "/synth_mpi_test";
  if (g_comm->rank() == 0) std::filesystem::remove_all(root);
  ASSERT_TRUE(g_comm->Barrier().ok());
  kg::Graph graph = testing::RandomGraph(99);
  SynthOptions o;
  o.count = 700;
  o.shard_size = 50;  // 14 shards: rank 0 takes 0,2,...,12; rank 1 takes 1,3,...,13
  o.seed = 5;
  o.patterns = "1p:3,2p,2i,pin,3in";  // 1p repeats across shards: dedup has work to do
  o.out_dir = root + "/mpi";
  auto s = RunSynth(graph, {"random", "xxh3:1"}, o, *g_comm);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 700u);
  EXPECT_GT(s->counts.cross_shard_duplicates, 10u);
  if (g_comm->rank() == 0) {
    dist::LocalCommunicator local;
    SynthOptions one = o;
    one.out_dir = root + "/single";
    auto single = RunSynth(graph, {"random", "xxh3:1"}, one, local);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(single->counts.cross_shard_duplicates, s->counts.cross_shard_duplicates);
    EXPECT_EQ(Snapshot(root + "/mpi"), Snapshot(root + "/single"));
    EXPECT_EQ(Snapshot(root + "/mpi").size(), 2u * 14 + 3);
  }
  ASSERT_TRUE(g_comm->Barrier().ok());
  // Resume under two ranks: lose shards on both ranks' sides, rerun, same bytes.
  if (g_comm->rank() == 0) {
    for (const char* f : {"manifest.json", "shard-00004.jsonl.zst", "shard-00004.stats.json",
                          "shard-00007.stats.json", "shard-00010.jsonl.zst"}) {
      ASSERT_TRUE(RemoveFile(root + "/mpi/" + f).ok());
    }
  }
  ASSERT_TRUE(g_comm->Barrier().ok());
  s = RunSynth(graph, {"random", "xxh3:1"}, o, *g_comm);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 11u);
  if (g_comm->rank() == 0) EXPECT_EQ(Snapshot(root + "/mpi"), Snapshot(root + "/single"));
  ASSERT_TRUE(g_comm->Barrier().ok());
}

TEST(SynthMpiTest, ShortfallFailsOnEveryRankWithoutManifest) {
  const std::string root = std::string(KGF_BINARY_DIR) + "/synth_mpi_test_short";
  if (g_comm->rank() == 0) std::filesystem::remove_all(root);
  ASSERT_TRUE(g_comm->Barrier().ok());
  kg::Graph graph = testing::RandomGraph(99);
  SynthOptions o;
  o.patterns = "1p=40,3in=400";  // more 3in than 4 attempts per record can find
  o.shard_size = 110;
  o.max_attempts_per_record = 4;
  o.out_dir = root;
  auto s = RunSynth(graph, {"random", "xxh3:1"}, o, *g_comm);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  if (g_comm->rank() == 0) {
    EXPECT_NE(s.status().message().find("3in: "), std::string::npos) << s.status().message();
    EXPECT_EQ(s.status().message().find("1p: "), std::string::npos) << s.status().message();
  }
  ASSERT_TRUE(g_comm->Barrier().ok());
  EXPECT_FALSE(FileExists(root + "/manifest.json"));
  EXPECT_TRUE(FileExists(root + "/shard-00003.stats.json"));
  ASSERT_TRUE(g_comm->Barrier().ok());
}

}  // namespace
}  // namespace kgf::synth

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<kgf::dist::Communicator> comm = kgf::dist::WorldCommunicator();
  kgf::synth::g_comm = comm.get();
  int rc = RUN_ALL_TESTS();
  // Every rank must agree on failure, or mpirun reports only rank 0.
  auto failures = comm->SumAll(rc == 0 ? 0 : 1);
  return failures.ok() && *failures == 0 ? 0 : 1;
}
