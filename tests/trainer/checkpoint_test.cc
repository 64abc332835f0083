#include "trainer/io/checkpoint.h"

#include <gtest/gtest.h>

#include <limits>

#include <filesystem>

#include "base/file_util.h"
#include "trainer/train/optimizer.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

class CheckpointTest : public ::testing::Test {
 protected:
  CheckpointTest()
      : w_{"model.layers.0.mlp.gate.weight", {2, 3}, {1, 2, 3, 4, 5, 6}, std::vector<float>(6, 0.5f)},
        n_{"model.norm.weight", {3}, {1, 1, 1}, {0.1f, 0.2f, 0.3f}, false},
        opt_({&w_, &n_}, OptimizerOptions{}) {}

  CheckpointContents Contents(int64_t step) {
    opt_.Step(0.01);
    ParameterList params = {&w_, &n_};
    std::vector<TensorRef> refs;
    for (Parameter* p : params) refs.push_back({p->name, p->shape, p->value});
    CheckpointContents c;
    c.step = step;
    c.config_json = "{\"hidden_size\": 3}\n";
    c.model_safetensors = EncodeSafetensors(refs);
    const std::string opt_path = dir_.File("opt.tmp");
    EXPECT_TRUE(opt_.Save(opt_path).ok());
    c.optimizer_safetensors = *ReadFileToString(opt_path);
    c.state.step = step;
    c.state.data_position = step * 8;
    c.state.tokens_seen = step * 1000;
    c.state.rng_state = {1, 2, 3, ~uint64_t{0}};
    c.state.spike_detector = R"({"ema":"3ff0000000000000"})";
    c.state.router_state = {0.1f, -2.5f, 1e-30f};
    c.state.last_lr = 1.0 / 3.0;
    c.state.elapsed_seconds = 12.345;
    return c;
  }

  std::string Run() const { return dir_.File("run"); }

  TempDir dir_;
  Parameter w_, n_;
  Optimizer opt_;
};

TEST_F(CheckpointTest, RoundTripsEverything) {
  CheckpointContents c = Contents(7);
  auto saved = SaveCheckpoint(Run(), c, 3);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(*saved, JoinPath(Run(), "step-00000007"));
  EXPECT_EQ(kgf::testing::ListFilesRecursive(*saved),
            "checksums.xxh3\nconfig.json\nmodel.safetensors\noptimizer.safetensors\n"
            "trainer_state.json\n");
  auto read = ReadCheckpoint(*saved);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->step, 7);
  EXPECT_EQ(read->config_json, c.config_json);
  EXPECT_EQ(read->state.data_position, 56);
  EXPECT_EQ(read->state.tokens_seen, 7000);
  EXPECT_EQ(read->state.rng_state, c.state.rng_state);
  EXPECT_EQ(read->state.router_state, c.state.router_state);
  EXPECT_EQ(read->state.last_lr, c.state.last_lr) << "bit-exact";
  EXPECT_EQ(read->state.elapsed_seconds, c.state.elapsed_seconds);
  EXPECT_EQ(read->state.spike_detector, c.state.spike_detector);

  Parameter w2 = w_, n2 = n_;
  std::fill(w2.value.begin(), w2.value.end(), 0.f);
  ASSERT_TRUE(LoadParameters(read->model, {&w2, &n2}, ParameterField::kValue, "m").ok());
  EXPECT_EQ(w2.value, w_.value);
  Optimizer opt2({&w2, &n2}, OptimizerOptions{});
  ASSERT_TRUE(opt2.Load(read->optimizer, "o").ok());
  EXPECT_EQ(opt2.exp_avg(), opt_.exp_avg());
  EXPECT_EQ(opt2.step_count(), opt_.step_count());
}

TEST_F(CheckpointTest, KeepsLastNAndCleansTemporaries) {
  ASSERT_TRUE(CreateDirectories(JoinPath(Run(), ".step-00000003.tmp-99999")).ok());
  for (int step = 1; step <= 5; ++step) ASSERT_TRUE(SaveCheckpoint(Run(), Contents(step), 3).ok());
  auto list = ListCheckpoints(Run());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].first, 3);
  EXPECT_EQ(list[2].first, 5);
  auto names = ListDirectory(Run());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 3u) << "no temporary directories left";
  // Saving the same step again replaces it.
  ASSERT_TRUE(SaveCheckpoint(Run(), Contents(5), 3).ok());
  EXPECT_EQ(ListCheckpoints(Run()).size(), 3u);
  auto latest = ReadLatestCheckpoint(Run());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 5);
}

TEST_F(CheckpointTest, FallsBackToPreviousWhenLatestIsCorrupt) {
  for (int step = 1; step <= 3; ++step) ASSERT_TRUE(SaveCheckpoint(Run(), Contents(step), 0).ok());
  // Flip one byte in the newest model file.
  const std::string model = JoinPath(JoinPath(Run(), "step-00000003"), kModelFile);
  std::string bytes = *ReadFileToString(model);
  bytes[bytes.size() - 3] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(model, bytes).ok());
  std::vector<std::string> skipped;
  auto latest = ReadLatestCheckpoint(Run(), &skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 2);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("checksum"), std::string::npos) << skipped[0];
  EXPECT_NE(skipped[0].find("model.safetensors"), std::string::npos) << skipped[0];
  EXPECT_EQ(ReadCheckpoint(JoinPath(Run(), "step-00000003")).status().code(), StatusCode::kDataLoss);

  // Truncate step 2's optimizer state: falls back to step 1.
  const std::string opt = JoinPath(JoinPath(Run(), "step-00000002"), kOptimizerFile);
  bytes = *ReadFileToString(opt);
  ASSERT_TRUE(WriteFileAtomic(opt, bytes.substr(0, bytes.size() / 2)).ok());
  skipped.clear();
  latest = ReadLatestCheckpoint(Run(), &skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 1);
  EXPECT_EQ(skipped.size(), 2u);

  // A directory without its checksums file (a crash mid-write by an older writer) is skipped.
  ASSERT_TRUE(RemoveFile(JoinPath(JoinPath(Run(), "step-00000001"), kChecksumsFile)).ok());
  EXPECT_FALSE(ReadLatestCheckpoint(Run()).has_value());
}

// Issue 13: a checkpoint whose weights hold NaN / Inf (with valid checksums) was resumed from.
TEST_F(CheckpointTest, NonFiniteWeightsMakeACheckpointInvalid) {
  ASSERT_TRUE(SaveCheckpoint(Run(), Contents(1), 0).ok());
  w_.value[2] = std::numeric_limits<float>::infinity();
  ASSERT_TRUE(SaveCheckpoint(Run(), Contents(2), 0).ok());
  std::vector<std::string> skipped;
  auto latest = ReadLatestCheckpoint(Run(), &skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 1);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("non-finite"), std::string::npos) << skipped[0];
}

TEST_F(CheckpointTest, EmptyOrMissingRunHasNoCheckpoint) {
  EXPECT_FALSE(ReadLatestCheckpoint(dir_.File("absent")).has_value());
  EXPECT_EQ(ReadCheckpoint(dir_.File("absent")).status().code(), StatusCode::kNotFound);
}

TEST(TrainerStateTest, RejectsMalformedJson) {
  EXPECT_EQ(TrainerState::FromJson("{}", "s").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TrainerState::FromJson("not json", "s").status().code(), StatusCode::kInvalidArgument);
  TrainerState st;
  st.step = 3;
  auto back = TrainerState::FromJson(st.ToJson(), "s");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->step, 3);
}

}  // namespace
}  // namespace kgf::trainer
