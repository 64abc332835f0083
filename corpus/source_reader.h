// Reads the documents of one mix source into memory: plain-text lines, tool-use records, or
// knowledge-graph facts verbalised into sentences.
#ifndef KGF_CORPUS_SOURCE_READER_H_
#define KGF_CORPUS_SOURCE_READER_H_

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "corpus/mix_config.h"

namespace kgf::corpus {

struct SourceDocument {
  // text: the document text. tool_use: the record's JSON line.
  std::string text;
  std::string where;  // "file:line" for error messages
};

struct SourceReadStats {
  int64_t files = 0;
  int64_t lines = 0;
  int64_t empty_skipped = 0;  // text lines whose `text` is empty
};

// Errors: NotFound (missing input), InvalidArgument naming file:line (a blank line, not JSON,
// no string `text`, invalid UTF-8).
// With defer_text_parsing, text lines are returned as raw JSON (text = the line) so callers can
// parse them in parallel with TextOfLine(); empty texts are then not counted here.
Result<std::vector<SourceDocument>> ReadSource(const SourceConfig& source, SourceReadStats* stats,
                                               bool defer_text_parsing = false);

// The `text` field of one raw text-source line. Errors as ReadSource, naming doc.where.
Result<std::string> TextOfLine(const SourceDocument& doc);

// The "split" of a tool-use record (synth/record.h): train, or valid / test (records about
// held-out anchor entities, for evaluation).
enum class RecordSplit { kTrain, kValid, kTest };
std::string_view RecordSplitName(RecordSplit split);  // "train", "valid", "test"

// A record without a "split" field is train (inputs older than the field).
// Errors: InvalidArgument "<where>: field 'split' ..." when the field is not one of the strings
// "train", "valid", "test".
Result<RecordSplit> SplitOfRecord(const JsonValue& record, std::string_view where);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_SOURCE_READER_H_
