#include "corpus/tokenizer.h"

#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <algorithm>

#include "base/file_util.h"
#include "tests/corpus/corpus_test_util.h"
#include "tests/testing/temp_dir.h"

namespace kgf::corpus {
namespace {

using testing::GenerateText;
using testing::SmallTokenizer;

TEST(TokenizerTest, DecodeEncodeRoundTripsRealLookingText) {
  const Tokenizer& t = SmallTokenizer();
  for (uint64_t seed = 100; seed < 120; ++seed) {
    std::string text = GenerateText(seed, 20);
    auto ids = t.Encode(text);
    ASSERT_TRUE(ids.ok());
    auto back = t.Decode(*ids);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, text) << "seed " << seed;
  }
}

TEST(TokenizerTest, UnseenCharactersFallBackToBytesAndRoundTrip) {
  const Tokenizer& t = SmallTokenizer();
  const std::string text = "  Ωμέγα \t\tq∑ 🚀 漢字  \n\nend  ";
  auto ids = t.Encode(text);
  ASSERT_TRUE(ids.ok());
  for (int32_t id : *ids) EXPECT_NE(id, 0) << "unk produced; byte fallback missing";
  EXPECT_EQ(*t.Decode(*ids), text);
}

TEST(TokenizerTest, SpecialTokensHaveFixedIdsAndAreNeverProducedByText) {
  const Tokenizer& t = SmallTokenizer();
  auto ids = t.Encode("<|user|> hi <tool_call> </tool_call> <|end_of_text|>");
  ASSERT_TRUE(ids.ok());
  for (int32_t id : *ids) EXPECT_FALSE(t.IsSpecial(id));
  std::vector<int32_t> specials;
  for (int i = 0; i < kNumSpecials; ++i) specials.push_back(SpecialId(static_cast<Special>(i)));
  EXPECT_EQ(*t.Decode(specials),
            "<|begin_of_text|><|end_of_text|><|system|><|user|><|assistant|><tool_call>"
            "</tool_call><tool_result></tool_result><|pad|>");
}

// Issue 14: the model had no bos / eos / pad ids (all -1), so Megatron's and Hugging Face's
// sentencepiece wrappers could not find the end-of-text token.
TEST(TokenizerTest, TheModelNamesItsBosEosAndPadPieces) {
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.LoadFromSerializedProto(SmallTokenizer().serialized()).ok());
  EXPECT_EQ(sp.bos_id(), SpecialId(Special::kBeginOfText));
  EXPECT_EQ(sp.eos_id(), SpecialId(Special::kEndOfText));
  EXPECT_EQ(sp.pad_id(), SpecialId(Special::kPad));
  EXPECT_EQ(sp.IdToPiece(sp.eos_id()), "<|end_of_text|>");
  EXPECT_EQ(sp.unk_id(), 0);
  for (int i = 0; i < kNumSpecials; ++i) {
    EXPECT_EQ(sp.IdToPiece(SpecialId(static_cast<Special>(i))), kSpecialPieces[i]);
  }
}

TEST(TokenizerTest, SameInputsGiveByteIdenticalModel) {
  std::vector<std::string> texts = {GenerateText(3, 400)};
  TokenizerTrainOptions options;
  options.vocab_size = 350;
  auto a = TrainTokenizer(texts, options);
  auto b = TrainTokenizer(texts, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(TokenizerTest, VocabSizeIsConfigurable) {
  std::vector<std::string> texts = {GenerateText(3, 400)};
  TokenizerTrainOptions options;
  for (int vocab : {360, 420}) {
    options.vocab_size = vocab;
    auto model = TrainTokenizer(texts, options);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto t = Tokenizer::FromSerialized(*model, "m");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->vocab_size(), vocab);
  }
}

// Entity names as user symbols: each is one token wherever it occurs (spaces and apostrophes
// included), so a model copies a name as one id; text still round-trips.
TEST(TokenizerTest, UserSymbolsAreSingleTokens) {
  std::vector<std::string> texts;
  for (uint64_t seed = 1; seed < 40; ++seed) texts.push_back(GenerateText(seed, 30));
  texts.push_back("The capital of South Africa is Pretoria. Côte d'Ivoire borders Ghana.");
  TokenizerTrainOptions o;
  o.vocab_size = 600;
  o.user_symbols = {"South Africa", "Côte d'Ivoire", "Pretoria", ""};
  Result<std::string> model = TrainTokenizer(texts, o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Result<Tokenizer> t = Tokenizer::FromSerialized(*model, "user.model");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (const std::string name : {"South Africa", "Côte d'Ivoire", "Pretoria"}) {
    auto ids = t->Encode(name);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->size(), 1u) << name;
    const std::string text = "Is " + name + " in the list? (" + name + ")";
    auto in_text = t->Encode(text);
    ASSERT_TRUE(in_text.ok());
    EXPECT_NE(std::find(in_text->begin(), in_text->end(), (*ids)[0]), in_text->end()) << text;
    EXPECT_EQ(*t->Decode(*in_text), text);
  }
  o.user_symbols = {"a,b"};
  EXPECT_NE(TrainTokenizer(texts, o).status().message().find("holds a comma"), std::string::npos);
  o.user_symbols = {"<tool_call>"};
  EXPECT_NE(TrainTokenizer(texts, o).status().message().find("special token"), std::string::npos);

  ::kgf::testing::TempDir dir;
  int64_t skipped = 0;
  auto read = ReadUserSymbols(
      dir.Write("names.txt", "Alpha\n\nBeta, C\nAlpha\nDelta\r\nUS\n"), &skipped);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, (std::vector<std::string>{"Alpha", "Delta"}));
  EXPECT_EQ(skipped, 2);  // the comma, and "US" (too short: it would split "USB")
  o.user_symbols = {"Pretoria", "Pretoria"};  // a repeat is ignored, not an error
  EXPECT_TRUE(TrainTokenizer(texts, o).ok());
}

TEST(TokenizerTest, BadInputsGiveClearErrors) {
  std::vector<std::string> empty = {"", "\n\n"};
  auto r = TrainTokenizer(empty, TokenizerTrainOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string> texts = {"hello"};
  TokenizerTrainOptions tiny;
  tiny.vocab_size = 100;
  EXPECT_EQ(TrainTokenizer(texts, tiny).status().code(), StatusCode::kInvalidArgument);

  kgf::testing::TempDir dir;
  auto missing = Tokenizer::Load(dir.File("none.model"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("none.model"), std::string::npos);
  auto garbage = Tokenizer::Load(dir.Write("bad.model", "not a model"));
  EXPECT_EQ(garbage.status().code(), StatusCode::kFailedPrecondition);

  auto outside = SmallTokenizer().Decode(std::vector<int32_t>{5, 99999});
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("position 1"), std::string::npos);
}

}  // namespace
}  // namespace kgf::corpus
