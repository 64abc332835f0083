#include "kg/fact_sentences.h"

#include <gtest/gtest.h>

namespace kgf::kg {
namespace {

TEST(FactSentencesTest, VerbalisesWithQuestionPhrasesAndNames) {
  std::vector<EntityInfo> entities = {
      {"FR", "France", "country", {}}, {"PAR", "Paris", "city", {}},
      {"BE", "Belgium", "country", {}}, {"DE", "Germany", "country", {}},
      {"ES", "Spain", "country", {}}, {"EU", "European Union", "organization", {}}};
  std::vector<RelationInfo> relations = {
      {"capital", "capital", "", "country", "city", "", "the capital of {}"},
      {"borders", "borders", "", "country", "country", "", ""},
      {"member_of", "member_of", "", "country", "organization", "", ""}};
  std::vector<Triple> triples = {
      {EntityId(0), RelationId(1), EntityId(4)}, {EntityId(0), RelationId(0), EntityId(1)},
      {EntityId(0), RelationId(1), EntityId(2)}, {EntityId(0), RelationId(1), EntityId(3)},
      {EntityId(0), RelationId(1), EntityId(2)},  // duplicate: kept once
      {EntityId(2), RelationId(2), EntityId(5)}};
  auto docs = VerbaliseTriples(entities, relations, triples);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0],
            "France is a country. The capital of France is Paris. France borders Belgium, "
            "Germany and Spain.");
  EXPECT_EQ(docs[1], "Belgium is a country. Belgium member of the European Union.");
}

// Names read as in the questions (kg/names.h): "the" where a name's head asks for it, never
// twice in a slot in apposition.
TEST(FactSentencesTest, NamesTakeTheirArticleAsInProse) {
  std::vector<EntityInfo> entities = {{"GB", "United Kingdom", "country", {}},
                                      {"LON", "London", "city", {}},
                                      {"IE", "Ireland", "country", {}},
                                      {"t", "lorry", "term", {}}};
  std::vector<RelationInfo> relations = {
      {"capital", "capital", "", "country", "city", "", "the capital of {}"},
      {"borders", "borders", "", "country", "country", "", ""},
      {"term", "term", "", "country", "term", "", "the terms used in the region {}"}};
  std::vector<Triple> triples = {{EntityId(0), RelationId(0), EntityId(1)},
                                 {EntityId(0), RelationId(2), EntityId(3)},
                                 {EntityId(2), RelationId(1), EntityId(0)}};
  auto docs = VerbaliseTriples(entities, relations, triples);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "The United Kingdom is a country. The capital of the United Kingdom is London. "
                     "The terms used in the region United Kingdom is lorry.");
  EXPECT_EQ(docs[1], "Ireland is a country. Ireland borders the United Kingdom.");
}

TEST(FactSentencesTest, PluralVerbAndUntypedEntities) {
  std::vector<EntityInfo> entities = {{"a", "alpha", "", {}}, {"b", "B", "", {}}, {"c", "C", "", {}}};
  std::vector<RelationInfo> relations = {{"n", "neighbours", "", "", "", "", "the neighbours of {}"}};
  std::vector<Triple> triples = {{EntityId(0), RelationId(0), EntityId(1)},
                                     {EntityId(0), RelationId(0), EntityId(2)}};
  auto docs = VerbaliseTriples(entities, relations, triples);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0], "The neighbours of alpha are B and C.");
  EXPECT_TRUE(VerbaliseTriples(entities, relations, {}).empty());
}

}  // namespace
}  // namespace kgf::kg
