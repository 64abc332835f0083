// Loss-spike handling (SPEC §5, Ling §3.4.4): a step whose loss exceeds its EMA by 3 sigma
// (after a 100-step warmup, EMA alpha 0.02) is not applied; its batch is saved and re-injected
// into a later step, and the step is retried on the next batch; if the spike recurs on the retry
// the update is applied with the LR x0.5. A non-finite loss or gradient norm skips the update
// (NaN/Inf guard). Every event is returned to the caller to log. The whole state serialises to
// JSON for checkpoints, so a resumed run takes exactly the same decisions.
#ifndef KGF_TRAINER_TRAIN_SPIKE_DETECTOR_H_
#define KGF_TRAINER_TRAIN_SPIKE_DETECTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace kgf::trainer {

struct SpikeOptions {
  bool enabled = true;           // false: only the NaN/Inf guard
  double ema_alpha = 0.02;       // EMA (and exponentially weighted variance) of the loss
  double threshold_sigma = 3.0;  // spike: loss > ema + threshold_sigma * sigma
  int64_t warmup_steps = 100;    // losses observed before detection starts
  // sigma is floored at this fraction of the EMA, so a perfectly flat loss does not turn
  // rounding noise into spikes.
  double min_sigma_fraction = 1e-3;
  double lr_factor = 0.5;           // LR multiplier when the spike recurs on the retry
  int64_t reinject_after_steps = 50;  // a saved batch joins the step this many updates later
  int max_consecutive_nonfinite = 8;  // more non-finite steps in a row is divergence
};

enum class SpikeAction {
  kUpdate,            // apply the update normally
  kSkipAndRetry,      // spike: skip, save the batch for re-injection, retry on the next batch
  kUpdateReducedLr,   // the spike recurred on the retry: apply with LR x lr_factor
  kSkipNonFinite,     // NaN/Inf loss or gradient: skip and retry on the next batch
};

struct SpikeEvent {
  int64_t step = 0;
  std::string kind;  // "spike_skipped", "spike_lr_reduced", "nonfinite_skipped", "reinjected"
  double loss = 0, ema = 0, sigma = 0;
  double lr_factor = 1.0;
  int64_t from_step = -1;  // "reinjected": the step whose batch this is
  std::string ToJson() const;  // one compact object, for metrics and logs
};

struct SpikeDecision {
  SpikeAction action = SpikeAction::kUpdate;
  double lr_factor = 1.0;
  bool has_event = false;
  SpikeEvent event;
};

// A batch held back by a spike: the data-loader sequence ids it was built from.
struct SavedBatch {
  int64_t due_step = 0;   // re-injected into the first update with step >= due_step
  int64_t from_step = 0;  // the step where it spiked
  std::vector<int64_t> sequences;
};

// Not thread-safe. Deterministic: a function of the observed values only.
class SpikeDetector {
 public:
  explicit SpikeDetector(SpikeOptions options = {}) : options_(options) {}

  // Decides what to do with update `step` whose (already reduced) loss and global gradient norm
  // are given. Updates the statistics for every finite loss that is applied (kUpdate,
  // kUpdateReducedLr); a skipped spike does not move the EMA.
  SpikeDecision Observe(int64_t step, double loss, double grad_norm);

  // Holds `sequences` back to re-inject at step + reinject_after_steps.
  void SaveBatch(int64_t step, std::vector<int64_t> sequences);
  // Removes and returns the saved batches due at `step` (in the order they were saved).
  std::vector<SavedBatch> TakeDue(int64_t step);

  // True after max_consecutive_nonfinite non-finite steps in a row.
  bool Diverged() const { return consecutive_nonfinite_ > options_.max_consecutive_nonfinite; }

  double ema() const { return ema_; }
  double sigma() const;
  int64_t observed() const { return count_; }
  const std::vector<SavedBatch>& saved() const { return saved_; }

  // Complete state as a JSON object (doubles written with round-trip precision).
  std::string StateJson() const;
  // Errors: InvalidArgument naming `where` and the field.
  Status RestoreState(const JsonValue& state, std::string_view where);

 private:
  SpikeOptions options_;
  double ema_ = 0, var_ = 0;
  int64_t count_ = 0;
  int64_t retrying_step_ = -1;  // the step being retried after a spike, -1 when none
  int consecutive_nonfinite_ = 0;
  std::vector<SavedBatch> saved_;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_SPIKE_DETECTOR_H_
