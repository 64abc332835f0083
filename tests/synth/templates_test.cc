#include "synth/templates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/hash.h"

namespace kgf::synth {
namespace {

constexpr std::array<PromptStyle, 4> kAllStyles = {PromptStyle::kOpenAi, PromptStyle::kReact,
                                                   PromptStyle::kHermes, PromptStyle::kQwen};

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Three function JSONs shaped like the catalog's, and pointers to them for the renderer.
struct FakeTools {
  std::vector<std::string> jsons = {
      R"({"name":"get_capital_of_country","description":"The capital city of a country.","parameters":{"type":"object","properties":{"country":{"type":"string"}},"required":["country"]}})",
      R"({"name":"get_borders_of_country","description":"Countries sharing a border.","parameters":{"type":"object","properties":{"country":{"type":"string"}},"required":["country"]}})",
      R"({"name":"get_intersection_of","description":"Entities in every list.","parameters":{"type":"object","properties":{"sets":{"type":"array"}},"required":["sets"]}})",
  };
  std::vector<const std::string*> ptrs = {&jsons[0], &jsons[1], &jsons[2]};
};

std::vector<SystemPromptChoice> AllChoices() {
  std::vector<SystemPromptChoice> all;
  all.reserve(NumSystemPrompts());
  for (uint64_t i = 0; i < NumSystemPrompts(); ++i) all.push_back(SystemPromptAt(i));
  return all;
}

TEST(TemplatesTest, StyleNamesAndIdsAppendTheFraming) {
  std::vector<std::string> names;
  for (PromptStyle s : kAllStyles) names.emplace_back(PromptStyleName(s));
  EXPECT_EQ(names, (std::vector<std::string>{"openai", "react", "hermes", "qwen"}));
  EXPECT_EQ(static_cast<int>(PromptStyle::kQwen), kNumPromptStyles - 1);
  SystemPromptChoice c{PromptStyle::kReact, 3, 1, 4, 2, 0};
  EXPECT_EQ(c.Id(), "react.3.1.4.2.0");
  c.framing = 3;
  EXPECT_EQ(c.Id(), "react.3.1.4.2.3");
}

TEST(TemplatesTest, EnumerationCoversAtLeastThirtyThousandDistinctChoicesInFourStyles) {
  ASSERT_GE(NumSystemPrompts(), 30000u);
  std::set<std::string> ids;
  std::map<std::string, uint64_t> per_style;
  for (const SystemPromptChoice& c : AllChoices()) {
    ids.insert(c.Id());
    ++per_style[std::string(PromptStyleName(c.style))];
  }
  EXPECT_EQ(ids.size(), NumSystemPrompts());
  ASSERT_EQ(per_style.size(), 4u);
  for (const auto& [style, n] : per_style) EXPECT_GE(n, 10000u) << style;
}

TEST(TemplatesTest, EveryChoiceRendersADistinctPrompt) {
  FakeTools tools;
  std::vector<uint64_t> hashes;
  hashes.reserve(NumSystemPrompts());
  for (const SystemPromptChoice& c : AllChoices()) {
    hashes.push_back(Hash64(RenderSystemPrompt(c, tools.ptrs)));
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::unique(hashes.begin(), hashes.end()) - hashes.begin(),
            static_cast<ptrdiff_t>(NumSystemPrompts()));
}

TEST(TemplatesTest, RandomPicksAreValidDistinctAndSpreadOverStyles) {
  FakeTools tools;
  std::set<std::string> all_ids;
  for (const SystemPromptChoice& c : AllChoices()) all_ids.insert(c.Id());
  std::set<std::string> ids, texts;
  std::map<PromptStyle, int> per_style;
  Rng rng(7);
  constexpr int kPicks = 20000;
  for (int i = 0; i < kPicks; ++i) {
    SystemPromptChoice c = PickSystemPrompt(rng);
    ASSERT_TRUE(all_ids.count(c.Id())) << c.Id() << " is not a valid choice";
    ids.insert(c.Id());
    texts.insert(RenderSystemPrompt(c, tools.ptrs));
    ++per_style[c.style];
  }
  EXPECT_GT(ids.size(), kPicks * 9 / 10);  // 340k choices: few repeats
  EXPECT_EQ(texts.size(), ids.size());
  for (PromptStyle s : kAllStyles) {
    EXPECT_NEAR(per_style[s], kPicks / 4, kPicks / 20) << PromptStyleName(s);
  }
}

TEST(TemplatesTest, SameRngStatePicksTheSamePrompt) {
  Rng a(11), b(11);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(PickSystemPrompt(a).Id(), PickSystemPrompt(b).Id());
}

// Ling §4.4 consistency: the text mentions a tool list only when it carries one, exactly once.
TEST(TemplatesTest, ToolListAppearsOnceExceptInOpenAiPrompts) {
  FakeTools tools;
  for (const SystemPromptChoice& c : AllChoices()) {
    std::string text = RenderSystemPrompt(c, tools.ptrs);
    bool openai = c.style == PromptStyle::kOpenAi;
    for (const std::string& f : tools.jsons) {
      ASSERT_EQ(Occurrences(text, f), openai ? 0u : 1u) << c.Id() << "\n" << text;
    }
    for (const char* slot : {"{P}", "{G}", "{R}", "{C}", "{T}"}) {
      ASSERT_EQ(text.find(slot), std::string::npos) << c.Id();
    }
    if (openai) {
      for (const char* word : {"below", "following tools", "listed", "<tools>", "get_"}) {
        ASSERT_EQ(text.find(word), std::string::npos) << c.Id() << ": " << word << "\n" << text;
      }
    }
    if (c.style == PromptStyle::kReact) {
      ASSERT_EQ(Occurrences(text, "- {\"name\""), 3u) << c.Id();
      ASSERT_NE(text.find("Thought:"), std::string::npos) << c.Id();
    }
    if (c.style == PromptStyle::kHermes || c.style == PromptStyle::kQwen) {
      size_t open = text.find("<tools>\n");
      ASSERT_NE(open, std::string::npos) << c.Id();
      std::string block = "<tools>\n" + tools.jsons[0] + "\n" + tools.jsons[1] + "\n" +
                          tools.jsons[2] + "\n</tools>";
      ASSERT_EQ(Occurrences(text, block), 1u) << c.Id();
      ASSERT_NE(text.find("<tool_call>"), std::string::npos) << c.Id();
    }
    if (c.style == PromptStyle::kQwen) {
      ASSERT_NE(text.find("# Tools\n"), std::string::npos) << c.Id();
      ASSERT_NE(text.find("You may call one or more functions to assist with the user query."),
                std::string::npos)
          << c.Id();
    }
  }
}

TEST(TemplatesTest, NoToolsRenderAnEmptyListWithoutPlaceholders) {
  for (PromptStyle s : kAllStyles) {
    SystemPromptChoice c;
    c.style = s;
    std::string text = RenderSystemPrompt(c, {});
    EXPECT_EQ(text.find("{T}"), std::string::npos) << PromptStyleName(s);
    bool tagged = s == PromptStyle::kHermes || s == PromptStyle::kQwen;
    EXPECT_EQ(Occurrences(text, "<tools>\n</tools>"), tagged ? 1u : 0u) << PromptStyleName(s);
  }
}

TEST(TemplatesTest, OnlyReactWantsThoughts) {
  for (PromptStyle s : kAllStyles) {
    EXPECT_EQ(WantsThought(s), s == PromptStyle::kReact) << PromptStyleName(s);
  }
}

TEST(TemplatesTest, ThoughtTextsNameTheStepInSeveralPhrasings) {
  const std::string step = "look up the capital of France";
  std::map<bool, std::set<std::string>> seen;
  Rng rng(3);
  for (int i = 0; i < 500; ++i) {
    bool first = i % 2 == 0;
    std::string t = ThoughtText(step, first, rng);
    EXPECT_TRUE(t.starts_with("Thought: ")) << t;
    EXPECT_TRUE(t.ends_with(step + ".") || t.ends_with(step + " first.")) << t;
    EXPECT_EQ(Occurrences(t, step), 1u) << t;
    seen[first].insert(t);
  }
  EXPECT_GE(seen[true].size(), 4u);
  EXPECT_GE(seen[false].size(), 4u);
  for (const std::string& t : seen[true]) EXPECT_EQ(seen[false].count(t), 0u) << t;
  Rng a(5), b(5);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ThoughtText(step, i < 3, a), ThoughtText(step, i < 3, b));
}

// Each phrasing of a bank is distinct and uses its placeholder exactly once, `optional` at
// most once, and no other.
void ExpectBank(std::span<const std::string_view> bank, size_t min_size, char placeholder,
                char optional = 0) {
  EXPECT_GE(bank.size(), min_size);
  std::set<std::string_view> distinct(bank.begin(), bank.end());
  EXPECT_EQ(distinct.size(), bank.size());
  const std::string slot = {'{', placeholder, '}'};
  const std::string extra = {'{', optional, '}'};
  for (std::string_view p : bank) {
    std::string text(p);
    EXPECT_EQ(Occurrences(text, slot), 1u) << text;
    const size_t extras = optional ? Occurrences(text, extra) : 0;
    EXPECT_LE(extras, 1u) << text;
    EXPECT_EQ(Occurrences(text, "{"), 1u + extras) << text;
  }
}

TEST(TemplatesTest, AnswerAndReflectionBanksAreLargeAndWellFormed) {
  ExpectBank(AnswerBank(), 12, 'L', 'N');  // {N}: "answer is" / "answers are"
  ExpectBank(ReflectionBank(), 10, 'E');
}

TEST(TemplatesTest, FillTemplateReplacesOnlySingleCapitalSlots) {
  std::vector<std::string> values(26);
  values['L' - 'A'] = "Paris, {Rome}";
  values['E' - 'A'] = "x";
  EXPECT_EQ(FillTemplate("The answer is {L}.", values), "The answer is Paris, {Rome}.");
  EXPECT_EQ(FillTemplate("{\"name\": {E}} {e} {EE} {Z}", values), "{\"name\": x} {e} {EE} ");
  EXPECT_EQ(FillTemplate("{E}", std::span<const std::string>(values).first(3)), "");
}

}  // namespace
}  // namespace kgf::synth
