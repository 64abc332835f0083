#include "synth/dialogue_renderer.h"
#include "synth/outcome_shaper.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "base/file_util.h"
#include "base/json.h"
#include "synth/templates.h"
#include "tests/synth/record_checks.h"
#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

// Renders up to `per_pattern` records per pattern.
std::vector<Record> RenderMany(const kg::Graph& g, const ToolCatalog& cat, RenderOptions ro,
                               int per_pattern, uint64_t seed, OutcomeOptions oo = {}) {
  auto sampler = QuerySampler::Create(g, {});
  KGF_CHECK(sampler.ok());
  OutcomeShaper shaper(g, oo, {});
  DialogueRenderer renderer(g, cat, ro, {"test", "xxh3:0"});
  std::vector<Record> out;
  for (Pattern p : AllPatterns()) {
    int made = 0;
    for (uint64_t i = 0; i < 2000 && made < per_pattern; ++i) {
      uint64_t index = static_cast<uint64_t>(p) * 100000 + i;
      Rng rng = Rng::ForItem(seed, index);
      SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      shaper.Shape(&s, rng);
      std::optional<Record> r = renderer.Render(s, "train", seed, index, rng);
      if (!r) continue;
      out.push_back(std::move(*r));
      ++made;
    }
  }
  return out;
}

TEST(DialogueRendererTest, EveryCallReExecutesAndAnswersMatchForAllPatterns) {
  for (uint64_t seed : {1, 2, 3}) {
    kg::Graph g = testing::RandomGraph(seed * 13);
    ToolCatalog cat = *ToolCatalog::Build(g);
    RenderOptions ro;
    ro.reflection_share = 0.3;
    std::vector<Record> records = RenderMany(g, cat, ro, 40, seed);
    std::set<std::string> patterns;
    for (const Record& r : records) {
      patterns.insert(r.pattern);
      testing::ExpectRecordVerifies(g, cat, r);
    }
    EXPECT_EQ(patterns.size(), 14u);
  }
}

// --set-arguments refs: every set call names its lists by result reference, "#k" numbers the
// results in order (the mistake's too), and every record still re-executes exactly.
TEST(DialogueRendererTest, ResultReferencesNameEarlierResultsAndReExecute) {
  for (uint64_t seed : {1, 2}) {
    kg::Graph g = testing::RandomGraph(seed * 13);
    ToolCatalog cat = *ToolCatalog::Build(g, {.result_refs = true});
    RenderOptions ro;
    ro.reflection_share = 0.5;
    ro.result_refs = true;
    std::vector<Record> records = RenderMany(g, cat, ro, 30, seed);
    int set_calls = 0, wrong_set_ops = 0;
    for (const Record& r : records) {
      testing::ExpectRecordVerifies(g, cat, r);
      std::vector<ExecutedCall> calls = CallsOf(r);
      for (size_t k = 0; k < calls.size(); ++k) {
        const Tool* tool = cat.Find(calls[k].call.name);
        if (tool == nullptr || tool->kind != ToolKind::kSet) continue;
        ++set_calls;
        wrong_set_ops += r.templates.reflection.rfind("wrong_set_op", 0) == 0;
        // Only references, each to an earlier successful result.
        auto doc = ParseJson(calls[k].call.arguments, "arguments");
        ASSERT_TRUE(doc.ok());
        std::vector<const JsonValue*> lists;
        if (tool->set_op == SetOp::kNegation) {
          lists = {&(*doc)["entities"], &(*doc)["within"]};
        } else {
          for (const JsonValue& v : (*doc)["sets"].GetArray()) lists.push_back(&v);
        }
        for (const JsonValue* v : lists) {
          ASSERT_TRUE(v->IsString()) << calls[k].call.arguments;
          const int ref = ResultRefNumber(v->GetString());
          ASSERT_GT(ref, 0) << calls[k].call.arguments;
          ASSERT_LE(static_cast<size_t>(ref), k) << calls[k].call.arguments;
          EXPECT_EQ(calls[ref - 1].observation.rfind("[", 0), 0u) << calls[k].call.arguments;
        }
      }
    }
    EXPECT_GT(set_calls, 100);
    EXPECT_GT(wrong_set_ops, 0);
  }
  // The catalog says so; without the option nothing changes.
  kg::Graph g = testing::CountryGraph();
  ToolCatalog refs = *ToolCatalog::Build(g, {.result_refs = true});
  ToolCatalog lists = *ToolCatalog::Build(g);
  EXPECT_NE(refs.SetTool(SetOp::kIntersection).description.find("\"#k\""), std::string::npos);
  EXPECT_NE(refs.SetTool(SetOp::kNegation).parameters_json.find(R"("type":["array","string"])"),
            std::string::npos);
  EXPECT_EQ(lists.SetTool(SetOp::kIntersection).description.find("#k"), std::string::npos);
  EXPECT_EQ(lists.SetTool(SetOp::kUnion).parameters_json,
            R"({"type":"object","properties":{"sets":{"type":"array","items":{"type":"array",)"
            R"("items":{"type":"string"},"description":"A list of entity names."},)"
            R"("description":"Two or more lists of entity names."}},"required":["sets"]})");
}

// --hop-arguments refs: a hop over an earlier result is one call naming it ("#k") instead of
// one call per entity and a union; the same queries and answers, fewer calls, every record
// re-executes (dialogues without answers too), and a hop by reference gets its wrong twins
// (another relation or the other direction on the same result).
TEST(DialogueRendererTest, HopReferencesNameTheResultTheyWalkFrom) {
  const OutcomeOptions oo{.no_answer_share = 0.15, .empty_step_share = 0.15};
  for (uint64_t seed : {1, 2}) {
    kg::Graph g = testing::RandomGraph(seed * 13);
    ToolCatalog names_cat = *ToolCatalog::Build(g, {.result_refs = true});
    ToolCatalog cat = *ToolCatalog::Build(g, {.result_refs = true, .hop_refs = true});
    RenderOptions ro;
    ro.reflection_share = 0.5;
    ro.result_refs = true;
    std::vector<Record> fanned = RenderMany(g, names_cat, ro, 30, seed, oo);
    ro.hop_refs = true;
    std::vector<Record> records = RenderMany(g, cat, ro, 30, seed, oo);
    ASSERT_EQ(records.size(), fanned.size());
    int hops_by_ref = 0, later_mistakes = 0, wrong_hops_by_ref = 0;
    std::map<std::string, int> outcomes;
    size_t calls_fanned = 0, calls_ref = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      testing::ExpectRecordVerifies(g, cat, r);
      EXPECT_EQ(r.answers, fanned[i].answers) << r.id;
      later_mistakes += r.templates.reflection.find('@') != std::string::npos;
      ++outcomes[r.outcome];
      const int mistake_turn = MistakeTurn(r);
      int turn = 0;
      for (const Message& m : r.messages) {
        if (m.role != "assistant" || m.tool_calls.empty() || ++turn != mistake_turn) continue;
        wrong_hops_by_ref += m.tool_calls[0].arguments.find("\"#") != std::string::npos &&
                             cat.Find(m.tool_calls[0].name) != nullptr &&
                             cat.Find(m.tool_calls[0].name)->kind != ToolKind::kSet;
      }
      std::vector<ExecutedCall> calls = CallsOf(r);
      calls_ref += calls.size();
      calls_fanned += CallsOf(fanned[i]).size();
      std::set<std::string> anchors;
      for (const auto& a : r.anchors) anchors.insert(a.name);
      for (size_t k = 0; k < calls.size(); ++k) {
        const Tool* tool = cat.Find(calls[k].call.name);
        if (tool == nullptr || tool->kind == ToolKind::kSet) continue;
        if (calls[k].observation.rfind("{\"error\"", 0) == 0) continue;  // a deliberate mistake
        auto doc = ParseJson(calls[k].call.arguments, "arguments");
        ASSERT_TRUE(doc.ok());
        const std::string arg = (*doc)[tool->parameter.c_str()].GetString();
        const int ref = ResultRefNumber(arg);
        if (ref == 0) {
          // A name: an anchor of the question (or a wrong relation tried on one).
          EXPECT_TRUE(anchors.count(arg) > 0) << r.id << " " << calls[k].call.arguments;
          continue;
        }
        ++hops_by_ref;
        ASSERT_LE(static_cast<size_t>(ref), k) << calls[k].call.arguments;
        EXPECT_EQ(calls[ref - 1].observation.rfind("[", 0), 0u) << calls[k].call.arguments;
      }
    }
    EXPECT_GT(hops_by_ref, 50);
    EXPECT_GT(later_mistakes, 0);
    EXPECT_GT(wrong_hops_by_ref, 3);
    EXPECT_GT(outcomes["no_answer"], 3);
    EXPECT_GT(outcomes["empty_step"], 3);
    EXPECT_LT(calls_ref, calls_fanned) << "no fan-out, no merging union";
  }
  // The catalog says so; without the option the relation tools are unchanged.
  kg::Graph g = testing::CountryGraph();
  ToolCatalog refs = *ToolCatalog::Build(g, {.hop_refs = true});
  ToolCatalog names = *ToolCatalog::Build(g);
  const Tool& capital = *refs.Find("get_capital_of_country");
  EXPECT_NE(capital.description.find("\"#k\""), std::string::npos);
  EXPECT_NE(capital.parameters_json.find("\\\"#k\\\""), std::string::npos);
  EXPECT_EQ(names.Find("get_capital_of_country")->description.find("#k"), std::string::npos);
  EXPECT_EQ(names.Find("get_capital_of_country")->parameters_json,
            R"({"type":"object","properties":{"country":{"type":"string","description":)"
            R"("The exact name of the country."}},"required":["country"]})");
  EXPECT_EQ(refs.SetTool(SetOp::kUnion).parameters_json, names.SetTool(SetOp::kUnion).parameters_json);
}

TEST(DialogueRendererTest, CountryDialoguesReadNaturally) {
  kg::Graph g = testing::CountryGraph();
  ToolCatalog cat = *ToolCatalog::Build(g);
  RenderOptions ro;
  ro.reflection_share = 0;
  std::vector<Record> records = RenderMany(g, cat, ro, 20, 4);
  ASSERT_FALSE(records.empty());
  for (const Record& r : records) testing::ExpectRecordVerifies(g, cat, r);
  // Operators survive in the question.
  for (const Record& r : records) {
    const std::string& q = r.messages[1].content;
    if (r.pattern == "2u" || r.pattern == "up") EXPECT_NE(q.find(" or "), std::string::npos) << q;
    if (r.pattern == "2in" || r.pattern == "pin" || r.pattern == "pni" || r.pattern == "3in" ||
        r.pattern == "inp") {
      EXPECT_NE(q.find(" not "), std::string::npos) << q;
    }
    if (r.pattern == "2i" || r.pattern == "3i" || r.pattern == "pi" || r.pattern == "ip" ||
        r.pattern == "3in") {
      EXPECT_NE(q.find(" and "), std::string::npos) << q;
    }
  }
}

TEST(DialogueRendererTest, ParallelCallsForSetHops) {
  kg::Graph g = testing::CountryGraph();
  ToolCatalog cat = *ToolCatalog::Build(g);
  auto sampler = QuerySampler::Create(g, {});
  DialogueRenderer renderer(g, cat, {.distractors = 2, .reflection_share = 0}, {"c", "x"});
  bool saw_parallel = false;
  for (uint64_t i = 0; i < 500 && !saw_parallel; ++i) {
    Rng rng = Rng::ForItem(9, i);
    SampleOutcome s = sampler->Sample(Pattern::k2p, rng);
    if (!s.query) continue;
    auto r = renderer.Render(s, "train", 9, i, rng);
    if (!r) continue;
    const Message& second_turn = r->messages[2 + 1 + r->messages[2].tool_calls.size()];
    if (second_turn.tool_calls.size() > 1) {
      saw_parallel = true;
      // k parallel calls are followed by a union call combining them.
      const Message& union_turn = r->messages[4 + 1 + second_turn.tool_calls.size()];
      ASSERT_EQ(union_turn.tool_calls.size(), 1u);
      EXPECT_EQ(union_turn.tool_calls[0].name, "get_union_of");
    }
  }
  EXPECT_TRUE(saw_parallel);
}

// The index of the assistant message of call turn t (1-based) and of the next assistant turn.
std::pair<size_t, size_t> CallTurnMessages(const Record& r, int t) {
  int seen = 0;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    if (r.messages[i].role != "assistant" || r.messages[i].tool_calls.empty() || ++seen != t) {
      continue;
    }
    size_t j = i + 1;
    while (j < r.messages.size() && r.messages[j].role != "assistant") ++j;
    return {i, j};
  }
  return {0, 0};
}

TEST(DialogueRendererTest, ReflectionShareAndDistractors) {
  kg::Graph g = testing::RandomGraph(5);
  ToolCatalog cat = *ToolCatalog::Build(g);
  RenderOptions ro;  // default share 10%, 4 distractors
  ro.reflection_share = 0.3;
  std::vector<Record> records = RenderMany(g, cat, ro, 60, 6);
  int reflections = 0, later = 0;
  std::set<std::string> kinds, variants;
  for (const Record& r : records) {
    if (!r.templates.reflection.empty()) {
      ++reflections;
      const std::string& kind = r.templates.reflection;
      std::string base = kind.substr(0, kind.find('.'));
      variants.insert(base);
      for (std::string_view v : {"_typed", "_swapped"}) {
        if (base.size() > v.size() && base.compare(base.size() - v.size(), v.size(), v) == 0) {
          base.resize(base.size() - v.size());
        }
      }
      kinds.insert(base);
      const int t = MistakeTurn(r);
      ASSERT_GE(t, 1) << kind;
      later += t > 1;
      EXPECT_EQ(t > 1, kind.find('@') != std::string::npos) << kind;
      // The corrected turn says why it retries, and fixes the call it replaces.
      auto [wi, ri] = CallTurnMessages(r, t);
      ASSERT_LT(ri, r.messages.size() - 1) << kind;
      EXPECT_FALSE(r.messages[ri].content.empty()) << kind;
      const ToolCall& wrong = r.messages[wi].tool_calls.at(0);
      const std::string& why = r.messages[ri].content;
      // A swapped negation is not narrated as the wrong tool ("using get_negation_of
      // instead"); a reverse lookup given an entity of the other type says so, not "the
      // language of Chinese".
      if (StartsWith(kind, "wrong_set_op")) {
        EXPECT_EQ(StartsWith(kind, "wrong_set_op_swapped"), wrong.name == "get_negation_of") << kind;
        if (wrong.name == "get_negation_of") {
          EXPECT_EQ(why.find("instead"), std::string::npos) << why;
        }
      }
      if (StartsWith(kind, "wrong_direction_typed")) {
        EXPECT_NE(why.find(wrong.name), std::string::npos) << why;
        // The types carry their articles ("a person", "an ability"), never "a entity".
        EXPECT_FALSE(std::regex_search(why, std::regex(R"(\ba [aeiou])"))) << why;
        EXPECT_EQ(why.find("entity"), std::string::npos) << why;
      }
      bool replaced = false;
      for (const ToolCall& right : r.messages[ri].tool_calls) {
        const bool other_tool = StartsWith(kind, "wrong_tool") ||
                                StartsWith(kind, "wrong_relation") ||
                                StartsWith(kind, "wrong_direction") ||
                                (StartsWith(kind, "wrong_set_op") && wrong.name != right.name);
        if (other_tool) {
          replaced |= wrong.name != right.name &&
                      (StartsWith(kind, "wrong_direction") || wrong.arguments == right.arguments);
        } else {
          replaced |= wrong.name == right.name && wrong.arguments != right.arguments;
        }
      }
      EXPECT_TRUE(replaced) << r.id << " " << kind;
    }
    std::set<std::string> used;
    for (const ExecutedCall& c : CallsOf(r)) used.insert(c.call.name);
    size_t needed = 0;
    for (const FunctionSpec& f : r.tools) needed += used.count(f.name);
    EXPECT_EQ(r.tools.size(), needed + 4) << r.id;
  }
  double share = static_cast<double>(reflections) / records.size();
  EXPECT_GT(share, 0.2);
  EXPECT_LT(share, 0.35);
  EXPECT_GT(later, reflections / 5);
  // misspelled_entity, wrong_tool, wrong_argument, wrong_relation, wrong_direction, wrong_set_op.
  EXPECT_EQ(kinds.size(), 6u);
  // The narrations that name the mistake's real cause: a swapped negation's lists, a reverse
  // lookup given an entity of the other type.
  EXPECT_TRUE(variants.count("wrong_set_op_swapped"));
  EXPECT_TRUE(variants.count("wrong_direction_typed"));
}

TEST(DialogueRendererTest, DialoguesWithoutAnswers) {
  for (uint64_t seed : {3u, 8u}) {
    kg::Graph g = testing::RandomGraph(seed);
    ToolCatalog cat = *ToolCatalog::Build(g);
    OutcomeOptions oo{.no_answer_share = 0.25, .empty_step_share = 0.25, .no_tool_share = 0.2};
    std::vector<Record> records = RenderMany(g, cat, {}, 40, seed, oo);
    std::map<std::string, int> by_outcome;
    std::set<std::string> patterns;
    for (const Record& r : records) {
      testing::ExpectRecordVerifies(g, cat, r);
      ++by_outcome[r.outcome];
      if (!r.outcome.empty()) patterns.insert(r.pattern);
      if (r.outcome == "no_tool") {
        ASSERT_EQ(r.messages.size(), 3u);
        EXPECT_TRUE(StartsWith(r.templates.answer, "notool.")) << r.templates.answer;
      }
      if (r.outcome == "empty_step") {
        EXPECT_TRUE(StartsWith(r.templates.answer, "stop.")) << r.templates.answer;
        EXPECT_NE(r.pattern, "1p");
      }
    }
    const double n = static_cast<double>(records.size());
    EXPECT_GT(by_outcome["no_tool"] / n, 0.1) << by_outcome["no_tool"];
    EXPECT_GT(by_outcome["no_answer"] / n, 0.03) << by_outcome["no_answer"];
    EXPECT_GT(by_outcome["empty_step"] / n, 0.05) << by_outcome["empty_step"];
    EXPECT_GT(by_outcome[""] / n, 0.3);
    EXPECT_GE(patterns.size(), 10u);
  }
}

TEST(DialogueRendererTest, TemplateBanksAreLargeEnough) {
  EXPECT_GE(NumSystemPrompts(), 1000u);
  for (Pattern p : AllPatterns()) EXPECT_GE(QuestionBank(p).size(), 5u);
  std::set<std::string> ids, texts;
  Rng rng(1);
  std::vector<std::string> fn = {R"({"name":"f"})"};
  std::vector<const std::string*> ptrs = {&fn[0]};
  for (int i = 0; i < 20000; ++i) {
    SystemPromptChoice c = PickSystemPrompt(rng);
    ids.insert(c.Id());
    texts.insert(RenderSystemPrompt(c, ptrs));
  }
  EXPECT_GE(ids.size(), 1000u);
  EXPECT_EQ(ids.size(), texts.size());  // distinct ids give distinct prompts
}

TEST(DialogueRendererTest, HermesAndReactPromptsListTheTools) {
  std::string f = R"({"name":"get_x"})";
  std::vector<const std::string*> ptrs = {&f};
  SystemPromptChoice c;
  c.style = PromptStyle::kHermes;
  EXPECT_NE(RenderSystemPrompt(c, ptrs).find("<tools>\n{\"name\":\"get_x\"}\n</tools>"), std::string::npos);
  c.style = PromptStyle::kReact;
  EXPECT_NE(RenderSystemPrompt(c, ptrs).find("- {\"name\":\"get_x\"}"), std::string::npos);
  c.style = PromptStyle::kOpenAi;
  EXPECT_EQ(RenderSystemPrompt(c, ptrs).find("get_x"), std::string::npos);
}

}  // namespace
}  // namespace kgf::synth

namespace kgf::synth {
namespace {

// Prose says "the United Kingdom"; every call argument keeps the exact name.
TEST(DialogueRendererTest, NamesTakeTheirArticleInProseButNeverInArguments) {
  kg::Graph g = testing::CountryGraph({{"Germany", "United Kingdom"}, {"Spain", "Solomon Islands"}});
  for (bool refs : {false, true}) {
    ToolCatalogOptions co;
    co.result_refs = refs;
    co.hop_refs = refs;
    ToolCatalog cat = *ToolCatalog::Build(g, co);
    RenderOptions ro;
    ro.reflection_share = 0.5;
    ro.result_refs = refs;
    ro.hop_refs = refs;
    int prose = 0;
    for (const Record& r : RenderMany(g, cat, ro, 30, 11)) {
      testing::ExpectRecordVerifies(g, cat, r);
      // The final answer agrees in number: "the answers are A and B".
      if (r.answers.size() > 1) {
        EXPECT_EQ(r.messages.back().content.find("answer is"), std::string::npos)
            << r.messages.back().content;
      }
      for (const Message& m : r.messages) {
        for (const ToolCall& c : m.tool_calls) {
          EXPECT_EQ(c.arguments.find("\"the "), std::string::npos) << c.arguments;
        }
        if (m.role != "tool" && (m.content.find("the United Kingdom") != std::string::npos ||
                                 m.content.find("the Solomon Islands") != std::string::npos)) {
          ++prose;
        }
        EXPECT_EQ(m.content.find("the the "), std::string::npos) << m.content;
        if (m.role == "user") {
          EXPECT_FALSE(std::regex_search(m.content, std::regex(R"((of|as|include|with|and|or) (United Kingdom|Solomon Islands))")))
              << m.content;
        }
      }
    }
    EXPECT_GT(prose, 20) << "refs " << refs;
  }
}

TEST(DialogueRendererTest, ReactTurnsThinkBeforeTheirCallsAndPromptsMatchTheirStyle) {
  kg::Graph g = testing::CountryGraph();
  ToolCatalog cat = *ToolCatalog::Build(g);
  RenderOptions ro;
  ro.reflection_share = 0;
  int react = 0, openai = 0;
  for (const Record& r : RenderMany(g, cat, ro, 30, 8)) {
    const std::string style = r.templates.system.substr(0, r.templates.system.find('.'));
    for (const Message& m : r.messages) {
      if (m.role != "assistant" || m.tool_calls.empty()) continue;
      if (style == "react") {
        EXPECT_EQ(m.content.rfind("Thought: ", 0), 0u) << m.content;
        // A turn over two relations names both steps, with one verb ("look up the neighbours
        // of X and the countries whose ...", not "look up ... and look up ...").
        std::set<std::string> tools;
        for (const ToolCall& c : m.tool_calls) tools.insert(c.name);
        if (tools.size() > 1) {
          EXPECT_NE(m.content.find(" and the "), std::string::npos) << m.content;
          EXPECT_EQ(m.content.find("look up "), m.content.rfind("look up ")) << m.content;
        }
      } else {
        EXPECT_TRUE(m.content.empty()) << style << ": " << m.content;
      }
    }
    // The tool list is in an OpenAI prompt's `tools` field only; other styles list it once.
    const std::string& system = r.messages[0].content;
    for (const FunctionSpec& f : r.tools) {
      const size_t at = system.find("\"name\":\"" + f.name + "\"");
      if (style == "openai") {
        EXPECT_EQ(at, std::string::npos) << system;
      } else {
        ASSERT_NE(at, std::string::npos) << style << " lists no " << f.name;
        EXPECT_EQ(system.find("\"name\":\"" + f.name + "\"", at + 1), std::string::npos);
      }
    }
    react += style == "react";
    openai += style == "openai";
  }
  EXPECT_GT(react, 10);
  EXPECT_GT(openai, 10);
}

}  // namespace
}  // namespace kgf::synth

namespace kgf::synth {
namespace {

TEST(DialogueRendererTest, AnAmbiguousNameIsWrittenPlainlyAndResolvedByTheCandidates) {
  auto g = kg::Graph::Build(
      {{"GE", "Georgia (country)", "country", {}}, {"US-GA", "Georgia (state)", "state", {}},
       {"c:tbilisi", "Tbilisi", "city", {}}, {"c:atlanta", "Atlanta", "city", {}}},
      {{"capital", "capital", "", "country", "city", "", "the capital of {}"},
       {"state_capital", "state_capital", "", "state", "city", "", "the capital of {}"}},
      {{kg::EntityId(0), kg::RelationId(0), kg::EntityId(2)},
       {kg::EntityId(1), kg::RelationId(1), kg::EntityId(3)}});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ToolCatalog cat = *ToolCatalog::Build(*g);
  RenderOptions ro;
  ro.reflection_share = 0;
  DialogueRenderer renderer(*g, cat, ro, {"test", "xxh3:0"});
  Query q{Pattern::k1p, {kg::EntityId(0)}, {kg::RelationId(0)}, {0}};
  SampleOutcome s;
  s.query = q;
  s.node_sets = ExecuteQueryNodes(*g, q);
  Rng rng(3);
  std::optional<Record> r = renderer.Render(s, "train", 1, 0, rng);
  ASSERT_TRUE(r.has_value());
  const std::string& question = r->messages[1].content;
  EXPECT_EQ(question.find("(country)"), std::string::npos) << question;
  EXPECT_NE(question.find("Georgia"), std::string::npos) << question;
  EXPECT_EQ(r->templates.reflection.rfind("ambiguous_name", 0), 0u);
  // The first call as the user wrote it, the graph's candidates, then the exact name.
  std::vector<ExecutedCall> calls = CallsOf(*r);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].call.arguments, R"({"country":"Georgia"})");
  EXPECT_NE(calls[0].observation.find("Georgia (country), Georgia (state)"), std::string::npos)
      << calls[0].observation;
  EXPECT_EQ(calls[1].call.arguments, R"j({"country":"Georgia (country)"})j");
  EXPECT_NE(r->messages[4].content.find("Georgia (country)"), std::string::npos);
  testing::ExpectRecordVerifies(*g, cat, *r);
}

}  // namespace
}  // namespace kgf::synth
