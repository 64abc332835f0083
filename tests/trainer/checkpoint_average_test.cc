#include "trainer/io/checkpoint_average.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "tests/testing/temp_dir.h"
#include "trainer/io/checkpoint.h"
#include "trainer/io/safetensors.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

class CheckpointAverageTest : public ::testing::Test {
 protected:
  // Saves step `step` of run `run` with w = {w0, w0 + 1, ...} and b = {b0}.
  std::string Save(const std::string& run, int64_t step, float w0, float b0,
                   const std::string& config = "{\"hidden_size\": 2}\n") {
    const std::vector<int64_t> ws = {2, 2}, bs = {1};
    const std::vector<float> w = {w0, w0 + 1, w0 + 2, w0 + 3}, b = {b0};
    std::vector<TensorRef> refs = {{"w", ws, w}, {"b", bs, b}};
    CheckpointContents c;
    c.step = step;
    c.config_json = config;
    c.model_safetensors = EncodeSafetensors(refs, {{"format", "pt"}});
    const std::vector<float> m = {float(step)};
    std::vector<TensorRef> opt = {{"w.exp_avg", bs, m}};
    c.optimizer_safetensors = EncodeSafetensors(opt);
    c.state.step = step;
    c.state.tokens_seen = step * 10;
    auto saved = SaveCheckpoint(dir_.File(run), c, 0);
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    return *saved;
  }

  static std::vector<float> Values(const Checkpoint& ck, const std::string& name) {
    auto t = ck.model.Find(name);
    EXPECT_TRUE(t.has_value()) << name;
    return t->file->Values(*t->entry);
  }

  TempDir dir_;
};

TEST_F(CheckpointAverageTest, TheNewestCheckpointsOfARunAverageElementWise) {
  Save("run", 100, 100.f, -7.f);  // older than --last 3: not averaged
  Save("run", 200, 0.f, 1.f);
  Save("run", 300, 1.f, 2.f);
  Save("run", 400, 5.f, 6.f);
  AverageOptions o;
  o.inputs = {dir_.File("run")};
  o.last = 3;
  o.out = dir_.File("avg");
  auto r = AverageCheckpoints(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->step, 400);
  EXPECT_EQ(r->tensors, 2);
  EXPECT_EQ(r->parameters, 5);
  ASSERT_EQ(r->sources.size(), 3u);
  EXPECT_EQ(r->checkpoint, JoinPath(dir_.File("avg"), "step-00000400"));

  auto ck = ReadCheckpointOrLatest(dir_.File("avg"));  // verifies the checksums
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_EQ(ck->step, 400);
  EXPECT_EQ(Values(*ck, "w"), (std::vector<float>{2.f, 3.f, 4.f, 5.f}));
  EXPECT_EQ(Values(*ck, "b"), (std::vector<float>{3.f}));
  EXPECT_EQ(ck->state.tokens_seen, 4000) << "the newest input's trainer state";
  EXPECT_EQ(ck->optimizer.Values(ck->optimizer.entries()[0]), (std::vector<float>{400.f}));
  auto model = SafetensorsFile::Read(JoinPath(r->checkpoint, kModelFile));
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->metadata().at("averaged_from"),
            "step-00000200,step-00000300,step-00000400");
}

TEST_F(CheckpointAverageTest, ExplicitDirectoriesAreOrderedByStep) {
  const std::string a = Save("run", 20, 3.f, 0.f), b = Save("run", 10, 1.f, 0.5f);
  AverageOptions o;
  o.inputs = {a, b};
  o.out = dir_.File("avg");
  auto r = AverageCheckpoints(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->step, 20);
  EXPECT_EQ(r->sources, (std::vector<std::string>{b, a}));
  auto ck = ReadCheckpointOrLatest(dir_.File("avg"));
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_EQ(Values(*ck, "w"), (std::vector<float>{2.f, 3.f, 4.f, 5.f}));
  EXPECT_EQ(Values(*ck, "b"), (std::vector<float>{0.25f}));
}

TEST_F(CheckpointAverageTest, BadInputsAreClearErrorsAndLeaveNothing) {
  Save("run", 1, 0.f, 0.f);
  const std::string two = Save("run", 2, 1.f, 1.f);
  const std::string other = Save("other", 3, 1.f, 1.f, "{\"hidden_size\": 4}\n");
  AverageOptions o;
  o.out = dir_.File("avg");

  o.inputs = {two};
  auto r = AverageCheckpoints(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("at least two"), std::string::npos) << r.status().ToString();

  o.inputs = {dir_.File("run")};
  o.last = 3;
  r = AverageCheckpoints(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("fewer than --last 3"), std::string::npos)
      << r.status().ToString();

  o.last = 0;
  o.inputs = {two, other};
  r = AverageCheckpoints(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("config.json"), std::string::npos) << r.status().ToString();

  o.inputs = {two, dir_.File("missing/step-00000009")};
  r = AverageCheckpoints(o);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing"), std::string::npos) << r.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir_.File("avg")));
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }

  std::filesystem::create_directories(dir_.File("full"));
  ASSERT_TRUE(WriteFileAtomic(dir_.File("full/x"), "x").ok());
  o.inputs = {two, dir_.File("run/step-00000001")};
  o.out = dir_.File("full");
  r = AverageCheckpoints(o);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
}

}  // namespace
}  // namespace kgf::trainer
