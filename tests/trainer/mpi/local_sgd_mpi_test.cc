// EDiT local SGD, stragglers and elastic resume under mpirun (label `mpi`). Runs with -np 2
// (the equivalence, penalty, straggler and 2 -> 1 resume tests) and -np 3 (a 2-rank checkpoint
// written by the -np 2 run resumed on 3 ranks); tests for the other size skip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "base/file_util.h"
#include "base/json.h"
#include "trainer/io/checkpoint.h"
#include "trainer/train/trainer.h"

namespace kgf::trainer {
namespace {

dist::Communicator* g_comm = nullptr;
const std::string kRoot = std::string(KGF_BINARY_DIR) + "/local_sgd_mpi_test";

void Barrier() {
  double x[1] = {0};
  ASSERT_TRUE(g_comm->AllReduceMean(std::span<double>(x)).ok());
}

// A token file (rank 0 writes, everyone waits) and the options of a small SGD run.
TrainOptions Base(const std::string& out) {
  if (g_comm->rank() == 0 && !FileExists(kRoot + "/tokens.bin")) {
    EXPECT_TRUE(CreateDirectories(kRoot).ok());
    std::vector<int32_t> t(6000);
    for (int i = 0; i < 6000; ++i) t[i] = (i * 7 + i / 13) % 50;
    EXPECT_TRUE(WriteFileAtomic(kRoot + "/tokens.bin",
                                std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4)).ok());
  }
  Barrier();
  if (g_comm->rank() == 0) std::filesystem::remove_all(kRoot + "/" + out);
  Barrier();
  TrainOptions o;
  o.preset = "tiny";
  o.data = kRoot + "/tokens.bin";
  o.out = kRoot + "/" + out;
  o.seq_len = 16;
  o.batch_size = 6;  // divides among 1, 2 and 3 ranks
  o.steps = 12;
  o.optimizer = "sgd";
  o.lr = 0.3;
  o.warmup_steps = 2;
  o.clip_grad_norm = 0;
  o.spike_detection = false;
  o.routing_warmup_steps = 0;
  o.progress = false;
  o.log_every = 0;
  o.threads = 1;
  o.checkpoint_every = 0;
  return o;
}

Result<TrainSummary> TrainRun(const TrainOptions& o, std::vector<StepMetrics>* steps = nullptr,
                         dist::Communicator* comm = nullptr) {
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<Trainer> t, Trainer::Create(o, comm ? comm : g_comm));
  return t->Run([&](const StepMetrics& m) { if (steps) steps->push_back(m); });
}

std::vector<float> Weights(const std::string& run) {
  auto ck = ReadCheckpointOrLatest(run);
  EXPECT_TRUE(ck.ok()) << ck.status().ToString();
  std::vector<float> out;
  if (!ck.ok()) return out;
  for (const auto& t : ck->model.All()) {
    std::vector<float> v = t.file->Values(*t.entry);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

TEST(LocalSgdMpiTest, SyncEveryStepWithPlainOuterSgdEqualsDataParallel) {
  if (g_comm->size() != 2) GTEST_SKIP() << "-np 2 test";
  TrainOptions dp = Base("dp");
  dp.steps = 6;
  dp.lr = 0.1;
  auto a = TrainRun(dp);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  TrainOptions ls = Base("ls");
  ls.steps = dp.steps;
  ls.lr = dp.lr;
  ls.sync = "local-sgd";
  ls.local_sgd.sync_every = 1;
  ls.local_sgd.outer_lr = 1;
  ls.local_sgd.outer_momentum = 0;
  ls.local_sgd.penalty = false;
  auto b = TrainRun(ls);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->losses.size(), b->losses.size());
  // Equal but for float rounding (p - mean(p - local) vs p - lr * mean(g)).
  for (size_t i = 0; i < a->losses.size(); ++i) {
    EXPECT_NEAR(a->losses[i], b->losses[i], 1e-5 * std::fabs(a->losses[i])) << "step " << i;
  }
  Barrier();
  if (g_comm->rank() == 0) {
    const std::vector<float> wa = Weights(dp.out), wb = Weights(ls.out);
    ASSERT_EQ(wa.size(), wb.size());
    double worst = 0;
    for (size_t i = 0; i < wa.size(); ++i) worst = std::max(worst, double(std::fabs(wa[i] - wb[i])));
    EXPECT_LT(worst, 1e-5) << "averaging parameters after SGD steps = averaging gradients";
  }
}

TEST(LocalSgdMpiTest, ABadWorkerIsExcludedAndLogged) {
  if (g_comm->size() != 2) GTEST_SKIP() << "-np 2 test";
  TrainOptions o = Base("bad");
  o.steps = 40;
  o.schedule = "constant";  // steady pseudo-gradient norms: the 50x worker stands out throughout
  o.sync = "local-sgd";
  o.local_sgd.sync_every = 2;
  o.local_sgd.anomaly_warmup_syncs = 5;
  o.local_sgd.test_bad_rank = 1;
  o.local_sgd.test_bad_scale = 50;
  o.local_sgd.test_bad_from_sync = 12;
  std::vector<StepMetrics> steps;
  auto s = TrainRun(o, &steps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int syncs = 0, excluded_bad = 0, excluded_good = 0;
  for (const StepMetrics& m : steps) {
    if (m.sync.empty()) continue;
    ++syncs;
    auto doc = ParseJson(m.sync, "sync");
    ASSERT_TRUE(doc.ok()) << m.sync;
    const int64_t n = (*doc)["sync"].GetInt64();
    for (const auto& r : (*doc)["excluded"].GetArray()) {
      (r.GetInt() == 1 && n >= 12 ? excluded_bad : excluded_good)++;
    }
    if (n >= 12) EXPECT_EQ((*doc)["weights"][1].GetDouble(), 0.0) << m.sync;
    EXPECT_FALSE(std::isnan(m.loss));
  }
  EXPECT_EQ(syncs, 20);
  EXPECT_GT(excluded_bad, 0);
  EXPECT_EQ(excluded_good, 0);
  if (g_comm->rank() == 0) {
    std::ifstream metrics(o.out + "/metrics.jsonl");
    std::string all((std::istreambuf_iterator<char>(metrics)), std::istreambuf_iterator<char>());
    EXPECT_NE(all.find("\"excluded\":[1]"), std::string::npos) << "exclusions are in metrics.jsonl";
  }
}

TEST(LocalSgdMpiTest, ASlowRankIsFlaggedAsAStraggler) {
  if (g_comm->size() != 2) GTEST_SKIP() << "-np 2 test";
  TrainOptions o = Base("slow");
  o.steps = 8;
  o.test_slow_rank = 1;
  o.test_slow_ms = 150;  // a step takes ~40 ms under ASan: the sleep must dominate it
  o.straggler_factor = 1.5;
  o.straggler_steps = 3;
  std::vector<StepMetrics> steps;
  auto s = TrainRun(o, &steps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int flagged = 0;
  for (const StepMetrics& m : steps) {
    ASSERT_EQ(m.rank_seconds.size(), 2u);
    EXPECT_GT(m.rank_seconds[1][1], 0.14) << "rank 1's compute holds the sleep";
    for (const std::string& e : m.system) {
      EXPECT_NE(e.find("\"rank\":1"), std::string::npos) << e;
      ++flagged;
    }
  }
  EXPECT_EQ(flagged, 1) << "reported once, when the streak reaches --straggler-steps";
}

TEST(LocalSgdMpiTest, TimeBasedSyncLetsTheFastRankTakeMoreLocalSteps) {
  if (g_comm->size() != 2) GTEST_SKIP() << "-np 2 test";
  TrainOptions o = Base("timed");
  o.steps = 60;
  o.sync = "local-sgd";
  o.local_sgd.sync_seconds = 0.2;
  o.local_sgd_warmup_steps = 2;
  o.test_slow_rank = 1;
  // Long enough to dominate a step under ASan too (a step there takes tens of milliseconds).
  o.test_slow_ms = 60;
  o.checkpoint_every = 20;
  std::vector<StepMetrics> steps;
  auto s = TrainRun(o, &steps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->end_step, 60);
  int syncs = 0;
  int faster = 0;
  for (const StepMetrics& m : steps) {
    for (const std::string& e : m.system) {
      if (e.find("local_steps") == std::string::npos) continue;
      auto doc = ParseJson(e, "system");
      ASSERT_TRUE(doc.ok()) << e;
      const auto& per = (*doc)["per_rank"];
      // The window the step budget cuts short can end level ([2,2] was seen under ASan), so
      // every window must favour the fast rank or tie, and at least one must favour it.
      EXPECT_GE(per[0].GetInt64(), per[1].GetInt64()) << e << " (rank 1 sleeps 60 ms per update)";
      if (per[0].GetInt64() > per[1].GetInt64()) ++faster;
      ++syncs;
    }
  }
  EXPECT_GT(syncs, 0);
  EXPECT_GT(faster, 0) << "the fast rank took more local steps in some window";
  Barrier();
  if (g_comm->rank() == 0) {
    auto ck = ReadCheckpointOrLatest(o.out);
    ASSERT_TRUE(ck.ok()) << ck.status().ToString();
    EXPECT_EQ(ck->step, 60);
    EXPECT_TRUE(ck->local_sgd.has_value()) << "the EDiT state is in the checkpoint";
  }
  Barrier();
}

// Elastic resume: a run stopped at 2 ranks continues on 1 (here) and on 3 (the -np 3 run),
// with the uninterrupted 2-rank run's losses up to the per-rank balance loss (not linear in
// the batch split) and summation order.
TEST(LocalSgdMpiTest, StoppedAtTwoRanksResumesOnOne) {
  if (g_comm->size() != 2) GTEST_SKIP() << "-np 2 test";
  TrainOptions full = Base("full");
  auto f = TrainRun(full);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  TrainOptions half = Base("elastic");
  half.stop_after_steps = 6;
  ASSERT_TRUE(TrainRun(half).ok());
  Barrier();
  if (g_comm->rank() == 0) {
    // The uninterrupted losses, for the -np 3 run.
    std::string text;
    for (double l : f->losses) text += std::to_string(l) + "\n";
    ASSERT_TRUE(WriteFileAtomic(kRoot + "/full_losses.txt", text).ok());
    std::filesystem::remove_all(kRoot + "/elastic3");
    std::filesystem::copy(kRoot + "/elastic", kRoot + "/elastic3",
                          std::filesystem::copy_options::recursive);
    dist::LocalCommunicator one;
    TrainOptions rest = half;
    rest.stop_after_steps = 0;
    auto r = TrainRun(rest, nullptr, &one);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->start_step, 6);
    ASSERT_EQ(r->losses.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_NEAR(r->losses[i], f->losses[6 + i], 2e-3 * f->losses[6 + i]) << "step " << 6 + i;
    }
  }
  Barrier();
}

TEST(LocalSgdMpiTest, StoppedAtTwoRanksResumesOnThree) {
  if (g_comm->size() != 3) GTEST_SKIP() << "-np 3 test";
  ASSERT_TRUE(FileExists(kRoot + "/full_losses.txt")) << "run the -np 2 test first";
  std::vector<double> full;
  std::ifstream in(kRoot + "/full_losses.txt");
  for (double x; in >> x;) full.push_back(x);
  ASSERT_EQ(full.size(), 12u);
  TrainOptions rest = Base("unused");
  rest.out = kRoot + "/elastic3";
  auto r = TrainRun(rest);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->start_step, 6);
  for (size_t i = 0; i < r->losses.size(); ++i) {
    EXPECT_NEAR(r->losses[i], full[6 + i], 2e-3 * full[6 + i]) << "step " << 6 + i;
  }
}

}  // namespace
}  // namespace kgf::trainer

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<kgf::dist::Communicator> comm = kgf::dist::WorldCommunicator();
  kgf::trainer::g_comm = comm.get();
  int rc = RUN_ALL_TESTS();
  double failed[1] = {rc == 0 ? 0.0 : 1.0};
  return comm->AllReduceMean(std::span<double>(failed)).ok() && failed[0] == 0 ? 0 : 1;
}
