// Per-step training metrics as JSON lines (<run>/metrics.jsonl), one object per applied update:
//   {"step":12,"loss":..,"lm_loss":..,"balance_loss":..,"z_loss":..,"grad_norm":..,"lr":..,
//    "sequences":8,"micro_batches":2,"tokens":2048,"target_tokens":2040,"step_seconds":..,
//    "tokens_per_s":..,"model_flops_per_s":..,
//    "expert_load":[{"layer":0,"counts":[..],"max_over_mean":1.3,"entropy":2.01}, ..],
//    "events":[SpikeEvent, ..]}
// ("layer" is the index among MoE layers.) Written by the trainer; read by people and plots.
#ifndef KGF_TRAINER_TRAIN_METRICS_H_
#define KGF_TRAINER_TRAIN_METRICS_H_

#include <cstdint>
#include <cstdio>
#include <span>
#include <array>
#include <string>
#include <vector>

#include "base/status.h"
#include "trainer/train/spike_detector.h"

namespace kgf::trainer {

struct ExpertLoadStats {
  double max_over_mean = 0;  // 1 = perfectly balanced
  double entropy = 0;        // Shannon entropy (nats) of the load distribution; log(E) = balanced
};
// All-zero counts -> {0, 0}.
ExpertLoadStats ComputeLoadStats(std::span<const int64_t> counts);

struct StepMetrics {
  int64_t step = 0;
  double loss = 0, lm_loss = 0, balance_loss = 0, z_loss = 0;
  double grad_norm = 0;  // before clipping
  double lr = 0;
  int64_t sequences = 0, micro_batches = 0, tokens = 0, target_tokens = 0;
  double step_seconds = 0, tokens_per_s = 0, model_flops_per_s = 0;
  std::vector<std::vector<int64_t>> expert_load;  // (MoE layers, E)
  std::vector<SpikeEvent> events;                 // this step's spike / NaN events
  // Per rank (ranks x 4): seconds in data loading, forward+backward, communication, optimizer.
  std::vector<std::array<double, 4>> rank_seconds;
  std::string sync;                    // local SGD: this step's SyncReport JSON, else ""
  std::vector<std::string> system;     // straggler / exclusion notes (JSON objects)

  std::string ToJson() const;  // one line, no newline
};

// Appends lines to a metrics file. On resume it first drops the lines of steps >= from_step
// (steps the interrupted run did after its checkpoint), so the file reads as one run; an eval
// line of step from_step (the checkpoint resumed from) stays.
// Not thread-safe. Each line is flushed when written.
class MetricsWriter {
 public:
  // Errors: IoError naming the path.
  static Result<MetricsWriter> Open(const std::string& path, int64_t from_step);
  MetricsWriter(MetricsWriter&& other) noexcept;
  MetricsWriter& operator=(MetricsWriter&& other) noexcept;
  ~MetricsWriter();
  Status Write(const StepMetrics& m);
  // {"step": step, "eval": eval_json} (eval_json: one JSON object).
  Status WriteEval(int64_t step, std::string_view eval_json);

 private:
  MetricsWriter() = default;
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_METRICS_H_
