// Filter: one stage of the quality pipeline. A filter looks at a batch of samples (JSON records,
// one per input line) and returns a Verdict per sample: keep, or drop with a machine-readable
// reason. Filters may rewrite a kept sample (PII redaction, C4 line cleaning) through
// Sample::SetString. Per-record filters derive from RecordFilter; corpus-level filters (dedup)
// override Run() and see the whole batch so their decisions depend only on input order.
#ifndef KGF_FILTERS_FILTER_H_
#define KGF_FILTERS_FILTER_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/progress.h"
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

  // Decides verdicts[i] for samples[i]. May rewrite samples that it keeps. The result depends
  // only on the samples and their order, never on the number of threads (TBB inside).
  // REQUIRES: verdicts.size() == samples.size(); each verdict starts as Keep().
  // `progress` (nullable) is advanced by one per sample judged.
  virtual void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                   Progress* progress) const = 0;

 private:
  std::string name_, type_;
};

// A filter that judges each sample on its own. Thread-safe: Apply() is const and is called
// concurrently on different samples.
class RecordFilter : public Filter {
 public:
  using Filter::Filter;
  virtual Verdict Apply(Sample& sample) const = 0;
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
           Progress* progress) const final;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_FILTER_H_
