// Data-driven golden cases for every text rule (tests/testdata/filters/*.jsonl), written by hand
// from the rule definitions. One case per line:
//   {"name", "filter": {config object}, "text" | "build": [[piece, repeat], ...],
//    "expect": "keep" | "drop", "reason": "...", "detail": substring of the verdict's detail
//    (optional), "output": rewritten text (optional),
//    "counts": {"email": 1, ...} (optional)}
// Batch cases (dedup) give "texts" and per-text "expects" / "reasons" instead.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "filters/filter_factory.h"

namespace kgf::filters {
namespace {

std::string TestDataDir() { return std::string(KGF_SOURCE_DIR) + "/tests/testdata/filters"; }

std::string BuildText(const JsonValue& c) {
  if (c.HasMember("text")) return c["text"].GetString();
  std::string out;
  for (const auto& piece : c["build"].GetArray()) {
    if (piece.IsString()) {
      out += piece.GetString();
      continue;
    }
    for (int k = 0; k < piece[1].GetInt(); ++k) out += piece[0].GetString();
  }
  return out;
}

Sample MakeSample(const std::string& text, const std::string& where) {
  std::string line = "{\"text\":" + JsonQuote(text) + "}";
  Result<Sample> s = Sample::Parse(line, where);
  KGF_CHECK(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

void RunCase(const JsonValue& c, const std::string& where) {
  SCOPED_TRACE(where + " " + c["name"].GetString());
  FactoryContext ctx{where, "text", TestDataDir(), {}};
  Result<std::unique_ptr<Filter>> filter = MakeFilter(c["filter"], ctx);
  ASSERT_TRUE(filter.ok()) << filter.status().ToString();
  std::vector<Sample> samples;
  std::vector<std::string> expects, reasons;
  if (c.HasMember("texts")) {
    for (const auto& t : c["texts"].GetArray()) samples.push_back(MakeSample(t.GetString(), where));
    for (const auto& e : c["expects"].GetArray()) expects.push_back(e.GetString());
    for (const auto& r : c["reasons"].GetArray()) reasons.push_back(r.GetString());
  } else {
    samples.push_back(MakeSample(BuildText(c), where));
    expects.push_back(c["expect"].GetString());
    reasons.push_back(c.HasMember("reason") ? c["reason"].GetString() : "");
  }
  ASSERT_EQ(samples.size(), expects.size());
  std::vector<Sample*> ptrs;
  for (auto& s : samples) ptrs.push_back(&s);
  std::vector<Verdict> verdicts(samples.size());
  (*filter)->RunAll(ptrs, verdicts, nullptr);
  for (size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE("text " + std::to_string(i) + ": " + verdicts[i].detail);
    EXPECT_EQ(verdicts[i].keep ? "keep" : "drop", expects[i]);
    EXPECT_EQ(verdicts[i].reason, reasons[i]);
  }
  if (c.HasMember("detail")) {
    EXPECT_NE(verdicts[0].detail.find(c["detail"].GetString()), std::string::npos)
        << "detail: " << verdicts[0].detail;
  }
  if (c.HasMember("output")) {
    Result<std::string_view> out = samples[0].GetString("text");
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(std::string(*out), c["output"].GetString());
  }
  if (c.HasMember("counts")) {
    std::map<std::string, int64_t> want, got;
    for (auto m = c["counts"].MemberBegin(); m != c["counts"].MemberEnd(); ++m) {
      want[m->name.GetString()] = m->value.GetInt64();
    }
    for (const auto& [k, n] : verdicts[0].counts) got[k] += n;
    EXPECT_EQ(got, want);
  }
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, EveryCaseGivesTheExpectedVerdict) {
  const std::string path = TestDataDir() + "/" + GetParam();
  Result<std::unique_ptr<LineReader>> reader = LineReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string line;
  int cases = 0;
  while ((*reader)->Next(&line)) {
    if (line.empty()) continue;
    Result<JsonDoc> c = ParseJson(line, (*reader)->Where());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    RunCase(*c, (*reader)->Where());
    ++cases;
  }
  ASSERT_TRUE((*reader)->status().ok());
  EXPECT_GE(cases, 4) << "a golden file should cover every rule and its edges";
}

INSTANTIATE_TEST_SUITE_P(Filters, GoldenTest,
                         ::testing::Values("gopher_quality.jsonl", "gopher_repetition.jsonl",
                                           "c4.jsonl", "fineweb.jsonl", "script.jsonl",
                                           "pii.jsonl", "dedup.jsonl"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           return n;
                         });

}  // namespace
}  // namespace kgf::filters
