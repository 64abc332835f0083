#include "trainer/io/hf_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/file_util.h"
#include "base/json.h"
#include "corpus/chat_template.h"
#include "tests/corpus/corpus_test_util.h"
#include "tests/testing/temp_dir.h"
#include "trainer/model/bf16_gemm.h"
#include "trainer/model/model_config.h"
#include "trainer/train/inference.h"
#include "trainer/train/trainer.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

std::string Tokens(const TempDir& dir, const std::string& name, std::vector<int32_t> t) {
  return dir.Write(name, std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4));
}

// A tiny model trained a few steps with the test tokenizer's vocabulary (400).
class HfCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<int32_t> stream(1500);
    for (int i = 0; i < 1500; ++i) stream[i] = 11 + (i % 13) * 7;
    TrainOptions o;
    o.preset = "tiny";
    o.vocab_size = 400;
    o.data = Tokens(dir_, "train.bin", stream);
    o.out = dir_.File("run");
    o.seq_len = 16;
    o.steps = 6;
    o.warmup_steps = 2;
    o.progress = false;
    o.log_every = 0;
    auto s = Train(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    tokenizer_ = dir_.Write("tokenizer.model", corpus::testing::SmallTokenizer().serialized());
  }

  HfExportOptions Options(const std::string& out) const {
    HfExportOptions e;
    e.checkpoint = dir_.File("run");
    e.out = dir_.File(out);
    e.tokenizer = tokenizer_;
    return e;
  }

  // Next-token logits of a fixed prompt, in fp32.
  static std::vector<float> Logits(const std::string& checkpoint) {
    ScopedMatmulPrecision fp32(MatmulPrecision::kFp32);
    auto lm = LoadModelFromCheckpoint(checkpoint);
    EXPECT_TRUE(lm.ok()) << lm.status().ToString();
    if (!lm.ok()) return {};
    const std::vector<int32_t> prompt = {11, 18, 25, 32, 39};
    return lm->model->LastLogits(prompt);
  }

  TempDir dir_;
  std::string tokenizer_;
};

TEST_F(HfCheckpointTest, F32ExportLoadsBackWithIdenticalLogits) {
  HfExportOptions o = Options("hf");
  o.dtype = "f32";
  auto r = ExportHf(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->step, 6);
  EXPECT_EQ(r->shards, 1);
  EXPECT_EQ(r->files, (std::vector<std::string>{"config.json", "generation_config.json",
                                                "model.safetensors", "special_tokens_map.json",
                                                "tokenizer.model", "tokenizer_config.json"}));
  EXPECT_TRUE(IsHfModelDir(r->out));
  const std::vector<float> original = Logits(dir_.File("run"));
  ASSERT_FALSE(original.empty());
  EXPECT_EQ(Logits(r->out), original) << "f32 weights are the checkpoint's, bit for bit";
}

TEST_F(HfCheckpointTest, ShardedBf16ExportLoadsTheRoundedWeights) {
  HfExportOptions o = Options("hf16");
  o.dtype = "bf16";
  o.shard_bytes = 20'000;  // the 400 x 32 embedding alone is 25.6 KB in bf16: several shards
  auto r = ExportHf(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->shards, 2);
  auto index = ReadFileToString(JoinPath(r->out, kHfIndexFile));
  ASSERT_TRUE(index.ok());
  auto doc = ParseJson(*index, "index");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["metadata"]["total_size"].GetInt64(), r->weight_bytes);
  auto hf = ReadHfModelDir(r->out);
  ASSERT_TRUE(hf.ok()) << hf.status().ToString();
  EXPECT_TRUE(hf->from_hf);
  EXPECT_EQ(hf->model.num_files(), static_cast<size_t>(r->shards));
  auto ck = ReadCheckpointOrLatest(dir_.File("run"));
  ASSERT_TRUE(ck.ok());
  for (const SafetensorsShards::Tensor& t : ck->model.All()) {
    auto h = hf->model.Find(t.entry->name);
    ASSERT_TRUE(h.has_value()) << t.entry->name;
    EXPECT_EQ(h->entry->dtype, SafetensorsDtype::kBF16);
    const std::vector<float> want = t.file->Values(*t.entry), got = h->file->Values(*h->entry);
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], RoundToBf16(want[i])) << t.entry->name;
  }
  // generate / eval / model grads read it through the same loader.
  EXPECT_EQ(Logits(r->out).size(), 400u);
}

TEST_F(HfCheckpointTest, ConfigCarriesWhatTransformersAndLingRead) {
  auto r = ExportHf(Options("hf"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto doc = ParseJson(*ReadFileToString(JoinPath(r->out, "config.json")), "config");
  ASSERT_TRUE(doc.ok());
  const JsonValue& c = *doc;
  EXPECT_EQ(std::string(c["auto_map"]["AutoModelForCausalLM"].GetString()),
            "inclusionAI/Ling-lite--modeling_bailing_moe.BailingMoeForCausalLM");
  EXPECT_EQ(std::string(c["torch_dtype"].GetString()), "bfloat16");
  EXPECT_EQ(c["pad_token_id"].GetInt(), corpus::SpecialId(corpus::Special::kPad));
  EXPECT_EQ(c["eos_token_id"].GetInt(), corpus::SpecialId(corpus::Special::kEndOfText));
  EXPECT_EQ(c["embedding_dropout"].GetDouble(), 0.0);
  EXPECT_EQ(c["head_dim"].GetInt(), 8);
  // The exported config is still one this trainer reads (the HF keys are kept, not refused).
  auto back = ModelConfig::FromJson(*ReadFileToString(JoinPath(r->out, "config.json")), "hf");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kept_keys.at("pad_token_id"), "10");
  auto tc = ParseJson(*ReadFileToString(JoinPath(r->out, "tokenizer_config.json")), "tc");
  ASSERT_TRUE(tc.ok());
  EXPECT_EQ(std::string((*tc)["eos_token"].GetString()), "<|end_of_text|>");
  EXPECT_EQ(std::string((*tc)["chat_template"].GetString()),
            corpus::HfChatTemplate(corpus::ChatTemplateOptions{}));
  EXPECT_EQ(*ReadFileToString(JoinPath(r->out, "tokenizer.model")),
            corpus::testing::SmallTokenizer().serialized());
}

// A directory laid out like Ling's published checkpoints: Ling's config keys, BF16, sharded,
// no kgforge checksums or trainer state.
TEST_F(HfCheckpointTest, LingStyleDirectoryLoadsForGenerationAndInitialisesTraining) {
  HfExportOptions o = Options("exported");
  o.shard_bytes = 30'000;
  ASSERT_TRUE(ExportHf(o).ok());
  const std::string ling = dir_.File("ling");
  std::filesystem::copy(dir_.File("exported"), ling);
  auto config = ParseJson(*ReadFileToString(JoinPath(ling, "config.json")), "c");
  ASSERT_TRUE(config.ok());
  auto& a = config->GetAllocator();
  config->AddMember("pretraining_tp", 1, a);
  config->AddMember("norm_softmax", false, a);
  config->AddMember("use_rmsnorm", true, a);
  config->AddMember("transformers_version", "4.36.0", a);
  config->AddMember("sliding_window", 4096, a);
  config->AddMember("max_window_layers", 28, a);
  ASSERT_TRUE(WriteFileAtomic(JoinPath(ling, "config.json"), JsonToString(*config)).ok());

  EXPECT_EQ(Logits(ling), Logits(dir_.File("exported")));
  // --init-checkpoint from it: training starts from its weights and keeps its config keys.
  std::vector<int32_t> stream(600);
  for (int i = 0; i < 600; ++i) stream[i] = 11 + (i % 13) * 7;
  TrainOptions t;
  t.init_checkpoint = ling;
  t.data = Tokens(dir_, "more.bin", stream);
  t.out = dir_.File("finetune");
  t.seq_len = 16;
  t.steps = 1;
  t.progress = false;
  t.log_every = 0;
  auto s = Train(t);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto ck = ReadCheckpointOrLatest(t.out);
  ASSERT_TRUE(ck.ok());
  auto kept = ModelConfig::FromJson(ck->config_json, "finetune");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->kept_keys.at("transformers_version"), "\"4.36.0\"");
  EXPECT_EQ(kept->kept_keys.at("pretraining_tp"), "1");
}

TEST_F(HfCheckpointTest, KeysThatChangeTheMathsAreRefusedByName) {
  ASSERT_TRUE(ExportHf(Options("hf")).ok());
  const std::string text = *ReadFileToString(dir_.File("hf/config.json"));
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"norm_softmax", "true"}, {"use_rmsnorm", "false"}, {"embedding_dropout", "0.1"},
           {"multi_gate", "true"}, {"rope_scaling", "{\"type\":\"linear\",\"factor\":2}"},
           {"model_type", "\"llama\""}, {"num_experts_per_token", "2"}}) {
    auto doc = ParseJson(text, "c");
    ASSERT_TRUE(doc.ok());
    doc->RemoveMember(key.c_str());
    auto v = ParseJson(value, "v");
    ASSERT_TRUE(v.ok());
    JsonValue copy(*v, doc->GetAllocator());
    doc->AddMember(JsonValue(key.c_str(), doc->GetAllocator()), copy, doc->GetAllocator());
    auto c = ModelConfig::FromJson(JsonToString(*doc), "ling/config.json");
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("'" + key + "'"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("ling/config.json"), std::string::npos);
  }
}

TEST_F(HfCheckpointTest, BrokenShardSetsAreDataLossNamingTheFile) {
  HfExportOptions o = Options("hf");
  o.shard_bytes = 20'000;
  auto r = ExportHf(o);
  ASSERT_TRUE(r.ok());
  const std::string index = JoinPath(r->out, kHfIndexFile);
  const std::string good = *ReadFileToString(index);
  auto doc = ParseJson(good, "i");
  ASSERT_TRUE(doc.ok());
  // A tensor mapped to the wrong shard.
  JsonValue& wm = (*doc)["weight_map"];
  const std::string first = wm.MemberBegin()->value.GetString();
  std::string other;
  for (auto it = wm.MemberBegin(); it != wm.MemberEnd(); ++it) {
    if (first != it->value.GetString()) other = it->value.GetString();
  }
  ASSERT_FALSE(other.empty());
  wm.MemberBegin()->value.SetString(other.c_str(), doc->GetAllocator());
  ASSERT_TRUE(WriteFileAtomic(index, JsonToString(*doc)).ok());
  auto bad = ReadHfModelDir(r->out);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find(kHfIndexFile), std::string::npos) << bad.status().message();
  // A shard path out of the directory.
  ASSERT_TRUE(WriteFileAtomic(index, R"({"weight_map":{"x":"../x.safetensors"}})").ok());
  EXPECT_EQ(ReadHfModelDir(r->out).status().code(), StatusCode::kDataLoss);
  // A missing shard.
  ASSERT_TRUE(WriteFileAtomic(index, good).ok());
  ASSERT_TRUE(RemoveFile(JoinPath(r->out, "model-00002-of-0000" + std::to_string(r->shards) +
                                              ".safetensors")).ok());
  bad = ReadHfModelDir(r->out);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("missing"), std::string::npos) << bad.status().message();
}

TEST_F(HfCheckpointTest, AnEmptyOutputGivenWithATrailingSlashIsFilled) {
  ASSERT_TRUE(CreateDirectories(dir_.File("slash")).ok());
  HfExportOptions o = Options("slash");
  o.out += "/";
  auto r = ExportHf(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(IsHfModelDir(dir_.File("slash")));
}

TEST_F(HfCheckpointTest, ExportIsAllOrNothing) {
  // An output that holds something is refused, untouched.
  dir_.Write("full/keep.txt", "mine");
  auto r = ExportHf(Options("full"));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ReadFileToString(dir_.File("full/keep.txt")), "mine");
  // A tokenizer larger than the model's vocabulary: an error, and no directory left behind.
  HfExportOptions o = Options("out");
  corpus::TokenizerTrainOptions t;
  t.vocab_size = 600;
  auto model = corpus::TrainTokenizer(std::vector<std::string>{corpus::testing::GenerateText(3, 6000)}, t);
  ASSERT_TRUE(model.ok());
  o.tokenizer = dir_.Write("big.model", *model);
  r = ExportHf(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("vocab_size is 400"), std::string::npos) << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(o.out));
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  // No tokenizer given and none recorded (the run trained on a raw token file).
  o.tokenizer.clear();
  r = ExportHf(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("tokenizer model"), std::string::npos);
}

}  // namespace
}  // namespace kgf::trainer
