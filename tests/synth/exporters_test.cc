#include "synth/exporters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "base/file_util.h"
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

TEST(ExportersTest, ShareGptHermesAndBailingRoundTripExactly) {
  std::vector<Record> records = Records();
  ASSERT_GT(records.size(), 50u);
  int reflections = 0, parallel = 0;
  for (const Record& r : records) {
    reflections += r.templates.reflection.empty() ? 0 : 1;
    for (const Message& m : r.messages) parallel += m.tool_calls.size() > 1 ? 1 : 0;
    for (ExportFormat f : {ExportFormat::kShareGpt, ExportFormat::kHermes, ExportFormat::kBailing}) {
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

// The tool list as a trainer renders it: the function JSON objects of the record.
std::vector<std::string> ToolJsons(const Record& r) {
  std::vector<std::string> out;
  for (const FunctionSpec& f : r.tools) {
    out.push_back("{\"name\":" + JsonQuote(f.name) + ",\"description\":" + JsonQuote(f.description) +
                  ",\"parameters\":" + f.parameters + "}");
  }
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ExportersTest, ShareGptRolesAlternateAndListEachToolOnce) {
  int with_field = 0, listed_in_prompt = 0;
  for (const Record& r : Records()) {
    auto doc = ParseJson(ExportRecord(r, ExportFormat::kShareGpt), "x");
    ASSERT_TRUE(doc.ok());
    const JsonValue& conv = (*doc)["conversations"];
    for (rapidjson::SizeType i = 0; i < conv.Size(); ++i) {
      std::string from = conv[i]["from"].GetString();
      bool odd_position = i % 2 == 0;
      EXPECT_EQ(from == "human" || from == "observation", odd_position) << from << " at " << i;
    }
    EXPECT_FALSE(doc->HasMember("thoughts")) << "not a key LLaMA-Factory reads";
    // LLaMA-Factory renders `tools` into the system prompt: each tool must reach the model
    // exactly once, from the field or from the prompt.
    const std::string system = doc->HasMember("system") ? (*doc)["system"].GetString() : "";
    const std::string field = doc->HasMember("tools") ? (*doc)["tools"].GetString() : "";
    for (const std::string& tool : ToolJsons(r)) {
      EXPECT_EQ(Count(system, tool) + Count(field, tool), 1u) << r.templates.system << "\n" << tool;
    }
    with_field += doc->HasMember("tools");
    listed_in_prompt += !doc->HasMember("tools");
  }
  EXPECT_GT(with_field, 0);
  EXPECT_GT(listed_in_prompt, 0);
}

TEST(ExportersTest, ShareGptFollowsLlamaFactoryForParallelResultsAndThoughts) {
  int parallel = 0, thoughts = 0;
  for (const Record& r : Records()) {
    auto doc = ParseJson(ExportRecord(r, ExportFormat::kShareGpt), "x");
    ASSERT_TRUE(doc.ok());
    const JsonValue& conv = (*doc)["conversations"];
    size_t turn = 0;  // conversation index
    for (size_t i = 0; i < r.messages.size(); ++i) {
      const Message& m = r.messages[i];
      if (m.role == "system") continue;
      const std::string value = conv[static_cast<rapidjson::SizeType>(turn)]["value"].GetString();
      if (m.role == "assistant" && m.tool_calls.size() > 1) {
        // The k results: one observation, k - 1 separators.
        const std::string obs = conv[static_cast<rapidjson::SizeType>(turn + 1)]["value"].GetString();
        EXPECT_EQ(Count(obs, "\n</tool_response>\n<tool_response>\n"), m.tool_calls.size() - 1);
        EXPECT_EQ(obs.rfind(r.messages[i + 1].content, 0), 0u) << obs;
        ++parallel;
      }
      if (m.role == "assistant" && !m.tool_calls.empty() && !m.content.empty()) {
        // LLaMA-Factory's FunctionFormatter keeps the text before <tool_call> as the thought.
        EXPECT_EQ(value.rfind(m.content + "<tool_call>", 0), 0u) << value;
        EXPECT_TRUE(EndsWith(value, "</tool_call>")) << value;
        ++thoughts;
      }
      if (m.role == "tool") {
        while (i + 1 < r.messages.size() && r.messages[i + 1].role == "tool") ++i;
      }
      ++turn;
    }
  }
  EXPECT_GT(parallel, 0);
  EXPECT_GT(thoughts, 0);
}

TEST(ExportersTest, XlamHoldsOnlyQueryAnswerableCallsInXlamsOwnShapes) {
  int exported = 0;
  std::map<std::string, int> skipped;
  int64_t index = 0;
  for (const Record& r : Records()) {
    const std::string_view why = ExportSkipReason(r, ExportFormat::kXlam);
    int call_turns = 0;
    for (const Message& m : r.messages) call_turns += !m.tool_calls.empty();
    if (!why.empty()) {
      ++skipped[std::string(why)];
      if (why == "dependent_calls") EXPECT_GT(call_turns, 1);
      continue;
    }
    EXPECT_EQ(call_turns, 1);
    const std::string line = ExportRecord(r, ExportFormat::kXlam, index);
    auto doc = ParseJson(line, "xlam");
    ASSERT_TRUE(doc.ok());
    EXPECT_TRUE((*doc)["id"].IsInt64());
    EXPECT_EQ((*doc)["id"].GetInt64(), index++);
    // NeMo's converter reads tools[i].parameters as {param: {"type", "description"}}.
    auto tools = ParseJson((*doc)["tools"].GetString(), "tools");
    ASSERT_TRUE(tools.ok());
    for (const JsonValue& t : tools->GetArray()) {
      ASSERT_TRUE(t["parameters"].IsObject());
      EXPECT_FALSE(t["parameters"].HasMember("properties")) << "JSON Schema is not xLAM's map";
      for (auto p = t["parameters"].MemberBegin(); p != t["parameters"].MemberEnd(); ++p) {
        ASSERT_TRUE(p->value.IsObject()) << p->name.GetString();
        const std::string type = p->value["type"].GetString();
        EXPECT_TRUE(type == "str" || type.rfind("List[", 0) == 0) << type;
        EXPECT_TRUE(p->value["description"].IsString());
      }
    }
    auto back = ImportRecord(line, ExportFormat::kXlam, "x");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->id, r.id);
    ASSERT_EQ(back->tools.size(), r.tools.size());
    for (size_t k = 0; k < r.tools.size(); ++k) {
      EXPECT_EQ(back->tools[k].name, r.tools[k].name);
      EXPECT_EQ(back->tools[k].description, r.tools[k].description);
    }
    EXPECT_EQ(back->messages[0].content, r.messages[1].content);
    std::vector<std::pair<std::string, std::string>> a, b;
    for (const Message& m : r.messages)
      for (const ToolCall& c : m.tool_calls) a.emplace_back(c.name, c.arguments);
    for (const ToolCall& c : back->messages[1].tool_calls) b.emplace_back(c.name, c.arguments);
    EXPECT_EQ(a, b);
    ++exported;
  }
  EXPECT_GT(exported, 0);
  EXPECT_GT(skipped["dependent_calls"], 0);
  EXPECT_GT(skipped["failed_call"], 0);
}

TEST(ExportersTest, XlamSchemaRoundTripKeepsTypes) {
  // The xLAM map read back is a JSON Schema again: types, descriptions, every parameter required.
  const std::string line =
      R"({"id":3,"query":"q","answers":"[]","tools":"[{\"name\":\"f\",\"description\":\"d\",)"
      R"(\"parameters\":{\"a\":{\"type\":\"str\",\"description\":\"x\"},\"b\":{\"type\":)"
      R"(\"List[List[str]]\",\"description\":\"y\"},\"c\":{\"type\":\"int\",\"description\":)"
      R"(\"z\",\"default\":3}}}]"})";
  auto r = ImportRecord(line, ExportFormat::kXlam, "x");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "3");
  EXPECT_EQ(r->tools[0].parameters,
            R"({"type":"object","properties":{"a":{"type":"string","description":"x"},)"
            R"("b":{"type":"array","items":{"type":"array","items":{"type":"string"}},)"
            R"("description":"y"},"c":{"type":"integer","description":"z"}},"required":["a","b"]})");
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

TEST(ExportersTest, BailingUsesLingRoles) {
  for (const Record& r : Records()) {
    auto doc = ParseJson(ExportRecord(r, ExportFormat::kBailing), "bailing");
    ASSERT_TRUE(doc.ok());
    const std::string text = (*doc)["text"].GetString();
    EXPECT_EQ(text.rfind("<role>SYSTEM</role>", 0), 0u);
    EXPECT_NE(text.find("<role>HUMAN</role>"), std::string::npos);
    EXPECT_NE(text.find("<role>OBSERVATION</role><tool_response>\n"), std::string::npos);
    EXPECT_NE(text.find("<tool_call>\n{\"name\":"), std::string::npos) << text;
    EXPECT_EQ(Count(text, "<role>ASSISTANT</role>"),
              static_cast<size_t>(std::count_if(r.messages.begin(), r.messages.end(),
                                                [](const Message& m) { return m.role == "assistant"; })));
  }
  auto bad = ImportRecord(R"({"id":"a","text":"<role>ROBOT</role>hi"})", ExportFormat::kBailing,
                          "b.jsonl:2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.jsonl:2"), std::string::npos);
}

TEST(ExportersTest, HermesListsEveryToolOnceWhateverThePromptStyle) {
  int checked = 0, react = 0;
  for (const Record& r : Records()) {
    react += r.templates.system.rfind("react", 0) == 0;
    const std::string line = ExportRecord(r, ExportFormat::kHermes);
    auto doc = ParseJson(line, "hermes");
    ASSERT_TRUE(doc.ok());
    EXPECT_FALSE(doc->HasMember("tools")) << "the system turn lists them";
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

// A small dialogue written by hand: a system prompt that does not list the tools, two parallel
// calls said with a thought, their results, the answer.
Record GoldenRecord() {
  Record r;
  r.id = "g1";
  r.tools = {{"get_capital_of_country", "The capital of a country.",
              R"({"type":"object","properties":{"country":{"type":"string","description":"A country."}},"required":["country"]})"}};
  r.messages = {
      {"system", "You answer with tools.", {}, "", ""},
      {"user", "What are the capitals of France and Spain?", {}, "", ""},
      {"assistant", "Thought: both at once.",
       {{"call_1_0", "get_capital_of_country", R"({"country":"France"})"},
        {"call_1_1", "get_capital_of_country", R"({"country":"Spain"})"}},
       "", ""},
      {"tool", R"(["Paris"])", {}, "call_1_0", "get_capital_of_country"},
      {"tool", R"(["Madrid"])", {}, "call_1_1", "get_capital_of_country"},
      {"assistant", "Paris and Madrid.", {}, "", ""}};
  return r;
}

// Golden lines in the peers' documented shapes: LLaMA-Factory data/README.md (sharegpt: human /
// function_call / observation / gpt, `tools` a JSON string), APIGen's xlam-function-calling-60k
// card (xlam), NousResearch hermes-function-calling-v1 (hermes), LLaMA-Factory's `bailing`
// template (bailing). Each also reads back to the record.
TEST(ExportersTest, GoldenLinesInThePeersShapes) {
  const Record r = GoldenRecord();
  const std::string tools =
      R"([{\"name\":\"get_capital_of_country\",\"description\":\"The capital of a country.\",)"
      R"(\"parameters\":{\"type\":\"object\",\"properties\":{\"country\":{\"type\":\"string\",)"
      R"(\"description\":\"A country.\"}},\"required\":[\"country\"]}}])";
  EXPECT_EQ(ExportRecord(r, ExportFormat::kShareGpt),
            R"({"id":"g1","conversations":[)"
            R"({"from":"human","value":"What are the capitals of France and Spain?"},)"
            R"({"from":"function_call","value":"Thought: both at once.<tool_call>[{\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":\"France\"}},{\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":\"Spain\"}}]</tool_call>"},)"
            R"({"from":"observation","value":"[\"Paris\"]\n</tool_response>\n<tool_response>\n[\"Madrid\"]"},)"
            R"({"from":"gpt","value":"Paris and Madrid."}],)"
            R"("system":"You answer with tools.","tools":")" + tools + R"("})");
  EXPECT_EQ(ExportRecord(r, ExportFormat::kXlam, 7),
            R"({"id":7,"query":"What are the capitals of France and Spain?","tools":"[{\"name\":)"
            R"(\"get_capital_of_country\",\"description\":\"The capital of a country.\",)"
            R"(\"parameters\":{\"country\":{\"type\":\"str\",\"description\":\"A country.\"}}}]",)"
            R"("answers":"[{\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":\"France\"}},)"
            R"({\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":\"Spain\"}}]",)"
            R"("source_id":"g1"})");
  EXPECT_EQ(ExportRecord(r, ExportFormat::kHermes),
            R"({"id":"g1","conversations":[{"from":"system","value":"You answer with tools.\n\n<tools>\n)"
            R"({\"type\":\"function\",\"function\":{\"name\":\"get_capital_of_country\",\"description\":)"
            R"(\"The capital of a country.\",\"parameters\":{\"type\":\"object\",\"properties\":)"
            R"({\"country\":{\"type\":\"string\",\"description\":\"A country.\"}},\"required\":)"
            R"([\"country\"]}}}\n</tools>"},{"from":"human","value":"What are the capitals of France and )"
            R"(Spain?"},{"from":"gpt","value":"Thought: both at once.\n<tool_call>\n{\"name\":)"
            R"(\"get_capital_of_country\",\"arguments\":{\"country\":\"France\"}}\n</tool_call>\n)"
            R"(<tool_call>\n{\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":)"
            R"(\"Spain\"}}\n</tool_call>"},{"from":"tool","value":"<tool_response>\n{\"name\":)"
            R"(\"get_capital_of_country\",\"content\":[\"Paris\"]}\n</tool_response>\n)"
            R"(<tool_response>\n{\"name\":\"get_capital_of_country\",\"content\":[\"Madrid\"]}\n)"
            R"(</tool_response>"},{"from":"gpt","value":"Paris and Madrid."}]})");
  EXPECT_EQ(ExportRecord(r, ExportFormat::kBailing),
            R"({"id":"g1","text":"<role>SYSTEM</role>You answer with tools.<role>HUMAN</role>What )"
            R"(are the capitals of France and Spain?<role>ASSISTANT</role>Thought: both at once.\n)"
            R"(<tool_call>\n{\"name\":\"get_capital_of_country\",\"arguments\":{\"country\":)"
            R"(\"France\"}}\n</tool_call>\n<tool_call>\n{\"name\":\"get_capital_of_country\",)"
            R"(\"arguments\":{\"country\":\"Spain\"}}\n</tool_call><role>OBSERVATION</role>)"
            R"(<tool_response>\n[\"Paris\"]\n</tool_response>\n<tool_response>\n[\"Madrid\"]\n)"
            R"(</tool_response><role>ASSISTANT</role>Paris and Madrid.","tools":")" + tools + R"("})");
  for (ExportFormat f : {ExportFormat::kShareGpt, ExportFormat::kHermes, ExportFormat::kBailing}) {
    auto back = ImportRecord(ExportRecord(r, f), f, "golden");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r) << ExportFormatName(f);
  }
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
