#include "corpus/mix_config.h"

#include <gtest/gtest.h>

namespace kgf::corpus {
namespace {

constexpr char kSources[] = R"("sources":[{"name":"t","kind":"tool_use","paths":["synth"]}])";

Result<MixConfig> Parse(const std::string& fields) {
  return ParseMixConfig("{" + fields + kSources + "}", "/data", "mix.json");
}

TEST(MixConfigTest, SplitAndChatTemplateOptionsDefaultToOff) {
  auto config = Parse("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->train_on_valid);
  EXPECT_FALSE(config->chat_template.compact_prompts);
  EXPECT_FALSE(config->chat_template.always_render_tools);
  EXPECT_FALSE(config->chat_template.train_on_failed_calls);
  EXPECT_EQ(config->sources[0].paths[0], "/data/synth");
}

TEST(MixConfigTest, ParsesTrainOnValidAndEachChatTemplateKey) {
  auto config = Parse(R"("train_on_valid":true,"chat_template":{"compact_prompts":true},)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->train_on_valid);
  EXPECT_TRUE(config->chat_template.compact_prompts);
  EXPECT_FALSE(config->chat_template.always_render_tools);
  config = Parse(R"("chat_template":{"always_render_tools":true,"train_on_failed_calls":true},)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->chat_template.compact_prompts);
  EXPECT_TRUE(config->chat_template.always_render_tools);
  EXPECT_TRUE(config->chat_template.train_on_failed_calls);
  config = Parse(R"("chat_template":{},)");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->chat_template.compact_prompts);
}

TEST(MixConfigTest, BadSplitAndChatTemplateFieldsNameTheField) {
  struct Case {
    std::string fields, expect;
  } cases[] = {
      {R"("chat_template":{"compact":true},)",
       "mix.json: chat_template: unknown field 'compact' (known: compact_prompts, "
       "always_render_tools, train_on_failed_calls)"},
      {R"("chat_template":{"compact_prompts":1},)", "compact_prompts"},
      {R"("chat_template":true,)", "chat_template"},
      {R"("train_on_valid":"yes",)", "train_on_valid"},
      {R"("train_on_test":true,)", "unknown field 'train_on_test'"},
  };
  for (const auto& c : cases) {
    auto config = Parse(c.fields);
    ASSERT_FALSE(config.ok()) << c.fields;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(c.expect), std::string::npos)
        << c.fields << " -> " << config.status().message();
  }
}

TEST(MixConfigTest, TheRetiredKgFactsKindSaysWhereFactsComeFromNow) {
  auto config = ParseMixConfig(
      R"({"sources":[{"name":"f","kind":"kg_facts","store":"kg.db"}]})", "/data", "mix.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("kgforge kg export --store STORE --format sentences"),
            std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace kgf::corpus
