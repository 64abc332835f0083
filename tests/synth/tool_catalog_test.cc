#include "synth/tool_catalog.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::synth {
namespace {

TEST(ToolCatalogTest, AnInverseLabelEndingInItsArgumentsTypeIsNotRepeated) {
  std::vector<kg::EntityInfo> e = {{"fr", "France", "country", {}},
                                   {"de", "Germany", "country", {}},
                                   {"eur", "Euro", "currency", {}},
                                   {"s1", "Bavaria", "subdivision", {}},
                                   {"s2", "Saxony", "subdivision", {}},
                                   {"st", "State", "subdivision_type", {}}};
  std::vector<kg::RelationInfo> r = {
      {"currency", "currency", "", "country", "currency", "countries_using_currency", ""},
      {"subdivision_type", "subdivision_type", "", "subdivision", "subdivision_type",
       "subdivisions_of_type", ""}};
  auto id = [](uint32_t x) { return kg::EntityId(x); };
  std::vector<kg::Triple> t = {{id(0), kg::RelationId(0), id(2)},
                               {id(1), kg::RelationId(0), id(2)},
                               {id(3), kg::RelationId(1), id(5)},
                               {id(4), kg::RelationId(1), id(5)}};
  kg::Graph g = std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
  auto cat = ToolCatalog::Build(g);
  ASSERT_TRUE(cat.ok());
  // Not get_countries_using_currency_of_currency / get_subdivisions_of_type_of_subdivision_type.
  EXPECT_EQ(cat->Inverse(kg::RelationId(0)).name, "get_countries_using_currency");
  EXPECT_EQ(cat->Inverse(kg::RelationId(1)).name, "get_subdivisions_of_type");
  EXPECT_EQ(cat->Inverse(kg::RelationId(1)).parameter, "subdivision_type");
}

TEST(ToolCatalogTest, NamesFollowRelationsAndTypes) {
  kg::Graph g = testing::CountryGraph();
  auto cat = ToolCatalog::Build(g);
  ASSERT_TRUE(cat.ok());
  // borders is symmetric (stated and in the data): it has no inverse tool of its own.
  EXPECT_EQ(cat->size(), 3u + 2 * g.num_relations() - 1);
  const Tool& cap = cat->Forward(kg::RelationId(1));
  EXPECT_EQ(cap.name, "get_capital_of_country");
  EXPECT_EQ(cap.parameter, "country");
  EXPECT_EQ(cap.description, "The capital city of a country.");
  EXPECT_EQ(cat->Inverse(kg::RelationId(1)).name, "get_capital_of_city");
  EXPECT_EQ(cat->Inverse(kg::RelationId(1)).parameter, "city");
  // No inverse label: get_<head_type>_with_<relation>.
  EXPECT_EQ(cat->Inverse(kg::RelationId(2)).name, "get_country_with_official_language");
  // Inverse descriptions read like the questions (number from the data).
  EXPECT_EQ(cat->Inverse(kg::RelationId(1)).description,
            "Returns the country whose capital is the given city (inverse of get_capital_of_country).");
  EXPECT_EQ(cat->Inverse(kg::RelationId(2)).description,
            "Returns the countries whose official languages include the given language (inverse "
            "of get_official_language_of_country).");
  EXPECT_EQ(cat->Forward(kg::RelationId(0)).name, "get_borders_of_country");
  EXPECT_FALSE(cat->HasInverse(kg::RelationId(0)));
  EXPECT_TRUE(cat->HasInverse(kg::RelationId(1)));
  EXPECT_EQ(&cat->Hop(kg::RelationId(1), true), &cat->Inverse(kg::RelationId(1)));
  EXPECT_NE(cat->Find("get_intersection_of"), nullptr);
  EXPECT_NE(cat->Find("get_union_of"), nullptr);
  EXPECT_NE(cat->Find("get_negation_of"), nullptr);
  EXPECT_EQ(cat->Find("nope"), nullptr);
  EXPECT_EQ(cap.parameters_json,
            R"({"type":"object","properties":{"country":{"type":"string","description":"The exact name of the country."}},"required":["country"]})");
}

TEST(ToolCatalogTest, ToolsJsonRoundTrips) {
  kg::Graph g = testing::CountryGraph();
  auto cat = ToolCatalog::Build(g);
  ASSERT_TRUE(cat.ok());
  kgf::testing::TempDir dir;
  ASSERT_TRUE(cat->WriteToolsJson(dir.File("tools.json")).ok());
  auto text = ReadFileToString(dir.File("tools.json"));
  ASSERT_TRUE(text.ok());
  auto entries = ParseToolsJson(*text, "tools.json");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), cat->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    const Tool& t = cat->tools()[i];
    const ToolsJsonEntry& e = (*entries)[i];
    EXPECT_EQ(e.name, t.name);
    EXPECT_EQ(e.description, t.description);
    EXPECT_EQ(e.parameters_json, t.parameters_json);
    EXPECT_EQ(e.kind, ToolKindName(t.kind));
    EXPECT_EQ(e.relation_key, t.relation_key);
    if (t.kind == ToolKind::kRelation) EXPECT_EQ(e.direction, "forward");
    if (t.kind == ToolKind::kInverse) EXPECT_EQ(e.direction, "inverse");
  }
}

TEST(ToolCatalogTest, BadToolsJsonNamesTheField) {
  auto r = ParseToolsJson(R"({"tools":[{"type":"function","function":{"name":"x","description":"d","parameters":{}},"kind":"weird"}]})",
                          "t.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t.json: tools[0]"), std::string::npos);
  EXPECT_NE(r.status().message().find("kind"), std::string::npos);
}

TEST(ToolCatalogTest, SnakeCase) {
  EXPECT_EQ(SnakeCase("Official Language"), "official_language");
  EXPECT_EQ(SnakeCase("http://x/y#hasPart"), "http_x_y_haspart");
  EXPECT_EQ(SnakeCase("__a__b__"), "a_b");
}

}  // namespace
}  // namespace kgf::synth
