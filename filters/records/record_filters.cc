// The record layer as a pipeline plugin (see record_filters.h).
#include "filters/records/record_filters.h"

#include <map>
#include <optional>
#include <set>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/run_fingerprint.h"
#include "filters/dedup_filters.h"
#include "review/decision_store.h"
#include "kg/graph_store.h"
#include "synth/tool_catalog.h"

namespace kgf::filters {

Result<std::string> RecordDedupKey(Sample& sample, bool normalize, bool with_calls) {
  KGF_ASSIGN_OR_RETURN(const synth::Record* record, RecordOf(sample));
  std::string question;
  for (const auto& m : record->messages) {
    if (m.role == "user") {
      question = m.content;
      break;
    }
  }
  if (question.empty()) {
    return InvalidArgumentError(sample.where() + ": record has no user message");
  }
  std::string key = normalize ? NormalizeDedupText(question) : question;
  if (with_calls) {
    for (const auto& call : synth::CallsOf(*record)) {
      key += '\x1f';
      key += call.call.name;
      key += '\x1e';
      // Canonical arguments: parsed and re-serialised (key order as written by the renderer).
      Result<JsonDoc> args = ParseJson(call.call.arguments, sample.where());
      key += args.ok() ? JsonToString(*args) : call.call.arguments;
    }
  }
  return key;
}

namespace {

// Drops the records a reviewer rejected (`kgforge review`), reason "<name>.rejected" with the
// reviewer's own reason as detail. The store is read once, when the pipeline is built. Every
// decision is accounted for in the step's counts: rejects dropped here, rejects of records
// another stage had already dropped, accepts of records the checks dropped (not applied: a
// reviewer's accept never overrides a check), and decisions on records not in this input.
class ReviewDecisionsFilter : public Filter {
 public:
  ReviewDecisionsFilter(std::string name, std::map<std::string, std::string> rejected,
                        std::set<std::string> accepted)
      : Filter(std::move(name), "review_decisions"),
        rejected_(std::move(rejected)),
        accepted_(std::move(accepted)) {}

  // The decided ids the run has met, for the final counts.
  struct Seen : State {
    const ReviewDecisionsFilter* filter = nullptr;
    std::set<std::string> ids;
    int64_t MemoryBytes() const override { return static_cast<int64_t>(ids.size()) * 64; }
    std::vector<std::pair<std::string, int64_t>> FinalCounts() const override {
      int64_t rejects_unseen = 0, accepts_unseen = 0;
      for (const auto& [id, detail] : filter->rejected_) rejects_unseen += !ids.count(id);
      for (const std::string& id : filter->accepted_) accepts_unseen += !ids.count(id);
      return {{"rejects_in_store", static_cast<int64_t>(filter->rejected_.size())},
              {"rejects_not_in_input", rejects_unseen},
              {"accepts_in_store", static_cast<int64_t>(filter->accepted_.size())},
              {"accepts_not_in_input", accepts_unseen}};
    }
  };
  std::unique_ptr<State> NewState() const override {
    auto s = std::make_unique<Seen>();
    s->filter = this;
    return s;
  }

  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts, Progress* progress,
           State* state) const override {
    auto* seen = static_cast<Seen*>(state);
    for (size_t i = 0; i < samples.size(); ++i) {  // map look-ups: no need for threads
      Result<const synth::Record*> r = RecordOf(*samples[i]);
      if (!r.ok()) {
        verdicts[i] = Verdict::Drop("not_a_record", r.status().message());
        continue;
      }
      const std::string& id = (*r)->id;
      if (auto it = rejected_.find(id); it != rejected_.end()) {
        seen->ids.insert(id);
        verdicts[i] = Verdict::Drop("rejected", it->second);
        verdicts[i].counts.push_back({"rejects_dropped_here", 1});
      } else if (accepted_.count(id)) {
        seen->ids.insert(id);
        verdicts[i].counts.push_back({"accepts_passed_here", 1});
      }
    }
    if (progress != nullptr) progress->Add(samples.size());
  }

  bool WatchesOtherDrops() const override { return true; }
  void DroppedElsewhere(const Sample& sample, bool reached, State* state,
                        std::map<std::string, int64_t>* counts) const override {
    const std::string id = RecordIdOf(sample);
    if (id.empty()) return;
    if (rejected_.count(id) && !reached) {
      static_cast<Seen*>(state)->ids.insert(id);
      ++(*counts)["rejects_already_dropped"];
    } else if (accepted_.count(id)) {
      static_cast<Seen*>(state)->ids.insert(id);
      // Passed here and dropped by a later step: already counted in accepts_passed_here, of
      // which this is a part; dropped before this step: the accept could not apply.
      ++(*counts)[reached ? "accepts_passed_here_dropped_later" : "accepts_of_dropped_records_not_applied"];
    }
  }

 private:
  // The id of the record behind a sample, or "" (a sample that is no record).
  static std::string RecordIdOf(const Sample& sample) {
    auto id = sample.doc().FindMember("id");
    return id != sample.doc().MemberEnd() && id->value.IsString() ? id->value.GetString() : "";
  }

  std::map<std::string, std::string> rejected_;  // id -> "rejected by <reviewer>: <reason>"
  std::set<std::string> accepted_;
};

}  // namespace

FilterPlugins RecordFilterPlugins(KgContext kg) {
  FilterPlugins p;
  p.record_key = RecordDedupKey;
  p.types.push_back({"record_format", [](const std::string& name, OptionReader&)
                                          -> Result<std::unique_ptr<Filter>> {
                       return std::unique_ptr<Filter>(std::make_unique<RecordFormatFilter>(name));
                     }});
  p.types.push_back({"record_semantic", [](const std::string& name, OptionReader& r)
                                            -> Result<std::unique_ptr<Filter>> {
                       RecordSemanticOptions o;
                       KGF_RETURN_IF_ERROR(o.Read(r));
                       return std::unique_ptr<Filter>(
                           std::make_unique<RecordSemanticFilter>(name, std::move(o)));
                     }});
  p.types.push_back({"record_execution", [kg](const std::string& name, OptionReader& r)
                                             -> Result<std::unique_ptr<Filter>> {
                       if (kg.graph == nullptr || kg.catalog == nullptr) {
                         return FailedPreconditionError(
                             r.where() + ": record_execution re-runs calls on the knowledge "
                                         "graph, but no graph was given; pass the graph to the "
                                         "pipeline or remove this filter");
                       }
                       return std::unique_ptr<Filter>(
                           std::make_unique<RecordExecutionFilter>(name, kg));
                     }});
  p.types.push_back({"review_decisions", [](const std::string& name, OptionReader& r)
                                             -> Result<std::unique_ptr<Filter>> {
                       std::string db;
                       KGF_RETURN_IF_ERROR(r.Path("db", &db));  // relative: to the config's folder
                       if (db.empty()) {
                         return InvalidArgumentError(r.where() + ": 'db' (the review store, e.g. "
                                                     "kept/review.sqlite, relative to the "
                                                     "config's folder) is required");
                       }
                       Result<review::DecisionStore> store = review::DecisionStore::OpenReadOnly(db);
                       if (!store.ok()) {
                         return store.status().WithContext(
                             r.where() + ": 'db' (relative paths are taken from the config's "
                                         "folder)");
                       }
                       Result<std::vector<review::Decision>> all = store->All();
                       if (!all.ok()) return all.status().WithContext(r.where());
                       std::map<std::string, std::string> rejected;
                       std::set<std::string> accepted;
                       for (const review::Decision& d : *all) {
                         if (d.decision != "reject") {
                           accepted.insert(d.record_id);
                           continue;
                         }
                         rejected[d.record_id] = "rejected by " + d.reviewer +
                                                 (d.reason.empty() ? "" : ": " + d.reason);
                       }
                       return std::unique_ptr<Filter>(std::make_unique<ReviewDecisionsFilter>(
                           name, std::move(rejected), std::move(accepted)));
                     }});
  return p;
}

namespace {

// Everything the outputs depend on: config bytes and the files it names (word lists, the review
// store), every input by name and content, the output locations, the graph store, the binary.
Result<std::string> FilterFingerprint(const FilterRunOptions& options) {
  RunFingerprint fp;
  fp.AddText("command", "filter");
  KGF_RETURN_IF_ERROR(fp.AddFile("config", options.config));
  KGF_ASSIGN_OR_RETURN(std::string config_text, ReadFileToString(options.config));
  Result<JsonDoc> config = ParseJson(config_text, options.config);
  if (config.ok()) KGF_RETURN_IF_ERROR(fp.AddFilesNamedIn(*config, Dirname(options.config)));
  for (const std::string& in : options.inputs) {
    fp.AddText("input", in);
    KGF_RETURN_IF_ERROR(fp.AddFile("input-bytes", in));
  }
  fp.AddText("out", options.out_dir);
  fp.AddText("rejected", options.rejected_dir);
  fp.AddText("kg", options.kg);
  if (!options.kg.empty() && FileExists(options.kg)) {
    KGF_RETURN_IF_ERROR(fp.AddFile("kg-bytes", options.kg));
  }
  return fp.Digest();
}

// The report of a finished run in out_dir with this fingerprint whose outputs all exist, or
// nullopt (no report, another fingerprint, an unreadable report, a missing output).
std::optional<PipelineReport> FinishedRun(const std::string& out_dir, const std::string& fingerprint) {
  const std::string path = JoinPath(out_dir, "filter_report.json");
  if (!FileExists(path)) return std::nullopt;
  Result<std::string> text = ReadFileToString(path);
  if (!text.ok()) return std::nullopt;
  Result<PipelineReport> report = PipelineReport::FromJson(*text, path);
  if (!report.ok() || report->fingerprint != fingerprint) return std::nullopt;
  for (const std::string& out : report->outputs) {  // relative to the report's folder
    if (!FileExists(out.starts_with('/') ? out : JoinPath(out_dir, out))) return std::nullopt;
  }
  report->reused = true;
  return std::move(report).value();
}

}  // namespace

Result<PipelineReport> RunFilterCommand(const FilterRunOptions& options) {
  if (options.config.empty()) return InvalidArgumentError("filter: --config CONFIG is required");
  if (options.chunk_mib < 1) {
    return InvalidArgumentError("filter: --chunk-mib must be at least 1 (MiB of input per chunk)");
  }
  if (!FileExists(options.config)) {
    return NotFoundError(options.config + ": filter config not found");
  }
  for (const std::string& in : options.inputs) {
    // The reader's own checks and messages (missing file, a directory, a bad zstd frame).
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(in));
  }
  // A rerun with the same fingerprint reuses the finished outputs (written last, atomically, so
  // a killed run never looks finished).
  KGF_ASSIGN_OR_RETURN(std::string fingerprint, FilterFingerprint(options));
  if (!options.force && !options.out_dir.empty()) {
    if (std::optional<PipelineReport> done = FinishedRun(options.out_dir, fingerprint)) {
      KGF_RETURN_IF_ERROR(
          Pipeline::RemoveLeftovers(options.inputs, options.out_dir, options.rejected_dir));
      return *done;
    }
  }
  // record_execution re-runs calls on the graph the records came from.
  std::optional<kg::OpenedGraph> opened;
  std::optional<synth::ToolCatalog> catalog;
  KgContext kg;
  if (!options.kg.empty()) {
    KGF_ASSIGN_OR_RETURN(kg::OpenedGraph g, kg::OpenGraph(options.kg));
    opened.emplace(std::move(g));
    KGF_ASSIGN_OR_RETURN(synth::ToolCatalog c, synth::ToolCatalog::Build(opened->graph));
    catalog.emplace(std::move(c));
    kg = KgContext{&opened->graph, &*catalog, opened->checksum};
  }
  KGF_ASSIGN_OR_RETURN(Pipeline p, Pipeline::FromFile(options.config, RecordFilterPlugins(kg)));
  p.set_fingerprint(fingerprint);
  p.set_chunk_bytes(options.chunk_mib << 20);
  return p.Run(options.inputs, options.out_dir, options.rejected_dir, options.threads);
}

}  // namespace kgf::filters
