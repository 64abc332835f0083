// Loading and selecting review items (review_items.h).
#include "review/review_items.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/rng.h"
#include "synth/pattern.h"

namespace kgf::review {
namespace {

// A filter report: the checks in pipeline order (name and type) and the data files it wrote,
// resolved to where they lie now.
struct Report {
  std::vector<std::string> checks;
  std::map<std::string, std::string> types;  // check name -> filter type
  std::vector<std::string> outputs;          // kept and rejected .jsonl[.zst] files
};

}  // namespace

Result<std::string> ResolveReportOutput(const std::string& report_dir,
                                        const std::string& listed_report,
                                        const std::string& listed) {
  namespace fs = std::filesystem;
  const fs::path out(listed);
  const fs::path base = fs::path(listed_report).parent_path();
  // The output's place relative to the report, as the writing run saw both.
  fs::path rel = out;
  if (!base.empty() || out.is_absolute()) rel = out.lexically_relative(base);
  std::vector<std::string> tried;
  if (!rel.empty() && !rel.is_absolute()) {
    const std::string here =
        (fs::path(report_dir.empty() ? "." : report_dir) / rel).lexically_normal().string();
    if (FileExists(here)) return here;
    tried.push_back(here);
  }
  if (std::find(tried.begin(), tried.end(), listed) == tried.end()) {
    if (FileExists(listed)) return listed;
    tried.push_back(listed);
  }
  std::string where;
  for (const std::string& t : tried) where += (where.empty() ? "" : " nor ") + t;
  return NotFoundError(listed + ": listed in " + JoinPath(report_dir, "filter_report.json") +
                       " but missing (looked for " + where +
                       "); keep the kept and rejected folders side by side as the filter wrote "
                       "them, or rerun the filter");
}

namespace {

Result<Report> ReadReport(const std::string& dir) {
  const std::string path = JoinPath(dir, "filter_report.json");
  KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, path));
  Report r;
  KGF_ASSIGN_OR_RETURN(const JsonValue* filters, JsonGetArray(doc, "filters", path));
  for (const JsonValue& f : filters->GetArray()) {
    KGF_ASSIGN_OR_RETURN(std::string name, JsonGetString(f, "name", path + ": filters[]"));
    KGF_ASSIGN_OR_RETURN(r.types[name], JsonGetString(f, "type", path + ": filters[]"));
    r.checks.push_back(std::move(name));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* outputs, JsonGetArray(doc, "outputs", path));
  std::vector<std::string> listed;
  std::string listed_report;  // the report's own entry: how the writing run named its folder
  for (const JsonValue& o : outputs->GetArray()) {
    if (!o.IsString()) continue;
    listed.push_back(o.GetString());
    if (Basename(listed.back()) == "filter_report.json") listed_report = listed.back();
  }
  for (const std::string& out : listed) {
    if (!(EndsWith(out, ".jsonl") || EndsWith(out, ".jsonl.zst"))) continue;
    KGF_ASSIGN_OR_RETURN(std::string resolved, ResolveReportOutput(dir, listed_report, out));
    r.outputs.push_back(std::move(resolved));
  }
  return r;
}

// Appends the items of one file. Kept lines are records; rejected lines wrap one.
Status ReadFile(const std::string& path, const Report& report, std::vector<ReviewItem>* items) {
  const std::vector<std::string>& checks = report.checks;
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> in, LineReader::Open(path, 64 << 20));
  std::string line;
  while (in->Next(&line)) {
    if (line.empty()) continue;
    KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(line, in->Where()));
    ReviewItem item;
    item.where = in->Where();
    const JsonValue* record = &doc;
    if (doc.IsObject() && doc.HasMember("filter") && doc.HasMember("reason")) {
      auto rec = doc.FindMember("record");
      if (rec == doc.MemberEnd() || !rec->value.IsObject()) continue;  // a bad input line
      record = &rec->value;
      item.automatic = "rejected";
      KGF_ASSIGN_OR_RETURN(std::string filter, JsonGetString(doc, "filter", in->Where()));
      KGF_ASSIGN_OR_RETURN(item.reason, JsonGetString(doc, "reason", in->Where()));
      std::string detail;
      if (auto d = doc.FindMember("detail"); d != doc.MemberEnd() && d->value.IsString()) {
        detail = d->value.GetString();
      }
      if (auto w = doc.FindMember("where"); w != doc.MemberEnd() && w->value.IsString()) {
        item.where = w->value.GetString();
      }
      for (const std::string& c : checks) {
        if (c == filter) {
          item.trail.push_back({c, false, item.reason, detail});
          break;
        }
        item.trail.push_back({c, true, "", ""});
      }
      // A reviewer's own earlier reject is no verdict of the automatic checks: they kept it
      // when the review step came after every check, and never saw it otherwise ("unchecked",
      // outside the agreement counts).
      if (auto t = report.types.find(filter);
          t != report.types.end() && t->second == "review_decisions") {
        const bool last = !checks.empty() && checks.back() == filter;
        item.automatic = last ? "kept" : "unchecked";
        item.dropped_by_review = true;
      }
    } else {
      item.automatic = checks.empty() ? "unfiltered" : "kept";
      for (const std::string& c : checks) item.trail.push_back({c, true, "", ""});
    }
    KGF_ASSIGN_OR_RETURN(item.record, synth::RecordFromJson(JsonToString(*record), item.where));
    items->push_back(std::move(item));
  }
  return in->status();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool Matches(const ReviewItem& item, const Selection& s) {
  const synth::Record& r = item.record;
  if (!s.pattern.empty() && r.pattern != s.pattern) return false;
  if (!s.split.empty() && r.split != s.split) return false;
  if (!s.reason.empty() && item.reason.rfind(s.reason, 0) != 0) return false;
  if (!s.tool.empty()) {
    bool called = false;
    for (const synth::Message& m : r.messages) {
      for (const synth::ToolCall& c : m.tool_calls) called = called || c.name == s.tool;
    }
    if (!called) return false;
  }
  if (!s.search.empty() && r.id != s.search) {
    bool found = false;
    for (const synth::Message& m : r.messages) {
      if (m.role == "user") found = found || Contains(m.content, s.search);
    }
    for (const synth::AnchorRef& a : r.anchors) {
      found = found || a.key == s.search || Contains(a.name, s.search);
    }
    for (const std::string& a : r.answers) found = found || Contains(a, s.search);
    if (!found) return false;
  }
  return true;
}

// A "file:line" origin split in two; line 0 when malformed.
std::pair<std::string, int64_t> SplitWhere(const std::string& where) {
  const size_t colon = where.rfind(':');
  if (colon == std::string::npos) return {where, 0};
  return {where.substr(0, colon), std::atoll(where.c_str() + colon + 1)};
}

// Where a corpus input named in the catalog lies: as recorded (relative to where the build
// ran), or else relative to the corpus folder's parent.
std::string CorpusInputPath(const std::string& dir, const std::string& file) {
  if (FileExists(file)) return file;
  return JoinPath(Dirname(dir).empty() ? "." : Dirname(dir), file);
}

// The sft documents of a corpus folder that came from records (catalog.sqlite's documents
// table), each with the record read back from its input line.
// Runs `sql` on the documents table of a corpus folder's catalog, calling `row` per result row.
Status QueryCatalog(const std::string& dir, const char* sql,
                    const std::function<void(sqlite3_stmt*)>& row) {
  const std::string catalog = JoinPath(dir, "catalog.sqlite");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(catalog.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return NotFoundError(catalog + ": cannot open the corpus catalog");
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    return FailedPreconditionError(catalog + ": no documents table (a corpus built before "
                                   "provenance was recorded; rebuild it)");
  }
  while (sqlite3_step(st) == SQLITE_ROW) row(st);
  sqlite3_finalize(st);
  return Status::Ok();
}

Result<std::vector<ReviewItem>> LoadCorpusItems(const std::string& dir) {
  // input file -> (line -> "shard#seq" labels)
  std::map<std::string, std::map<int64_t, std::vector<std::string>>> wanted;
  KGF_RETURN_IF_ERROR(QueryCatalog(
      dir, "SELECT shard, seq, input FROM documents WHERE record_id IS NOT NULL ORDER BY shard, seq",
      [&](sqlite3_stmt* st) {
        const std::string shard = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        const int64_t seq = sqlite3_column_int64(st, 1);
        const auto [file, line] = SplitWhere(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
        wanted[file][line].push_back(shard + "#" + std::to_string(seq));
      }));
  std::vector<ReviewItem> items;
  for (const auto& [file, lines] : wanted) {
    const std::string path = CorpusInputPath(dir, file);
    if (!FileExists(path)) {
      return NotFoundError(file + ": an input of " + dir + " is gone; review the records there");
    }
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> in, LineReader::Open(path, 64 << 20));
    std::string text;
    int64_t n = 0;
    while (in->Next(&text)) {
      auto it = lines.find(++n);
      if (it == lines.end()) continue;
      for (const std::string& label : it->second) {
        ReviewItem item;
        item.where = label + " <- " + in->Where();
        item.automatic = "kept";
        KGF_ASSIGN_OR_RETURN(item.record, synth::RecordFromJson(text, in->Where()));
        items.push_back(std::move(item));
      }
    }
    KGF_RETURN_IF_ERROR(in->status());
  }
  return items;
}

}  // namespace

bool IsCorpusFolder(const std::string& path) {
  return IsDirectory(path) && FileExists(JoinPath(path, "catalog.sqlite"));
}

Result<std::vector<std::string>> CorpusRecordSources(const std::string& dir) {
  std::set<std::string> folders;
  KGF_RETURN_IF_ERROR(QueryCatalog(
      dir, "SELECT DISTINCT input FROM documents WHERE record_id IS NOT NULL",
      [&](sqlite3_stmt* st) {
        const std::string file =
            SplitWhere(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))).first;
        const std::string folder = Dirname(CorpusInputPath(dir, file));
        folders.insert(folder.empty() ? "." : folder);
      }));
  return std::vector<std::string>(folders.begin(), folders.end());
}

std::string ReviewItem::tools() const {
  std::string out;
  std::vector<std::string> seen;
  for (const synth::Message& m : record.messages) {
    for (const synth::ToolCall& c : m.tool_calls) {
      if (std::find(seen.begin(), seen.end(), c.name) != seen.end()) continue;
      seen.push_back(c.name);
      out += (out.empty() ? "" : ",") + c.name;
    }
  }
  return out;
}

Result<std::vector<ReviewItem>> LoadReviewItems(const std::string& path) {
  std::vector<ReviewItem> items;
  if (!IsDirectory(path)) {
    if (!FileExists(path)) return NotFoundError(path + ": no such file or directory");
    KGF_RETURN_IF_ERROR(ReadFile(path, Report{}, &items));
    return items;
  }
  if (FileExists(JoinPath(path, "catalog.sqlite"))) return LoadCorpusItems(path);  // a corpus
  if (FileExists(JoinPath(path, "filter_report.json"))) {
    KGF_ASSIGN_OR_RETURN(Report r, ReadReport(path));
    for (const std::string& out : r.outputs) KGF_RETURN_IF_ERROR(ReadFile(out, r, &items));
    return items;
  }
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(path));
  bool any = false;
  for (const std::string& name : names) {
    if (!StartsWith(name, "shard-") || !(EndsWith(name, ".jsonl.zst") || EndsWith(name, ".jsonl"))) {
      continue;
    }
    any = true;
    KGF_RETURN_IF_ERROR(ReadFile(JoinPath(path, name), Report{}, &items));
  }
  if (!any) {
    return NotFoundError(path + ": neither a filter output (filter_report.json) nor a synth "
                                "output (shard-*.jsonl.zst)");
  }
  return items;
}

namespace {

std::vector<std::string> WithPresent(std::vector<std::string> names,
                                     const std::vector<ReviewItem>& items,
                                     const std::string synth::Record::*field) {
  for (const ReviewItem& item : items) {
    const std::string& v = item.record.*field;
    if (!v.empty() && std::find(names.begin(), names.end(), v) == names.end()) names.push_back(v);
  }
  return names;
}

std::string Listed(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::vector<std::string> KnownPatterns(const std::vector<ReviewItem>& items) {
  std::vector<std::string> names;
  for (synth::Pattern p : synth::AllPatterns()) names.emplace_back(synth::PatternName(p));
  return WithPresent(std::move(names), items, &synth::Record::pattern);
}

std::vector<std::string> KnownSplits(const std::vector<ReviewItem>& items) {
  return WithPresent({"train", "valid", "test"}, items, &synth::Record::split);
}

Status CheckSelection(const std::vector<ReviewItem>& items, const Selection& s) {
  if (!s.pattern.empty()) {
    const std::vector<std::string> known = KnownPatterns(items);
    if (std::find(known.begin(), known.end(), s.pattern) == known.end()) {
      return InvalidArgumentError("review: unknown pattern '" + s.pattern + "'; patterns: " +
                                  Listed(known));
    }
  }
  if (!s.split.empty()) {
    const std::vector<std::string> known = KnownSplits(items);
    if (std::find(known.begin(), known.end(), s.split) == known.end()) {
      return InvalidArgumentError("review: unknown split '" + s.split + "'; splits: " +
                                  Listed(known));
    }
  }
  if (s.sample < 0) {
    return InvalidArgumentError("review: the sample size must be 0 (all) or more, not " +
                                std::to_string(s.sample));
  }
  return Status::Ok();
}

Status ParseFilterLine(std::string_view line, const std::vector<ReviewItem>& items,
                       Selection* selection) {
  Selection s = *selection;
  s.pattern.clear();
  s.split.clear();
  s.tool.clear();
  s.reason.clear();
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    const std::string part(line.substr(pos, end - pos));
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return InvalidArgumentError("filter: '" + part + "' is not key=value; keys: pattern, "
                                  "split, tool, reason");
    }
    const std::string k = part.substr(0, eq), v = part.substr(eq + 1);
    if (k == "pattern") {
      s.pattern = v;
    } else if (k == "split") {
      s.split = v;
    } else if (k == "tool") {
      s.tool = v;
    } else if (k == "reason") {
      s.reason = v;
    } else {
      return InvalidArgumentError("filter: unknown key '" + k + "'; keys: pattern, split, "
                                  "tool, reason");
    }
  }
  KGF_RETURN_IF_ERROR(CheckSelection(items, s));
  *selection = std::move(s);
  return Status::Ok();
}

Result<int64_t> ParseSampleSize(std::string_view text) {
  const std::string t(text);
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || n < 0) {
    return InvalidArgumentError("sample size must be a whole number, 0 (all) or more; got '" +
                                t + "'");
  }
  return n;
}

std::vector<size_t> SelectItems(const std::vector<ReviewItem>& items, const Selection& s) {
  std::vector<size_t> match;
  for (size_t i = 0; i < items.size(); ++i) {
    if (Matches(items[i], s)) match.push_back(i);
  }
  if (s.sample > 0 && static_cast<size_t>(s.sample) < match.size()) {
    Rng rng(Mix64(s.seed ^ 0x726576696577ULL));
    rng.Shuffle(std::span<size_t>(match));
    match.resize(static_cast<size_t>(s.sample));
    std::sort(match.begin(), match.end());
  }
  std::stable_partition(match.begin(), match.end(), [&](size_t i) {
    return !s.reviewed.count(items[i].record.id);
  });
  return match;
}

}  // namespace kgf::review
