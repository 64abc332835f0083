#include "synth/question_grammar.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tests/synth/test_graphs.h"

namespace kgf::synth {
namespace {

// Every question the grammar writes for `q` over many draws.
std::set<std::string> Questions(const QuestionGrammar& g, const Query& q, int draws = 600) {
  std::set<std::string> out;
  for (int i = 0; i < draws; ++i) {
    Rng rng = Rng::ForItem(3, static_cast<uint64_t>(i));
    out.insert(g.Render(q, rng).text);
  }
  return out;
}

Query Make(Pattern p, std::vector<std::string> anchors, std::vector<std::string> relations,
           std::vector<uint8_t> inverse, const kg::Graph& g) {
  Query q;
  q.pattern = p;
  for (const auto& a : anchors) q.anchors.push_back(*g.FindEntityByName(a));
  for (const auto& r : relations) q.relations.push_back(*g.FindRelationByKey(r));
  q.inverse = std::move(inverse);
  return q;
}

void ExpectAmong(const std::set<std::string>& got, const std::string& want) {
  EXPECT_TRUE(got.count(want)) << "missing: " << want << "\nsome of what it wrote:\n"
                               << *got.begin() << "\n" << *got.rbegin();
}

TEST(QuestionGrammarTest, NumberAgreementBothDirections) {
  kg::Graph g = testing::CountryGraph();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  // capital: one per country (singular), its inverse one country per city (singular).
  auto cap = Questions(grammar, Make(Pattern::k1p, {"France"}, {"capital"}, {0}, g));
  ExpectAmong(cap, "What is the capital of France?");
  ExpectAmong(cap, "What is France's capital?");
  ExpectAmong(cap, "Which city is the capital of France?");
  auto cap_inv = Questions(grammar, Make(Pattern::k1p, {"Paris"}, {"capital"}, {1}, g));
  ExpectAmong(cap_inv, "What is the country whose capital is Paris?");
  // No "Which country is the country whose ...".
  for (const std::string& q : cap_inv) EXPECT_EQ(q.find("Which country is the country"), std::string::npos) << q;
  ExpectAmong(cap_inv, "Which countries have Paris as their capital?");
  // official_language (no phrase; derived from the name): many per country, plural both ways.
  auto lang = Questions(grammar, Make(Pattern::k1p, {"Switzerland"}, {"official_language"}, {0}, g));
  ExpectAmong(lang, "What are the official languages of Switzerland?");
  // The type does not just repeat the relation's noun ("Which languages are official
  // languages of ..."); it does when it adds something ("Which countries are neighbours of").
  for (const std::string& q : lang) EXPECT_EQ(q.find("Which languages are"), std::string::npos) << q;
  auto nb = Questions(grammar, Make(Pattern::k1p, {"Spain"}, {"borders"}, {0}, g));
  ExpectAmong(nb, "What are Spain's neighbours?");
  ExpectAmong(nb, "Which countries are neighbours of Spain?");
  auto lang_inv = Questions(grammar, Make(Pattern::k1p, {"French"}, {"official_language"}, {1}, g));
  ExpectAmong(lang_inv, "What are the countries whose official languages include French?");
  ExpectAmong(lang_inv, "Which countries have French among their official languages?");
  // Chains nest noun phrases; a plural inner phrase makes the outer one plural.
  auto chain = Questions(grammar, Make(Pattern::k2p, {"France"}, {"borders", "capital"}, {0, 0}, g));
  ExpectAmong(chain, "What are the capitals of the neighbours of France?");
  // r^-1(r(X)) says "the same" instead of repeating the noun.
  auto same = Questions(grammar, Make(Pattern::k2p, {"Switzerland"},
                                      {"official_language", "official_language"}, {0, 1}, g));
  ExpectAmong(same, "What are the countries that share an official language with Switzerland?");
  for (const auto* set : {&cap, &cap_inv, &lang, &lang_inv, &chain}) {
    for (const std::string& q : *set) {
      EXPECT_FALSE(std::regex_search(q, std::regex(R"(\b(is|was) the (\w+ )?\w+s of\b)"))) << q;
      EXPECT_FALSE(std::regex_search(q, std::regex(R"(\b(entities|anything|everything)\b)"))) << q;
    }
  }
}

// Countries C0..C9 with calling codes: +1 is shared by C0, C1 and C2, every other code has one
// country (so the relation's inverse reads singular on average: 10 countries over 8 codes);
// currencies: C0 and C2 use the dollar, C1 the dollar and the peso. Locales name their type in
// the phrase ("the language of the locale {}").
kg::Graph HubGraph() {
  std::vector<kg::EntityInfo> e;
  for (int i = 0; i < 10; ++i) e.push_back({"c" + std::to_string(i), "C" + std::to_string(i), "country", {}});
  for (int i = 1; i <= 8; ++i) e.push_back({"code" + std::to_string(i), "+" + std::to_string(i), "calling_code", {}});
  e.push_back({"usd", "dollar", "currency", {}});     // 18
  e.push_back({"peso", "peso", "currency", {}});      // 19
  e.push_back({"ro_RO", "ro_RO", "locale", {}});      // 20
  e.push_back({"ro_MD", "ro_MD", "locale", {}});      // 21
  e.push_back({"ron", "Romanian", "language", {}});   // 22
  std::vector<kg::RelationInfo> r = {
      {"calling_code", "calling_code", "", "country", "calling_code", "", "the calling code of {}"},
      {"currency", "currency", "", "country", "currency", "", "the currency of {}"},
      {"locale_language", "language", "", "locale", "language", "", "the language of the locale {}"}};
  auto id = [](uint32_t x) { return kg::EntityId(x); };
  std::vector<kg::Triple> t;
  for (uint32_t c = 0; c < 10; ++c) {
    const uint32_t code = c < 3 ? 10 : 10 + c - 2;  // C0-C2 -> +1; C3 -> +2 ... C9 -> +8
    t.push_back({id(c), kg::RelationId(0), id(code)});
  }
  for (uint32_t c : {0u, 1u, 2u}) t.push_back({id(c), kg::RelationId(1), id(18)});
  t.push_back({id(1), kg::RelationId(1), id(19)});
  t.push_back({id(20), kg::RelationId(2), id(22)});
  t.push_back({id(21), kg::RelationId(2), id(22)});
  return std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
}

TEST(QuestionGrammarTest, NumberFollowsWhatThePhraseNamesNotTheRelationsAverage) {
  kg::Graph g = HubGraph();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  // +1 has three countries though the inverse reads singular on average.
  auto hub = Questions(grammar, Make(Pattern::k1p, {"+1"}, {"calling_code"}, {1}, g));
  ExpectAmong(hub, "What are the countries whose calling code is +1?");
  auto one = Questions(grammar, Make(Pattern::k1p, {"+5"}, {"calling_code"}, {1}, g));
  ExpectAmong(one, "What is the country whose calling code is +5?");
  // The currencies of +1's countries are two; of +5's none (the relation's number stays).
  auto chain = Questions(grammar, Make(Pattern::k2p, {"+1"}, {"calling_code", "currency"}, {1, 0}, g));
  ExpectAmong(chain, "What are the currencies of the countries whose calling code is +1?");
  for (const auto* set : {&hub, &chain}) {
    for (const std::string& q : *set) {
      EXPECT_EQ(q.find("the country whose calling code is +1"), std::string::npos) << q;
      EXPECT_EQ(q.find("the currency of the countries"), std::string::npos) << q;
    }
  }
  // "the language of the locale {}" nests and inflects as "the language of {}".
  auto loc = Questions(grammar, Make(Pattern::k2p, {"Romanian"},
                                     {"locale_language", "locale_language"}, {1, 0}, g));
  for (const std::string& q : loc) EXPECT_EQ(q.find("of the locale the"), std::string::npos) << q;
  auto loc1 = Questions(grammar, Make(Pattern::k1p, {"Romanian"}, {"locale_language"}, {1}, g));
  ExpectAmong(loc1, "What are the locales whose language is Romanian?");
  auto loc2 = Questions(grammar, Make(Pattern::k1p, {"ro_RO"}, {"locale_language"}, {0}, g));
  ExpectAmong(loc2, "What is the language of ro_RO?");
}

TEST(QuestionGrammarTest, PhrasesOfTheirOwnShapeAndNounsWithOfTakeTheNumberToo) {
  std::vector<kg::EntityInfo> e = {{"k", "kinkajou", "synset", {}}, {"o", "ocelot", "synset", {}},
                                   {"p", "Potos", "synset", {}},    {"f", "Felidae", "synset", {}},
                                   {"c", "cats", "synset", {}},     {"u", "UK", "synset", {}},
                                   {"l", "lorry", "synset", {}}};
  std::vector<kg::RelationInfo> r = {
      {"member_holonym", "member_holonym", "", "synset", "synset", "", "the groups that {} is a member of"},
      {"domain_region", "domain_region", "", "synset", "synset", "", "the regions of use of {}"},
      {"part_of", "part_of", "", "synset", "synset", "", "the country that {} is part of"},
      {"spoken", "spoken", "", "synset", "synset", "", "the official languages spoken in {}"}};
  auto id = [](uint32_t x) { return kg::EntityId(x); };
  std::vector<kg::Triple> t = {{id(0), kg::RelationId(0), id(2)},   // kinkajou: one group
                               {id(1), kg::RelationId(0), id(3)},   // ocelot: two
                               {id(1), kg::RelationId(0), id(4)},
                               {id(6), kg::RelationId(1), id(5)},   // lorry: one region
                               {id(2), kg::RelationId(2), id(3)},   // Potos: in two "countries"
                               {id(2), kg::RelationId(2), id(4)},
                               {id(5), kg::RelationId(3), id(6)},   // UK: one language
                               {id(3), kg::RelationId(0), id(5)},   // Felidae and cats: UK
                               {id(4), kg::RelationId(0), id(5)}};
  kg::Graph g = std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  auto one = Questions(grammar, Make(Pattern::k1p, {"kinkajou"}, {"member_holonym"}, {0}, g));
  ExpectAmong(one, "What is the group that kinkajou is a member of?");
  auto two = Questions(grammar, Make(Pattern::k1p, {"ocelot"}, {"member_holonym"}, {0}, g));
  ExpectAmong(two, "What are the groups that ocelot is a member of?");
  for (const auto* set : {&one, &two}) {
    for (const std::string& q : *set) {
      EXPECT_EQ(q.find("is the groups"), std::string::npos) << q;
      EXPECT_EQ(q.find("are the group "), std::string::npos) << q;
    }
  }
  auto region = Questions(grammar, Make(Pattern::k1p, {"lorry"}, {"domain_region"}, {0}, g));
  ExpectAmong(region, "What is the region of use of lorry?");
  EXPECT_EQ(QuestionGrammar::Pluralize("region of use"), "regions of use");
  EXPECT_EQ(QuestionGrammar::Singularize("regions of use"), "region of use");
  EXPECT_TRUE(QuestionGrammar::LooksPlural("regions of use"));
  // A singular-worded phrase naming several, and the head found past an adjective.
  auto several = Questions(grammar, Make(Pattern::k1p, {"Potos"}, {"part_of"}, {0}, g));
  ExpectAmong(several, "What are the countries that Potos is part of?");
  auto spoken = Questions(grammar, Make(Pattern::k1p, {"UK"}, {"spoken"}, {0}, g));
  ExpectAmong(spoken, "What is the official language spoken in UK?");
  // Nested, each phrase in the number of what it names.
  auto nested = Questions(grammar, Make(Pattern::k2p, {"kinkajou"}, {"member_holonym", "part_of"}, {0, 0}, g));
  ExpectAmong(nested, "What are the countries that the group that kinkajou is a member of is part of?");
  // Over a slot naming several, the verb and its noun agree: "are members of", not "is a member
  // of" (nor "are a member of"), as a noun phrase and as a condition of a set.
  auto plural_inner = Questions(grammar, Make(Pattern::k2p, {"Potos"}, {"part_of", "member_holonym"}, {0, 0}, g));
  ExpectAmong(plural_inner, "What is the group that the countries that Potos is part of are members of?");
  auto condition = Questions(grammar, Make(Pattern::kPi, {"Potos", "ocelot"},
                                           {"part_of", "member_holonym", "member_holonym"}, {0, 0, 0}, g));
  bool agreed = false;
  for (const auto* set : {&plural_inner, &condition}) {
    for (const std::string& q : *set) {
      EXPECT_EQ(q.find("part of is a member of"), std::string::npos) << q;
      EXPECT_EQ(q.find("are a member of"), std::string::npos) << q;
      agreed |= set == &condition && q.find("are among the groups that the countries that Potos is part of are members of") != std::string::npos;
    }
  }
  EXPECT_TRUE(agreed) << *condition.begin();
}

TEST(QuestionGrammarTest, OperatorsReadAsAndOrButNot) {
  kg::Graph g = testing::CountryGraph();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  auto both = Questions(grammar, Make(Pattern::k2i, {"France", "German"},
                                      {"borders", "official_language"}, {0, 1}, g));
  ExpectAmong(both, "Which countries are neighbours of France and have German among their "
                    "official languages?");
  auto either = Questions(grammar, Make(Pattern::k2u, {"Spain", "Dutch"},
                                        {"borders", "official_language"}, {0, 1}, g));
  ExpectAmong(either, "Which countries are neighbours of Spain or have Dutch among their "
                      "official languages?");
  auto negated = Questions(grammar, Make(Pattern::k2in, {"France", "German"},
                                         {"borders", "official_language"}, {0, 1}, g));
  ExpectAmong(negated, "Which countries are neighbours of France but do not have German among "
                       "their official languages?");
  ExpectAmong(negated, "Among the neighbours of France, which do not have German among their "
                       "official languages?");
  auto common = Questions(grammar, Make(Pattern::k2i, {"Belgium", "Switzerland"},
                                        {"official_language", "official_language"}, {0, 0}, g));
  ExpectAmong(common, "Which official languages do Belgium and Switzerland have in common?");
  for (const std::string& q : both) EXPECT_NE(q.find(" and "), std::string::npos) << q;
  for (const std::string& q : either) EXPECT_NE(q.find(" or "), std::string::npos) << q;
  for (const std::string& q : negated) EXPECT_NE(q.find(" not "), std::string::npos) << q;
  // A set inside a hop becomes a relative clause.
  auto ip = Questions(grammar, Make(Pattern::kIp, {"France", "German"},
                                    {"borders", "official_language", "capital"}, {0, 1, 0}, g));
  ExpectAmong(ip, "What are the capitals of the countries that are neighbours of France and have "
                  "German among their official languages?");
}

// Conditions that are all "are N of X" over one relation say the noun once.
TEST(QuestionGrammarTest, ConditionsOverOneRelationSayItsNounOnce) {
  kg::Graph g = testing::CountryGraph();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  auto both = Questions(grammar, Make(Pattern::k2i, {"France", "Austria"}, {"borders", "borders"},
                                      {0, 0}, g));
  ExpectAmong(both, "Which countries are neighbours of France and of Austria?");
  auto three = Questions(grammar, Make(Pattern::k3i, {"France", "Austria", "Italy"},
                                       {"borders", "borders", "borders"}, {0, 0, 0}, g));
  ExpectAmong(three, "Which countries are neighbours of France, of Austria and of Italy?");
  auto either = Questions(grammar, Make(Pattern::k2u, {"Spain", "Belgium"}, {"borders", "borders"},
                                        {0, 0}, g));
  ExpectAmong(either, "Which countries are neighbours of Spain or of Belgium?");
  auto negated = Questions(grammar, Make(Pattern::k2in, {"Switzerland", "France"},
                                         {"official_language", "official_language"}, {0, 0}, g));
  // The set's own noun takes the targets: never "the languages that are official languages of".
  ExpectAmong(negated, "What are the official languages of Switzerland but not of France?");
  auto shared = Questions(grammar, Make(Pattern::k2i, {"Belgium", "Switzerland"},
                                        {"official_language", "official_language"}, {0, 0}, g));
  ExpectAmong(shared, "Find the official languages common to Belgium and Switzerland.");
  auto any = Questions(grammar, Make(Pattern::k2u, {"Belgium", "Switzerland"},
                                     {"official_language", "official_language"}, {0, 0}, g));
  ExpectAmong(any, "What are the official languages of Belgium or of Switzerland? Either one is enough.");
  for (const auto* set : {&negated, &shared, &any}) {
    for (const std::string& q : *set) {
      EXPECT_EQ(q.find("that are official languages"), std::string::npos) << q;
      EXPECT_EQ(q.find("Which languages are official languages"), std::string::npos) << q;
    }
  }
  ExpectAmong(negated, "Among the official languages of Switzerland, which are not official "
                       "languages of France?");
  // Inverse "have X among their Ns" conditions over one relation share the noun too.
  auto among = Questions(grammar, Make(Pattern::k2i, {"German", "French"},
                                       {"official_language", "official_language"}, {1, 1}, g));
  ExpectAmong(among, "Which countries have German and French among their official languages?");
  auto among_not = Questions(grammar, Make(Pattern::k2in, {"German", "French"},
                                           {"official_language", "official_language"}, {1, 1}, g));
  ExpectAmong(among_not, "Which countries have German but not French among their official "
                         "languages?");
  ExpectAmong(among_not, "Of the countries that have German among their official languages, "
                         "which do not have French among their official languages?");
  for (const auto* set : {&among, &among_not}) {
    for (const std::string& q : *set) {
      // (One clause: "Of the countries that have A among ..., which do not have C among ...?"
      // says it twice, in two clauses, and says the exclusion once.)
      EXPECT_FALSE(std::regex_search(q, std::regex(R"(among their official languages\b(?:(?!which).)*among their official languages)")))
          << q;
      EXPECT_EQ(q.find("but not French among their official languages, which"), std::string::npos) << q;
    }
  }
  // A condition ending in a "whose" clause goes last, where nothing can attach to its noun.
  auto whose = Questions(grammar, Make(Pattern::kPi, {"Paris", "German"},
                                       {"capital", "borders", "official_language"}, {1, 0, 1}, g));
  bool whose_last = false;
  for (const std::string& q : whose) {
    EXPECT_EQ(q.find("whose capital is Paris and"), std::string::npos) << q;
    EXPECT_EQ(q.find("whose capital is Paris, and"), std::string::npos) << q;
    whose_last |= q.find("have German among their official languages and are neighbours of the "
                         "country whose capital is Paris") != std::string::npos;
  }
  EXPECT_TRUE(whose_last) << *whose.begin();
  auto whose_of = Questions(grammar, Make(Pattern::kPi, {"Paris", "Spain"},
                                          {"capital", "borders", "borders"}, {1, 0, 0}, g));
  for (const std::string& q : whose_of) {
    EXPECT_EQ(q.find("whose capital is Paris and"), std::string::npos) << q;
  }
  ExpectAmong(whose_of, "Which countries are neighbours of Spain and of the country whose "
                        "capital is Paris?");
  // The condition over the excluded one's relation goes last, where "but not of" continues it.
  auto mixed = Questions(grammar, Make(Pattern::k3in, {"France", "French", "Austria"},
                                       {"borders", "official_language", "borders"}, {0, 1, 0}, g));
  ExpectAmong(mixed, "Which countries have French among their official languages and are "
                     "neighbours of France but not of Austria?");
  // Inside a hop too: "the capitals of the countries that are neighbours of France and of Austria".
  auto ip = Questions(grammar, Make(Pattern::kIp, {"France", "Austria"},
                                    {"borders", "borders", "capital"}, {0, 0, 0}, g));
  ExpectAmong(ip, "What are the capitals of the countries that are neighbours of France and of "
                  "Austria?");
  for (const auto* set : {&both, &three, &either, &negated, &mixed, &ip}) {
    for (const std::string& q : *set) {
      EXPECT_FALSE(std::regex_search(q, std::regex(R"(are (neighbours|official languages) of [^?.]*\b(and|or|but) are (not )?\1 of)")))
          << q;
    }
  }
}

// Place names whose head is a common noun read with "the" inside a question (kg::NameInText);
// the name itself stays verbatim (the filter checks every anchor appears).
TEST(QuestionGrammarTest, NamesThatTakeTheDefiniteArticle) {
  std::vector<kg::EntityInfo> e = {{"gb", "United Kingdom", "country", {}},
                                   {"sb", "Solomon Islands", "country", {}},
                                   {"im", "Saint Lucia", "country", {}},
                                   {"london", "London", "city", {}},
                                   {"honiara", "Honiara", "city", {}},
                                   {"douglas", "Douglas", "city", {}}};
  std::vector<kg::RelationInfo> r = {
      {"capital", "capital", "", "country", "city", "", "the capital of {}"},
      {"borders", "borders", "", "country", "country", "", "the neighbours of {}"},
      {"term", "term", "", "country", "city", "", "the terms used in the region {}"}};
  std::vector<kg::Triple> t = {{kg::EntityId(0), kg::RelationId(0), kg::EntityId(3)},
                               {kg::EntityId(1), kg::RelationId(0), kg::EntityId(4)},
                               {kg::EntityId(2), kg::RelationId(0), kg::EntityId(5)},
                               {kg::EntityId(0), kg::RelationId(1), kg::EntityId(2)},
                               {kg::EntityId(2), kg::RelationId(1), kg::EntityId(0)},
                               {kg::EntityId(0), kg::RelationId(2), kg::EntityId(3)}};
  kg::Graph g = std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  auto uk = Questions(grammar, Make(Pattern::k1p, {"United Kingdom"}, {"capital"}, {0}, g));
  ExpectAmong(uk, "What is the capital of the United Kingdom?");
  ExpectAmong(uk, "What is the United Kingdom's capital?");
  auto sb = Questions(grammar, Make(Pattern::k1p, {"Solomon Islands"}, {"capital"}, {0}, g));
  ExpectAmong(sb, "What is the Solomon Islands' capital?");
  auto im = Questions(grammar, Make(Pattern::k2p, {"Saint Lucia"}, {"borders", "capital"}, {0, 0}, g));
  ExpectAmong(im, "Which city is the capital of the neighbour of Saint Lucia?");
  auto uk2 = Questions(grammar, Make(Pattern::k2p, {"United Kingdom"}, {"borders", "capital"}, {0, 0}, g));
  ExpectAmong(uk2, "Which city is the capital of the United Kingdom's neighbour?");
  // A slot in apposition takes the bare name: no "the region the United Kingdom".
  auto region = Questions(grammar, Make(Pattern::k1p, {"United Kingdom"}, {"term"}, {0}, g));
  for (const std::string& q : region) {
    EXPECT_EQ(q.find("the region the"), std::string::npos) << q;
    EXPECT_NE(q.find("the region United Kingdom"), std::string::npos) << q;
  }
  for (const auto* set : {&uk, &sb, &im, &uk2}) {
    for (const std::string& q : *set) {
      EXPECT_EQ(q.find(" of United"), std::string::npos) << q;
      EXPECT_EQ(q.find("the Saint"), std::string::npos) << q;
    }
  }
}

// relations.tsv's inverse_name "countries_that_are": the heads are their tail.
TEST(QuestionGrammarTest, AnInverseNamedThatAreReadsAsACopula) {
  std::vector<kg::EntityInfo> e = {{"at", "Austria", "country", {}},
                                   {"ch", "Switzerland", "country", {}},
                                   {"fr", "France", "country", {}},
                                   {"ll", "landlocked", "coastline", {}},
                                   {"co", "coastal", "coastline", {}}};
  std::vector<kg::RelationInfo> r = {
      {"coastline", "coastline", "", "country", "coastline", "countries_that_are", "the coastline of {}"},
      {"borders", "borders", "", "country", "country", "", "the neighbours of {}"}};
  auto id = [](uint32_t x) { return kg::EntityId(x); };
  std::vector<kg::Triple> t = {{id(0), kg::RelationId(0), id(3)}, {id(1), kg::RelationId(0), id(3)},
                               {id(2), kg::RelationId(0), id(4)}, {id(0), kg::RelationId(1), id(1)},
                               {id(1), kg::RelationId(1), id(0)}, {id(1), kg::RelationId(1), id(2)},
                               {id(2), kg::RelationId(1), id(1)}};
  kg::Graph g = std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
  QuestionGrammar grammar = QuestionGrammar::Build(g);
  auto which = Questions(grammar, Make(Pattern::k1p, {"landlocked"}, {"coastline"}, {1}, g));
  ExpectAmong(which, "Which countries are landlocked?");
  auto both = Questions(grammar, Make(Pattern::k2i, {"Switzerland", "landlocked"},
                                      {"borders", "coastline"}, {0, 1}, g));
  ExpectAmong(both, "Which countries are neighbours of Switzerland and are landlocked?");
  auto but = Questions(grammar, Make(Pattern::k2in, {"Switzerland", "landlocked"},
                                     {"borders", "coastline"}, {0, 1}, g));
  ExpectAmong(but, "Which countries are neighbours of Switzerland but are not landlocked?");
  for (const auto* set : {&which, &both, &but}) {
    for (const std::string& q : *set) EXPECT_EQ(q.find("as their coastline"), std::string::npos) << q;
  }
}

TEST(QuestionGrammarTest, Inflection) {
  EXPECT_EQ(QuestionGrammar::Pluralize("country"), "countries");
  EXPECT_EQ(QuestionGrammar::Pluralize("city"), "cities");
  EXPECT_EQ(QuestionGrammar::Pluralize("official language"), "official languages");
  EXPECT_EQ(QuestionGrammar::Pluralize("bus"), "buses");
  EXPECT_EQ(QuestionGrammar::Pluralize("person"), "people");
  EXPECT_EQ(QuestionGrammar::Pluralize("pokemon"), "pokemon");
  EXPECT_EQ(QuestionGrammar::Singularize("official languages"), "official language");
  EXPECT_EQ(QuestionGrammar::Singularize("hypernyms (broader terms)"), "hypernym (broader term)");
  EXPECT_EQ(QuestionGrammar::Singularize("currencies"), "currency");
  EXPECT_EQ(QuestionGrammar::Singularize("species"), "species");
  EXPECT_EQ(QuestionGrammar::Singularize("courses"), "course");
  EXPECT_EQ(QuestionGrammar::Singularize("classes"), "class");
  EXPECT_TRUE(QuestionGrammar::LooksPlural("neighbours"));
  EXPECT_FALSE(QuestionGrammar::LooksPlural("status"));
  EXPECT_FALSE(QuestionGrammar::LooksPlural("genus"));
}

}  // namespace
}  // namespace kgf::synth
