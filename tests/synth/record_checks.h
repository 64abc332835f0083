// Test oracle for synthesized records: re-executes every call, recomputes the answer set with a
// naive triple-scanning evaluator (the slow, obviously correct twin of synth/query.cc), and
// checks the question rules.
#ifndef KGF_TESTS_SYNTH_RECORD_CHECKS_H_
#define KGF_TESTS_SYNTH_RECORD_CHECKS_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "kg/graph.h"
#include "synth/answer_leak.h"
#include "synth/executor.h"
#include "synth/pattern.h"
#include "synth/record.h"
#include "synth/tool_catalog.h"

namespace kgf::synth::testing {

// Degenerate shapes seen by the naive evaluator (the independent twin of the sampler's rules).
struct NaiveFindings {
  int identical_branches = 0;  // two inputs of a set operation are the same set
  int redundant_branches = 0;  // a set operation's result equals one of its inputs
  int round_trips = 0;         // a chain of two hops lands inside its own start set
  int self_loops = 0;          // an entity is its own neighbour over a hop
};

// Evaluates the record's query (pattern program + anchor/relation keys + directions) by
// scanning all triples.
inline std::set<std::string> NaiveAnswers(const kg::Graph& g, const Record& r,
                                          NaiveFindings* findings = nullptr) {
  NaiveFindings ignored;
  NaiveFindings& f = findings ? *findings : ignored;
  std::vector<kg::Triple> triples = g.AllTriples();
  using Set = std::set<uint32_t>;
  // Per evaluated node: (its set, the set its hop started from when it is a projection).
  std::function<Set(std::string_view, size_t*, Set*)> eval;
  eval = [&](std::string_view s, size_t* pos, Set* hop_input) -> Set {
    char c = s[(*pos)++];
    if (c == 'a') {
      int slot = s[(*pos)++] - '0';
      return {g.FindEntityByKey(r.anchors[slot].key)->value()};
    }
    int slot = c == 'p' ? s[(*pos)++] - '0' : -1;
    ++*pos;  // '('
    std::vector<Set> kids;
    Set child_input;
    bool child_is_hop = false;
    while (true) {
      child_is_hop = s[*pos] == 'p';
      kids.push_back(eval(s, pos, &child_input));
      if (s[(*pos)++] == ')') break;
    }
    Set out;
    if (c == 'p') {
      uint32_t rel = g.FindRelationByKey(r.relations[slot])->value();
      const bool inverse = slot < static_cast<int>(r.inverse.size()) && r.inverse[slot];
      for (const kg::Triple& t : triples) {
        if (t.relation.value() != rel) continue;
        uint32_t from = inverse ? t.tail.value() : t.head.value();
        uint32_t to = inverse ? t.head.value() : t.tail.value();
        if (kids[0].count(from)) {
          out.insert(to);
          if (from == to) ++f.self_loops;
        }
      }
      if (child_is_hop && !out.empty() && std::includes(child_input.begin(), child_input.end(), out.begin(),
                                        out.end())) {
        ++f.round_trips;
      }
      if (hop_input) *hop_input = kids[0];
      return out;
    }
    for (size_t a = 0; a < kids.size(); ++a) {
      for (size_t b = a + 1; b < kids.size(); ++b) {
        f.identical_branches += !kids[a].empty() && kids[a] == kids[b];
      }
    }
    if (c == 'u') {
      for (auto& k : kids) out.insert(k.begin(), k.end());
    } else if (c == 'i') {
      for (uint32_t x : kids[0]) {
        bool all = true;
        for (auto& k : kids) all = all && k.count(x);
        if (all) out.insert(x);
      }
    } else {  // 'n'
      for (uint32_t x : kids[0]) {
        if (!kids[1].count(x)) out.insert(x);
      }
    }
    if (c == 'i' || c == 'u') {
      for (const Set& k : kids) f.redundant_branches += !out.empty() && k == out;
    }
    return out;
  };
  size_t pos = 0;
  std::set<std::string> names;
  for (uint32_t id : eval(r.program, &pos, nullptr)) names.insert(g.entity(kg::EntityId(id)).name);
  return names;
}

// Dialogues that end without answers (record.h "outcome"): no_answer and empty_step stop at a
// call turn with an empty result and answer []; no_tool lists no tool of the query's relations
// and makes no call. A self-reflection record holds one deliberate wrong call at MistakeTurn:
// an error (misspelled_entity, wrong_tool, wrong_argument, ambiguous_name) or a real call of
// the wrong relation, direction or set operation whose result (possibly empty) differs from the
// right call's.
inline void ExpectRecordVerifies(const kg::Graph& g, const ToolCatalog& catalog, const Record& r) {
  SCOPED_TRACE(r.id + " " + r.pattern + " " + r.outcome + " " + r.templates.reflection);
  Executor exec(g, catalog);
  const bool no_tool = r.outcome == "no_tool";
  const bool stops = !r.outcome.empty() && !no_tool;
  // Answers: sorted, equal to the naive evaluation (no_tool: [] although the graph has some).
  EXPECT_TRUE(std::is_sorted(r.answers.begin(), r.answers.end()));
  NaiveFindings findings;
  std::set<std::string> naive = NaiveAnswers(g, r, &findings);
  if (no_tool) {
    EXPECT_TRUE(r.answers.empty());
    EXPECT_FALSE(naive.empty());
    for (const FunctionSpec& f : r.tools) {
      const Tool* t = catalog.Find(f.name);
      ASSERT_NE(t, nullptr);
      if (t->kind == ToolKind::kSet) continue;
      EXPECT_EQ(std::count(r.relations.begin(), r.relations.end(), g.relation(t->relation).key), 0)
          << "no_tool record lists " << f.name;
    }
  } else {
    EXPECT_EQ(std::vector<std::string>(naive.begin(), naive.end()), r.answers);
  }
  if (stops) EXPECT_TRUE(r.answers.empty());
  if (r.outcome.empty()) EXPECT_FALSE(r.answers.empty());
  // Not degenerate: no answer is an anchor, no identical or redundant branch, no round trip.
  EXPECT_EQ(findings.identical_branches, 0);
  EXPECT_EQ(findings.redundant_branches, 0);
  EXPECT_EQ(findings.round_trips, 0);
  EXPECT_EQ(findings.self_loops, 0);
  for (const AnchorRef& a : r.anchors) {
    EXPECT_FALSE(std::binary_search(r.answers.begin(), r.answers.end(), a.name))
        << "answer is an anchor: " << a.name;
  }
  ASSERT_GE(r.messages.size(), no_tool ? 3u : 5u);
  EXPECT_EQ(r.messages[0].role, "system");
  ASSERT_EQ(r.messages[1].role, "user");
  const std::string& question = r.messages[1].content;
  for (const AnchorRef& a : r.anchors) {
    // Named in full, or (a suffixed name the dialogue resolves) by its base.
    const bool full = question.find(a.name) != std::string::npos;
    EXPECT_TRUE(full || (r.templates.reflection.rfind("ambiguous_name", 0) == 0 &&
                         question.find(std::string(BaseName(a.name))) != std::string::npos))
        << "anchor missing: " << a.name;
  }
  std::vector<std::string> anchor_names;
  for (const AnchorRef& a : r.anchors) anchor_names.push_back(a.name);
  for (const std::string& a : r.answers) {
    EXPECT_FALSE(AnswerLeaks(question, a, anchor_names)) << "answer leaked: " << a;
  }
  // Calls, turn by turn: ids unique, each answered once, each observation re-executes exactly.
  std::set<std::string> listed, ids;
  for (const FunctionSpec& f : r.tools) listed.insert(f.name);
  EXPECT_EQ(listed.size(), r.tools.size());
  std::vector<std::vector<ExecutedCall>> turns;
  {
    std::vector<ExecutedCall> all = CallsOf(r);
    size_t k = 0;
    for (const Message& m : r.messages) {
      if (m.role != "assistant" || m.tool_calls.empty()) continue;
      turns.emplace_back(all.begin() + k, all.begin() + k + m.tool_calls.size());
      k += m.tool_calls.size();
    }
  }
  if (no_tool) EXPECT_TRUE(turns.empty());
  const int mistake = MistakeTurn(r);
  const std::string& kind = r.templates.reflection;
  const bool real_mistake = kind.rfind("wrong_relation", 0) == 0 ||
                            kind.rfind("wrong_direction", 0) == 0 ||
                            kind.rfind("wrong_set_op", 0) == 0;
  std::string last_observation;
  bool last_turn_empty = false;
  int errors = 0;
  std::vector<std::string> earlier;  // results so far, for result references ("#k")
  for (size_t t = 0; t < turns.size(); ++t) {
    // ambiguous_name: the first call uses the name as the user wrote it and gets the candidates.
    const bool is_mistake = static_cast<int>(t) + 1 == mistake ||
                            (t == 0 && kind.rfind("ambiguous_name", 0) == 0);
    if (is_mistake) EXPECT_EQ(turns[t].size(), 1u);
    for (const ExecutedCall& c : turns[t]) {
      EXPECT_TRUE(ids.insert(c.call.id).second) << c.call.id;
      CallOutcome out = exec.Execute(c.call.name, c.call.arguments, earlier);
      EXPECT_EQ(ObservationJson(out), c.observation) << c.call.name << c.call.arguments;
      earlier.push_back(c.observation);
      if (!out.ok()) {
        EXPECT_TRUE(is_mistake) << "an error outside the mistake turn: " << c.call.name;
        ++errors;
        continue;
      }
      EXPECT_TRUE(listed.count(c.call.name)) << "unlisted tool " << c.call.name;
      if (is_mistake) continue;
      if (c.observation == "[]") {
        EXPECT_TRUE(stops && t + 1 == turns.size())
            << "empty call result " << c.call.name << c.call.arguments;
        last_turn_empty = true;
      }
      last_observation = c.observation;
    }
  }
  if (stops) EXPECT_TRUE(last_turn_empty) << "the last call turn returns no empty list";
  // A reflected mistake is one error, or one real call whose result the next turn sets aside.
  EXPECT_EQ(errors, kind.empty() || real_mistake ? 0 : 1);
  if (real_mistake) {
    ASSERT_GT(mistake, 0);
    ASSERT_LT(static_cast<size_t>(mistake), turns.size());
    const ExecutedCall& wrong = turns[mistake - 1][0];
    bool differs = true;
    for (const ExecutedCall& right : turns[mistake]) {
      differs = differs && !(right.call.name == wrong.call.name &&
                             right.call.arguments == wrong.call.arguments);
    }
    EXPECT_TRUE(differs) << "the corrected turn repeats the wrong call";
    EXPECT_TRUE(std::any_of(turns[mistake].begin(), turns[mistake].end(),
                            [&](const ExecutedCall& right) {
                              return right.observation != wrong.observation;
                            }));
  }
  if (r.outcome.empty()) EXPECT_EQ(last_observation, NamesJson(r.answers));
  size_t tool_messages = 0;
  for (const Message& m : r.messages) tool_messages += m.role == "tool" ? 1 : 0;
  EXPECT_EQ(tool_messages, ids.size());
  const Message& final = r.messages.back();
  EXPECT_EQ(final.role, "assistant");
  EXPECT_TRUE(final.tool_calls.empty());
  EXPECT_FALSE(final.content.empty());
  for (const std::string& a : r.answers) EXPECT_NE(final.content.find(a), std::string::npos);
}

}  // namespace kgf::synth::testing

#endif  // KGF_TESTS_SYNTH_RECORD_CHECKS_H_
