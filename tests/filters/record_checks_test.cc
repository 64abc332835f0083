// Format and semantic layers on a hand-made 2i record and one mutation per rule.
#include "filters/records/record_checks.h"

#include <gtest/gtest.h>

#include <functional>

#include "synth/pattern.h"
#include "synth/record.h"

namespace kgf::filters {
namespace {

using synth::Record;

constexpr char kCitySchema[] =
    R"({"type":"object","properties":{"country":{"type":"string"}},"required":["country"],)"
    R"("additionalProperties":false})";
constexpr char kMemberSchema[] =
    R"({"type":"object","properties":{"organization":{"type":"string"}},)"
    R"("required":["organization"],"additionalProperties":false})";
constexpr char kSetSchema[] =
    R"({"type":"object","properties":{"sets":{"type":"array","items":{"type":"array",)"
    R"("items":{"type":"string"}},"minItems":2}},"required":["sets"],"additionalProperties":false})";

Record GoodRecord() {
  Record r;
  r.id = "r1";
  r.kg_name = "countries";
  r.kg_checksum = "xxh3:0";
  r.pattern = "2i";
  r.split = "train";
  r.anchors = {{"FR", "France"}, {"NATO", "NATO"}};
  r.relations = {"city_of", "member_city"};
  r.structure = std::string(synth::PatternStructure(synth::Pattern::k2i));
  r.program = std::string(synth::PatternProgram(synth::Pattern::k2i));
  r.answers = {"Paris"};
  r.tools = {{"get_city_of_country", "Cities of a country.", kCitySchema},
             {"get_city_of_organization", "Member cities.", kMemberSchema},
             {"get_intersection_of", "Intersection.", kSetSchema}};
  r.messages = {
      {"system", "You can call tools.", {}, "", ""},
      {"user", "Which cities are both in France and member cities of NATO?", {}, "", ""},
      {"assistant", "", {{"call_1_0", "get_city_of_country", R"({"country":"France"})"},
                         {"call_1_1", "get_city_of_organization", R"({"organization":"NATO"})"}},
       "", ""},
      {"tool", R"(["Lyon","Paris"])", {}, "call_1_0", "get_city_of_country"},
      {"tool", R"(["Brussels","Paris"])", {}, "call_1_1", "get_city_of_organization"},
      {"assistant", "", {{"call_2_0", "get_intersection_of",
                          R"({"sets":[["Lyon","Paris"],["Brussels","Paris"]]})"}}, "", ""},
      {"tool", R"(["Paris"])", {}, "call_2_0", "get_intersection_of"},
      {"assistant", "The answer is Paris.", {}, "", ""},
  };
  r.templates = {"openai.0.0.0.0", "2i.0", "a.0", ""};
  return r;
}

Verdict Check(const RecordFilter& f, const Record& r) {
  Result<Sample> s = Sample::Parse(synth::RecordToJson(r), "records.jsonl:1");
  KGF_CHECK(s.ok()) << s.status().ToString();
  return f.Apply(*s);
}

struct Mutation {
  const char* name;
  std::function<void(Record&)> mutate;
  const char* reason;  // "" = kept
};

TEST(RecordFormatTest, GoodRecordPassesAndEachViolationHasItsReason) {
  RecordFormatFilter f("record_format");
  const Mutation cases[] = {
      {"good", [](Record&) {}, ""},
      {"user first", [](Record& r) { std::swap(r.messages[0], r.messages[1]); }, "role_order"},
      {"missing tool answer", [](Record& r) { r.messages.erase(r.messages.begin() + 4); },
       "unanswered_call"},
      {"tool answers wrong id", [](Record& r) { r.messages[3].tool_call_id = "call_9"; },
       "unanswered_call"},
      {"no final answer", [](Record& r) { r.messages.pop_back(); }, "no_final_answer"},
      {"empty final answer", [](Record& r) { r.messages.back().content = ""; }, "no_final_answer"},
      {"text after the final answer",
       [](Record& r) { r.messages.push_back({"assistant", "Also...", {}, "", ""}); },
       "role_order"},
      {"unlisted tool", [](Record& r) { r.messages[2].tool_calls[0].name = "get_mayor_of_city"; },
       "unknown_tool"},
      {"arguments not an object", [](Record& r) { r.messages[2].tool_calls[0].arguments = "[1]"; },
       "bad_arguments"},
      {"argument of the wrong type",
       [](Record& r) { r.messages[2].tool_calls[0].arguments = R"({"country":7})"; }, "schema"},
      {"missing required argument",
       [](Record& r) { r.messages[2].tool_calls[0].arguments = "{}"; }, "schema"},
      {"extra argument",
       [](Record& r) {
         r.messages[2].tool_calls[0].arguments = R"({"country":"France","x":1})";
       },
       "schema"},
      {"one set only",
       [](Record& r) { r.messages[5].tool_calls[0].arguments = R"({"sets":[["Paris"]]})"; },
       "schema"},
      {"repeated call id", [](Record& r) {
         r.messages[5].tool_calls[0].id = "call_1_0";
         r.messages[6].tool_call_id = "call_1_0";
       }, "duplicate_call_id"},
  };
  for (const Mutation& m : cases) {
    Record r = GoodRecord();
    m.mutate(r);
    Verdict v = Check(f, r);
    EXPECT_EQ(v.reason, m.reason) << m.name << ": " << v.detail;
    EXPECT_EQ(v.keep, std::string(m.reason).empty()) << m.name;
  }
}

TEST(RecordFormatTest, ReflectionMayContainOneFailingWrongCall) {
  RecordFormatFilter f("record_format");
  Record r = GoodRecord();
  // A wrong call with its error observation, then the original turns.
  r.messages.insert(r.messages.begin() + 2,
                    {{"assistant", "", {{"call_0_0", "get_mayor_of_city", R"({"city":"Paris"})"}},
                      "", ""},
                     {"tool", R"({"error":"unknown tool get_mayor_of_city"})", {}, "call_0_0",
                      "get_mayor_of_city"}});
  EXPECT_EQ(Check(f, r).reason, "unknown_tool") << "without the reflection template it is wrong";
  r.templates.reflection = "wrong_tool";
  EXPECT_TRUE(Check(f, r).keep) << Check(f, r).detail;
}

TEST(RecordFormatTest, UnparseableRecordIsDroppedWithTheParseError) {
  RecordFormatFilter f("record_format");
  Result<Sample> s = Sample::Parse(R"({"id":"x","messages":3})", "records.jsonl:7");
  ASSERT_TRUE(s.ok());
  Verdict v = f.Apply(*s);
  EXPECT_FALSE(v.keep);
  EXPECT_EQ(v.reason, "parse");
  EXPECT_NE(v.detail.find("records.jsonl:7"), std::string::npos) << v.detail;
}

TEST(RecordSemanticTest, GoodRecordPassesAndEachViolationHasItsReason) {
  RecordSemanticOptions options;
  options.max_calls = 4;
  RecordSemanticFilter f("record_semantic", options);
  const Mutation cases[] = {
      {"good", [](Record&) {}, ""},
      {"anchor not named",
       [](Record& r) { r.messages[1].content = "Which cities are both in France and allied?"; },
       "anchor_missing"},
      {"anchor only as part of a word",
       [](Record& r) {
         r.messages[1].content = "Which cities are both in Frances and member cities of NATO?";
       },
       "anchor_missing"},
      {"answer leaked",
       [](Record& r) {
         r.messages[1].content = "Is Paris both in France and a member city of NATO?";
       },
       "answer_leaked"},
      {"operator word missing",
       [](Record& r) { r.messages[1].content = "Which French cities are member cities of NATO? France."; },
       "operator_missing"},
      {"question too short", [](Record& r) {
         r.anchors = {{"FR", "F"}, {"NATO", "N"}};
         r.messages[1].content = "F and N?";
       }, "question_length"},
      {"too many calls",
       [](Record& r) {
         r.messages.insert(r.messages.end() - 1,
                           {{"assistant", "", {{"call_3_0", "get_intersection_of",
                                                R"({"sets":[["Paris"],["Paris"]]})"},
                                               {"call_3_1", "get_intersection_of",
                                                R"({"sets":[["Paris"],["Lyon","Paris"]]})"}},
                             "", ""},
                            {"tool", R"(["Paris"])", {}, "call_3_0", "get_intersection_of"},
                            {"tool", R"(["Paris"])", {}, "call_3_1", "get_intersection_of"}});
       },
       "too_many_calls"},
      {"empty intermediate result", [](Record& r) { r.messages[3].content = "[]"; },
       "empty_intermediate"},
      {"empty answer set", [](Record& r) { r.answers.clear(); }, "empty_answer"},
      // Dialogues that end without answers (synth/record.h "outcome").
      {"no_answer: the last call turn comes back empty",
       [](Record& r) {
         r.outcome = "no_answer";
         r.answers.clear();
         r.messages[6].content = "[]";
         r.messages[7].content = "No entity is in all of the lists, so there is no answer.";
       },
       ""},
      {"no_answer whose last calls return something",
       [](Record& r) {
         r.outcome = "no_answer";
         r.answers.clear();
       },
       "empty_answer"},
      {"empty_step: an earlier call comes back empty and the dialogue stops",
       [](Record& r) {
         r.outcome = "empty_step";
         r.answers.clear();
         r.messages[3].content = "[]";
         r.messages.erase(r.messages.begin() + 5, r.messages.begin() + 7);
       },
       ""},
      {"empty_step that goes on after the empty call",
       [](Record& r) {
         r.outcome = "empty_step";
         r.answers.clear();
         r.messages[3].content = "[]";
         r.messages[6].content = "[]";
       },
       "empty_intermediate"},
      {"no_tool: answered without a call",
       [](Record& r) {
         r.outcome = "no_tool";
         r.answers.clear();
         r.messages.erase(r.messages.begin() + 2, r.messages.end() - 1);
         r.messages.back().content = "None of the tools I have looks up that.";
       },
       ""},
      {"no_tool that calls a tool",
       [](Record& r) {
         r.outcome = "no_tool";
         r.answers.clear();
       },
       "no_tool_called"},
      {"wrong relation's empty result before the fix (self-reflection at turn 2)",
       [](Record& r) {
         r.templates.reflection = "wrong_relation.0@2";
         r.messages.insert(r.messages.begin() + 5,
                           {{"assistant", "", {{"call_2_0", "get_city_of_organization",
                                                R"({"organization":"France"})"}}, "", ""},
                            {"tool", "[]", {}, "call_2_0", "get_city_of_organization"}});
         r.messages[7].tool_calls[0].id = "call_3_0";
         r.messages[8].tool_call_id = "call_3_0";
       },
       ""},
  };
  for (const Mutation& m : cases) {
    Record r = GoodRecord();
    m.mutate(r);
    Verdict v = Check(f, r);
    EXPECT_EQ(v.reason, m.reason) << m.name << ": " << v.detail;
  }
}

TEST(RecordSemanticTest, NegationAndUnionNeedTheirWords) {
  RecordSemanticFilter f("record_semantic", {});
  Record r = GoodRecord();
  r.pattern = "2in";
  r.program = std::string(synth::PatternProgram(synth::Pattern::k2in));
  r.messages[1].content = "Which cities are in France and member cities of NATO?";
  EXPECT_EQ(Check(f, r).reason, "operator_missing");
  r.messages[1].content = "Which cities are in France but not member cities of NATO?";
  EXPECT_TRUE(Check(f, r).keep) << Check(f, r).detail;
  r.pattern = "2u";
  r.program = std::string(synth::PatternProgram(synth::Pattern::k2u));
  EXPECT_EQ(Check(f, r).reason, "operator_missing");
  r.messages[1].content = "Which cities are in France or member cities of NATO?";
  EXPECT_TRUE(Check(f, r).keep);
}

}  // namespace
}  // namespace kgf::filters
