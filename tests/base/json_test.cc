// JSON helpers: located parse errors, the nesting limit that keeps hostile input from
// overflowing the stack (issue 13: a ~300 KB line of nested arrays crashed filter, synth show,
// export and corpus build), and the writer.
#include "base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace kgf {
namespace {

TEST(JsonTest, ParseErrorsNameWhereAndOffset) {
  Result<JsonDoc> bad = ParseJson("{\"a\": }", "in.jsonl:3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("in.jsonl:3: invalid JSON at offset 6"), std::string::npos)
      << bad.status().message();
}

TEST(JsonTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(150000, '[') + std::string(150000, ']');
  Result<JsonDoc> r = ParseJson(deep, "big.jsonl:1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("big.jsonl:1: JSON nested deeper than 256 levels at offset 256"),
            std::string::npos)
      << r.status().message();
  JsonDoc doc;
  EXPECT_FALSE(ParseJsonDepthLimited(deep, &doc));
  // Brackets inside strings do not count; 256 levels are fine.
  const std::string quoted = "{\"s\":\"" + std::string(1000, '[') + "\\\"[\"}";
  EXPECT_EQ(JsonNestingDepth(quoted), 1);
  EXPECT_TRUE(ParseJson(quoted, "q").ok());
  const std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_EQ(JsonNestingDepth(ok), 256);
  EXPECT_TRUE(ParseJson(ok, "ok").ok());
  EXPECT_FALSE(ParseJson("[" + ok + "]", "one more").ok());
}

TEST(JsonTest, WriterBuildsCompactJson) {
  JsonWriter w;
  w.BeginObject().Key("n").Uint(3).Key("s").String("a\"b").Key("l").BeginArray();
  w.Int(-1).Bool(true).Double(0.5).EndArray().Key("o").Raw("{\"x\":1}").EndObject();
  EXPECT_EQ(w.str(), R"({"n":3,"s":"a\"b","l":[-1,true,0.5],"o":{"x":1}})");
}

}  // namespace
}  // namespace kgf
