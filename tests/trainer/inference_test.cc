#include "trainer/train/inference.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/file_util.h"
#include "corpus/tokenizer.h"
#include "tests/corpus/corpus_test_util.h"
#include "trainer/model/model_config.h"
#include "trainer/io/safetensors.h"
#include "trainer/train/trainer.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

std::string Tokens(const TempDir& dir, const std::string& name, std::vector<int32_t> t) {
  return dir.Write(name, std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4));
}

class InferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<int32_t> stream(2000);
    for (int i = 0; i < 2000; ++i) stream[i] = (i % 7) * 3;
    TrainOptions o;
    o.preset = "tiny";
    o.data = Tokens(dir_, "train.bin", stream);
    o.out = dir_.File("run");
    o.seq_len = 16;
    o.steps = 20;
    o.lr = 1e-2;
    o.schedule = "constant";
    o.warmup_steps = 2;
    o.progress = false;
    o.log_every = 0;
    auto s = Train(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  TempDir dir_;
};

TEST_F(InferenceTest, GradsFileHoldsEveryGradientAndTheLoss) {
  GradsJob job;
  job.checkpoint = dir_.File("run");  // the run directory: newest checkpoint
  job.tokens = Tokens(dir_, "batch.bin", {0, 3, 6, 9, 12, 15, 18, 0, 3, 6, 9, 12, 15, 18, 0, 3});
  job.batch_size = 2;
  job.out = dir_.File("grads.safetensors");
  auto r = ComputeGradients(job);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->B, 2);
  EXPECT_EQ(r->T, 7);
  EXPECT_EQ(r->loss.target_tokens, 14);
  EXPECT_LT(r->loss.lm_loss, std::log(64.0)) << "the trained model predicts the pattern";
  auto file = SafetensorsFile::Read(job.out);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto lm = LoadModelFromCheckpoint(dir_.File("run"));
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ(lm->step, 20);
  ParameterList params = lm->model->parameters();
  ASSERT_EQ(file->entries().size(), params.size());
  double total = 0;
  for (const Parameter* p : params) {
    const auto* e = file->Find(p->name);
    ASSERT_NE(e, nullptr) << p->name;
    EXPECT_EQ(e->shape, p->shape);
    for (float g : file->Values(*e)) total += std::fabs(g);
  }
  EXPECT_GT(total, 0);
  EXPECT_EQ(std::stod(file->metadata().at("loss")), r->loss.loss);
  EXPECT_EQ(file->metadata().at("T"), "7");

  job.tokens = Tokens(dir_, "bad.bin", {1, 2, 3});
  EXPECT_EQ(ComputeGradients(job).status().code(), StatusCode::kInvalidArgument);
  job.tokens = Tokens(dir_, "oov.bin", {1, 2, 300, 4});
  job.batch_size = 1;
  EXPECT_EQ(ComputeGradients(job).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(InferenceTest, GreedyGenerationContinuesThePattern) {
  GenerateJob job;
  job.checkpoint = dir_.File("run");
  job.prompt = "0 3 6 9 12 15 18 0 3";
  job.max_new_tokens = 5;
  job.stop_at_end_of_text = false;
  auto a = GenerateFromCheckpoint(job);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->prompt_ids.size(), 9u);
  ASSERT_EQ(a->new_ids.size(), 5u);
  auto b = GenerateFromCheckpoint(job);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->new_ids, b->new_ids) << "greedy is deterministic";
  EXPECT_EQ(a->new_ids[0], 6) << a->text;
  job.prompt = "hello";
  EXPECT_EQ(GenerateFromCheckpoint(job).status().code(), StatusCode::kInvalidArgument);
  job.prompt = "70";
  EXPECT_EQ(GenerateFromCheckpoint(job).status().code(), StatusCode::kInvalidArgument);
  job.checkpoint = dir_.File("absent");
  EXPECT_EQ(GenerateFromCheckpoint(job).status().code(), StatusCode::kNotFound);
}

TEST(InferenceTokenizerTest, TextPromptsGoThroughTheTokenizer) {
  TempDir dir;
  const corpus::Tokenizer& tok = corpus::testing::SmallTokenizer();  // vocab 400
  const std::string tok_path = dir.Write("tok.model", tok.serialized());
  auto ids = tok.Encode(corpus::testing::GenerateText(3, 200));
  ASSERT_TRUE(ids.ok());
  ModelConfig c = *ModelConfig::Preset("tiny");
  c.vocab_size = 400;
  TrainOptions o;
  o.config = dir.Write("c.json", c.ToJson());
  o.data = Tokens(dir, "train.bin", *ids);
  o.out = dir.File("run");
  o.seq_len = 32;
  o.steps = 3;
  o.progress = false;
  o.log_every = 0;
  ASSERT_TRUE(Train(o).ok());

  GenerateJob job;
  job.checkpoint = o.out;
  job.tokenizer = tok_path;
  job.prompt = "The capital of the country";
  job.max_new_tokens = 6;
  job.stop_at_end_of_text = false;
  auto r = GenerateFromCheckpoint(job);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->prompt_ids, *tok.Encode(job.prompt));
  ASSERT_EQ(r->new_ids.size(), 6u);
  EXPECT_EQ(r->text, *tok.Decode(r->new_ids));

  job.tokenizer = dir.File("absent.model");
  EXPECT_EQ(GenerateFromCheckpoint(job).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kgf::trainer
