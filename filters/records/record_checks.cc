// Tool-use record checks (format, semantic); see record_checks.h.
#include "filters/records/record_checks.h"

#include <set>
#include <unordered_map>

#include "filters/json_schema.h"
#include "filters/text/text_util.h"
#include "synth/executor.h"

namespace kgf::filters {

namespace {

bool IsErrorObservation(std::string_view observation) {
  return observation.starts_with("{\"error\"");
}

const std::string* Question(const synth::Record& r) {
  for (const auto& m : r.messages) {
    if (m.role == "user") return &m.content;
  }
  return nullptr;
}

}  // namespace

Verdict RecordFormatFilter::Apply(Sample& sample) const {
  Result<const synth::Record*> parsed = RecordOf(sample);
  if (!parsed.ok()) return Verdict::Drop("parse", parsed.status().message());
  const synth::Record& r = **parsed;
  const auto& msgs = r.messages;
  if (msgs.size() < 3 || msgs[0].role != "system" || msgs[1].role != "user") {
    return Verdict::Drop("role_order", "messages must start with system, user");
  }
  const bool reflection = !r.templates.reflection.empty();
  std::unordered_map<std::string, const synth::FunctionSpec*> tools;
  for (const auto& t : r.tools) tools.emplace(t.name, &t);
  std::set<std::string> call_ids;
  size_t i = 2;
  while (i < msgs.size()) {
    const synth::Message& m = msgs[i];
    if (m.role != "assistant") {
      return Verdict::Drop("role_order", "message " + std::to_string(i) + " is '" + m.role +
                                             "' where an assistant turn is expected");
    }
    if (m.tool_calls.empty()) {
      if (i + 1 != msgs.size()) {
        return Verdict::Drop("role_order", "assistant message " + std::to_string(i) +
                                               " without calls is not the last message");
      }
      if (m.content.empty()) return Verdict::Drop("no_final_answer", "final answer is empty");
      return Verdict::Keep();
    }
    for (size_t k = 0; k < m.tool_calls.size(); ++k) {
      const synth::ToolCall& call = m.tool_calls[k];
      if (!call_ids.insert(call.id).second) {
        return Verdict::Drop("duplicate_call_id", "call id '" + call.id + "' repeats");
      }
      size_t j = i + 1 + k;
      if (j >= msgs.size() || msgs[j].role != "tool" || msgs[j].tool_call_id != call.id) {
        return Verdict::Drop("unanswered_call", "call '" + call.id +
                                                    "' is not answered by the next tool message");
      }
      bool exempt = reflection && IsErrorObservation(msgs[j].content);
      auto tool = tools.find(call.name);
      if (tool == tools.end()) {
        if (exempt) continue;
        return Verdict::Drop("unknown_tool", "call '" + call.id + "' names unlisted tool '" +
                                                 call.name + "'");
      }
      Result<JsonDoc> args = ParseJson(call.arguments, "arguments of call " + call.id);
      if (!args.ok() || !args->IsObject()) {
        if (exempt) continue;
        return Verdict::Drop("bad_arguments", "arguments of call '" + call.id +
                                                  "' are not a JSON object");
      }
      Result<JsonDoc> schema = ParseJson(tool->second->parameters, "parameters of " + call.name);
      if (!schema.ok()) {
        return Verdict::Drop("schema", "tool '" + call.name + "' has an invalid schema");
      }
      std::string violation = ValidateJsonSchema(*schema, *args);
      if (!violation.empty() && !exempt) {
        return Verdict::Drop("schema", "call '" + call.id + "' to " + call.name + ": " +
                                           violation);
      }
    }
    i += 1 + m.tool_calls.size();
  }
  return Verdict::Drop("no_final_answer", "the dialogue ends without a final assistant answer");
}

Status RecordSemanticOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Int("min_question_chars", &min_question_chars, 0, 1LL << 30));
  KGF_RETURN_IF_ERROR(r.Int("max_question_chars", &max_question_chars, 0, 1LL << 30));
  KGF_RETURN_IF_ERROR(r.Int("max_calls", &max_calls, 0, 1LL << 30));
  KGF_RETURN_IF_ERROR(r.StringList("intersection_words", &intersection_words));
  KGF_RETURN_IF_ERROR(r.StringList("union_words", &union_words));
  KGF_RETURN_IF_ERROR(r.StringList("negation_words", &negation_words));
  if (min_question_chars > max_question_chars) {
    return InvalidArgumentError(r.where() +
                                ": 'min_question_chars' must not exceed 'max_question_chars'");
  }
  return Status::Ok();
}

Verdict RecordSemanticFilter::Apply(Sample& sample) const {
  const RecordSemanticOptions& o = options_;
  Result<const synth::Record*> parsed = RecordOf(sample);
  if (!parsed.ok()) return Verdict::Drop("parse", parsed.status().message());
  const synth::Record& r = **parsed;
  const std::string* q = Question(r);
  if (q == nullptr) return Verdict::Drop("question_length", "record has no user question");
  int64_t qlen = static_cast<int64_t>(q->size());
  if (qlen < o.min_question_chars || qlen > o.max_question_chars) {
    return Verdict::Drop("question_length", "question has " + std::to_string(qlen) +
                                                " chars, outside [" +
                                                std::to_string(o.min_question_chars) + ", " +
                                                std::to_string(o.max_question_chars) + "]");
  }
  for (const auto& a : r.anchors) {
    // An anchor may be named without its disambiguating suffix ("Georgia" for
    // "Georgia (country)") when the dialogue resolves it (ambiguous_name).
    const bool resolved_in_dialogue = r.templates.reflection.rfind("ambiguous_name", 0) == 0;
    if (!ContainsWords(*q, a.name) &&
        !(resolved_in_dialogue && ContainsWords(*q, synth::BaseName(a.name)))) {
      return Verdict::Drop("anchor_missing", "anchor '" + a.name + "' is not named in the question");
    }
  }
  std::vector<std::string> anchor_names;
  for (const auto& a : r.anchors) anchor_names.push_back(a.name);
  for (const auto& ans : r.answers) {
    if (synth::AnswerLeaks(*q, ans, anchor_names)) {
      return Verdict::Drop("answer_leaked", "answer '" + ans + "' appears in the question");
    }
  }
  auto need = [&](char op, const std::vector<std::string>& words, const char* what) -> bool {
    std::string marker = std::string(1, op) + "(";
    if (r.program.find(marker) == std::string::npos || words.empty()) return true;
    for (const auto& w : words) {
      if (ContainsWords(*q, w)) return true;
    }
    (void)what;
    return false;
  };
  if (!need('i', o.intersection_words, "intersection")) {
    return Verdict::Drop("operator_missing", "pattern " + r.pattern +
                                                 " intersects but the question has no '" +
                                                 o.intersection_words[0] + "'");
  }
  if (!need('u', o.union_words, "union")) {
    return Verdict::Drop("operator_missing", "pattern " + r.pattern +
                                                 " unites but the question has no '" +
                                                 o.union_words[0] + "'");
  }
  if (!need('n', o.negation_words, "negation")) {
    return Verdict::Drop("operator_missing", "pattern " + r.pattern +
                                                 " negates but the question has no '" +
                                                 o.negation_words[0] + "'");
  }
  std::vector<synth::ExecutedCall> calls = synth::CallsOf(r);
  if (static_cast<int64_t>(calls.size()) > o.max_calls) {
    return Verdict::Drop("too_many_calls", std::to_string(calls.size()) + " calls > " +
                                               std::to_string(o.max_calls));
  }
  // Empty results are allowed from the deliberate wrong call of a self-reflection record, and
  // in the last call turn of a dialogue that ends without answers (no_answer, empty_step).
  const bool no_tool = r.outcome == "no_tool";
  const bool stops_empty = !r.outcome.empty() && !no_tool;
  if (no_tool && !calls.empty()) {
    return Verdict::Drop("no_tool_called", "a no_tool dialogue makes " +
                                               std::to_string(calls.size()) + " calls");
  }
  const int mistake_turn = synth::MistakeTurn(r);
  int call_turns = 0;
  for (const auto& m : r.messages) call_turns += m.role == "assistant" && !m.tool_calls.empty();
  if (stops_empty && call_turns == 0) {
    return Verdict::Drop("empty_answer", "a " + r.outcome + " dialogue makes no call");
  }
  // CallsOf lists the calls in message order: walk them turn by turn.
  int turn = 0;
  size_t next = 0;
  bool last_turn_empty = false;
  for (const auto& m : r.messages) {
    if (m.role != "assistant" || m.tool_calls.empty()) continue;
    ++turn;
    for (size_t k = 0; k < m.tool_calls.size() && next < calls.size(); ++k, ++next) {
      const synth::ExecutedCall& c = calls[next];
      if (c.observation != "[]" || turn == mistake_turn) continue;
      if (stops_empty && turn == call_turns) {
        last_turn_empty = true;
        continue;
      }
      return Verdict::Drop("empty_intermediate", "call '" + c.call.id + "' to " + c.call.name +
                                                     " returned an empty list");
    }
  }
  if (stops_empty && !last_turn_empty) {
    return Verdict::Drop("empty_answer", "a " + r.outcome +
                                             " dialogue's last calls return no empty list");
  }
  if (r.answers.empty() && r.outcome.empty()) {
    return Verdict::Drop("empty_answer", "the answer set is empty");
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
