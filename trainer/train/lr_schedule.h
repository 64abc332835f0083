// Learning-rate and batch-size schedules (SPEC §4, Ling §3.4): linear warmup, then
// warmup-stable-decay (peak, halved at 60% of the steps, inverse-square-root anneal to 1e-4 of
// peak at the end) or cosine; and a linear batch-size warmup. Pure functions of the step, so a
// resumed run needs no schedule state beyond the step.
#ifndef KGF_TRAINER_TRAIN_LR_SCHEDULE_H_
#define KGF_TRAINER_TRAIN_LR_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kgf::trainer {

enum class LrScheduleKind { kWsd, kCosine, kConstant };
// "wsd" | "cosine" | "constant"; anything else -> InvalidArgument.
Result<LrScheduleKind> ParseLrScheduleKind(std::string_view name);
std::string_view LrScheduleKindName(LrScheduleKind kind);

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::kWsd;
  double peak_lr = 2.4e-4;
  int64_t warmup_steps = 2000;
  int64_t total_steps = 0;             // REQUIRES > 0
  double final_lr_fraction = 1e-4;     // final LR = this * peak (WSD and cosine)
  double halve_at_fraction = 0.6;      // WSD: LR halves at this share of total_steps
  double anneal_start_fraction = 0.9;  // WSD: inverse-sqrt anneal over [this, 1] of total_steps
};

// Errors: InvalidArgument naming the field (total_steps <= 0, peak_lr <= 0, warmup_steps < 0,
// fractions outside [0, 1] or halve_at > anneal_start).
Status ValidateLrSchedule(const LrScheduleOptions& options);

// LR for update `step` (0-based: the first update is step 0).
//   warmup:  peak * (step + 1) / warmup_steps            for step < warmup_steps
//   wsd:     peak until H = halve_at * N, peak / 2 until A = anneal_start * N, then
//            (peak / 2) / sqrt(1 + p (r^2 - 1)), p = (step - A) / (N - 1 - A), r = (peak / 2) / final,
//            so the LR falls as an inverse square root of the steps and ends at `final` at N - 1.
//   cosine:  final + (peak - final) * (1 + cos(pi * p)) / 2, p = (step - W) / (N - 1 - W)
//   constant: peak after warmup.
// Steps >= N keep the final value.
double LearningRate(const LrScheduleOptions& options, int64_t step);

// Batch-size warmup (Ling: 2,560 -> 8,960 sequences): the global batch in sequences for update
// `step`, growing linearly from `start` to `end` over `warmup_steps` steps and rounded down to a
// multiple of `multiple` (the micro-batch times data-parallel ranks; at least one multiple).
// start <= 0 or warmup_steps <= 0 disables the warmup (always `end`).
struct BatchSizeSchedule {
  int64_t start = 0;
  int64_t end = 8;
  int64_t warmup_steps = 0;
  int64_t multiple = 1;

  int64_t At(int64_t step) const;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_LR_SCHEDULE_H_
