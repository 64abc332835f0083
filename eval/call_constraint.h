// Constrained decoding of tool calls (an option of `kgforge eval`): while the model writes
// <tool_call>{"name":"...","arguments":{...}}</tool_call>, the string it writes as the tool name
// may only spell one of the record's tools, and every string value inside "arguments" only a
// graph entity named in the dialogue so far (the question or an earlier result): arguments are
// copied, never invented. Tokens that would leave every allowed name get -inf logits. Keys,
// numbers, punctuation and text outside calls are not touched. It measures what the model
// chooses (which tool, which entity) apart from how well it spells long names, and is how
// serving stacks make function calls valid (grammar / schema-constrained generation); report
// it beside the unconstrained scores, never instead of them.
#ifndef KGF_EVAL_CALL_CONSTRAINT_H_
#define KGF_EVAL_CALL_CONSTRAINT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "corpus/tokenizer.h"

namespace kgf::eval {

class CallConstraint {
 public:
  // `entity_names`: every name an argument may hold. Builds the piece text of every token
  // (O(vocab)). REQUIRES: tokenizer outlives this object.
  CallConstraint(const corpus::Tokenizer& tokenizer, std::vector<std::string> entity_names);

  // The entity names that occur in `text` (the dialogue so far), sorted.
  std::vector<std::string> NamesIn(std::string_view text) const;

  // Edits logits (V) for the next token after `generated` (this turn's tokens so far), given
  // the record's tool names and the argument names allowed (NamesIn of the dialogue).
  void Apply(std::span<const int32_t> generated, const std::vector<std::string>& tool_names,
             const std::vector<std::string>& argument_names, std::span<float> logits) const;

  // Where the text of a call so far stands (exposed for tests): inside a string that is the
  // tool name, inside a string value under "arguments", or elsewhere; and the string so far.
  enum class Slot { kNone, kToolName, kArgument };
  static Slot Locate(std::string_view call_text, std::string* partial);

 private:
  const corpus::Tokenizer& tokenizer_;
  std::vector<std::string> pieces_;  // decoded text of each token id ("" for specials / bytes)
  std::vector<std::string> names_;   // sorted
};

}  // namespace kgf::eval

#endif  // KGF_EVAL_CALL_CONSTRAINT_H_
