#include "trainer/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "base/enum_names.h"

namespace kgf::trainer {

namespace {
constexpr EnumNames<LrScheduleKind, 3> kLrScheduleNames({"wsd", "cosine", "constant"});
}  // namespace

Result<LrScheduleKind> ParseLrScheduleKind(std::string_view name) {
  if (auto kind = kLrScheduleNames.Find(name)) return *kind;
  return InvalidArgumentError("unknown LR schedule '" + std::string(name) + "' (known: " +
                              kLrScheduleNames.Joined() + ")");
}

std::string_view LrScheduleKindName(LrScheduleKind kind) { return kLrScheduleNames.Name(kind); }

Status ValidateLrSchedule(const LrScheduleOptions& o) {
  if (o.total_steps <= 0) return InvalidArgumentError("steps must be > 0");
  if (!(o.peak_lr > 0)) return InvalidArgumentError("lr (peak) must be > 0");
  if (o.warmup_steps < 0) return InvalidArgumentError("warmup_steps must be >= 0");
  auto in01 = [](double x) { return x >= 0 && x <= 1; };
  if (!in01(o.final_lr_fraction) || o.final_lr_fraction == 0) {
    return InvalidArgumentError("final_lr_fraction must be in (0, 1]");
  }
  if (!in01(o.halve_at_fraction) || !in01(o.anneal_start_fraction) ||
      o.halve_at_fraction > o.anneal_start_fraction) {
    return InvalidArgumentError(
        "halve_at_fraction and anneal_start_fraction must be in [0, 1] with halve <= anneal");
  }
  return Status::Ok();
}

double LearningRate(const LrScheduleOptions& o, int64_t step) {
  const double peak = o.peak_lr;
  const double final_lr = o.final_lr_fraction * peak;
  const int64_t n = std::max<int64_t>(o.total_steps, 1);
  step = std::min(step, n - 1);
  if (step < o.warmup_steps) {
    return peak * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  switch (o.kind) {
    case LrScheduleKind::kConstant:
      return peak;
    case LrScheduleKind::kCosine: {
      const double span = static_cast<double>(n - 1 - o.warmup_steps);
      const double p = span <= 0 ? 1.0 : static_cast<double>(step - o.warmup_steps) / span;
      return final_lr + (peak - final_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
    }
    case LrScheduleKind::kWsd: {
      const double s = static_cast<double>(step);
      const double halve_at = o.halve_at_fraction * static_cast<double>(n);
      const double anneal_at = std::max(o.anneal_start_fraction * static_cast<double>(n), halve_at);
      if (s < halve_at) return peak;
      const double half = 0.5 * peak;
      if (s < anneal_at) return half;
      const double span = static_cast<double>(n - 1) - anneal_at;
      const double p = span <= 0 ? 1.0 : std::min(1.0, (s - anneal_at) / span);
      const double r = half / final_lr;
      return half / std::sqrt(1.0 + p * (r * r - 1.0));
    }
  }
  return peak;
}

int64_t BatchSizeSchedule::At(int64_t step) const {
  const int64_t mult = std::max<int64_t>(multiple, 1);
  int64_t b = end;
  if (start > 0 && warmup_steps > 0 && step < warmup_steps) {
    b = start + (end - start) * step / warmup_steps;
  }
  b = (b / mult) * mult;
  return std::max(b, mult);
}

}  // namespace kgf::trainer
