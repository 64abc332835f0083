// Pipeline: config parsing, parallel stages, atomic outputs and the report.
#include "filters/pipeline.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/line_writer.h"
#include "base/progress.h"
#include "filters/filter_factory.h"
#include "filters/option_reader.h"

namespace kgf::filters {

Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Result<Pipeline> Pipeline::FromJson(std::string_view config_json, std::string_view where,
                                    std::string config_dir, const FilterPlugins& plugins) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(config_json, where));
  std::string w(where);
  if (!doc.IsObject()) {
    return InvalidArgumentError(w + ": the config must be a JSON object with a \"filters\" list");
  }
  Pipeline p;
  OptionReader top(doc, w);
  KGF_RETURN_IF_ERROR(top.String("text_field", &p.text_field_));
  std::string bad_lines = "error";
  KGF_RETURN_IF_ERROR(top.Enum("bad_lines", &bad_lines, {"error", "drop"}));
  p.drop_bad_lines_ = bad_lines == "drop";
  top.Consume("filters");
  KGF_RETURN_IF_ERROR(top.Finish());
  KGF_ASSIGN_OR_RETURN(const JsonValue* list, JsonGetArray(doc, "filters", w));
  if (list->Empty()) {
    return InvalidArgumentError(w + ": 'filters' is empty; list at least one filter");
  }
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    FactoryContext ctx{w + ": filters[" + std::to_string(i) + "]", p.text_field_, config_dir,
                       &plugins};
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<Filter> f, MakeFilter((*list)[i], ctx));
    if (!names.insert(f->name()).second) {
      return InvalidArgumentError(ctx.where + ": filter name '" + f->name() +
                                  "' is used twice; give one of them a distinct \"name\"");
    }
    p.filters_.push_back(std::move(f));
  }
  return p;
}

Result<Pipeline> Pipeline::FromFile(const std::string& path, const FilterPlugins& plugins) {
  Result<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("filter config");
  return FromJson(*text, path, Dirname(path), plugins);
}

std::vector<RecordOutcome> Pipeline::Process(std::vector<Sample>& samples,
                                             PipelineReport* report) const {
  std::vector<RecordOutcome> outcomes(samples.size());
  std::vector<size_t> alive(samples.size());
  for (size_t i = 0; i < alive.size(); ++i) alive[i] = i;
  for (size_t fi = 0; fi < filters_.size(); ++fi) {
    const Filter& f = *filters_[fi];
    std::vector<Sample*> ptrs(alive.size());
    std::vector<char> was_modified(alive.size());
    for (size_t k = 0; k < alive.size(); ++k) {
      ptrs[k] = &samples[alive[k]];
      was_modified[k] = ptrs[k]->modified();
    }
    std::vector<Verdict> verdicts(alive.size());
    {
      Progress progress("filter " + f.name(), alive.size(), "records");
      f.Run(ptrs, verdicts, &progress);
    }
    FilterStats stats;
    stats.name = f.name();
    stats.type = f.type();
    stats.input = static_cast<int64_t>(alive.size());
    std::vector<size_t> next;
    next.reserve(alive.size());
    for (size_t k = 0; k < alive.size(); ++k) {
      Verdict& v = verdicts[k];
      for (const auto& [key, n] : v.counts) stats.counts[key] += n;
      if (v.keep) {
        ++stats.kept;
        stats.modified += !was_modified[k] && ptrs[k]->modified();
        next.push_back(alive[k]);
      } else {
        ++stats.dropped;
        ++stats.reasons[v.reason];
        outcomes[alive[k]] = RecordOutcome{false, static_cast<int>(fi), std::move(v)};
      }
    }
    alive = std::move(next);
    if (report != nullptr) report->filters.push_back(std::move(stats));
  }
  return outcomes;
}

namespace {

// Bytes of `s` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len > 0 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

struct InputLine {
  size_t file = 0;
  std::string where;
  std::string text;
};

// One record slot: a parsed sample or a bad line.
struct Slot {
  std::optional<Sample> sample;
  Status error;
  std::string bad_reason;  // "invalid_utf8" | "invalid_json"
};

std::string OutputName(const std::string& input) { return Basename(input); }

}  // namespace

std::string PipelineReport::ToJson() const {
  std::string s = "{\"records\":" + std::to_string(records) + ",\"kept\":" +
                  std::to_string(kept) + ",\"dropped\":" + std::to_string(dropped) +
                  ",\"input_bytes\":" + std::to_string(input_bytes) + ",\"kept_bytes\":" +
                  std::to_string(kept_bytes) + ",\"input_errors\":{";
  bool first = true;
  for (const auto& [k, n] : input_errors) {
    s += (first ? "" : ",") + JsonQuote(k) + ":" + std::to_string(n);
    first = false;
  }
  s += "},\"filters\":[";
  for (size_t i = 0; i < filters.size(); ++i) {
    const FilterStats& f = filters[i];
    s += (i ? ",{" : "{") + std::string("\"name\":") + JsonQuote(f.name) +
         ",\"type\":" + JsonQuote(f.type) + ",\"input\":" + std::to_string(f.input) +
         ",\"kept\":" + std::to_string(f.kept) + ",\"dropped\":" + std::to_string(f.dropped) +
         ",\"modified\":" + std::to_string(f.modified) + ",\"reasons\":{";
    first = true;
    for (const auto& [k, n] : f.reasons) {
      s += (first ? "" : ",") + JsonQuote(k) + ":" + std::to_string(n);
      first = false;
    }
    s += "},\"counts\":{";
    first = true;
    for (const auto& [k, n] : f.counts) {
      s += (first ? "" : ",") + JsonQuote(k) + ":" + std::to_string(n);
      first = false;
    }
    s += "}}";
  }
  s += "],\"outputs\":[";
  for (size_t i = 0; i < outputs.size(); ++i) s += (i ? "," : "") + JsonQuote(outputs[i]);
  s += "]";
  if (!fingerprint.empty()) s += ",\"fingerprint\":" + JsonQuote(fingerprint);
  s += "}";
  return s;
}

namespace {

Status ReadCounts(const JsonValue& obj, const char* field, const std::string& where,
                  std::map<std::string, int64_t>* out) {
  KGF_ASSIGN_OR_RETURN(const JsonValue* m, JsonGetObject(obj, field, where));
  for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
    if (!it->value.IsInt64()) {
      return InvalidArgumentError(where + ": " + field + "." + it->name.GetString() +
                                  " must be an integer");
    }
    (*out)[it->name.GetString()] = it->value.GetInt64();
  }
  return Status::Ok();
}

}  // namespace

Result<PipelineReport> PipelineReport::FromJson(std::string_view json, std::string_view where_sv) {
  const std::string where(where_sv);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  PipelineReport r;
  KGF_ASSIGN_OR_RETURN(r.records, JsonGetInt(doc, "records", where));
  KGF_ASSIGN_OR_RETURN(r.kept, JsonGetInt(doc, "kept", where));
  KGF_ASSIGN_OR_RETURN(r.dropped, JsonGetInt(doc, "dropped", where));
  KGF_ASSIGN_OR_RETURN(r.input_bytes, JsonGetInt(doc, "input_bytes", where));
  KGF_ASSIGN_OR_RETURN(r.kept_bytes, JsonGetInt(doc, "kept_bytes", where));
  KGF_RETURN_IF_ERROR(ReadCounts(doc, "input_errors", where, &r.input_errors));
  KGF_ASSIGN_OR_RETURN(const JsonValue* filters, JsonGetArray(doc, "filters", where));
  for (rapidjson::SizeType i = 0; i < filters->Size(); ++i) {
    const JsonValue& f = (*filters)[i];
    const std::string at = where + ": filters[" + std::to_string(i) + "]";
    FilterStats st;
    KGF_ASSIGN_OR_RETURN(st.name, JsonGetString(f, "name", at));
    KGF_ASSIGN_OR_RETURN(st.type, JsonGetString(f, "type", at));
    KGF_ASSIGN_OR_RETURN(st.input, JsonGetInt(f, "input", at));
    KGF_ASSIGN_OR_RETURN(st.kept, JsonGetInt(f, "kept", at));
    KGF_ASSIGN_OR_RETURN(st.dropped, JsonGetInt(f, "dropped", at));
    KGF_ASSIGN_OR_RETURN(st.modified, JsonGetInt(f, "modified", at));
    KGF_RETURN_IF_ERROR(ReadCounts(f, "reasons", at, &st.reasons));
    KGF_RETURN_IF_ERROR(ReadCounts(f, "counts", at, &st.counts));
    r.filters.push_back(std::move(st));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* outputs, JsonGetArray(doc, "outputs", where));
  for (const JsonValue& o : outputs->GetArray()) {
    if (!o.IsString()) return InvalidArgumentError(where + ": outputs must be file names");
    r.outputs.emplace_back(o.GetString(), o.GetStringLength());
  }
  if (doc.HasMember("fingerprint")) {
    KGF_ASSIGN_OR_RETURN(r.fingerprint, JsonGetString(doc, "fingerprint", where));
  }
  return r;
}

std::string PipelineReport::ToText() const {
  std::ostringstream os;
  if (reused) {
    os << "up to date: same inputs, config, named files, graph and kgforge binary as the run "
          "that wrote these outputs (fingerprint "
       << fingerprint << "); nothing redone (--force runs again)\n";
  }
  auto pct = [](int64_t a, int64_t b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", b > 0 ? 100.0 * a / b : 0.0);
    return std::string(buf);
  };
  os << "records " << records << "  kept " << kept << " (" << pct(kept, records) << ")  dropped "
     << dropped << "  in " << HumanCount(static_cast<double>(input_bytes)) << "B  kept "
     << HumanCount(static_cast<double>(kept_bytes)) << "B";
  if (seconds > 0) os << "  " << HumanDuration(seconds);
  os << "\n";
  for (const auto& [k, n] : input_errors) os << "  input." << k << "  " << n << "\n";
  for (const FilterStats& f : filters) {
    os << "  " << f.name << " (" << f.type << "): in " << f.input << "  kept " << f.kept
       << "  dropped " << f.dropped << " (" << pct(f.dropped, f.input) << ")";
    if (f.modified > 0) os << "  modified " << f.modified;
    os << "\n";
    for (const auto& [k, n] : f.reasons) os << "      " << f.name << "." << k << "  " << n << "\n";
    for (const auto& [k, n] : f.counts) os << "      #" << k << "  " << n << "\n";
  }
  return os.str();
}

Status Pipeline::RemoveLeftovers(const std::vector<std::string>& inputs,
                                 const std::string& out_dir, const std::string& rejected_dir) {
  // Only the temp files of this run's own outputs are touched.
  for (const std::string& in : inputs) {
    KGF_RETURN_IF_ERROR(RemoveStaleTempFiles(out_dir, OutputName(in) + ".tmp."));
    if (!rejected_dir.empty()) {
      KGF_RETURN_IF_ERROR(RemoveStaleTempFiles(rejected_dir, OutputName(in) + ".tmp."));
    }
  }
  return RemoveStaleTempFiles(out_dir, "filter_report.json.tmp.").status();
}

Result<PipelineReport> Pipeline::Run(const std::vector<std::string>& inputs,
                                     const std::string& out_dir, const std::string& rejected_dir,
                                     int threads) const {
  auto start = std::chrono::steady_clock::now();
  if (inputs.empty()) return InvalidArgumentError("filter: no input files given");
  if (out_dir.empty()) return InvalidArgumentError("filter: --out DIR is required");
  std::set<std::string> names;
  for (const auto& in : inputs) {
    if (!EndsWith(in, ".jsonl") && !EndsWith(in, ".jsonl.zst")) {
      return InvalidArgumentError(in + ": inputs must be .jsonl or .jsonl.zst files");
    }
    if (!names.insert(OutputName(in)).second) {
      return InvalidArgumentError(in + ": two inputs share the file name '" + OutputName(in) +
                                  "'; outputs are named after inputs, rename one");
    }
  }
  KGF_RETURN_IF_ERROR(RemoveLeftovers(inputs, out_dir, rejected_dir));
  PipelineReport report;
  report.fingerprint = fingerprint_;
  // Read every line (serial I/O), then parse in parallel.
  std::vector<InputLine> lines;
  {
    Progress progress("read", 0, "lines");
    for (size_t fi = 0; fi < inputs.size(); ++fi) {
      KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(inputs[fi]));
      std::string line;
      while (reader->Next(&line)) {
        report.input_bytes += static_cast<int64_t>(line.size());
        lines.push_back({fi, reader->Where(), std::move(line)});
        progress.Add(1);
      }
      KGF_RETURN_IF_ERROR(reader->status());
    }
  }
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  std::vector<Slot> slots(lines.size());
  std::vector<RecordOutcome> outcomes;
  std::vector<Sample> samples;
  std::vector<size_t> sample_slot;  // sample index -> slot index
  Status first_error;
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, lines.size(), [&](size_t i) {
      const std::string where = lines[i].where;
      if (!IsValidUtf8(lines[i].text)) {
        slots[i].error = InvalidArgumentError(
            where + ": invalid UTF-8 bytes; re-encode the file as UTF-8 or set \"bad_lines\": "
                    "\"drop\" in the config");
        slots[i].bad_reason = "invalid_utf8";
        return;
      }
      Result<Sample> s = Sample::Parse(std::move(lines[i].text), where);
      if (!s.ok()) {
        slots[i].error = s.status();
        slots[i].bad_reason = "invalid_json";
        lines[i].text = s.status().message();
        return;
      }
      slots[i].sample.emplace(std::move(s).value());
    });
  });
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].sample) {
      sample_slot.push_back(i);
      samples.push_back(std::move(*slots[i].sample));
      slots[i].sample.reset();
    } else if (!drop_bad_lines_) {
      return slots[i].error;
    } else {
      ++report.input_errors[slots[i].bad_reason];
    }
  }
  report.records = static_cast<int64_t>(slots.size());
  arena.execute([&] { outcomes = Process(samples, &report); });

  // Writers: one kept and (optionally) one rejected file per input; committed together.
  KGF_RETURN_IF_ERROR(CreateDirectories(out_dir));
  if (!rejected_dir.empty()) KGF_RETURN_IF_ERROR(CreateDirectories(rejected_dir));
  std::vector<std::unique_ptr<LineWriter>> kept_w, rej_w;
  for (const auto& in : inputs) {
    KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(JoinPath(out_dir, OutputName(in))));
    kept_w.push_back(std::move(w));
    if (!rejected_dir.empty()) {
      KGF_ASSIGN_OR_RETURN(auto r, LineWriter::Open(JoinPath(rejected_dir, OutputName(in))));
      rej_w.push_back(std::move(r));
    }
  }
  size_t next_sample = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    size_t file = lines[i].file;
    const std::string& where = lines[i].where;
    if (next_sample < sample_slot.size() && sample_slot[next_sample] == i) {
      const Sample& s = samples[next_sample];
      const RecordOutcome& o = outcomes[next_sample];
      ++next_sample;
      std::string json = s.Json();
      if (o.keep) {
        ++report.kept;
        report.kept_bytes += static_cast<int64_t>(json.size());
        KGF_RETURN_IF_ERROR(kept_w[file]->WriteLine(json));
        continue;
      }
      ++report.dropped;
      if (rej_w.empty()) continue;
      const Filter& f = *filters_[o.filter];
      KGF_RETURN_IF_ERROR(rej_w[file]->WriteLine(
          "{\"where\":" + JsonQuote(where) + ",\"filter\":" + JsonQuote(f.name()) +
          ",\"reason\":" + JsonQuote(f.name() + "." + o.verdict.reason) +
          ",\"detail\":" + JsonQuote(o.verdict.detail) + ",\"record\":" + json + "}"));
    } else {
      ++report.dropped;
      if (rej_w.empty()) continue;
      const std::string detail = slots[i].error.message();
      std::string raw = slots[i].bad_reason == "invalid_utf8" ? SanitizeUtf8(lines[i].text) : "";
      KGF_RETURN_IF_ERROR(rej_w[file]->WriteLine(
          "{\"where\":" + JsonQuote(where) + ",\"filter\":\"input\",\"reason\":" +
          JsonQuote("input." + slots[i].bad_reason) + ",\"detail\":" + JsonQuote(detail) +
          ",\"line\":" + JsonQuote(raw) + "}"));
    }
  }
  for (auto& w : kept_w) report.outputs.push_back(w->path());
  for (auto& w : rej_w) report.outputs.push_back(w->path());
  const std::string report_path = JoinPath(out_dir, "filter_report.json");
  report.outputs.push_back(report_path);
  for (auto& w : kept_w) KGF_RETURN_IF_ERROR(w->Close());
  for (auto& w : rej_w) KGF_RETURN_IF_ERROR(w->Close());
  KGF_RETURN_IF_ERROR(WriteFileAtomic(report_path, report.ToJson() + "\n"));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace kgf::filters
