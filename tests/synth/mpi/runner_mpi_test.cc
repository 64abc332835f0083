// Runs under `mpirun -np 2`: both ranks synthesize into one directory, then rank 0 checks the
// result is byte-identical to a single-process run of the same command.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/file_util.h"
#include "synth/communicator.h"
#include "synth/synth_runner.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

Communicator* g_comm = nullptr;

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
  o.shard_size = 100;  // 7 shards: rank 0 takes 0,2,4,6; rank 1 takes 1,3,5
  o.seed = 5;
  o.out_dir = root + "/mpi";
  auto s = RunSynth(graph, {"random", "xxh3:1"}, o, *g_comm);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 700u);
  if (g_comm->rank() == 0) {
    LocalCommunicator local;
    o.out_dir = root + "/single";
    auto single = RunSynth(graph, {"random", "xxh3:1"}, o, local);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(Snapshot(root + "/mpi"), Snapshot(root + "/single"));
    EXPECT_EQ(Snapshot(root + "/mpi").size(), 2u * 7 + 3);
  }
  ASSERT_TRUE(g_comm->Barrier().ok());
}

}  // namespace
}  // namespace kgf::synth

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<kgf::synth::Communicator> comm = kgf::synth::WorldCommunicator();
  kgf::synth::g_comm = comm.get();
  int rc = RUN_ALL_TESTS();
  // Every rank must agree on failure, or mpirun reports only rank 0.
  auto failures = comm->SumAll(rc == 0 ? 0 : 1);
  return failures.ok() && *failures == 0 ? 0 : 1;
}
