#include "synth/executor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : graph_(testing::CountryGraph()), catalog_(*ToolCatalog::Build(graph_)),
                   exec_(graph_, catalog_) {}
  kg::Graph graph_;
  ToolCatalog catalog_;
  Executor exec_;
};

using Names = std::vector<std::string>;

TEST_F(ExecutorTest, ForwardAndInverseRelationTools) {
  CallOutcome r = exec_.Execute("get_capital_of_country", R"({"country":"France"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result, Names{"Paris"});
  r = exec_.Execute("get_country_with_official_language", R"({"language":"German"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.result, (Names{"Austria", "Germany", "Switzerland"}));  // sorted by name
  r = exec_.Execute("get_borders_of_country", R"({"country":"Spain"})");
  EXPECT_EQ(r.result, (Names{"France", "Portugal"}));
  EXPECT_EQ(ObservationJson(r), R"(["France","Portugal"])");
}

TEST_F(ExecutorTest, SetTools) {
  auto r = exec_.Execute("get_intersection_of", R"({"sets":[["France","Italy","Spain"],["Spain","Italy"]]})");
  EXPECT_EQ(r.result, (Names{"Italy", "Spain"}));
  r = exec_.Execute("get_union_of", R"({"sets":[["France"],["Spain","Italy"]]})");
  EXPECT_EQ(r.result, (Names{"France", "Italy", "Spain"}));
  // Contextual difference: within \ entities, never a global complement.
  r = exec_.Execute("get_negation_of", R"({"entities":["Spain"],"within":["France","Spain"]})");
  EXPECT_EQ(r.result, Names{"France"});
  r = exec_.Execute("get_negation_of", R"({"entities":[],"within":[]})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.result.empty());
}

TEST_F(ExecutorTest, TypedErrors) {
  auto kind = [&](std::string_view tool, std::string_view args) {
    CallOutcome r = exec_.Execute(tool, args);
    EXPECT_FALSE(r.ok()) << tool << " " << args;
    return r.ok() ? ToolError::Kind::kMalformedArguments : r.error->kind;
  };
  EXPECT_EQ(kind("get_capitol_of_country", R"({"country":"France"})"), ToolError::Kind::kUnknownTool);
  EXPECT_EQ(kind("get_capital_of_country", R"({"country":"Frnace"})"), ToolError::Kind::kUnknownEntity);
  EXPECT_EQ(kind("get_capital_of_country", R"({"country":7})"), ToolError::Kind::kWrongArgumentType);
  EXPECT_EQ(kind("get_capital_of_country", R"({"name":"France"})"), ToolError::Kind::kMissingArgument);
  EXPECT_EQ(kind("get_capital_of_country", R"(["France"])"), ToolError::Kind::kMalformedArguments);
  EXPECT_EQ(kind("get_capital_of_country", "{"), ToolError::Kind::kMalformedArguments);
  EXPECT_EQ(kind("get_union_of", R"({"sets":[["Atlantis"]]})"), ToolError::Kind::kUnknownEntity);
  EXPECT_EQ(kind("get_union_of", R"({"sets":"France"})"), ToolError::Kind::kWrongArgumentType);
  EXPECT_EQ(kind("get_negation_of", R"({"within":["France"]})"), ToolError::Kind::kMissingArgument);
  // Hostile arguments nested 200,000 deep: a clear error, no stack overflow (issue 13).
  const std::string deep = "{\"sets\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_EQ(kind("get_union_of", deep), ToolError::Kind::kMalformedArguments);
  CallOutcome r = exec_.Execute("get_capital_of_country", R"({"country":"Frnace"})");
  EXPECT_NE(r.error->message.find("'Frnace'"), std::string::npos);
  EXPECT_EQ(ObservationJson(r).rfind("{\"error\":", 0), 0u);
}

// Result references: "#k" is the k-th earlier result, in any list argument of a set tool.
TEST_F(ExecutorTest, SetToolsTakeResultReferences) {
  const std::vector<std::string> earlier = {R"(["France","Italy","Spain"])",
                                            R"({"error":"unknown tool"})", R"(["Italy","Spain"])"};
  auto r = exec_.Execute("get_intersection_of", R"({"sets":["#1","#3"]})", earlier);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result, (Names{"Italy", "Spain"}));
  r = exec_.Execute("get_union_of", R"({"sets":["#3",["France"]]})", earlier);  // mixed forms
  EXPECT_EQ(r.result, (Names{"France", "Italy", "Spain"}));
  r = exec_.Execute("get_negation_of", R"({"entities":"#3","within":"#1"})", earlier);
  EXPECT_EQ(r.result, Names{"France"});
  // Errors the model can act on: a failed result, one not there yet, not a reference.
  auto error = [&](std::string_view args) {
    CallOutcome out = exec_.Execute("get_union_of", args, earlier);
    EXPECT_FALSE(out.ok()) << args;
    return out.ok() ? std::string() : out.error->message;
  };
  EXPECT_NE(error(R"({"sets":["#2"]})").find("#2 is an error"), std::string::npos);
  EXPECT_NE(error(R"({"sets":["#4"]})").find("no result #4 yet; the conversation has 3 tool results"),
            std::string::npos);
  EXPECT_NE(error(R"({"sets":["#0"]})").find("not '#0'"), std::string::npos);
  EXPECT_NE(error(R"({"sets":["France"]})").find("result reference"), std::string::npos);
  // Without earlier results a reference resolves to nothing.
  EXPECT_FALSE(exec_.Execute("get_union_of", R"({"sets":["#1"]})").ok());
  EXPECT_EQ(ResultRefNumber("#12"), 12);
  for (const char* bad : {"#", "#01", "12", "#1a", "#-1", "#12345678"}) {
    EXPECT_EQ(ResultRefNumber(bad), 0) << bad;
  }
}

// --hop-arguments refs: a relation tool given "#k" looks up every entity of that result and
// returns the union (a set projection); the same errors as a set tool's reference.
TEST_F(ExecutorTest, RelationToolsTakeAResultReference) {
  const std::vector<std::string> earlier = {R"(["France","Spain"])", R"({"error":"unknown tool"})",
                                            "[]", R"(["German"])"};
  auto r = exec_.Execute("get_capital_of_country", R"({"country":"#1"})", earlier);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.result, (Names{"Madrid", "Paris"}));
  // The union of the per-entity results, each name once.
  Names both;
  for (const char* c : {"France", "Spain"}) {
    auto one = exec_.Execute("get_borders_of_country", std::string(R"({"country":")") + c + R"("})");
    both.insert(both.end(), one.result.begin(), one.result.end());
  }
  std::sort(both.begin(), both.end());
  both.erase(std::unique(both.begin(), both.end()), both.end());
  r = exec_.Execute("get_borders_of_country", R"({"country":"#1"})", earlier);
  EXPECT_EQ(r.result, both);
  EXPECT_NE(std::find(both.begin(), both.end(), "Portugal"), both.end());
  r = exec_.Execute("get_country_with_official_language", R"({"language":"#4"})", earlier);
  EXPECT_EQ(r.result, (Names{"Austria", "Germany", "Switzerland"}));  // inverse tools too
  r = exec_.Execute("get_capital_of_country", R"({"country":"#3"})", earlier);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.result.empty()) << "an empty result projects to nothing";
  auto error = [&](std::string_view args) {
    CallOutcome out = exec_.Execute("get_capital_of_country", args, earlier);
    EXPECT_FALSE(out.ok()) << args;
    return out.ok() ? std::string() : out.error->message;
  };
  EXPECT_NE(error(R"({"country":"#2"})").find("#2 is an error"), std::string::npos);
  EXPECT_NE(error(R"({"country":"#5"})").find("no result #5 yet"), std::string::npos);
  // Not a reference: an unknown name, as before.
  EXPECT_NE(error(R"({"country":"#05"})").find("unknown country '#05'"), std::string::npos);
}

}  // namespace
}  // namespace kgf::synth
