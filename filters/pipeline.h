// Pipeline: an ordered list of filters built from a JSON config, run over .jsonl / .jsonl.zst
// files with TBB. Every stage sees the survivors of the previous stages in input order, so the
// output is byte-identical for any thread count. Kept records go to <out>/<input basename>,
// dropped ones (with filter, reason, detail and where) to <rejected>/<input basename>, and the
// report to <out>/filter_report.json. All files are written atomically: on error nothing is
// left behind.
//
// Config:
//   {"text_field": "text",          // default field of the text rules
//    "bad_lines": "error" | "drop", // a line that is not UTF-8 / not a JSON object: fail with
//                                   // file:line (default), or drop it as "input.invalid_utf8" /
//                                   // "input.invalid_json" (counted, written to rejected)
//    "filters": [{"type": "gopher_quality", ...}, ...]}   // see filter_factory.h
//
// Memory: the run streams. Lines are read into a chunk (set_chunk_bytes, default 32 MiB of
// input, or 65,536 lines), the chunk is parsed and judged in parallel and written out, then the
// next is read; across chunks only the filters' states persist (dedup's compact keys, see
// dedup_filters.h; PipelineReport::state_bytes). Verdicts and outputs do not depend on the
// chunk size or the thread count.
// Thread safety: a Pipeline is immutable after Create(); Run() may be called concurrently on
// different outputs.
#ifndef KGF_FILTERS_PIPELINE_H_
#define KGF_FILTERS_PIPELINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "filters/filter.h"
#include "filters/filter_factory.h"

namespace kgf::filters {

// Flags of `kgforge filter`.
struct FilterRunOptions {
  std::string config;                // JSON config path
  std::vector<std::string> inputs;   // .jsonl / .jsonl.zst files
  std::string out_dir;               // kept records + filter_report.json
  std::string rejected_dir;          // optional: dropped records with reasons
  std::string kg;                    // optional graph store: enables record_execution
  int threads = 0;                   // 0: all cores
  int64_t chunk_mib = 32;            // input read before judging and writing (memory bound)
  bool json = false;                 // CLI prints the report as JSON
  // Run even when out_dir holds a finished run with the same fingerprint (see RunFilterCommand).
  bool force = false;
};

struct FilterStats {
  std::string name, type;
  int64_t input = 0, kept = 0, dropped = 0, modified = 0;
  std::map<std::string, int64_t> reasons;  // reason -> records dropped
  std::map<std::string, int64_t> counts;   // summed Verdict::counts
};

struct PipelineReport {
  int64_t records = 0, kept = 0, dropped = 0;
  int64_t input_bytes = 0, kept_bytes = 0;  // uncompressed JSON bytes
  std::map<std::string, int64_t> input_errors;  // "invalid_json" -> lines (bad_lines: drop)
  std::vector<FilterStats> filters;
  // Files written, relative to the report's folder (out_dir): "a.jsonl", "../rejected/a.jsonl",
  // "filter_report.json". (Reports before this listed paths as the run named them.)
  std::vector<std::string> outputs;
  // Digest of the inputs, config, files it names, graph and binary (base/run_fingerprint.h);
  // "" when the run was not fingerprinted.
  std::string fingerprint;
  double seconds = 0;   // wall time of Run (not part of ToJson, for determinism)
  // The most bytes the filters' states held (dedup keys; not in ToJson: an estimate).
  int64_t state_bytes = 0;
  bool reused = false;  // read back from a finished run's filter_report.json (not in ToJson)

  std::string ToJson() const;  // deterministic, compact
  std::string ToText() const;  // a readable table
  // Reads ToJson's output back. Errors: InvalidArgument naming `where` and the field.
  static Result<PipelineReport> FromJson(std::string_view json, std::string_view where);
};

// The outcome of one record.
struct RecordOutcome {
  bool keep = true;
  int filter = -1;  // index of the dropping filter, -1 when kept or dropped at input
  Verdict verdict;  // the dropping verdict
};

class Pipeline {
 public:
  // Parses a config. `where` names it in errors (usually its path); relative data paths are
  // resolved against config_dir. Errors: InvalidArgument naming the key and filter index.
  static Result<Pipeline> FromJson(std::string_view config_json, std::string_view where,
                                   std::string config_dir, const FilterPlugins& plugins = {});
  static Result<Pipeline> FromFile(const std::string& path, const FilterPlugins& plugins = {});
  // Written into filter_report.json by Run, for a later run to recognise its own outputs.
  void set_fingerprint(std::string fingerprint) { fingerprint_ = std::move(fingerprint); }
  // Input bytes Run reads before judging and writing them (at least one line per chunk).
  void set_chunk_bytes(int64_t bytes) { chunk_bytes_ = bytes; }
  static constexpr int64_t kDefaultChunkBytes = int64_t{32} << 20;
  static constexpr int64_t kChunkRecords = 65536;

  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  const std::vector<std::unique_ptr<Filter>>& filters() const { return filters_; }
  const std::string& text_field() const { return text_field_; }
  bool drop_bad_lines() const { return drop_bad_lines_; }

  // Runs every filter over `samples` as one whole run (rewriting kept ones in place); one
  // outcome per sample. Adds per-filter statistics to *report when non-null. Uses the current
  // TBB arena.
  std::vector<RecordOutcome> Process(std::vector<Sample>& samples, PipelineReport* report) const;

  // Reads the inputs, filters, writes outputs and the report. threads: 0 = all.
  // Errors: unreadable input, bad line (bad_lines "error"), two inputs with the same basename,
  // write failures; nothing partial is left.
  Result<PipelineReport> Run(const std::vector<std::string>& inputs, const std::string& out_dir,
                             const std::string& rejected_dir, int threads) const;

  // Removes the temp files killed runs (pids no longer alive) left for these inputs' outputs and
  // the report. Run does it first; a rerun that reuses a finished run must do it too (a run
  // killed while replacing the report of an identical earlier run leaves its temp file).
  static Status RemoveLeftovers(const std::vector<std::string>& inputs, const std::string& out_dir,
                                const std::string& rejected_dir);

 private:
  class Stream;
  Pipeline() = default;
  std::vector<std::unique_ptr<Filter::State>> NewStates() const;
  Result<PipelineReport> RunStreaming(const std::vector<std::string>& inputs,
                                      const std::string& out_dir, const std::string& rejected_dir,
                                      int threads) const;
  // The next samples of a run with the filters' `states`; adds to *stats (one per filter,
  // created on the first call).
  std::vector<RecordOutcome> ProcessChunk(std::vector<Sample>& samples,
                                          std::span<const std::unique_ptr<Filter::State>> states,
                                          std::vector<FilterStats>* stats,
                                          bool show_progress) const;
  // Adds each state's FinalCounts to its filter's stats (the end of a run).
  void AddFinalCounts(std::span<const std::unique_ptr<Filter::State>> states,
                      std::vector<FilterStats>* stats) const;
  std::vector<std::unique_ptr<Filter>> filters_;
  std::string text_field_ = "text";
  bool drop_bad_lines_ = false;
  std::string fingerprint_;
  int64_t chunk_bytes_ = kDefaultChunkBytes;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_PIPELINE_H_
