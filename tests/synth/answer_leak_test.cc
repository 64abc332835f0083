// The answer-leak rule shared by the renderer and the semantic filter.
#include "synth/answer_leak.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kgf::synth {
namespace {

TEST(AnswerLeakTest, WholeWordsOnlyCaseInsensitive) {
  EXPECT_TRUE(ContainsWords("Is it in France?", "france"));
  EXPECT_FALSE(ContainsWords("Is it in Frances?", "France"));
  EXPECT_FALSE(ContainsWords("relevant facts", "ant"));
  EXPECT_TRUE(ContainsWords("the United States.", "United States"));
  EXPECT_TRUE(ContainsWords("C++ rocks", "C++"));
  EXPECT_TRUE(ContainsWords("in São Paulo", "São Paulo"));
  EXPECT_FALSE(ContainsWords("São Paulo", "Sã"));  // a non-ASCII byte is a word byte
  EXPECT_FALSE(ContainsWords("anything", ""));
  EXPECT_FALSE(ContainsWords("ab", "abc"));
}

TEST(AnswerLeakTest, NamesInsideAnchorsAreNotLeaks) {
  const std::vector<std::string> anchors = {"dog (a member of the genus Canis)", "Spain"};
  const std::string q = "What are the hypernyms of dog (a member of the genus Canis) and of Spain?";
  EXPECT_FALSE(AnswerLeaks(q, "genus Canis", anchors));  // part of an anchor's name
  EXPECT_FALSE(AnswerLeaks(q, "canine", anchors));       // not in the question
  EXPECT_FALSE(AnswerLeaks(q, "hyper", anchors));        // not a whole word
  EXPECT_TRUE(AnswerLeaks(q, "hypernyms", anchors));     // named outside the anchors
  EXPECT_TRUE(AnswerLeaks("Which borders France? France", "France", std::vector<std::string>{"Spain"}));
}

}  // namespace
}  // namespace kgf::synth
