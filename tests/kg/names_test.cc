#include "kg/names.h"

#include <gtest/gtest.h>

namespace kgf::kg {
namespace {

TEST(NamesTest, NamesWhoseHeadAsksForItTakeTheDefiniteArticle) {
  for (const char* with_the : {"United Kingdom", "Solomon Islands", "Republic of the Congo",
                               "Central African Republic", "Netherlands", "Isle of Man",
                               "Cocos (Keeling) Islands", "Åland Islands", "Gambia", "DR Congo",
                               "French Southern and Antarctic Lands", "Ivory Coast",
                               "West African CFA franc", "Pound sterling", "Euro",
                               "Cayman Islands dollar", "Gambia (country)", "Danish Krone",
                               "Republic of Korea"}) {
    EXPECT_EQ(NameInText(with_the), std::string("the ") + with_the);
  }
  for (const char* as_is : {"France", "Saint Kitts and Nevis", "Cyprus", "Port of Spain",
                            "Road Town (British Virgin Islands)", "landlocked", "The Hague",
                            "dog (a member of the genus Canis)", "Ürümqi", "Czech", "",
                            // Seen on the Debian-locales graph: subdivision types and inverted
                            // ISO names read bare.
                            "Territory", "Urban municipality", "City with county rights",
                            "Micronesia, Federated States of", "Korea, Republic of", "La Union"}) {
    EXPECT_EQ(NameInText(as_is), as_is);
  }
}

TEST(NamesTest, ASlotInAppositionTakesTheBareName) {
  EXPECT_EQ(FillNameSlot("the terms used in the region {}", "the United Kingdom"),
            "the terms used in the region United Kingdom");
  // Not after a preposition, and not a nested phrase ("the capital of ...").
  EXPECT_EQ(FillNameSlot("the capital of {}", "the United Kingdom"), "the capital of the United Kingdom");
  EXPECT_EQ(FillNameSlot("the language of the locale {}", "the capital of France"),
            "the language of the locale the capital of France");
  EXPECT_EQ(FillNameSlot("what {} causes", "the Gambia"), "what the Gambia causes");
  EXPECT_EQ(FillNameSlot("the members of", "France"), "the members of France");
}

}  // namespace
}  // namespace kgf::kg
