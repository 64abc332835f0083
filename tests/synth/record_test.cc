#include "synth/record.h"

#include <gtest/gtest.h>

namespace kgf::synth {
namespace {

Record Sample() {
  Record r;
  r.id = "s1-7";
  r.kg_name = "countries";
  r.kg_checksum = "xxh3:0123456789abcdef";
  r.pattern = "1p";
  r.split = "train";
  r.anchors = {{"FR", "France"}};
  r.relations = {"capital"};
  r.inverse = {0};
  r.structure = "(e,(r))";
  r.program = "p0(a0)";
  r.answers = {"Paris"};
  r.tools = {{"get_capital_of_country", "Capital \"city\".",
              R"({"type":"object","properties":{"country":{"type":"string"}},"required":["country"]})"}};
  r.messages = {
      {"system", "sys", {}, "", ""},
      {"user", "What is the capital of France?", {}, "", ""},
      {"assistant", "", {{"call_1_0", "get_capital_of_country", R"({"country":"France"})"}}, "", ""},
      {"tool", R"(["Paris"])", {}, "call_1_0", "get_capital_of_country"},
      {"assistant", "The answer is Paris.", {}, "", ""},
  };
  r.templates = {"openai.1.2.3.0", "1p.0", "a.0", ""};
  r.seed = 1;
  r.index = 7;
  return r;
}

TEST(RecordTest, JsonRoundTrip) {
  Record r = Sample();
  std::string json = RecordToJson(r);
  auto back = RecordFromJson(json, "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  EXPECT_EQ(RecordToJson(*back), json);
}

// Found by fuzz/record_json_fuzzer (fuzz/regressions/record_json/): a negative index parsed,
// was stored as a huge unsigned number and the record's own JSON then failed to parse.
TEST(RecordTest, SeedAndIndexAreUnsigned64) {
  Record r = Sample();
  r.seed = UINT64_MAX;
  r.index = (uint64_t{1} << 63) + 5;
  auto back = RecordFromJson(RecordToJson(r), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->seed, UINT64_MAX);
  EXPECT_EQ(back->index, (uint64_t{1} << 63) + 5);
  std::string json = RecordToJson(Sample());
  json.replace(json.find("\"index\":7"), 9, "\"index\":-7");
  auto bad = RecordFromJson(json, "shard-00000.jsonl.zst:9");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("shard-00000.jsonl.zst:9: field 'index' must be a non-negative integer"),
            std::string::npos)
      << bad.status().ToString();
}

TEST(RecordTest, DirectionsRoundTripAndDefaultToForward) {
  Record r = Sample();
  r.inverse = {1};
  std::string json = RecordToJson(r);
  EXPECT_NE(json.find(R"("directions":["inverse"])"), std::string::npos) << json;
  auto back = RecordFromJson(json, "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->inverse, std::vector<uint8_t>{1});
  // Older records have no "directions": every hop is forward.
  std::string old = json;
  const std::string field = R"(,"directions":["inverse"])";
  old.replace(old.find(field), field.size(), "");
  auto legacy = RecordFromJson(old, "x");
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString() << old;
  EXPECT_EQ(legacy->inverse, std::vector<uint8_t>{0});
  std::string bad = json;
  bad.replace(bad.find(R"(["inverse"])"), 11, R"(["up"])");
  auto err = RecordFromJson(bad, "shard-00000.jsonl.zst:3");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("shard-00000.jsonl.zst:3: query.directions[0] is 'up'"),
            std::string::npos)
      << err.status().message();
}

TEST(RecordTest, OpenAiShape) {
  std::string json = RecordToJson(Sample());
  EXPECT_NE(json.find(R"("role":"assistant","content":null,"tool_calls":[{"id":"call_1_0","type":"function","function":{"name":"get_capital_of_country","arguments":"{\"country\":\"France\"}"}}])"),
            std::string::npos) << json;
  EXPECT_NE(json.find(R"({"role":"tool","tool_call_id":"call_1_0","name":"get_capital_of_country","content":"[\"Paris\"]"})"),
            std::string::npos);
  EXPECT_NE(json.find(R"("tools":[{"type":"function","function":{"name":"get_capital_of_country")"),
            std::string::npos);
  EXPECT_EQ(json.rfind(R"({"id":"s1-7","kg":{"name":"countries","checksum":"xxh3:0123456789abcdef"},"pattern":"1p","split":"train","query":{"anchors":[{"key":"FR","name":"France"}])", 0), 0u);
}

TEST(RecordTest, BadRecordsNameTheField) {
  std::string json = RecordToJson(Sample());
  std::string bad = json;
  bad.replace(bad.find("\"role\":\"user\""), 13, "\"role\":\"robot\"");
  auto r = RecordFromJson(bad, "shard-00000.jsonl.zst:3");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("shard-00000.jsonl.zst:3: messages[1]"), std::string::npos)
      << r.status().ToString();
  r = RecordFromJson("{\"id\":1}", "f:1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'id'"), std::string::npos);
  EXPECT_FALSE(RecordFromJson("{", "f:2").ok());
  // Issue 13: a null content outside a calling assistant turn became a 4-token document.
  std::string null_user = json;
  const size_t at = null_user.find("\"role\":\"user\",\"content\":");
  ASSERT_NE(at, std::string::npos);
  const size_t value = at + std::string("\"role\":\"user\",\"content\":").size();
  const size_t end = null_user.find("\"}", value + 1);
  null_user.replace(value, end + 1 - value, "null");
  r = RecordFromJson(null_user, "f:3");
  ASSERT_FALSE(r.ok()) << null_user;
  EXPECT_NE(r.status().message().find("f:3: messages[1]: 'content' is null"), std::string::npos)
      << r.status().message();
  // Outcome names are checked, and records without answers must say so with [].
  std::string outcome = json;
  outcome.replace(outcome.find("\"tools\":"), 0, "\"outcome\":\"maybe\",");
  EXPECT_NE(RecordFromJson(outcome, "f:4").status().message().find("'outcome' is 'maybe'"),
            std::string::npos);
}

}  // namespace
}  // namespace kgf::synth
