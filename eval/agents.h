// The players of an evaluation, one assistant turn at a time:
//   ModelAgent: a trained checkpoint, prompted with the same chat template as training (system
//     prompt + tool list + question), greedy decoding until it closes a turn of calls (the
//     <tool_result> it was trained to emit) or ends its answer (<|end_of_text|>);
//   GoldAgent: replays the record's gold program and final answer (a self-check: it must score
//     100% on every metric);
//   FirstCallBaseline: always the most frequent first call of the gold programs, on the first
//     anchor, then answers with its result (what the scores mean next to a trivial policy).
// Agents hold per-dialogue state (a prompt cache): one agent per thread.
#ifndef KGF_EVAL_AGENTS_H_
#define KGF_EVAL_AGENTS_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "corpus/chat_template.h"
#include "corpus/tokenizer.h"
#include "eval/call_constraint.h"
#include "eval/dialogue.h"
#include "synth/record.h"
#include "trainer/train/inference.h"

namespace kgf::eval {

class Agent {
 public:
  virtual ~Agent() = default;
  // The next assistant turn, given the record (system prompt, tools, question) and the dialogue
  // so far: its turns and the observations of their calls, in order.
  virtual Result<AgentTurn> Next(const synth::Record& record, const Dialogue& so_far) = 0;
};

class GoldAgent final : public Agent {
 public:
  Result<AgentTurn> Next(const synth::Record& record, const Dialogue& so_far) override;
};

class FirstCallBaseline final : public Agent {
 public:
  // `tool` and its single string `parameter`.
  FirstCallBaseline(std::string tool, std::string parameter)
      : tool_(std::move(tool)), parameter_(std::move(parameter)) {}
  Result<AgentTurn> Next(const synth::Record& record, const Dialogue& so_far) override;

 private:
  std::string tool_, parameter_;
};

struct ModelAgentOptions {
  int max_new_tokens = 192;  // per turn
  corpus::ChatTemplateOptions chat;
  // Non-empty: constrained decoding of calls (eval/call_constraint.h): tool names from the
  // record's tools, argument strings from these entity names.
  std::vector<std::string> constrain_to_entities;
};

class ModelAgent final : public Agent {
 public:
  // Errors: those of LoadModelFromCheckpoint and Tokenizer::Load; FailedPrecondition when the
  // tokenizer has more tokens than the model's vocabulary.
  static Result<std::unique_ptr<ModelAgent>> Create(const std::string& checkpoint,
                                                    const std::string& tokenizer,
                                                    ModelAgentOptions options);
  Result<AgentTurn> Next(const synth::Record& record, const Dialogue& so_far) override;
  int context_length() const;

  // The prompt tokens of a record: the chat template over its system message, tools and
  // question, then <|assistant|>. Exposed for tests.
  Result<std::vector<int32_t>> Prompt(const synth::Record& record) const;
  // What the model reads before its next turn: Prompt(record), then every earlier turn's
  // generated tokens and its calls' observations, laid out as the chat template lays out a
  // training record. Exposed for tests.
  Result<std::vector<int32_t>> Context(const synth::Record& record, const Dialogue& so_far);
  // Splits generated tokens into text and <tool_call>...</tool_call> calls.
  AgentTurn ParseTurn(std::vector<int32_t> ids) const;

 private:
  ModelAgent(trainer::LoadedModel model, corpus::Tokenizer tokenizer, ModelAgentOptions options)
      : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(std::move(options)) {}
  trainer::LoadedModel model_;
  corpus::Tokenizer tokenizer_;
  ModelAgentOptions options_;
  std::unique_ptr<CallConstraint> constraint_;  // when constrain_to_entities is non-empty
  std::string cached_id_;
  std::vector<int32_t> cached_prompt_;
};

// Parses the text of one call, {"name": ..., "arguments": {...}}.
AgentCall ParseCall(std::string_view raw);

// True when one of the tools takes result references ("#k"): its schema offers them (set tools
// of synth --set-arguments refs, relation tools of --hop-arguments refs). Constrained decoding
// then allows "#1".."#n" as argument values.
bool TakesResultReferences(std::span<const synth::FunctionSpec> tools);

}  // namespace kgf::eval

#endif  // KGF_EVAL_AGENTS_H_
