// JSON helpers: located parse errors, the nesting limit that keeps hostile input from
// overflowing the stack (issue 13: a ~300 KB line of nested arrays crashed filter, synth show,
// export and corpus build), and the writer.
#include "base/json.h"

#include <gtest/gtest.h>

#include <cstdlib>
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

// Found by fuzz/model_config_fuzzer (fuzz/regressions/model_config/): 5.0e215 parsed one ulp
// low, so a config.json written back and read again was a different config.
TEST(JsonTest, NumbersParseToTheNearestDouble) {
  for (const char* text : {"5.0e215", "5e215", "0.1", "2.2250738585072014e-308", "1.7976931348623157e308",
                           "0.000031", "4.999999999999999e215", "0e-37", "0.0e215", "-0e5",
                           "0.00000000000000000000000000000000000000000000001e10"}) {
    Result<JsonDoc> doc = ParseJson(text, "n");
    ASSERT_TRUE(doc.ok()) << text;
    EXPECT_EQ(doc->GetDouble(), std::strtod(text, nullptr)) << text;
  }
  // Integers keep rapidjson's typing; past 64 bits they become doubles; past double, an error.
  EXPECT_TRUE(ParseJson("-2147483648", "i")->IsInt());
  EXPECT_FALSE(ParseJson("-2147483649", "i")->IsInt());
  EXPECT_TRUE(ParseJson("-2147483649", "i")->IsInt64());
  EXPECT_TRUE(ParseJson("4294967295", "u")->IsUint());
  EXPECT_TRUE(ParseJson("4294967296", "u")->IsUint64());
  EXPECT_TRUE(ParseJson("18446744073709551615", "u")->IsUint64());
  EXPECT_TRUE(ParseJson("18446744073709551616", "d")->IsDouble());
  EXPECT_EQ(ParseJson("[1e-400]", "d").value()[0].GetDouble(), 0.0);
  Result<JsonDoc> huge = ParseJson("{\"a\": 1e400}", "cfg.json");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("cfg.json: invalid JSON at offset 6: Number too big"),
            std::string::npos)
      << huge.status().message();
  // Found by fuzz/model_config_fuzzer: rapidjson lets this one through as text; it overflows.
  Result<JsonDoc> long_huge = ParseJson("[6666666666666666666666666660000000000E000302]", "x.json");
  ASSERT_FALSE(long_huge.ok());
  EXPECT_NE(long_huge.status().message().find("x.json: number too big for a double: 66666"),
            std::string::npos)
      << long_huge.status().message();
}

TEST(JsonTest, WriterBuildsCompactJson) {
  JsonWriter w;
  w.BeginObject().Key("n").Uint(3).Key("s").String("a\"b").Key("l").BeginArray();
  w.Int(-1).Bool(true).Double(0.5).EndArray().Key("o").Raw("{\"x\":1}").EndObject();
  EXPECT_EQ(w.str(), R"({"n":3,"s":"a\"b","l":[-1,true,0.5],"o":{"x":1}})");
}

}  // namespace
}  // namespace kgf
