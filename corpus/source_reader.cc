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

Result<SourceLineReader> SourceLineReader::Open(const SourceConfig& source) {
  SourceLineReader r;
  KGF_ASSIGN_OR_RETURN(r.paths_, ExpandSourcePaths(source));
  return r;
}

SourceLineReader::SourceLineReader(SourceLineReader&&) noexcept = default;
SourceLineReader& SourceLineReader::operator=(SourceLineReader&&) noexcept = default;
SourceLineReader::~SourceLineReader() = default;

bool SourceLineReader::Next(SourceDocument* doc) {
  if (!status_.ok()) return false;
  while (true) {
    if (reader_ == nullptr) {
      if (next_path_ == paths_.size()) return false;
      ++files_;
      auto opened = LineReader::Open(paths_[next_path_++], size_t{64} << 20);
      if (!opened.ok()) {
        status_ = opened.status();
        return false;
      }
      reader_ = std::move(opened).value();
    }
    LineReader& reader = *reader_;
    if (!reader.Next(&line_)) {
      status_ = reader.status();
      reader_.reset();
      if (!status_.ok()) return false;
      continue;
    }
    std::string where = reader.Where();
    if (line_.find_first_not_of(" \t\r") == std::string::npos) {
      // Every source is JSON Lines: a blank line is a malformed file, not an empty document.
      status_ = InvalidArgumentError(where + ": blank line; JSON Lines files hold one JSON "
                                             "object per line (remove the blank line)");
      return false;
    }
    if (!IsValidUtf8(line_)) {
      status_ = InvalidArgumentError(where + ": not valid UTF-8; re-encode the file as UTF-8");
      return false;
    }
    ++lines_;
    doc->text = std::move(line_);
    doc->where = std::move(where);
    line_.clear();
    return true;
  }
}

Result<std::vector<SourceDocument>> ReadSource(const SourceConfig& source, SourceReadStats* stats,
                                               bool defer_text_parsing) {
  std::vector<SourceDocument> docs;
  KGF_ASSIGN_OR_RETURN(SourceLineReader reader, SourceLineReader::Open(source));
  SourceDocument raw;
  while (reader.Next(&raw)) {
    if (source.kind == SourceKind::kToolUse || defer_text_parsing) {
      docs.push_back(std::move(raw));
      continue;
    }
    KGF_ASSIGN_OR_RETURN(std::string text, TextOfLine(raw));
    if (text.empty()) {
      ++stats->empty_skipped;
      continue;
    }
    docs.push_back({std::move(text), std::move(raw.where)});
  }
  stats->files += reader.files();
  stats->lines += reader.lines();
  KGF_RETURN_IF_ERROR(reader.status());
  return docs;
}

}  // namespace kgf::corpus
