// Terminal rendering of canonical records for reviewers (`kgforge synth show`): one dialogue
// per block, roles labelled, tool calls as name(arguments), observations abbreviated.
#ifndef KGF_SYNTH_RECORD_PRINTER_H_
#define KGF_SYNTH_RECORD_PRINTER_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "synth/record.h"

namespace kgf::synth {

struct ShowOptions {
  std::string in;          // a synth output directory or one .jsonl[.zst] file
  int limit = 2;           // records to show
  std::string pattern;     // "" = any
  std::string split;       // "" = any
  bool full_system = false;  // print the whole system prompt (default: its first line)
  bool color = false;        // ANSI colours (the CLI enables them on a TTY)
  // JSON Lines instead of text: one {"where", "record"} object per record (plus "dropped": the
  // reason, for lines of a `filter --rejected` file); nothing when no record matches.
  bool json = false;
};

// Human-readable text of one record.
std::string FormatRecord(const Record& record, bool full_system, bool color);

// Reads records from options.in (shards in order) and formats the first `limit` that match.
// Errors: NotFound for a missing input, InvalidArgument/DataLoss naming file:line for a bad
// record.
Result<std::string> ShowRecords(const ShowOptions& options);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_RECORD_PRINTER_H_
