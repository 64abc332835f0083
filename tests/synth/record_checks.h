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
      if (child_is_hop && std::includes(child_input.begin(), child_input.end(), out.begin(),
                                        out.end())) {
        ++f.round_trips;
      }
      if (hop_input) *hop_input = kids[0];
      return out;
    }
    for (size_t a = 0; a < kids.size(); ++a) {
      for (size_t b = a + 1; b < kids.size(); ++b) f.identical_branches += kids[a] == kids[b];
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
      for (const Set& k : kids) f.redundant_branches += k == out;
    }
    return out;
  };
  size_t pos = 0;
  std::set<std::string> names;
  for (uint32_t id : eval(r.program, &pos, nullptr)) names.insert(g.entity(kg::EntityId(id)).name);
  return names;
}

inline void ExpectRecordVerifies(const kg::Graph& g, const ToolCatalog& catalog, const Record& r) {
  SCOPED_TRACE(r.id + " " + r.pattern);
  Executor exec(g, catalog);
  // Answers: sorted, equal to the naive evaluation.
  EXPECT_TRUE(std::is_sorted(r.answers.begin(), r.answers.end()));
  NaiveFindings findings;
  std::set<std::string> naive = NaiveAnswers(g, r, &findings);
  EXPECT_EQ(std::vector<std::string>(naive.begin(), naive.end()), r.answers);
  // Not degenerate: no answer is an anchor, no identical or redundant branch, no round trip.
  EXPECT_EQ(findings.identical_branches, 0);
  EXPECT_EQ(findings.redundant_branches, 0);
  EXPECT_EQ(findings.round_trips, 0);
  EXPECT_EQ(findings.self_loops, 0);
  for (const AnchorRef& a : r.anchors) {
    EXPECT_FALSE(std::binary_search(r.answers.begin(), r.answers.end(), a.name))
        << "answer is an anchor: " << a.name;
  }
  ASSERT_GE(r.messages.size(), 5u);
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
  // Calls: ids unique, each answered once, each observation re-executes exactly.
  std::set<std::string> listed, ids;
  for (const FunctionSpec& f : r.tools) listed.insert(f.name);
  EXPECT_EQ(listed.size(), r.tools.size());
  std::string last_observation;
  int errors = 0;
  for (const ExecutedCall& c : CallsOf(r)) {
    EXPECT_TRUE(ids.insert(c.call.id).second) << c.call.id;
    CallOutcome out = exec.Execute(c.call.name, c.call.arguments);
    EXPECT_EQ(ObservationJson(out), c.observation) << c.call.name << c.call.arguments;
    if (out.ok()) {
      EXPECT_TRUE(listed.count(c.call.name)) << "unlisted tool " << c.call.name;
      EXPECT_NE(c.observation, "[]") << "empty call result " << c.call.name << c.call.arguments;
      last_observation = c.observation;
    } else {
      ++errors;
    }
  }
  // A reflected mistake is one error, or (wrong_relation) one real call of another tool whose
  // result the next turn sets aside.
  const bool wrong_relation = r.templates.reflection.rfind("wrong_relation", 0) == 0;
  // ambiguous_name: the first call uses the name as the user wrote it and gets the candidates.
  EXPECT_EQ(errors, r.templates.reflection.empty() || wrong_relation ? 0 : 1);
  if (wrong_relation) {
    std::vector<ExecutedCall> calls = CallsOf(r);
    ASSERT_GE(calls.size(), 2u);
    EXPECT_NE(calls[0].call.name, calls[1].call.name);
    EXPECT_EQ(calls[0].call.arguments, calls[1].call.arguments);
    EXPECT_NE(calls[0].observation, calls[1].observation);
  }
  EXPECT_EQ(last_observation, NamesJson(r.answers));
  size_t tool_messages = 0;
  for (const Message& m : r.messages) tool_messages += m.role == "tool" ? 1 : 0;
  EXPECT_EQ(tool_messages, ids.size());
  const Message& final = r.messages.back();
  EXPECT_EQ(final.role, "assistant");
  EXPECT_TRUE(final.tool_calls.empty());
  for (const std::string& a : r.answers) EXPECT_NE(final.content.find(a), std::string::npos);
}

}  // namespace kgf::synth::testing

#endif  // KGF_TESTS_SYNTH_RECORD_CHECKS_H_
