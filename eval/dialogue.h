// What one agent did on one evaluation record: its turns (text and calls), what the graph
// returned for each call, and its final answer. Agents (eval/agents.h) produce it, scoring
// (eval/scoring.h) reads it, the transcript writes it.
#ifndef KGF_EVAL_DIALOGUE_H_
#define KGF_EVAL_DIALOGUE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace kgf::eval {

struct AgentCall {
  std::string name;       // as emitted ("" when the call could not be parsed)
  std::string arguments;  // compact JSON of the arguments object ("" when unparsable)
  std::string raw;        // the text between <tool_call> and </tool_call>
  bool parsed = false;    // a JSON object with a string "name" and an object "arguments"
};

struct AgentTurn {
  std::string text;               // assistant text of the turn (thoughts, or the final answer)
  std::vector<AgentCall> calls;   // empty: the turn is the final answer
  std::vector<int32_t> ids;       // the tokens the model generated (model agents only)
  bool out_of_context = false;    // the dialogue no longer fits the model: nothing generated
};

struct Dialogue {
  std::vector<AgentTurn> turns;
  std::vector<std::vector<std::string>> observations;  // per turn with calls, per call
  std::string final_text;
  int64_t generated_tokens = 0;
  std::string stop;  // "answer", "max_tokens" (a turn ran out), "max_turns", "context"
};

}  // namespace kgf::eval

#endif  // KGF_EVAL_DIALOGUE_H_
