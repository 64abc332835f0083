// Graphs for synth tests, built in memory: a small hand-made country graph and seeded random
// graphs with typed entities (names are fixed-width so no name contains another).
#ifndef KGF_TESTS_SYNTH_TEST_GRAPHS_H_
#define KGF_TESTS_SYNTH_TEST_GRAPHS_H_

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "kg/graph.h"

namespace kgf::synth::testing {

// `rename`: pairs {old name, new name} ("Germany" -> "United Kingdom").
inline kg::Graph CountryGraph(const std::vector<std::pair<std::string, std::string>>& rename = {}) {
  std::vector<kg::EntityInfo> e;
  auto add = [&](const std::string& key, const std::string& name, const std::string& type) {
    std::string n = name;
    for (const auto& [from, to] : rename) {
      if (n == from) n = to;
    }
    e.push_back({key, n, type, {}});
    return kg::EntityId(static_cast<uint32_t>(e.size() - 1));
  };
  auto fr = add("FR", "France", "country"), de = add("DE", "Germany", "country"),
       es = add("ES", "Spain", "country"), it = add("IT", "Italy", "country"),
       ch = add("CH", "Switzerland", "country"), pt = add("PT", "Portugal", "country"),
       at = add("AT", "Austria", "country"), be = add("BE", "Belgium", "country");
  auto paris = add("c:paris", "Paris", "city"), berlin = add("c:berlin", "Berlin", "city"),
       madrid = add("c:madrid", "Madrid", "city"), rome = add("c:rome", "Rome", "city"),
       bern = add("c:bern", "Bern", "city"), lisbon = add("c:lisbon", "Lisbon", "city"),
       vienna = add("c:vienna", "Vienna", "city"), brussels = add("c:brussels", "Brussels", "city");
  auto french = add("l:fr", "French", "language"), german = add("l:de", "German", "language"),
       spanish = add("l:es", "Spanish", "language"), italian = add("l:it", "Italian", "language"),
       portuguese = add("l:pt", "Portuguese", "language"), dutch = add("l:nl", "Dutch", "language");
  std::vector<kg::RelationInfo> r = {
      {"borders", "borders", "", "country", "country", "borders", "the neighbours of {}"},
      {"capital", "capital", "The capital city of a country.", "country", "city", "capital_of",
       "the capital of {}"},
      {"official_language", "official_language", "", "country", "language", "", ""},
  };
  kg::RelationId borders(0), capital(1), lang(2);
  std::vector<kg::Triple> t;
  auto sym = [&](kg::EntityId a, kg::EntityId b) {
    t.push_back({a, borders, b});
    t.push_back({b, borders, a});
  };
  sym(fr, de); sym(fr, es); sym(fr, it); sym(fr, ch); sym(fr, be); sym(de, ch); sym(de, at);
  sym(de, be); sym(es, pt); sym(it, ch); sym(it, at); sym(ch, at);
  t.push_back({fr, capital, paris}); t.push_back({de, capital, berlin});
  t.push_back({es, capital, madrid}); t.push_back({it, capital, rome});
  t.push_back({ch, capital, bern}); t.push_back({pt, capital, lisbon});
  t.push_back({at, capital, vienna}); t.push_back({be, capital, brussels});
  t.push_back({fr, lang, french}); t.push_back({de, lang, german}); t.push_back({es, lang, spanish});
  t.push_back({it, lang, italian}); t.push_back({ch, lang, german}); t.push_back({ch, lang, french});
  t.push_back({ch, lang, italian}); t.push_back({pt, lang, portuguese});
  t.push_back({at, lang, german}); t.push_back({be, lang, french}); t.push_back({be, lang, dutch});
  return std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
}

// Random typed graph: `entities` entities over 3 types, `relations` relations between types,
// about `triples` triples. Names "Node 00017" (fixed width).
inline kg::Graph RandomGraph(uint64_t seed, uint32_t entities = 300, uint32_t relations = 8,
                             uint32_t triples = 1500) {
  Rng rng(seed);
  const char* types[] = {"person", "place", "thing"};
  std::vector<kg::EntityInfo> e;
  for (uint32_t i = 0; i < entities; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "Node %05u", i);
    e.push_back({"n" + std::to_string(i), name, types[i % 3], {}});
  }
  std::vector<kg::RelationInfo> r;
  for (uint32_t k = 0; k < relations; ++k) {
    r.push_back({"rel" + std::to_string(k), "relation_" + std::to_string(k), "",
                 types[k % 3], types[(k + 1) % 3], "", ""});
  }
  std::vector<kg::Triple> t;
  for (uint32_t n = 0; n < triples; ++n) {
    uint32_t k = static_cast<uint32_t>(rng.Uniform(relations));
    // Heads of type k%3, tails of type (k+1)%3; skewed tails make hubs and sets of many sizes.
    uint32_t h = static_cast<uint32_t>(rng.Uniform(entities / 3)) * 3 + k % 3;
    uint32_t span = entities / 3;
    uint32_t tail_slot = static_cast<uint32_t>(rng.Uniform(rng.Bernoulli(0.3) ? span / 10 : span));
    uint32_t tl = tail_slot * 3 + (k + 1) % 3;
    if (h >= entities || tl >= entities) continue;
    t.push_back({kg::EntityId(h), kg::RelationId(k), kg::EntityId(tl)});
  }
  return std::move(kg::Graph::Build(std::move(e), std::move(r), std::move(t))).value();
}

}  // namespace kgf::synth::testing

#endif  // KGF_TESTS_SYNTH_TEST_GRAPHS_H_
