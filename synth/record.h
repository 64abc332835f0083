// Record: the canonical tool-use sample, one JSON object per line in .jsonl.zst shards.
// JSON shape (keys in this order):
//   {"id","kg":{"name","checksum"},"pattern","split",
//    "query":{"anchors":[{"key","name"}],"relations":[keys],"directions":["forward"|"inverse"],
//             "structure","program"},
//    "answers":[sorted display names],["outcome":"no_answer"|"empty_step"|"no_tool",]
//    "tools":[{"type":"function","function":{"name","description","parameters"}}],
//    "messages":[{"role":"system","content"},{"role":"user","content"},
//                {"role":"assistant","content":null|text,"tool_calls":[{"id","type":"function",
//                  "function":{"name","arguments":"<json string>"}}]},
//                {"role":"tool","tool_call_id","name","content"},...,
//                {"role":"assistant","content"}],
//    "template":{"system","question","answer","reflection"},"seed","index"}
// query.anchors, query.relations and query.directions are in the slot order of the pattern's
// program (synth/pattern.h), so pattern + anchors + relations + directions re-create the query.
// A record without "directions" (older shards) has every hop forward.
// "outcome" is written only for dialogues that end without answers (RecordOutcome): the graph
// has none (no_answer: the last call returns []), a step came back empty and the assistant
// stops (empty_step), or no listed tool covers the question and the assistant says so without
// calling (no_tool; its tools cover none of the query's relations). Their "answers" is [].
#ifndef KGF_SYNTH_RECORD_H_
#define KGF_SYNTH_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kgf::synth {

struct ToolCall {
  std::string id;         // "call_<turn>_<k>", unique inside the record
  std::string name;
  std::string arguments;  // JSON object serialised as a string (OpenAI shape)
  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

struct Message {
  std::string role;  // system | user | assistant | tool
  // Text; an assistant turn with tool_calls and empty content is written as null.
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant only
  std::string tool_call_id;          // tool only
  std::string name;                  // tool only: the tool that produced the content
  friend bool operator==(const Message&, const Message&) = default;
};

struct FunctionSpec {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema object, compact JSON text
  friend bool operator==(const FunctionSpec&, const FunctionSpec&) = default;
};

struct AnchorRef {
  std::string key;
  std::string name;
  friend bool operator==(const AnchorRef&, const AnchorRef&) = default;
};

struct TemplateIds {
  std::string system;      // e.g. "react.3.1.4.2"
  std::string question;    // e.g. "2i.3"
  std::string answer;      // e.g. "a.2"
  std::string reflection;  // "" or the error injected: "misspelled_entity", "wrong_tool", ...
  friend bool operator==(const TemplateIds&, const TemplateIds&) = default;
};

// How a dialogue ends. kAnswered is written as no "outcome" key.
enum class RecordOutcome : uint8_t { kAnswered = 0, kNoAnswer, kEmptyStep, kNoTool };
inline constexpr int kNumRecordOutcomes = 4;
std::string_view RecordOutcomeName(RecordOutcome o);  // "answered", "no_answer", ...
// The outcome named by a record's "outcome" field ("" = answered); InvalidArgument otherwise.
Result<RecordOutcome> ParseRecordOutcome(std::string_view name, std::string_view where);

struct Record {
  std::string id;
  std::string kg_name;
  std::string kg_checksum;
  std::string pattern;    // "2in"
  std::string split;      // train | valid | test
  std::vector<AnchorRef> anchors;
  std::vector<std::string> relations;  // relation keys
  std::vector<uint8_t> inverse;        // per relation slot: 1 = the hop runs backwards
  std::string structure;  // BetaE structure of the pattern
  std::string program;    // slot program of the pattern, e.g. "n(p0(a0),p1(a1))"
  std::vector<std::string> answers;
  std::string outcome;  // "" (answered) or a RecordOutcomeName other than "answered"
  std::vector<FunctionSpec> tools;
  std::vector<Message> messages;
  TemplateIds templates;
  uint64_t seed = 0;
  uint64_t index = 0;  // item index inside the run: (seed, index) reproduces the record
  friend bool operator==(const Record&, const Record&) = default;
};

// Appends the record's compact JSON (no trailing newline) to *out.
void AppendRecordJson(const Record& record, std::string* out);
std::string RecordToJson(const Record& record);
// Parses one record. Errors name `where` (e.g. "shard-00003.jsonl.zst:17") and the field.
Result<Record> RecordFromJson(std::string_view json, std::string_view where);

// The assistant/tool call sequence of a record, for verification: every assistant tool call
// paired with the content of the tool message that answers it.
struct ExecutedCall {
  ToolCall call;
  std::string observation;
};
std::vector<ExecutedCall> CallsOf(const Record& record);

// The call turn (1-based, counting assistant messages with calls) holding the deliberate wrong
// call of a self-reflection record, from template.reflection ("wrong_relation.1" -> 1,
// "wrong_set_op.0@3" -> 3); 0 when the record has none. The call that resolves an ambiguous
// name (ambiguous_name) is part of the program, not a mistake: 0.
int MistakeTurn(const Record& record);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_RECORD_H_
