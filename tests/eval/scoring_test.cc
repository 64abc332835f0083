#include "eval/scoring.h"

#include <gtest/gtest.h>

#include "eval/agents.h"
#include "synth/tool_catalog.h"
#include "tests/synth/test_graphs.h"

namespace kgf::eval {
namespace {

constexpr const char* kSchema =
    R"({"type":"object","properties":{"country":{"type":"string"}},"required":["country"]})";
constexpr const char* kSetSchema =
    R"({"type":"object","properties":{"sets":{"type":"array","items":{"type":"array","items":{"type":"string"}}}},"required":["sets"]})";

// A 2i record: two parallel calls, then an intersection, then the answer.
synth::Record TwoBranchRecord() {
  synth::Record r;
  r.id = "r1";
  r.pattern = "2i";
  r.anchors = {{"FR", "France"}, {"ES", "Spain"}};
  r.answers = {"Andorra"};
  r.tools = {{"get_borders_of_country", "", kSchema}, {"get_intersection_of", "", kSetSchema}};
  r.messages = {
      {"system", "s", {}, "", ""},
      {"user", "Which countries border both France and Spain?", {}, "", ""},
      {"assistant", "", {{"c1", "get_borders_of_country", R"({"country":"France"})"},
                         {"c2", "get_borders_of_country", R"({"country":"Spain"})"}}, "", ""},
      {"tool", R"(["Andorra","Belgium"])", {}, "c1", "get_borders_of_country"},
      {"tool", R"(["Andorra","Portugal"])", {}, "c2", "get_borders_of_country"},
      {"assistant", "", {{"c3", "get_intersection_of",
                          R"({"sets":[["Andorra","Belgium"],["Andorra","Portugal"]]})"}}, "", ""},
      {"tool", R"(["Andorra"])", {}, "c3", "get_intersection_of"},
      {"assistant", "The answer is Andorra.", {}, "", ""},
  };
  return r;
}

Dialogue Played(std::vector<AgentTurn> turns, std::vector<std::vector<std::string>> obs,
                std::string final_text) {
  Dialogue d;
  d.turns = std::move(turns);
  d.observations = std::move(obs);
  d.final_text = std::move(final_text);
  d.stop = "answer";
  return d;
}

AgentTurn Calls(std::vector<std::string> raw) {
  AgentTurn t;
  for (const auto& c : raw) t.calls.push_back(ParseCall(c));
  return t;
}

TEST(ScoringTest, CanonicalArgumentsSortKeysAndRejectNonObjects) {
  EXPECT_EQ(CanonicalArguments(R"({"within":["a"], "entities":["b"]})"),
            R"({"entities":["b"],"within":["a"]})");
  EXPECT_EQ(CanonicalArguments("[1]"), "");
  EXPECT_EQ(CanonicalArguments("{oops"), "");
}

TEST(ScoringTest, ValidCallsFollowTheListedSchemas) {
  synth::Record r = TwoBranchRecord();
  EXPECT_TRUE(CallIsValid(ParseCall(R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"), r));
  // OpenAI style: arguments as a JSON string.
  EXPECT_TRUE(CallIsValid(ParseCall(R"({"name":"get_borders_of_country","arguments":"{\"country\":\"France\"}"})"), r));
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_capital_of_country","arguments":{"country":"France"}})"), r))
      << "not a listed tool";
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_borders_of_country","arguments":{"nation":"France"}})"), r))
      << "unknown key, required key missing";
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_borders_of_country","arguments":{"country":7}})"), r))
      << "wrong type";
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_intersection_of","arguments":{"sets":["a"]}})"), r))
      << "items must be arrays of names";
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_borders_of_country")"), r)) << "unparsable";
}

TEST(ScoringTest, TheGoldDialogueScoresOneAndParallelOrderIsFree) {
  synth::Record r = TwoBranchRecord();
  // The two parallel calls in the other order.
  Dialogue d = Played(
      {Calls({R"({"name":"get_borders_of_country","arguments":{"country":"Spain"}})",
              R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"}),
       Calls({R"({"name":"get_intersection_of","arguments":{"sets":[["Andorra","Belgium"],["Andorra","Portugal"]]}})"}),
       AgentTurn{"Andorra.", {}, {}, false}},
      {{R"(["Andorra","Portugal"])", R"(["Andorra","Belgium"])"}, {R"(["Andorra"])"}}, "Andorra.");
  DialogueScore s = ScoreDialogue(r, d);
  EXPECT_EQ(s.calls, 3);
  EXPECT_EQ(s.valid_calls, 3);
  EXPECT_TRUE(s.chain_exact);
  EXPECT_TRUE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.f1, 1.0);
  EXPECT_EQ(s.anchors, 2);
  EXPECT_EQ(s.anchors_copied, 2);
}

TEST(ScoringTest, FirstTurnAnchorsCountTheQuestionsNamesTheFirstCallsCopy) {
  synth::Record r = TwoBranchRecord();
  // One anchor miscopied in the first turn; the later turn's "Spain" does not count.
  Dialogue d = Played(
      {Calls({R"({"name":"get_borders_of_country","arguments":{"country":"France"}})",
              R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"}),
       Calls({R"({"name":"get_borders_of_country","arguments":{"country":"Spain"}})"}),
       AgentTurn{"Andorra.", {}, {}, false}},
      {{R"(["Andorra","Belgium"])", R"(["Andorra","Belgium"])"}, {R"(["Andorra","Portugal"])"}},
      "Andorra.");
  DialogueScore s = ScoreDialogue(r, d);
  EXPECT_EQ(s.anchors, 2);
  EXPECT_EQ(s.anchors_copied, 1);
  // Names nested in lists count; an anchor the question does not spell out is not scored.
  r.anchors.push_back({"PT", "Portugal"});
  Dialogue e = Played({Calls({R"({"name":"get_intersection_of","arguments":{"sets":[["Spain"],["France"]]}})"})},
                      {{R"([])"}}, "");
  DialogueScore t = ScoreDialogue(r, e);
  EXPECT_EQ(t.anchors, 2);
  EXPECT_EQ(t.anchors_copied, 2);
  // No call at all: nothing copied.
  DialogueScore u = ScoreDialogue(r, Played({AgentTurn{"No idea.", {}, {}, false}}, {}, "No idea."));
  EXPECT_EQ(u.anchors, 2);
  EXPECT_EQ(u.anchors_copied, 0);
  ScoreRow row;
  for (const DialogueScore& x : {s, t, u}) row.Add(x);
  row.Finish();
  EXPECT_EQ(row.anchors, 6);
  EXPECT_DOUBLE_EQ(row.anchor_copy_rate(), 0.5);
}

TEST(ScoringTest, WrongCallsAndExtraNamesCost) {
  synth::Record r = TwoBranchRecord();
  // One branch only, then an answer naming a wrong country as well.
  Dialogue d = Played({Calls({R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"}),
                       AgentTurn{"Andorra and Belgium.", {}, {}, false}},
                      {{R"(["Andorra","Belgium"])"}}, "Andorra and Belgium.");
  DialogueScore s = ScoreDialogue(r, d);
  EXPECT_FALSE(s.chain_exact);
  EXPECT_FALSE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.precision, 0.5);
  EXPECT_DOUBLE_EQ(s.recall, 1.0);
  // A name inside a longer name is not a mention of its own.
  r.answers = {"Republic of the Congo"};
  Dialogue e = Played({}, {}, "Republic of the Congo.");
  e.turns.push_back(AgentTurn{"Republic of the Congo.", {}, {}, false});
  r.anchors.push_back({"CG", "Congo"});
  EXPECT_DOUBLE_EQ(ScoreDialogue(r, e).precision, 1.0);
}

TEST(ScoringTest, RepeatingTheQuestionsAnchorIsNotAWrongAnswer) {
  synth::Record r = TwoBranchRecord();
  Dialogue d = Played({AgentTurn{"Andorra borders both France and Spain.", {}, {}, false}}, {},
                      "Andorra borders both France and Spain.");
  DialogueScore s = ScoreDialogue(r, d);
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 1.0);
  // Names match exactly: "andorra" in lower case is not the entity.
  EXPECT_DOUBLE_EQ(ScoreDialogue(r, Played({}, {}, "andorra")).recall, 0.0);
}

TEST(ScoringTest, ResolvingAnAmbiguousNameIsPartOfTheGoldProgram) {
  synth::Record r = TwoBranchRecord();
  r.templates.reflection = "ambiguous_name.0";
  r.messages.insert(r.messages.begin() + 2,
                    {{"assistant", "", {{"c0", "get_borders_of_country", R"({"country":"Fr"})"}}, "", ""},
                     {"tool", R"({"error":"ambiguous"})", {}, "c0", "get_borders_of_country"}});
  EXPECT_FALSE(IsMistake(r));
  EXPECT_EQ(GoldProgram(r).size(), 3u);
  r.templates.reflection = "wrong_tool.0";
  EXPECT_TRUE(IsMistake(r));
  EXPECT_EQ(GoldProgram(r).size(), 2u);
}

TEST(ScoringTest, TheMistakeOfASelfReflectionSampleIsNotGold) {
  synth::Record r = TwoBranchRecord();
  r.templates.reflection = "wrong_tool.1";
  r.messages.insert(r.messages.begin() + 2,
                    {{"assistant", "", {{"c0", "fetch_borders_of_country", R"({"country":"France"})"}}, "", ""},
                     {"tool", R"({"error":"unknown tool"})", {}, "c0", "fetch_borders_of_country"}});
  auto gold = GoldProgram(r);
  ASSERT_EQ(gold.size(), 2u);
  EXPECT_EQ(gold[0].size(), 2u);
  EXPECT_EQ(gold[1][0].first, "get_intersection_of");
}

TEST(ScoringTest, AMistakeAtALaterTurnIsLeftOutOfTheGold) {
  synth::Record r = TwoBranchRecord();
  r.templates.reflection = "wrong_set_op.0@2";
  r.messages.insert(r.messages.begin() + 5,
                    {{"assistant", "", {{"c9", "get_union_of", R"({"sets":[["Andorra"],["Spain"]]})"}}, "", ""},
                     {"tool", R"(["Andorra","Spain"])", {}, "c9", "get_union_of"}});
  auto gold = GoldProgram(r);
  ASSERT_EQ(gold.size(), 2u);
  EXPECT_EQ(gold[0].size(), 2u);
  EXPECT_EQ(gold[1][0].first, "get_intersection_of");
}

// Constrained decoding offers "#k" only where a tool's schema takes references.
TEST(ScoringTest, ReferencesAreOfferedOnlyWhereAToolTakesThem) {
  kg::Graph g = synth::testing::CountryGraph();
  auto specs = [&](synth::ToolCatalogOptions o) {
    synth::ToolCatalog cat = *synth::ToolCatalog::Build(g, o);
    std::vector<synth::FunctionSpec> out;
    for (const synth::Tool& t : cat.tools()) out.push_back({t.name, t.description, t.parameters_json});
    return out;
  };
  EXPECT_FALSE(TakesResultReferences(specs({})));
  EXPECT_TRUE(TakesResultReferences(specs({.result_refs = true})));
  std::vector<synth::FunctionSpec> hops = specs({.hop_refs = true});
  EXPECT_TRUE(TakesResultReferences(hops));
  std::erase_if(hops, [](const synth::FunctionSpec& f) { return f.name.find("_of_country") == std::string::npos; });
  ASSERT_FALSE(hops.empty());
  EXPECT_TRUE(TakesResultReferences(hops)) << "relation tools alone say so too";
}

// Dialogues without answers: the right end is "none" (no names), reached by the empty turn or,
// for no_tool, without calling.
// Result references ("#k") compare by the call they name: the model may order its parallel
// calls otherwise (so its numbers differ), and the gold's numbers count a deliberate wrong call
// the model never makes.
TEST(ScoringTest, ResultReferencesCompareByTheCallTheyName) {
  constexpr const char* kRefSchema =
      R"({"type":"object","properties":{"sets":{"type":"array","items":{"type":["array","string"],"items":{"type":"string"}}}},"required":["sets"]})";
  synth::Record r = TwoBranchRecord();
  r.tools[1].parameters = kRefSchema;
  r.templates.reflection = "wrong_tool.1";
  r.messages.insert(r.messages.begin() + 2,
                    {{"assistant", "", {{"c0", "fetch_borders", R"({"country":"France"})"}}, "", ""},
                     {"tool", R"({"error":"unknown tool"})", {}, "c0", "fetch_borders"}});
  r.messages[7].tool_calls[0].arguments = R"({"sets":["#2","#3"]})";  // after the mistake (#1)
  const std::vector<std::vector<std::string>> obs = {
      {R"(["Andorra","Portugal"])", R"(["Andorra","Belgium"])"}, {R"(["Andorra"])"}};
  auto played = [&](const char* sets) {
    return Played({Calls({R"({"name":"get_borders_of_country","arguments":{"country":"Spain"}})",
                          R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"}),
                   Calls({std::string(R"({"name":"get_intersection_of","arguments":{"sets":)") +
                          sets + "}}"})},
                  obs, "Andorra");
  };
  // The model numbered Spain #1 and France #2: ["#2","#1"] is the gold's ["#2","#3"].
  DialogueScore s = ScoreDialogue(r, played(R"(["#2","#1"])"));
  EXPECT_TRUE(s.chain_exact);
  EXPECT_EQ(s.valid_calls, 3);
  EXPECT_FALSE(ScoreDialogue(r, played(R"(["#1","#2"])")).chain_exact) << "lists swapped";
  EXPECT_FALSE(ScoreDialogue(r, played(R"(["#2","#3"])")).chain_exact) << "#3 is not a call yet";
  // The copied lists compute the same but are not the same program.
  EXPECT_FALSE(ScoreDialogue(r, played(R"([["Andorra","Belgium"],["Andorra","Portugal"]])")).chain_exact);
  // The schema takes a list of names or a reference, nothing else.
  EXPECT_TRUE(CallIsValid(ParseCall(R"({"name":"get_intersection_of","arguments":{"sets":["#1",["a"]]}})"), r));
  EXPECT_FALSE(CallIsValid(ParseCall(R"({"name":"get_intersection_of","arguments":{"sets":[7]}})"), r));
  const std::vector<std::string> earlier = {"f()"};
  EXPECT_EQ(CanonicalArguments(R"({"sets":["#1","#9"]})", earlier), R"j({"sets":["f()","#9"]})j");
  EXPECT_EQ(CanonicalArguments(R"({"within":"#1","entities":["#1"]})", earlier),
            R"j({"entities":["#1"],"within":"f()"})j") << "a name inside a list is a name";
  // A hop over an earlier result (--hop-arguments refs) names it at the top level too.
  EXPECT_EQ(CanonicalArguments(R"({"country":"#1"})", earlier), R"j({"country":"f()"})j");
  EXPECT_EQ(CanonicalArguments(R"({"country":"#2"})", earlier), R"({"country":"#2"})")
      << "not a call yet";
  EXPECT_EQ(CanonicalArguments(R"({"country":{"x":"#1"}})", earlier), R"({"country":{"x":"#1"}})")
      << "never deeper than an argument";
  // A chain of references to references keeps a fixed size (a union of the last result with
  // itself, 60 times, would otherwise double 60 times).
  std::vector<std::string> chain = {CanonicalCall("f", "{}", {})};
  for (int i = 1; i <= 60; ++i) {
    const std::string ref = "\"#" + std::to_string(i) + "\"";
    chain.push_back(CanonicalCall("get_union_of", "{\"sets\":[" + ref + "," + ref + "]}", chain));
  }
  EXPECT_LT(chain.back().size(), 40u);
  EXPECT_NE(chain[59], chain[60]);
}

TEST(ScoringTest, DialoguesWithoutAnswersScoreTheirOwnEnd) {
  synth::Record r = TwoBranchRecord();
  r.outcome = "empty_step";
  r.answers.clear();
  r.messages.erase(r.messages.begin() + 5, r.messages.begin() + 7);
  r.messages[3].content = "[]";
  r.messages.back().content = "There is no entry for the neighbours of France; no answer.";
  // The gold replay: the last call turn has one empty result among its parallel calls.
  Dialogue gold = Played(
      {Calls({R"({"name":"get_borders_of_country","arguments":{"country":"France"}})",
              R"({"name":"get_borders_of_country","arguments":{"country":"Spain"}})"}),
       AgentTurn{"none", {}, {}, false}},
      {{"[]", R"(["Andorra","Portugal"])"}}, "There is no answer.");
  DialogueScore s = ScoreDialogue(r, gold);
  EXPECT_TRUE(s.chain_exact);
  EXPECT_TRUE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.f1, 1.0);
  // Naming an entity the last turn returned as the answer is wrong.
  gold.final_text = "Portugal.";
  EXPECT_DOUBLE_EQ(ScoreDialogue(r, gold).f1, 0.0);

  // A 2p no_answer as the renderer closes it: the empty hop's input, returned by the turn
  // before, explains the stop and is no answer given.
  synth::Record p2 = TwoBranchRecord();
  p2.pattern = "2p";
  p2.outcome = "no_answer";
  p2.answers.clear();
  Dialogue chain = Played(
      {Calls({R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"}),
       Calls({R"({"name":"get_borders_of_country","arguments":{"country":"Andorra"}})"}),
       AgentTurn{"none", {}, {}, false}},
      {{R"(["Andorra"])"}, {"[]"}},
      "The graph has no entry for the neighbours of Andorra, so there is no answer.");
  s = ScoreDialogue(p2, chain);
  EXPECT_TRUE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.f1, 1.0);

  synth::Record nt = TwoBranchRecord();
  nt.outcome = "no_tool";
  nt.answers.clear();
  nt.messages.erase(nt.messages.begin() + 2, nt.messages.end() - 1);
  Dialogue silent = Played({AgentTurn{"none", {}, {}, false}}, {}, "No tool covers that.");
  s = ScoreDialogue(nt, silent);
  EXPECT_TRUE(s.chain_exact);
  EXPECT_TRUE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.f1, 1.0);
  Dialogue called = Played(
      {Calls({R"({"name":"get_borders_of_country","arguments":{"country":"France"}})"})},
      {{R"(["Andorra","Belgium"])"}}, "Andorra and Belgium.");
  s = ScoreDialogue(nt, called);
  EXPECT_FALSE(s.chain_exact);
  EXPECT_FALSE(s.executed_answer);
  EXPECT_DOUBLE_EQ(s.f1, 0.0);
}

}  // namespace
}  // namespace kgf::eval
