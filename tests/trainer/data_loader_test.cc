#include "trainer/train/data_loader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "corpus/corpus_builder.h"
#include "corpus/corpus_reader.h"
#include "tests/corpus/corpus_test_util.h"
#include "trainer/model/model_config.h"
#include "trainer/train/trainer.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

std::string TokenFile(const TempDir& dir, const std::vector<int32_t>& tokens) {
  return dir.Write("tokens.bin", std::string(reinterpret_cast<const char*>(tokens.data()),
                                             tokens.size() * 4));
}

TEST(DataLoaderTest, TokenFileTargetsAreNextTokens) {
  TempDir dir;
  std::vector<int32_t> tokens(100);
  for (int i = 0; i < 100; ++i) tokens[i] = i;
  auto loader = DataLoader::Open({.data = TokenFile(dir, tokens), .seq_len = 8});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  EXPECT_EQ(loader->num_sequences(), 12);  // (100 - 1) / 8 windows of 9 with stride 8
  EXPECT_EQ(loader->MaxTokenId(), 99);
  const int64_t ids[] = {0, 11, 3};
  Batch b = loader->MakeBatch(ids);
  ASSERT_EQ(b.B, 3);
  ASSERT_EQ(b.T, 8);
  for (int r = 0; r < 3; ++r) {
    for (int t = 0; t < 8; ++t) {
      EXPECT_EQ(b.tokens[r * 8 + t], ids[r] * 8 + t);
      EXPECT_EQ(b.targets[r * 8 + t], ids[r] * 8 + t + 1);
      EXPECT_EQ(b.loss_mask[r * 8 + t], 1.0f);
    }
  }
}

TEST(DataLoaderTest, EveryEpochIsAPermutationAndDeterministic) {
  TempDir dir;
  std::vector<int32_t> tokens(1000, 5);
  const std::string path = TokenFile(dir, tokens);
  auto a = DataLoader::Open({.data = path, .seq_len = 16, .seed = 3});
  auto b = DataLoader::Open({.data = path, .seq_len = 16, .seed = 3});
  auto c = DataLoader::Open({.data = path, .seq_len = 16, .seed = 4});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const int64_t n = a->num_sequences();
  std::vector<int64_t> e0, e1, other;
  for (int64_t k = 0; k < n; ++k) e0.push_back(a->SequenceAt(k));
  for (int64_t k = n; k < 2 * n; ++k) e1.push_back(a->SequenceAt(k));
  for (int64_t k = 0; k < n; ++k) other.push_back(c->SequenceAt(k));
  EXPECT_EQ(std::set<int64_t>(e0.begin(), e0.end()).size(), static_cast<size_t>(n));
  EXPECT_EQ(std::set<int64_t>(e1.begin(), e1.end()).size(), static_cast<size_t>(n));
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, other);
  // Random access in any order gives the same ids as the first pass.
  for (int64_t k = 2 * n - 1; k >= 0; --k) EXPECT_EQ(b->SequenceAt(k), k < n ? e0[k] : e1[k - n]);
}

TEST(DataLoaderTest, BadTokenFilesAreClearErrors) {
  TempDir dir;
  EXPECT_EQ(DataLoader::Open({.data = dir.File("absent.bin")}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DataLoader::Open({.data = dir.Write("odd.bin", "12345")}).status().code(),
            StatusCode::kDataLoss);
  auto small = DataLoader::Open({.data = TokenFile(dir, {1, 2, 3}), .seq_len = 8});
  EXPECT_EQ(small.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small.status().message().find("too few tokens"), std::string::npos);
  EXPECT_EQ(DataLoader::Open({.data = TokenFile(dir, std::vector<int32_t>(20, -1)), .seq_len = 4})
                .status()
                .code(),
            StatusCode::kDataLoss);
}

std::string ToolRecord(int i) {
  const std::string n = std::to_string(i);
  // The system prompt lists the tool itself, so the chat template adds no second list.
  return std::string(R"({"tools":[{"type":"function","function":{"name":"get_capital"}}],)") +
         R"("messages":[{"role":"system","content":"Tools: {\"name\":\"get_capital\"}"},)" +
         R"({"role":"user","content":"What is the capital of Country)" + n + R"(?"},)" +
         R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":)" +
         R"({"name":"get_capital","arguments":"{\"country\":\"Country)" + n + R"(\"}"}}]},)" +
         R"({"role":"tool","tool_call_id":"c1","content":"[\"City)" + n + R"(\"]"},)" +
         R"({"role":"assistant","content":"The capital is City)" + n + R"(."}]})";
}

// A built corpus: 30 text documents and 20 tool-use records, small tokenizer (vocab 400).
class DataLoaderCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string text;
    for (int i = 0; i < 30; ++i) {
      text += "{\"text\":" + JsonQuote(corpus::testing::GenerateText(500 + i, 4 + i % 5)) + "}\n";
    }
    dir_->Write("text.jsonl", text);
    ASSERT_TRUE(CreateDirectories(dir_->File("synth")).ok());
    auto w = LineWriter::Open(dir_->File("synth/shard-00000.jsonl"));
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*w)->WriteLine(ToolRecord(i)).ok());
    ASSERT_TRUE((*w)->Close().ok());
    dir_->Write("tok.model", corpus::testing::SmallTokenizer().serialized());
    const std::string mix = dir_->Write(
        "mix.json", R"({"seed":3,"tokenizer":"tok.model","sources":[
          {"name":"text","kind":"text","paths":["text.jsonl"]},
          {"name":"tools","kind":"tool_use","paths":["synth"]}]})");
    corpus::CorpusBuildOptions build;
    build.config = mix;
    build.out = dir_->File("corpus");
    build.threads = 1;
    auto built = corpus::BuildCorpus(build);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Corpus() { return dir_->File("corpus"); }
  static TempDir* dir_;
};
TempDir* DataLoaderCorpusTest::dir_ = nullptr;

TEST_F(DataLoaderCorpusTest, PretrainTrainsEveryTokenOfPackedSequences) {
  auto loader = DataLoader::Open({.data = Corpus(), .dataset = "pretrain", .seq_len = 32, .seed = 5});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  auto corpus = corpus::Corpus::Open(Corpus());
  ASSERT_TRUE(corpus.ok());
  auto packer = corpus::SequencePacker::Create(*corpus->dataset("pretrain"),
                                               {.sequence_length = 33, .seed = 5});
  ASSERT_TRUE(packer.ok());
  EXPECT_EQ(loader->num_sequences(), packer->num_sequences());
  EXPECT_EQ(loader->corpus_vocab_size(), 400);
  EXPECT_LT(loader->MaxTokenId(), 400);
  const int64_t ids[] = {2, 0};
  Batch b = loader->MakeBatch(ids);
  for (int r = 0; r < 2; ++r) {
    corpus::PackedSequence seq;
    packer->Get(ids[r], &seq);
    for (int t = 0; t < 32; ++t) {
      EXPECT_EQ(b.tokens[r * 32 + t], seq.tokens[t]);
      EXPECT_EQ(b.targets[r * 32 + t], seq.tokens[t + 1]);
      EXPECT_EQ(b.loss_mask[r * 32 + t], 1.0f);
    }
  }
}

TEST_F(DataLoaderCorpusTest, SftMaskIsTheTargetTokensMask) {
  auto loader = DataLoader::Open({.data = Corpus(), .dataset = "sft", .seq_len = 128, .seed = 5});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  auto corpus = corpus::Corpus::Open(Corpus());
  ASSERT_TRUE(corpus.ok());
  auto packer = corpus::SequencePacker::Create(
      *corpus->dataset("sft"), {.sequence_length = 129, .seed = 5, .split_documents = false});
  ASSERT_TRUE(packer.ok());
  ASSERT_EQ(loader->num_sequences(), packer->num_sequences());
  int ones = 0, zeros = 0;
  for (int64_t s = 0; s < loader->num_sequences(); ++s) {
    const int64_t id[] = {s};
    Batch b = loader->MakeBatch(id);
    corpus::PackedSequence seq;
    packer->Get(s, &seq);
    for (int t = 0; t < 128; ++t) {
      EXPECT_EQ(b.targets[t], seq.tokens[t + 1]);
      EXPECT_EQ(b.loss_mask[t], seq.mask[t + 1] ? 1.0f : 0.0f) << "sequence " << s << " t " << t;
      (b.loss_mask[t] > 0 ? ones : zeros)++;
    }
    // The first position predicts token 1, never the unpredictable token 0 of the sequence.
    EXPECT_EQ(b.tokens[0], seq.tokens[0]);
  }
  EXPECT_GT(ones, 0);
  EXPECT_GT(zeros, 0) << "system/user/tool spans and padding are not trained";
}

TEST_F(DataLoaderCorpusTest, DocumentAttentionMarksEachPackedDocumentsStart) {
  auto loader = DataLoader::Open({.data = Corpus(), .dataset = "sft", .seq_len = 512, .seed = 5,
                                  .document_attention = true});
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  auto plain = DataLoader::Open({.data = Corpus(), .dataset = "sft", .seq_len = 512, .seed = 5});
  ASSERT_TRUE(plain.ok());
  auto corpus = corpus::Corpus::Open(Corpus());
  ASSERT_TRUE(corpus.ok());
  auto packer = corpus::SequencePacker::Create(
      *corpus->dataset("sft"), {.sequence_length = 513, .seed = 5, .split_documents = false});
  ASSERT_TRUE(packer.ok());
  int with_two = 0;
  for (int64_t s = 0; s < loader->num_sequences(); ++s) {
    const int64_t id[] = {s};
    const Batch b = loader->MakeBatch(id);
    EXPECT_TRUE(plain->MakeBatch(id).doc_start.empty());
    EXPECT_EQ(b.tokens, plain->MakeBatch(id).tokens);
    ASSERT_EQ(b.doc_start.size(), 512u);
    corpus::PackedSequence seq;
    packer->Get(s, &seq);
    ASSERT_FALSE(seq.document_starts.empty());
    EXPECT_EQ(seq.document_starts[0], 0);
    size_t k = 0;
    for (int t = 0; t < 512; ++t) {
      while (k + 1 < seq.document_starts.size() && seq.document_starts[k + 1] <= t) ++k;
      EXPECT_EQ(b.doc_start[t], seq.document_starts[k]) << "sequence " << s << " t " << t;
    }
    if (seq.document_starts.size() >= 2 && seq.document_starts[1] < 512) ++with_two;
  }
  EXPECT_GT(with_two, 0) << "the fixture packs several documents into a sequence";
}

TEST_F(DataLoaderCorpusTest, TrainerRunsOnSftAndRejectsASmallerVocabulary) {
  TrainOptions o;
  o.preset = "tiny";
  o.vocab_size = 64;  // < the corpus tokenizer's 400
  o.data = Corpus();
  o.dataset = "sft";
  o.out = dir_->File("sft_run");
  o.progress = false;
  o.log_every = 0;
  auto t = Trainer::Create(o);
  EXPECT_EQ(t.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("400"), std::string::npos) << t.status().message();

  ModelConfig c = *ModelConfig::Preset("tiny");
  c.vocab_size = 400;
  c.max_position_embeddings = 128;
  o.config = dir_->Write("tiny400.json", c.ToJson());
  o.vocab_size = 0;
  o.seq_len = 128;
  o.batch_size = 2;
  o.steps = 8;
  o.lr = 1e-2;
  o.warmup_steps = 2;
  std::vector<StepMetrics> steps;
  auto sum = Train(o, [&](const StepMetrics& m) { steps.push_back(m); });
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  ASSERT_EQ(steps.size(), 8u);
  for (const StepMetrics& m : steps) {
    EXPECT_GT(m.target_tokens, 0);
    EXPECT_LT(m.target_tokens, m.tokens) << "SFT trains only mask-1 targets";
    EXPECT_TRUE(std::isfinite(m.loss));
  }
  EXPECT_LT(sum->losses.back(), sum->losses.front());

  // The same through --vocab-size on the preset.
  o.config = "";
  o.vocab_size = 400;
  o.seq_len = 64;
  o.steps = 2;
  o.out = dir_->File("sft_run2");
  auto fitted = Train(o);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();

  // Issue 14: --vocab-size corpus takes the size from the corpus manifest (no retyping).
  o.vocab_size = TrainOptions::kVocabFromCorpus;
  o.out = dir_->File("sft_run3");
  auto from_corpus = Train(o);
  ASSERT_TRUE(from_corpus.ok()) << from_corpus.status().ToString();
  EXPECT_EQ(from_corpus->num_parameters, fitted->num_parameters);
  // ... and is the default for a preset on a corpus folder.
  o.vocab_size = 0;
  o.out = dir_->File("sft_run5");
  auto by_default = Train(o);
  ASSERT_TRUE(by_default.ok()) << by_default.status().ToString();
  EXPECT_EQ(by_default->num_parameters, fitted->num_parameters);
  o.vocab_size = TrainOptions::kVocabFromCorpus;
  o.data = dir_->File("text.jsonl");  // not a corpus folder
  o.out = dir_->File("sft_run4");
  auto not_corpus = Trainer::Create(o);
  ASSERT_FALSE(not_corpus.ok());
  EXPECT_NE(not_corpus.status().message().find("not a corpus folder"), std::string::npos)
      << not_corpus.status().message();

  // --attention: a bad value, and document attention on a token file (no boundaries).
  o.data = Corpus();
  o.vocab_size = 0;
  o.attention = "sliding";
  auto bad = Trainer::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--attention"), std::string::npos) << bad.status().message();
  const std::vector<int32_t> stream(300, 5);
  o.data = dir_->Write("stream.bin", std::string(reinterpret_cast<const char*>(stream.data()),
                                                 stream.size() * 4));
  o.attention = "document";
  o.vocab_size = 400;
  auto no_docs = Trainer::Create(o);
  ASSERT_FALSE(no_docs.ok());
  EXPECT_NE(no_docs.status().message().find("token file"), std::string::npos)
      << no_docs.status().message();

  // A resume keeps the run's attention: sft_run3 was trained with the SFT default (document).
  o.data = Corpus();
  o.vocab_size = 400;
  o.out = dir_->File("sft_run3");
  o.steps = 3;
  o.attention = "causal";
  auto switched = Trainer::Create(o);
  ASSERT_FALSE(switched.ok());
  EXPECT_EQ(switched.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(switched.status().message().find("--attention document"), std::string::npos)
      << switched.status().message();
  o.attention = "auto";
  auto resumed = Train(o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->end_step, 3);
}

TEST_F(DataLoaderCorpusTest, MissingDatasetNamesWhatExists) {
  auto loader = DataLoader::Open({.data = Corpus(), .dataset = "chat", .seq_len = 16});
  EXPECT_EQ(loader.status().code(), StatusCode::kInvalidArgument);
  auto big = DataLoader::Open({.data = Corpus(), .dataset = "pretrain", .seq_len = 1 << 20});
  EXPECT_FALSE(big.ok());
  // SFT samples whose first 5 tokens train nothing: every one is dropped; the error says why.
  auto tiny = DataLoader::Open({.data = Corpus(), .dataset = "sft", .seq_len = 4});
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("--seq-len"), std::string::npos) << tiny.status().message();
}

}  // namespace
}  // namespace kgf::trainer
