// Filter: one stage of the quality pipeline. A filter looks at a batch of samples (JSON records,
// one per input line) and returns a Verdict per sample: keep, or drop with a machine-readable
// reason. Filters may rewrite a kept sample (PII redaction, C4 line cleaning) through
// Sample::SetString. Per-record filters derive from RecordFilter; corpus-level filters (dedup)
// compare a sample with the samples before it: they keep what they need of those (compact keys,
// never the samples) in a State, so the pipeline can feed a run in consecutive chunks with
// bounded memory and get the verdicts one call over everything would give.
#ifndef KGF_FILTERS_FILTER_H_
#define KGF_FILTERS_FILTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/progress.h"
#include "base/status.h"
#include "filters/sample.h"

namespace kgf::filters {

// The outcome of one filter on one sample. An expected "no" is a value, never an error.
struct Verdict {
  bool keep = true;
  std::string reason;  // rule name, snake_case ("mean_word_length"); empty when kept
  std::string detail;  // human-readable evidence ("mean word length 2.41 < 3")
  // Named counters summed into the report, e.g. {"email", 2} for PII replacements.
  std::vector<std::pair<std::string, int64_t>> counts;

  static Verdict Keep() { return Verdict{}; }
  static Verdict Drop(std::string reason, std::string detail) {
    return Verdict{false, std::move(reason), std::move(detail), {}};
  }
};

class Filter {
 public:
  // name: the instance name used in reasons ("<name>.<reason>"); type: the config type.
  Filter(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}
  virtual ~Filter() = default;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }

  // What a filter remembers of the samples it has judged in one run (nothing for per-record
  // filters). Not thread-safe; one per run.
  class State {
   public:
    virtual ~State() = default;
    // Bytes held in memory (for the pipeline's report and memory tests).
    virtual int64_t MemoryBytes() const = 0;
    // A failure keeping the state (a full disk under a spilled dedup table); the pipeline stops
    // with it after the chunk.
    virtual Status status() const { return Status::Ok(); }
    // Counters of the whole run, added to the filter's report counts once, after the last
    // sample (e.g. decisions about records the run never saw). Default: none.
    virtual std::vector<std::pair<std::string, int64_t>> FinalCounts() const { return {}; }
  };
  // A fresh state for a run; nullptr when the filter keeps none.
  virtual std::unique_ptr<State> NewState() const { return nullptr; }

  // Decides verdicts[i] for samples[i], the next samples of the run that `state` (from
  // NewState(), nullptr when that was) has seen so far. May rewrite samples that it keeps. The
  // result depends only on the run's samples and their order, never on the number of threads
  // (TBB inside) or on where the run was cut into chunks.
  // REQUIRES: verdicts.size() == samples.size(); each verdict starts as Keep().
  // `progress` (nullable) is advanced by one per sample judged.
  virtual void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                   Progress* progress, State* state) const = 0;
  // True when the filter wants DroppedElsewhere calls.
  virtual bool WatchesOtherDrops() const { return false; }
  // Called serially, in input order, for each sample another stage of the run dropped;
  // `reached`: this filter judged (and kept) it before that stage dropped it, else an earlier
  // stage dropped it and this filter never saw it. Adds counters to *counts (this filter's
  // report entry). Lets a stage account for its own decisions another stage made moot (a
  // reviewer's reject of a record a check already dropped). Called only when
  // WatchesOtherDrops(); `state` as for Run.
  virtual void DroppedElsewhere(const Sample& /*sample*/, bool /*reached*/, State* /*state*/,
                                std::map<std::string, int64_t>* /*counts*/) const {}
  // A whole run in one call (a fresh state).
  void RunAll(std::span<Sample* const> samples, std::span<Verdict> verdicts,
              Progress* progress) const {
    std::unique_ptr<State> state = NewState();
    Run(samples, verdicts, progress, state.get());
  }

 private:
  std::string name_, type_;
};

// A filter that judges each sample on its own. Thread-safe: Apply() is const and is called
// concurrently on different samples.
class RecordFilter : public Filter {
 public:
  using Filter::Filter;
  virtual Verdict Apply(Sample& sample) const = 0;
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts, Progress* progress,
           State* state) const final;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_FILTER_H_
