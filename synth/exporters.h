// Exporters from the canonical record to the common tool-use training formats (SPEC §1), and
// importers back, so every exporter is tested by a round trip. The tool list reaches a trainer
// once: formats with a `tools` field that trainers render into the prompt write it only when
// the record's system prompt does not already list every tool (the importers then read the
// tools from the prompt).
// - openai:   the canonical record itself (OpenAI chat + tools).
// - sharegpt: LLaMA-Factory ShareGPT: {"id","conversations":[{"from","value"}...],"system",
//             "tools"} with human/observation at odd positions; function_call values are
//             {"name","arguments"} objects (a JSON array of them for parallel calls); text said
//             with the calls (self-reflection) comes first, the calls then inside
//             <tool_call></tool_call> (LLaMA-Factory keeps it as the turn's thought); the
//             results of k parallel calls are one observation joined by
//             "\n</tool_response>\n<tool_response>\n" (LLaMA-Factory's own convention).
//             `export` writes a dataset_info.json entry beside the file.
// - xlam:     APIGen xLAM (single-turn): {"id":<int>,"query","tools":"<json>","answers":
//             "<json>","source_id"}; tools in xLAM's flat {param:{"type":"str"|"List[str]"..,
//             "description"}} map. Only records whose calls all follow from the query alone
//             export: ExportSkipReason names why the others do not (dependent_calls,
//             failed_call, no_calls).
// - hermes:   Hermes function calling: {"id","conversations":[{"from":"system"|"human"|"gpt"|
//             "tool","value"}]}; tools in <tools></tools> in the system turn (appended when the
//             prompt does not list them), calls as <tool_call>{...}</tool_call>, results as
//             <tool_response>{"name":...,"content":<the result as JSON>}</tool_response>.
// - bailing:  Ling's chat roles as LLaMA-Factory's `bailing` template writes them:
//             {"id","text","tools"} with text "<role>SYSTEM</role>...<role>HUMAN</role>...
//             <role>ASSISTANT</role>...<role>OBSERVATION</role>...", calls and results in
//             <tool_call>/<tool_response> blocks, one per call.
// Round trip: ImportRecord(ExportRecord(r, f), f) restores id, tools and messages exactly for
// sharegpt, hermes and bailing; for xlam it restores id, the tools' names, descriptions and
// parameter types, the user question and the calls. Thread-safe (pure functions).
#ifndef KGF_SYNTH_EXPORTERS_H_
#define KGF_SYNTH_EXPORTERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "synth/record.h"

namespace kgf::synth {

enum class ExportFormat : uint8_t { kOpenAi, kShareGpt, kXlam, kHermes, kBailing };
Result<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ExportFormatName(ExportFormat f);

// Why `record` has no line in `format` ("dependent_calls", ...), or "" when it has one.
std::string_view ExportSkipReason(const Record& record, ExportFormat format);
// One JSON object (no newline). `index`: the record's position in the export (xLAM's id).
// REQUIRES: ExportSkipReason(record, format) is empty.
std::string ExportRecord(const Record& record, ExportFormat format, int64_t index = 0);
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
  std::map<std::string, uint64_t> skipped;  // by ExportSkipReason
  std::string dataset_info;                 // the LLaMA-Factory dataset_info.json written, if any
};
// Converts every record of in_dir's shards (in shard order) into `out`, atomically. For
// sharegpt and openai into an uncompressed file, adds (or replaces) the file's entry in the
// dataset_info.json beside it, named after the file without its extension.
Result<ExportSummary> ExportShards(const ExportOptions& options);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_EXPORTERS_H_
