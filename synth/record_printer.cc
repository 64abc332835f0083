// Pretty-printer for reviewers.
#include "synth/record_printer.h"

#include <map>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "synth/pattern.h"

namespace kgf::synth {
namespace {

std::string Paint(const std::string& s, const char* code, bool color) {
  return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
}

std::string Abbrev(const std::string& s, size_t max) {
  return s.size() <= max ? s : s.substr(0, max) + "... (" + std::to_string(s.size()) + " chars)";
}

// The query's program with its slots filled: "n(official_language(Somalia),
// official_language^-1(French))".
std::string QueryLine(const Record& r) {
  std::string out;
  const std::string& p = r.program;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    const bool slot = (c == 'a' || c == 'p') && i + 1 < p.size() && p[i + 1] >= '0' && p[i + 1] <= '9';
    if (!slot) {
      out += c;
      continue;
    }
    const size_t k = static_cast<size_t>(p[++i] - '0');
    if (c == 'a') {
      out += k < r.anchors.size() ? r.anchors[k].name : "?";
    } else {
      out += k < r.relations.size() ? r.relations[k] : "?";
      if (k < r.inverse.size() && r.inverse[k]) out += "^-1";
    }
  }
  return out;
}

}  // namespace

std::string FormatRecord(const Record& r, bool full_system, bool color) {
  std::string out;
  out += Paint("== " + r.id + "  pattern " + r.pattern + " " + r.structure + "  split " + r.split +
                   "  kg " + r.kg_name,
               "1", color);
  out += "\n   templates: system " + r.templates.system + ", question " + r.templates.question +
         ", answer " + r.templates.answer;
  if (!r.templates.reflection.empty()) out += ", reflection " + r.templates.reflection;
  out += "\n   query: " + QueryLine(r);
  out += "\n   tools (" + std::to_string(r.tools.size()) + "):";
  for (const FunctionSpec& f : r.tools) out += " " + f.name;
  out += "\n";
  // Each result shows its number, the "#k" a later set call may name it by (calls in order).
  std::map<std::string, size_t> number;
  for (const Message& m : r.messages) {
    for (const ToolCall& c : m.tool_calls) number.emplace(c.id, number.size() + 1);
  }
  for (const Message& m : r.messages) {
    if (m.role == "system") {
      std::string text = m.content;
      if (!full_system) {
        size_t nl = text.find('\n');
        if (nl != std::string::npos) text = text.substr(0, nl) + " [...]";
      }
      out += Paint("system", "2", color) + "     " + text + "\n";
    } else if (m.role == "user") {
      out += Paint("user", "1;34", color) + "       " + m.content + "\n";
    } else if (m.role == "assistant") {
      if (!m.content.empty()) out += Paint("assistant", "1;32", color) + "  " + m.content + "\n";
      for (const ToolCall& c : m.tool_calls) {
        out += Paint("  call", "33", color) + "     [" + c.id + "] " + c.name + "(" + c.arguments + ")\n";
      }
    } else {
      auto k = number.find(m.tool_call_id);
      const std::string ref = k == number.end() ? "" : "#" + std::to_string(k->second) + " ";
      out += Paint("  result", "36", color) + "   " + ref + "[" + m.tool_call_id + "] " +
             Abbrev(m.content, 200) + "\n";
    }
  }
  out += "   answers: ";
  for (size_t i = 0; i < r.answers.size(); ++i) out += (i ? ", " : "") + r.answers[i];
  out += "\n";
  return out;
}

Result<std::string> ShowRecords(const ShowOptions& o) {
  if (o.in.empty()) return InvalidArgumentError("show: pass --in DIR or --in FILE.jsonl.zst");
  const std::string pattern = o.pattern == "all" ? "" : o.pattern;
  if (!pattern.empty() && !ParsePattern(pattern).ok()) {
    return InvalidArgumentError("show: --pattern '" + pattern + "' is not a pattern; use one of " +
                                ValidNames() + ", or all");
  }
  if (!o.split.empty() && o.split != "train" && o.split != "valid" && o.split != "test") {
    return InvalidArgumentError("show: --split '" + o.split + "' is not a split; use train, valid or test");
  }
  if (o.limit < 0) return InvalidArgumentError("show: --limit must be >= 0");
  std::vector<std::string> files;
  if (IsDirectory(o.in)) {
    KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(o.in));
    for (const std::string& n : names) {
      if (StartsWith(n, "shard-") && EndsWith(n, ".jsonl.zst")) files.push_back(JoinPath(o.in, n));
    }
    if (files.empty()) {
      return NotFoundError("show: no shard-*.jsonl.zst in " + o.in +
                           "; point --in at a `kgforge synth` output directory");
    }
  } else if (FileExists(o.in)) {
    files.push_back(o.in);
  } else {
    return NotFoundError("show: " + o.in + " does not exist");
  }
  std::string out;
  int shown = 0;
  for (const std::string& f : files) {
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> in, LineReader::Open(f, 64 << 20));
    std::string line;
    while (shown < o.limit && in->Next(&line)) {
      // `filter --rejected` lines wrap the record with why it was dropped.
      std::string reason;
      KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(line, in->Where()));
      if (doc.IsObject() && doc.HasMember("filter") && doc.HasMember("reason")) {
        auto rec = doc.FindMember("record");
        if (rec == doc.MemberEnd() || !rec->value.IsObject()) continue;  // a bad input line
        if (doc["reason"].IsString()) reason = doc["reason"].GetString();
        line = JsonToString(rec->value);
      }
      KGF_ASSIGN_OR_RETURN(Record r, RecordFromJson(line, in->Where()));
      if (!pattern.empty() && r.pattern != pattern) continue;
      if (!o.split.empty() && r.split != o.split) continue;
      if (o.json) {
        out += "{\"where\":" + JsonQuote(in->Where());
        if (!reason.empty()) out += ",\"dropped\":" + JsonQuote(reason);
        out += ",\"record\":" + RecordToJson(r) + "}\n";
        ++shown;
        continue;
      }
      if (shown > 0) out += "\n";
      out += FormatRecord(r, o.full_system, o.color);
      if (!reason.empty()) out += "   dropped: " + reason + "\n";
      ++shown;
    }
    KGF_RETURN_IF_ERROR(in->status());
    if (shown >= o.limit) break;
  }
  if (shown == 0 && !o.json) out += "(no matching records)\n";
  return out;
}

}  // namespace kgf::synth
