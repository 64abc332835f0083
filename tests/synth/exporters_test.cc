#include "synth/exporters.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "synth/dialogue_renderer.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

std::vector<Record> Records() {
  kg::Graph g = testing::CountryGraph();
  static ToolCatalog* cat = nullptr;
  static kg::Graph* graph = nullptr;
  if (graph == nullptr) {
    graph = new kg::Graph(std::move(g));
    cat = new ToolCatalog(*ToolCatalog::Build(*graph));
  }
  auto sampler = QuerySampler::Create(*graph, {});
  DialogueRenderer renderer(*graph, *cat, {.distractors = 3, .reflection_share = 0.5}, {"c", "x"});
  std::vector<Record> out;
  for (Pattern p : AllPatterns()) {
    for (uint64_t i = 0; i < 200 && out.size() < 8 * (static_cast<size_t>(p) + 1); ++i) {
      Rng rng = Rng::ForItem(3, i * 16 + static_cast<uint64_t>(p));
      SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      if (auto r = renderer.Render(s, "train", 3, i, rng)) out.push_back(std::move(*r));
    }
  }
  return out;
}

Record Conversation(const Record& r) {
  Record c;
  c.id = r.id;
  c.tools = r.tools;
  c.messages = r.messages;
  return c;
}

TEST(ExportersTest, ShareGptAndHermesRoundTripExactly) {
  std::vector<Record> records = Records();
  ASSERT_GT(records.size(), 50u);
  int reflections = 0, parallel = 0;
  for (const Record& r : records) {
    reflections += r.templates.reflection.empty() ? 0 : 1;
    for (const Message& m : r.messages) parallel += m.tool_calls.size() > 1 ? 1 : 0;
    for (ExportFormat f : {ExportFormat::kShareGpt, ExportFormat::kHermes}) {
      std::string line = ExportRecord(r, f);
      auto back = ImportRecord(line, f, "x");
      ASSERT_TRUE(back.ok()) << ExportFormatName(f) << ": " << back.status().ToString() << "\n" << line;
      EXPECT_EQ(*back, Conversation(r)) << ExportFormatName(f) << "\n" << line;
    }
    auto back = ImportRecord(ExportRecord(r, ExportFormat::kOpenAi), ExportFormat::kOpenAi, "x");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
  }
  EXPECT_GT(reflections, 0);
  EXPECT_GT(parallel, 0);
}

TEST(ExportersTest, ShareGptRolesAlternate) {
  for (const Record& r : Records()) {
    auto doc = ParseJson(ExportRecord(r, ExportFormat::kShareGpt), "x");
    ASSERT_TRUE(doc.ok());
    const JsonValue& conv = (*doc)["conversations"];
    for (rapidjson::SizeType i = 0; i < conv.Size(); ++i) {
      std::string from = conv[i]["from"].GetString();
      bool odd_position = i % 2 == 0;
      EXPECT_EQ(from == "human" || from == "observation", odd_position) << from << " at " << i;
    }
    EXPECT_TRUE((*doc)["tools"].IsString());
  }
}

TEST(ExportersTest, XlamCarriesQueryToolsAndCalls) {
  for (const Record& r : Records()) {
    std::string line = ExportRecord(r, ExportFormat::kXlam);
    auto back = ImportRecord(line, ExportFormat::kXlam, "x");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->tools, r.tools);
    EXPECT_EQ(back->messages[0].content, r.messages[1].content);
    std::vector<std::pair<std::string, std::string>> a, b;
    for (const Message& m : r.messages)
      for (const ToolCall& c : m.tool_calls) a.emplace_back(c.name, c.arguments);
    for (const ToolCall& c : back->messages[1].tool_calls) b.emplace_back(c.name, c.arguments);
    EXPECT_EQ(a, b);
  }
}

TEST(ExportersTest, HermesUsesTags) {
  Record r = Records().front();
  std::string line = ExportRecord(r, ExportFormat::kHermes);
  EXPECT_NE(line.find("<tools>"), std::string::npos);
  EXPECT_NE(line.find("<tool_call>\\n{\\\"name\\\":"), std::string::npos) << line;
  EXPECT_NE(line.find("<tool_response>"), std::string::npos);
  // Issue 14: the response's content is the result as JSON (Hermes' layout), not a string.
  EXPECT_NE(line.find("\\\"content\\\":["), std::string::npos) << line;
  EXPECT_EQ(line.find("\\\"content\\\":\\\"["), std::string::npos) << line;
}

TEST(ExportersTest, HermesListsEveryToolOnceWhateverThePromptStyle) {
  int checked = 0, react = 0;
  for (const Record& r : Records()) {
    react += r.templates.system.rfind("react", 0) == 0;
    const std::string line = ExportRecord(r, ExportFormat::kHermes);
    auto doc = ParseJson(line, "hermes");
    ASSERT_TRUE(doc.ok());
    const std::string system = (*doc)["conversations"][0]["value"].GetString();
    for (const FunctionSpec& f : r.tools) {
      const std::string name = "\"name\":\"" + f.name + "\"";
      const size_t at = system.find(name);
      ASSERT_NE(at, std::string::npos) << r.templates.system << " lists no " << f.name;
      EXPECT_EQ(system.find(name, at + 1), std::string::npos)
          << r.templates.system << " lists " << f.name << " twice";
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
  EXPECT_GT(react, 0) << "no ReAct-style record (its tool lines are what this checks)";
}

TEST(ExportersTest, MalformedInputIsAnError) {
  EXPECT_FALSE(ParseExportFormat("alpaca").ok());
  auto r = ImportRecord(R"({"id":"a","tools":"[]","conversations":[{"from":"gpt","value":"x"}]})",
                        ExportFormat::kShareGpt, "f.jsonl:4");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f.jsonl:4: conversations[0]"), std::string::npos);
}

}  // namespace
}  // namespace kgf::synth
