#include "trainer/train/spike_detector.h"

#include <cmath>
#include <cstdio>

#include "trainer/io/state_json.h"

namespace kgf::trainer {

std::string SpikeEvent::ToJson() const {
  std::string s;
  JsonAppender w(&s);
  w.StartObject();
  w.Key("step"); w.Int64(step);
  w.Key("kind"); w.String(kind);
  w.Key("loss"); w.Double(loss);
  w.Key("ema"); w.Double(ema);
  w.Key("sigma"); w.Double(sigma);
  w.Key("lr_factor"); w.Double(lr_factor);
  if (from_step >= 0) {
    w.Key("from_step"); w.Int64(from_step);
  }
  w.EndObject();
  return s;
}

double SpikeDetector::sigma() const {
  return std::max(std::sqrt(std::max(var_, 0.0)), options_.min_sigma_fraction * std::fabs(ema_));
}

SpikeDecision SpikeDetector::Observe(int64_t step, double loss, double grad_norm) {
  SpikeDecision d;
  auto event = [&](const char* kind, double lr_factor) {
    d.has_event = true;
    d.event = {step, kind, loss, ema_, count_ > 0 ? sigma() : 0.0, lr_factor};
  };
  if (!std::isfinite(loss) || !std::isfinite(grad_norm)) {
    ++consecutive_nonfinite_;
    d.action = SpikeAction::kSkipNonFinite;
    event("nonfinite_skipped", 1.0);
    return d;
  }
  consecutive_nonfinite_ = 0;
  const bool spike = options_.enabled && count_ >= options_.warmup_steps &&
                     loss > ema_ + options_.threshold_sigma * sigma();
  if (spike && retrying_step_ != step) {
    retrying_step_ = step;
    d.action = SpikeAction::kSkipAndRetry;
    event("spike_skipped", 1.0);
    return d;
  }
  if (spike) {
    d.action = SpikeAction::kUpdateReducedLr;
    d.lr_factor = options_.lr_factor;
    event("spike_lr_reduced", options_.lr_factor);
  }
  retrying_step_ = -1;
  // Exponentially weighted mean and variance (Welford-style incremental form, West 1979).
  if (count_ == 0) {
    ema_ = loss;
    var_ = 0;
  } else {
    const double diff = loss - ema_;
    const double incr = options_.ema_alpha * diff;
    ema_ += incr;
    var_ = (1.0 - options_.ema_alpha) * (var_ + diff * incr);
  }
  ++count_;
  return d;
}

void SpikeDetector::SaveBatch(int64_t step, std::vector<int64_t> sequences) {
  saved_.push_back({step + options_.reinject_after_steps, step, std::move(sequences)});
}

std::vector<SavedBatch> SpikeDetector::TakeDue(int64_t step) {
  std::vector<SavedBatch> due, keep;
  for (auto& s : saved_) (s.due_step <= step ? due : keep).push_back(std::move(s));
  saved_ = std::move(keep);
  return due;
}

std::string SpikeDetector::StateJson() const {
  std::string s = "{\"ema\":" + JsonExactDouble(ema_) + ",\"var\":" + JsonExactDouble(var_) +
                  ",\"count\":" + std::to_string(count_) +
                  ",\"retrying_step\":" + std::to_string(retrying_step_) +
                  ",\"consecutive_nonfinite\":" + std::to_string(consecutive_nonfinite_) +
                  ",\"saved\":[";
  for (size_t i = 0; i < saved_.size(); ++i) {
    if (i) s += ",";
    s += "{\"due_step\":" + std::to_string(saved_[i].due_step) +
         ",\"from_step\":" + std::to_string(saved_[i].from_step) + ",\"sequences\":[";
    for (size_t j = 0; j < saved_[i].sequences.size(); ++j) {
      if (j) s += ",";
      s += std::to_string(saved_[i].sequences[j]);
    }
    s += "]}";
  }
  return s + "]}";
}

Status SpikeDetector::RestoreState(const JsonValue& state, std::string_view where) {
  const std::string w(where);
  if (!state.IsObject()) return InvalidArgumentError(w + ": spike detector state is not an object");
  KGF_ASSIGN_OR_RETURN(double ema, JsonGetExactDouble(state, "ema", w));
  KGF_ASSIGN_OR_RETURN(double var, JsonGetExactDouble(state, "var", w));
  KGF_ASSIGN_OR_RETURN(int64_t count, JsonGetInt(state, "count", w));
  KGF_ASSIGN_OR_RETURN(int64_t retrying, JsonGetInt(state, "retrying_step", w));
  KGF_ASSIGN_OR_RETURN(int64_t nonfinite, JsonGetInt(state, "consecutive_nonfinite", w));
  KGF_ASSIGN_OR_RETURN(const JsonValue* saved, JsonGetArray(state, "saved", w));
  std::vector<SavedBatch> batches;
  for (const auto& b : saved->GetArray()) {
    SavedBatch sb;
    KGF_ASSIGN_OR_RETURN(sb.due_step, JsonGetInt(b, "due_step", w + ": saved"));
    KGF_ASSIGN_OR_RETURN(sb.from_step, JsonGetInt(b, "from_step", w + ": saved"));
    KGF_ASSIGN_OR_RETURN(const JsonValue* seqs, JsonGetArray(b, "sequences", w + ": saved"));
    for (const auto& q : seqs->GetArray()) {
      if (!q.IsInt64()) return InvalidArgumentError(w + ": saved sequences must be integers");
      sb.sequences.push_back(q.GetInt64());
    }
    batches.push_back(std::move(sb));
  }
  ema_ = ema;
  var_ = var;
  count_ = count;
  retrying_step_ = retrying;
  consecutive_nonfinite_ = static_cast<int>(nonfinite);
  saved_ = std::move(batches);
  return Status::Ok();
}

}  // namespace kgf::trainer
