// Source reading: JSONL (plain or zstd) through LineReader, one document per line.
#include "corpus/source_reader.h"

#include "base/json.h"
#include "base/line_reader.h"

namespace kgf::corpus {

Result<std::string> TextOfLine(const SourceDocument& line) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(line.text, line.where));
  if (!doc.IsObject()) {
    return InvalidArgumentError(line.where + ": each line must be a JSON object with a 'text' field");
  }
  return JsonGetString(doc, "text", line.where);
}

std::string_view RecordSplitName(RecordSplit split) {
  switch (split) {
    case RecordSplit::kTrain: return "train";
    case RecordSplit::kValid: return "valid";
    case RecordSplit::kTest: return "test";
  }
  return "?";
}

Result<RecordSplit> SplitOfRecord(const JsonValue& record, std::string_view where) {
  if (!record.IsObject()) return RecordSplit::kTrain;  // the chat template reports the shape
  auto it = record.FindMember("split");
  if (it == record.MemberEnd()) return RecordSplit::kTrain;
  if (it->value.IsString()) {
    const std::string_view v(it->value.GetString(), it->value.GetStringLength());
    if (v == "train") return RecordSplit::kTrain;
    if (v == "valid") return RecordSplit::kValid;
    if (v == "test") return RecordSplit::kTest;
  }
  std::string value = JsonToString(it->value);
  if (value.size() > 40) value = value.substr(0, 40) + "...";
  return InvalidArgumentError(std::string(where) + ": field 'split' is " + value +
                              ", not one of \"train\", \"valid\", \"test\" (omit it for train)");
}

Result<std::vector<SourceDocument>> ReadSource(const SourceConfig& source, SourceReadStats* stats,
                                               bool defer_text_parsing) {
  std::vector<SourceDocument> docs;
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandSourcePaths(source));
  for (const std::string& file : files) {
    ++stats->files;
    KGF_ASSIGN_OR_RETURN(auto reader, LineReader::Open(file, size_t{64} << 20));
    std::string line;
    while (reader->Next(&line)) {
      ++stats->lines;
      const std::string where = reader->Where();
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        // Every source is JSON Lines: a blank line is a malformed file, not an empty document.
        return InvalidArgumentError(where + ": blank line; JSON Lines files hold one JSON object "
                                            "per line (remove the blank line)");
      }
      if (!IsValidUtf8(line)) {
        return InvalidArgumentError(where + ": not valid UTF-8; re-encode the file as UTF-8");
      }
      if (source.kind == SourceKind::kToolUse || defer_text_parsing) {
        docs.push_back({std::move(line), where});
        continue;
      }
      SourceDocument raw{std::move(line), where};
      KGF_ASSIGN_OR_RETURN(std::string text, TextOfLine(raw));
      if (text.empty()) {
        ++stats->empty_skipped;
        continue;
      }
      docs.push_back({std::move(text), where});
    }
    KGF_RETURN_IF_ERROR(reader->status());
  }
  return docs;
}

}  // namespace kgf::corpus
