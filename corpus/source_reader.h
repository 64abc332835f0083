// Reads the documents of one mix source into memory: plain-text lines, tool-use records, or
// knowledge-graph facts verbalised into sentences.
#ifndef KGF_CORPUS_SOURCE_READER_H_
#define KGF_CORPUS_SOURCE_READER_H_

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/line_reader.h"
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

// Streams the raw lines of one source, file by file, with ReadSource's per-line checks (blank
// line, invalid UTF-8, line too long): text lines as raw JSON (parse with TextOfLine), tool-use
// records as their JSON line, `where` = "file:line". Lets a caller overlap reading with work on
// earlier lines. Not thread-safe. Move-only.
//
//   KGF_ASSIGN_OR_RETURN(SourceLineReader reader, SourceLineReader::Open(source));
//   SourceDocument doc;
//   while (reader.Next(&doc)) Use(doc);
//   KGF_RETURN_IF_ERROR(reader.status());
class SourceLineReader {
 public:
  // Errors: the source's paths do not expand (mix_config.h). Files are opened as reached.
  static Result<SourceLineReader> Open(const SourceConfig& source);
  SourceLineReader(SourceLineReader&&) noexcept;
  SourceLineReader& operator=(SourceLineReader&&) noexcept;
  ~SourceLineReader();

  // The next line into *doc: true, or false at the end of the last file or at the first error
  // (then status() says which; NotFound for a file that cannot be opened, InvalidArgument
  // naming file:line otherwise). Nothing is read after an error.
  bool Next(SourceDocument* doc);
  const Status& status() const { return status_; }
  int64_t files() const { return files_; }  // files opened so far
  int64_t lines() const { return lines_; }  // lines returned so far

 private:
  SourceLineReader() = default;
  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;  // the open file, if any
  std::string line_;
  Status status_;
  int64_t files_ = 0, lines_ = 0;
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
