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

// Evaluates the record's query (pattern program + anchor/relation keys) by scanning all triples.
inline std::set<std::string> NaiveAnswers(const kg::Graph& g, const Record& r) {
  std::vector<kg::Triple> triples = g.AllTriples();
  std::function<std::set<uint32_t>(std::string_view, size_t*)> eval =
      [&](std::string_view s, size_t* pos) -> std::set<uint32_t> {
    char c = s[(*pos)++];
    if (c == 'a') {
      int slot = s[(*pos)++] - '0';
      return {g.FindEntityByKey(r.anchors[slot].key)->value()};
    }
    int slot = c == 'p' ? s[(*pos)++] - '0' : -1;
    ++*pos;  // '('
    std::vector<std::set<uint32_t>> kids;
    while (true) {
      kids.push_back(eval(s, pos));
      if (s[(*pos)++] == ')') break;
    }
    std::set<uint32_t> out;
    if (c == 'p') {
      uint32_t rel = g.FindRelationByKey(r.relations[slot])->value();
      for (const kg::Triple& t : triples) {
        if (t.relation.value() == rel && kids[0].count(t.head.value())) out.insert(t.tail.value());
      }
    } else if (c == 'u') {
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
    return out;
  };
  size_t pos = 0;
  std::set<std::string> names;
  for (uint32_t id : eval(r.program, &pos)) names.insert(g.entity(kg::EntityId(id)).name);
  return names;
}

inline void ExpectRecordVerifies(const kg::Graph& g, const ToolCatalog& catalog, const Record& r) {
  SCOPED_TRACE(r.id + " " + r.pattern);
  Executor exec(g, catalog);
  // Answers: sorted, equal to the naive evaluation.
  EXPECT_TRUE(std::is_sorted(r.answers.begin(), r.answers.end()));
  std::set<std::string> naive = NaiveAnswers(g, r);
  EXPECT_EQ(std::vector<std::string>(naive.begin(), naive.end()), r.answers);
  ASSERT_GE(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[0].role, "system");
  ASSERT_EQ(r.messages[1].role, "user");
  const std::string& question = r.messages[1].content;
  for (const AnchorRef& a : r.anchors) {
    EXPECT_NE(question.find(a.name), std::string::npos) << "anchor missing: " << a.name;
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
  EXPECT_EQ(errors, r.templates.reflection.empty() ? 0 : 1);
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
