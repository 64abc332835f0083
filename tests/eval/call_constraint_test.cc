#include "eval/call_constraint.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/corpus/corpus_test_util.h"

namespace kgf::eval {
namespace {

using corpus::testing::SmallTokenizer;

TEST(CallConstraintTest, LocatesToolNamesArgumentValuesAndNothingElse) {
  std::string partial;
  using S = CallConstraint::Slot;
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"get_cap)", &partial), S::kToolName);
  EXPECT_EQ(partial, "get_cap");
  EXPECT_EQ(CallConstraint::Locate(R"({"na)", &partial), S::kNone) << "a key";
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"f","arguments":{"coun)", &partial), S::kNone);
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"f","arguments":{"country":"Fra)", &partial),
            S::kArgument);
  EXPECT_EQ(partial, "Fra");
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"f","arguments":{"sets":[["A","B"],["C)", &partial),
            S::kArgument);
  EXPECT_EQ(partial, "C");
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"f","arguments":{"country":"France"})", &partial),
            S::kNone) << "the string is closed";
  EXPECT_EQ(CallConstraint::Locate(R"({"name":"f","arguments":{"a":"x\"y)", &partial), S::kNone)
      << "escapes are left alone";
}

TEST(CallConstraintTest, OnlyTokensThatKeepSpellingAnAllowedNameSurvive) {
  const corpus::Tokenizer& tok = SmallTokenizer();
  CallConstraint c(tok, {"Paris", "Berlin", "Madrid", "Rome"});
  EXPECT_EQ(c.NamesIn("The capital of France is Paris; not Rome."),
            (std::vector<std::string>{"Paris", "Rome"}));
  const std::vector<std::string> tools = {"get_capital_of_country"};
  const std::vector<std::string> names = {"Paris", "Rome"};
  // The model has written <tool_call>{"name":"get_capital_of_country","arguments":{"city":"
  std::vector<int32_t> generated = {corpus::SpecialId(corpus::Special::kToolCallOpen)};
  auto text = tok.Encode(R"({"name":"get_capital_of_country","arguments":{"city":")");
  ASSERT_TRUE(text.ok());
  generated.insert(generated.end(), text->begin(), text->end());
  std::vector<float> logits(tok.vocab_size(), 0.0f);
  c.Apply(generated, tools, names, logits);
  int allowed = 0;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    if (std::isinf(logits[id])) continue;
    ++allowed;
    const int32_t one[1] = {id};
    const std::string piece = *tok.Decode(one);
    const bool fits = std::string("Paris\"").rfind(piece, 0) == 0 ||
                      std::string("Rome\"").rfind(piece, 0) == 0;
    EXPECT_TRUE(fits) << "token '" << piece << "' cannot start Paris or Rome";
  }
  EXPECT_GT(allowed, 0);
  // Outside a call nothing is constrained.
  std::vector<float> free(tok.vocab_size(), 0.0f);
  c.Apply(std::vector<int32_t>{5, 6}, tools, names, free);
  for (float x : free) EXPECT_EQ(x, 0.0f);
}

}  // namespace
}  // namespace kgf::eval
