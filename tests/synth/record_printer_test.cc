#include "synth/record_printer.h"

#include <gtest/gtest.h>

namespace kgf::synth {
namespace {

TEST(RecordPrinterTest, ShowRefusesAnUnknownPatternOrSplitInsteadOfShowingNothing) {
  // Checked before any file is read: a typo is not "(no matching records)".
  ShowOptions o;
  o.in = "/nonexistent";
  o.pattern = "9x";
  Result<std::string> bad_pattern = ShowRecords(o);
  ASSERT_FALSE(bad_pattern.ok());
  EXPECT_EQ(bad_pattern.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_pattern.status().message().find("--pattern '9x' is not a pattern; use one of 1p"),
            std::string::npos) << bad_pattern.status().message();
  o.pattern = "3i";
  o.split = "tset";
  Result<std::string> bad_split = ShowRecords(o);
  ASSERT_FALSE(bad_split.ok());
  EXPECT_NE(bad_split.status().message().find("--split 'tset' is not a split; use train, valid or test"),
            std::string::npos) << bad_split.status().message();
  o.split = "test";  // valid filters: on to the missing input
  EXPECT_EQ(ShowRecords(o).status().code(), StatusCode::kNotFound);
}

TEST(RecordPrinterTest, ShowsTheQueryWithDirectionsAndEveryTurn) {
  Record r;
  r.id = "s1-2";
  r.pattern = "2p";
  r.structure = "(e,(r,r))";
  r.program = "p1(p0(a0))";
  r.split = "test";
  r.anchors = {{"eur", "Euro"}};
  r.relations = {"currency", "capital"};
  r.inverse = {1, 0};
  r.messages = {{"system", "Be brief.\nTools: ...", {}, "", ""},
                {"user", "What are the capitals of the countries that use the Euro?", {}, "", ""},
                {"assistant", "", {{"call_1_0", "get_used_in_currency", R"({"currency":"Euro"})"}}, "", ""},
                {"tool", R"(["France"])", {}, "call_1_0", "get_used_in_currency"},
                {"assistant", "Paris.", {}, "", ""}};
  r.answers = {"Paris"};
  const std::string text = FormatRecord(r, /*full_system=*/false, /*color=*/false);
  EXPECT_NE(text.find("query: capital(currency^-1(Euro))"), std::string::npos) << text;
  EXPECT_NE(text.find("get_used_in_currency({\"currency\":\"Euro\"})"), std::string::npos) << text;
  EXPECT_NE(text.find("Be brief. [...]"), std::string::npos) << text;
  EXPECT_NE(text.find("answers: Paris"), std::string::npos) << text;
  // Each result shows the number a result reference ("#1") names it by.
  EXPECT_NE(text.find("result   #1 [call_1_0] [\"France\"]"), std::string::npos) << text;
}

}  // namespace
}  // namespace kgf::synth
