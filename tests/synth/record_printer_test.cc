#include "synth/record_printer.h"

#include <gtest/gtest.h>

namespace kgf::synth {
namespace {

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
