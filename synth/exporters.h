// Exporters from the canonical record to the common tool-use training formats (SPEC §1), and
// importers back, so every exporter is tested by a round trip.
// - openai:   the canonical record itself (OpenAI chat + tools).
// - sharegpt: LLaMA-Factory ShareGPT: {"conversations":[{"from","value"}...],"system","tools"}
//             with human/observation at odd positions; function_call values are
//             {"name","arguments"} objects (a JSON array of them for parallel calls), an
//             observation of k parallel calls is a JSON array of k strings. Text said on a
//             tool-call turn (self-reflection) goes in "thoughts":[{"turn","content"}].
// - xlam:     APIGen xLAM: {"id","query","tools":"<json>","answers":"<json>"}, all calls of
//             the dialogue in order (single-turn format: observations are not carried).
// - hermes:   Hermes function calling: {"id","conversations":[{"from":"system"|"human"|"gpt"|
//             "tool","value"}],"tools":"<json>"}; tools in <tools></tools> in the system turn,
//             calls as <tool_call>{...}</tool_call>, results as <tool_response>{"name":...,
//             "content":<the result as JSON>}</tool_response> (a string only when the result
//             is not JSON; the importer takes both).
// Round trip: ImportRecord(ExportRecord(r, f), f) restores id, tools and messages exactly for
// sharegpt and hermes; for xlam it restores id, tools, the user question and the calls (one
// assistant turn). Thread-safe (pure functions).
#ifndef KGF_SYNTH_EXPORTERS_H_
#define KGF_SYNTH_EXPORTERS_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "synth/record.h"

namespace kgf::synth {

enum class ExportFormat : uint8_t { kOpenAi, kShareGpt, kXlam, kHermes };
Result<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ExportFormatName(ExportFormat f);

// One JSON object (no newline).
std::string ExportRecord(const Record& record, ExportFormat format);
// Parses one exported line. Errors name `where` and the field.
Result<Record> ImportRecord(std::string_view json, ExportFormat format, std::string_view where);

struct ExportOptions {
  std::string in_dir;   // a `kgforge synth` output directory (reads its shard-*.jsonl.zst)
  std::string out;      // output file; .zst suffix compresses
  std::string format = "sharegpt";
  std::string split;    // "" = all, else only records of this split
};
struct ExportSummary {
  uint64_t records = 0;
  uint64_t shards = 0;
};
// Converts every record of in_dir's shards (in shard order) into `out`, atomically.
Result<ExportSummary> ExportShards(const ExportOptions& options);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_EXPORTERS_H_
