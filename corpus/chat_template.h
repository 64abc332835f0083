// Chat template: renders a canonical tool-use record (OpenAI chat shape, SPEC §1 "Output
// formats"; synth/record.h) into segments of text and special tokens, then tokens plus a
// per-token loss mask. Layout of one sample:
//   <|begin_of_text|>
//   <|system|>{system content}[\n\n# Tools\n{one function JSON per line}]
//   <|user|>{content}
//   <|assistant|>{content}<tool_call>{"name":..,"arguments":{..}}</tool_call>...
//   <tool_result>{tool content}</tool_result>
//   ... <|end_of_text|>
// Mask (what the model learns to produce): assistant content, tool calls with their
// <tool_call>..</tool_call> tokens, and the closing <|end_of_text|> after a final assistant
// turn are 1; begin, role tokens, system, user and tool results are 0. A call whose tool result
// is an error object ({"error": ...}, the self-reflection samples of Ling §4.4) is 0 by default:
// the model learns the correction, never the mistake.
// Special tokens come from the layout, and from operator-written text: a system prompt or
// tool list that names "<tool_call></tool_call>" holds those tokens, as a Hugging Face tokenizer
// would read it. User, assistant and tool text holding a special token's text is refused, so
// every document decodes and re-encodes (Hugging Face's way) to the same ids.
#ifndef KGF_CORPUS_CHAT_TEMPLATE_H_
#define KGF_CORPUS_CHAT_TEMPLATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "corpus/tokenizer.h"

namespace kgf::corpus {

struct ChatTemplateOptions {
  // The tool list is always in the context, once: appended to the system turn unless the
  // system text already lists every tool (synth's ReAct / Hermes / Qwen prompts do; OpenAI-style
  // prompts leave it to the request's `tools` field). true appends it even then.
  bool always_render_tools = false;
  // Train on tool calls whose result is an error object.
  bool train_on_failed_calls = false;
  // Short contexts for small models: the system turn is one fixed instruction plus one line
  // per tool, `name(param, ...): description` (instead of the record's system prompt and the
  // tools' JSON schemas).
  bool compact_prompts = false;
};

struct ChatSegment {
  std::string text;      // literal text; empty for a special token
  int special = -1;      // a Special value, or -1 for text
  bool trained = false;  // loss mask of every token of the segment
};

struct RenderedChat {
  std::vector<ChatSegment> segments;
  // Text with the special tokens spelled out ("<|user|>").
  std::string Text() const;
  // Text without special tokens, messages separated by newlines (tokenizer training input).
  std::string PlainText() const;
  // Text with trained spans wrapped: ANSI green when `color`, else between "⟦" and "⟧".
  std::string Highlighted(bool color) const;
};

// Renders one record. Errors (InvalidArgument, prefixed by `where`, naming the field path such as
// "messages[3].tool_calls[0].function.arguments"): no messages, unknown role, a non-string
// content, arguments that are not a JSON string holding an object, a tool message first, a
// special token's text outside the system turn.
Result<RenderedChat> RenderChat(const JsonValue& record, const ChatTemplateOptions& options,
                                std::string_view where);
Result<RenderedChat> RenderChatJson(std::string_view json, const ChatTemplateOptions& options,
                                    std::string_view where);

// The chat template as Jinja source for a Hugging Face tokenizer_config.json `chat_template`
// (transformers renders it with trim_blocks, lstrip_blocks and a `tojson` taking separators).
// For a record in the OpenAI chat shape, messages + tools, it renders exactly
// RenderChat(record, options).Text() (tests/peer/check_hf_export.py checks it with jinja2
// against a corpus's shards); with add_generation_prompt it ends in <|assistant|> instead of
// <|end_of_text|>. Tool-call arguments may be a JSON string (as in our records) or a mapping.
std::string HfChatTemplate(const ChatTemplateOptions& options);

struct TokenizedSample {
  std::vector<int32_t> tokens;  // (N)
  std::vector<uint8_t> mask;    // (N) 1 = trained
  int64_t trained_tokens() const;
};

// Encodes each text segment separately (the tokenizer has no dummy prefix, so the
// concatenation decodes back to Text()) and inserts special ids directly.
Result<TokenizedSample> TokenizeChat(const RenderedChat& chat, const Tokenizer& tokenizer);

// Keeps the first max_tokens tokens. Returns false when the result has no trained token: the
// caller drops the sample and counts it (a sample that teaches nothing).
// REQUIRES: max_tokens > 0.
bool TruncateSample(TokenizedSample* sample, int64_t max_tokens);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_CHAT_TEMPLATE_H_
