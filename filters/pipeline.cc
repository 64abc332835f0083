// Pipeline: config parsing, parallel stages, atomic outputs and the report.
#include "filters/pipeline.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
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

std::vector<std::unique_ptr<Filter::State>> Pipeline::NewStates() const {
  std::vector<std::unique_ptr<Filter::State>> states;
  for (const auto& f : filters_) states.push_back(f->NewState());
  return states;
}

std::vector<RecordOutcome> Pipeline::ProcessChunk(
    std::vector<Sample>& samples, std::span<const std::unique_ptr<Filter::State>> states,
    std::vector<FilterStats>* stats, bool show_progress) const {
  std::vector<RecordOutcome> outcomes(samples.size());
  std::vector<size_t> alive(samples.size());
  for (size_t i = 0; i < alive.size(); ++i) alive[i] = i;
  if (stats->size() != filters_.size()) {
    stats->assign(filters_.size(), FilterStats{});
    for (size_t fi = 0; fi < filters_.size(); ++fi) {
      (*stats)[fi].name = filters_[fi]->name();
      (*stats)[fi].type = filters_[fi]->type();
    }
  }
  for (size_t fi = 0; fi < filters_.size(); ++fi) {
    const Filter& f = *filters_[fi];
    std::vector<Sample*> ptrs(alive.size());
    std::vector<char> was_modified(alive.size());
    for (size_t k = 0; k < alive.size(); ++k) {
      ptrs[k] = &samples[alive[k]];
      was_modified[k] = ptrs[k]->modified();
    }
    std::vector<Verdict> verdicts(alive.size());
    if (show_progress) {
      Progress progress("filter " + f.name(), alive.size(), "records");
      f.Run(ptrs, verdicts, &progress, states[fi].get());
    } else {
      f.Run(ptrs, verdicts, nullptr, states[fi].get());
    }
    FilterStats& st = (*stats)[fi];
    st.input += static_cast<int64_t>(alive.size());
    std::vector<size_t> next;
    next.reserve(alive.size());
    for (size_t k = 0; k < alive.size(); ++k) {
      Verdict& v = verdicts[k];
      for (const auto& [key, n] : v.counts) st.counts[key] += n;
      if (v.keep) {
        ++st.kept;
        st.modified += !was_modified[k] && ptrs[k]->modified();
        next.push_back(alive[k]);
      } else {
        ++st.dropped;
        ++st.reasons[v.reason];
        outcomes[alive[k]] = RecordOutcome{false, static_cast<int>(fi), std::move(v)};
      }
    }
    alive = std::move(next);
  }
  // Stages that account for what other stages dropped hear of each drop, in input order.
  for (size_t fi = 0; fi < filters_.size(); ++fi) {
    if (!filters_[fi]->WatchesOtherDrops()) continue;
    for (size_t i = 0; i < samples.size(); ++i) {
      const RecordOutcome& o = outcomes[i];
      if (o.keep || o.filter < 0 || static_cast<size_t>(o.filter) == fi) continue;
      filters_[fi]->DroppedElsewhere(samples[i], fi < static_cast<size_t>(o.filter),
                                     states[fi].get(), &(*stats)[fi].counts);
    }
  }
  return outcomes;
}

void Pipeline::AddFinalCounts(std::span<const std::unique_ptr<Filter::State>> states,
                              std::vector<FilterStats>* stats) const {
  for (size_t fi = 0; fi < states.size() && fi < stats->size(); ++fi) {
    if (!states[fi]) continue;
    for (const auto& [key, n] : states[fi]->FinalCounts()) (*stats)[fi].counts[key] += n;
  }
}

std::vector<RecordOutcome> Pipeline::Process(std::vector<Sample>& samples,
                                             PipelineReport* report) const {
  std::vector<std::unique_ptr<Filter::State>> states = NewStates();
  std::vector<FilterStats> stats;
  std::vector<RecordOutcome> outcomes = ProcessChunk(samples, states, &stats, true);
  AddFinalCounts(states, &stats);
  if (report != nullptr) {
    for (FilterStats& st : stats) report->filters.push_back(std::move(st));
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

// `path` relative to the folder `dir` ("../rejected/a.jsonl"); `path` itself when it has none.
std::string RelativeTo(const std::string& path, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p = fs::absolute(path, ec).lexically_normal();
  fs::path d = fs::absolute(dir, ec).lexically_normal();
  if (!d.has_filename()) d = d.parent_path();  // "kept/" -> "kept"
  const fs::path rel = p.lexically_relative(d);
  return ec || rel.empty() ? path : rel.string();
}

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
  if (state_bytes > 0) os << "  dedup state " << HumanCount(static_cast<double>(state_bytes)) << "B";
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

// One run over the inputs, chunk by chunk: the filters' states, the statistics and the writers
// live here; a chunk's lines are parsed, judged and written before the next is read.
class Pipeline::Stream {
 public:
  Stream(const Pipeline& p, PipelineReport* report) : p_(p), report_(report), states_(p.NewStates()) {}

  Status OpenWriters(const std::vector<std::string>& inputs, const std::string& out_dir,
                     const std::string& rejected_dir) {
    KGF_RETURN_IF_ERROR(CreateDirectories(out_dir));
    if (!rejected_dir.empty()) KGF_RETURN_IF_ERROR(CreateDirectories(rejected_dir));
    for (const auto& in : inputs) {
      KGF_ASSIGN_OR_RETURN(auto w, LineWriter::Open(JoinPath(out_dir, OutputName(in))));
      kept_w_.push_back(std::move(w));
      if (!rejected_dir.empty()) {
        KGF_ASSIGN_OR_RETURN(auto r, LineWriter::Open(JoinPath(rejected_dir, OutputName(in))));
        rej_w_.push_back(std::move(r));
      }
    }
    return Status::Ok();
  }

  // Parses, judges and writes `lines` (the next lines of the run, in input order).
  Status Flush(std::vector<InputLine>& lines) {
    std::vector<Slot> slots(lines.size());
    tbb::parallel_for(size_t{0}, lines.size(), [&](size_t i) {
      const std::string& where = lines[i].where;
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
    std::vector<Sample> samples;
    std::vector<size_t> sample_slot;  // sample index -> slot index
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].sample) {
        sample_slot.push_back(i);
        samples.push_back(std::move(*slots[i].sample));
        slots[i].sample.reset();
      } else if (!p_.drop_bad_lines_) {
        return slots[i].error;
      } else {
        ++report_->input_errors[slots[i].bad_reason];
      }
    }
    report_->records += static_cast<int64_t>(slots.size());
    std::vector<RecordOutcome> outcomes = p_.ProcessChunk(samples, states_, &stats_, false);
    int64_t held = 0;
    for (size_t fi = 0; fi < states_.size(); ++fi) {
      if (!states_[fi]) continue;
      if (Status st = states_[fi]->status(); !st.ok()) {
        return st.WithContext("filter " + p_.filters_[fi]->name());
      }
      held += states_[fi]->MemoryBytes();
    }
    state_bytes_ = std::max(state_bytes_, held);
    size_t next_sample = 0;
    for (size_t i = 0; i < slots.size(); ++i) {
      const size_t file = lines[i].file;
      const std::string& where = lines[i].where;
      if (next_sample < sample_slot.size() && sample_slot[next_sample] == i) {
        const Sample& s = samples[next_sample];
        const RecordOutcome& o = outcomes[next_sample];
        ++next_sample;
        std::string json = s.Json();
        if (o.keep) {
          ++report_->kept;
          report_->kept_bytes += static_cast<int64_t>(json.size());
          KGF_RETURN_IF_ERROR(kept_w_[file]->WriteLine(json));
          continue;
        }
        ++report_->dropped;
        if (rej_w_.empty()) continue;
        const Filter& f = *p_.filters_[o.filter];
        KGF_RETURN_IF_ERROR(rej_w_[file]->WriteLine(
            "{\"where\":" + JsonQuote(where) + ",\"filter\":" + JsonQuote(f.name()) +
            ",\"reason\":" + JsonQuote(f.name() + "." + o.verdict.reason) +
            ",\"detail\":" + JsonQuote(o.verdict.detail) + ",\"record\":" + json + "}"));
      } else {
        ++report_->dropped;
        if (rej_w_.empty()) continue;
        const std::string detail = slots[i].error.message();
        std::string raw =
            slots[i].bad_reason == "invalid_utf8" ? SanitizeUtf8(lines[i].text) : "";
        KGF_RETURN_IF_ERROR(rej_w_[file]->WriteLine(
            "{\"where\":" + JsonQuote(where) + ",\"filter\":\"input\",\"reason\":" +
            JsonQuote("input." + slots[i].bad_reason) + ",\"detail\":" + JsonQuote(detail) +
            ",\"line\":" + JsonQuote(raw) + "}"));
      }
    }
    lines.clear();
    return Status::Ok();
  }

  // Commits every output and the report (nothing is in place before this).
  Status Finish(const std::string& out_dir) {
    p_.AddFinalCounts(states_, &stats_);
    report_->filters = std::move(stats_);  // Flush ran at least once: one entry per filter
    report_->state_bytes = state_bytes_;
    // Relative to the report's folder: readable from any directory, and after a move.
    for (auto& w : kept_w_) report_->outputs.push_back(RelativeTo(w->path(), out_dir));
    for (auto& w : rej_w_) report_->outputs.push_back(RelativeTo(w->path(), out_dir));
    const std::string report_path = JoinPath(out_dir, "filter_report.json");
    report_->outputs.push_back(RelativeTo(report_path, out_dir));
    for (auto& w : kept_w_) KGF_RETURN_IF_ERROR(w->Close());
    for (auto& w : rej_w_) KGF_RETURN_IF_ERROR(w->Close());
    return WriteFileAtomic(report_path, report_->ToJson() + "\n");
  }

 private:
  const Pipeline& p_;
  PipelineReport* report_;
  std::vector<std::unique_ptr<Filter::State>> states_;
  std::vector<FilterStats> stats_;
  std::vector<std::unique_ptr<LineWriter>> kept_w_, rej_w_;
  int64_t state_bytes_ = 0;
};

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
  // On error the writers' temp files go with the stream; folders this run made go too.
  const bool made_out = !FileExists(out_dir);
  const bool made_rejected = !rejected_dir.empty() && !FileExists(rejected_dir);
  Result<PipelineReport> report = RunStreaming(inputs, out_dir, rejected_dir, threads);
  if (!report.ok()) {
    std::error_code ignored;  // a folder something else wrote into stays
    if (made_rejected) std::filesystem::remove(rejected_dir, ignored);
    if (made_out) std::filesystem::remove(out_dir, ignored);
    return report;
  }
  report->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<PipelineReport> Pipeline::RunStreaming(const std::vector<std::string>& inputs,
                                              const std::string& out_dir,
                                              const std::string& rejected_dir,
                                              int threads) const {
  PipelineReport report;
  report.fingerprint = fingerprint_;
  Stream stream(*this, &report);
  KGF_RETURN_IF_ERROR(stream.OpenWriters(inputs, out_dir, rejected_dir));
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  // Read serially; each full chunk is parsed and judged in parallel, then written.
  std::vector<InputLine> chunk;
  int64_t chunk_bytes = 0;
  Progress progress("filter", 0, "records");
  for (size_t fi = 0; fi < inputs.size(); ++fi) {
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(inputs[fi]));
    std::string line;
    while (reader->Next(&line)) {
      report.input_bytes += static_cast<int64_t>(line.size());
      chunk_bytes += static_cast<int64_t>(line.size());
      chunk.push_back({fi, reader->Where(), std::move(line)});
      if (chunk_bytes >= chunk_bytes_ || static_cast<int64_t>(chunk.size()) >= kChunkRecords) {
        progress.Add(chunk.size());
        Status st;
        arena.execute([&] { st = stream.Flush(chunk); });
        KGF_RETURN_IF_ERROR(st);
        chunk_bytes = 0;
      }
    }
    KGF_RETURN_IF_ERROR(reader->status());
  }
  progress.Add(chunk.size());
  Status st;
  arena.execute([&] { st = stream.Flush(chunk); });
  KGF_RETURN_IF_ERROR(st);
  progress.Finish();
  KGF_RETURN_IF_ERROR(stream.Finish(out_dir));
  return report;
}

}  // namespace kgf::filters
