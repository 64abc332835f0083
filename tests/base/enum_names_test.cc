#include "base/enum_names.h"

#include <gtest/gtest.h>

namespace kgf {
namespace {

enum class Color { kRed, kGreen, kBlue };
constexpr EnumNames<Color, 3> kColors({"red", "green", "blue"});
enum class Two { kA, kB };
constexpr EnumNames<Two, 2> kTwo({"a", "b"});

TEST(EnumNamesTest, NamesParseAndLists) {
  static_assert(kColors.Name(Color::kGreen) == "green");
  EXPECT_EQ(kColors.Name(static_cast<Color>(7)), "?");
  EXPECT_EQ(kColors.Find("blue"), Color::kBlue);
  EXPECT_EQ(kColors.Find("Blue"), std::nullopt);
  EXPECT_EQ(kColors.Find(""), std::nullopt);
  EXPECT_EQ(kColors.Joined(), "red, green, blue");
  EXPECT_EQ(kColors.Alternatives(), "red, green or blue");
  EXPECT_EQ(kTwo.Joined(), "a, b");
  EXPECT_EQ(kTwo.Alternatives(), "a or b");
}

}  // namespace
}  // namespace kgf
