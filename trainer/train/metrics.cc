#include "trainer/train/metrics.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "base/file_util.h"
#include "base/json.h"
#include "trainer/io/state_json.h"

namespace kgf::trainer {

ExpertLoadStats ComputeLoadStats(std::span<const int64_t> counts) {
  ExpertLoadStats s;
  double total = 0, mx = 0;
  for (int64_t c : counts) {
    total += static_cast<double>(c);
    mx = std::max(mx, static_cast<double>(c));
  }
  if (total <= 0 || counts.empty()) return s;
  s.max_over_mean = mx / (total / static_cast<double>(counts.size()));
  for (int64_t c : counts) {
    if (c > 0) {
      const double p = static_cast<double>(c) / total;
      s.entropy -= p * std::log(p);
    }
  }
  return s;
}

std::string StepMetrics::ToJson() const {
  std::string s;
  JsonAppender w(&s);
  w.StartObject();
  w.Key("step"); w.Int64(step);
  w.Key("loss"); w.Double(loss);
  w.Key("lm_loss"); w.Double(lm_loss);
  w.Key("balance_loss"); w.Double(balance_loss);
  w.Key("z_loss"); w.Double(z_loss);
  w.Key("grad_norm"); w.Double(grad_norm);
  w.Key("lr"); w.Double(lr);
  w.Key("sequences"); w.Int64(sequences);
  w.Key("micro_batches"); w.Int64(micro_batches);
  w.Key("tokens"); w.Int64(tokens);
  w.Key("target_tokens"); w.Int64(target_tokens);
  w.Key("step_seconds"); w.Double(step_seconds);
  w.Key("tokens_per_s"); w.Double(tokens_per_s);
  w.Key("model_flops_per_s"); w.Double(model_flops_per_s);
  w.Key("expert_load"); w.StartArray();
  for (size_t l = 0; l < expert_load.size(); ++l) {
    const ExpertLoadStats st = ComputeLoadStats(expert_load[l]);
    w.StartObject();
    w.Key("layer"); w.Uint64(l);
    w.Key("counts"); w.StartArray();
    for (int64_t c : expert_load[l]) w.Int64(c);
    w.EndArray();
    w.Key("max_over_mean"); w.Double(st.max_over_mean);
    w.Key("entropy"); w.Double(st.entropy);
    w.EndObject();
  }
  w.EndArray();
  w.Key("events"); w.StartArray();
  for (const SpikeEvent& e : events) w.RawValue(e.ToJson());
  w.EndArray();
  if (!rank_seconds.empty()) {
    w.Key("ranks"); w.StartArray();
    for (const auto& t : rank_seconds) {
      w.StartObject();
      w.Key("data"); w.Double(t[0]);
      w.Key("compute"); w.Double(t[1]);
      w.Key("comm"); w.Double(t[2]);
      w.Key("optimizer"); w.Double(t[3]);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!sync.empty()) {
    w.Key("sync"); w.RawValue(sync);
  }
  if (!system.empty()) {
    w.Key("system"); w.StartArray();
    for (const std::string& note : system) w.RawValue(note);
    w.EndArray();
  }
  w.EndObject();
  return s;
}

Result<MetricsWriter> MetricsWriter::Open(const std::string& path, int64_t from_step) {
  // Keep the lines of earlier steps (a resumed run), rewritten atomically.
  std::string kept;
  if (FileExists(path)) {
    KGF_ASSIGN_OR_RETURN(std::string old, ReadFileToString(path));
    size_t pos = 0;
    while (pos < old.size()) {
      size_t eol = old.find('\n', pos);
      if (eol == std::string::npos) break;  // a torn last line is dropped
      std::string_view line(old.data() + pos, eol - pos);
      pos = eol + 1;
      auto doc = ParseJson(line, path);
      if (!doc.ok() || !doc->IsObject()) continue;
      auto step = JsonGetInt(*doc, "step", path);
      // An eval line's step counts updates done (the checkpoint it scored): the eval of the
      // checkpoint a run resumes from stays.
      const bool eval = doc->HasMember("eval");
      if (step.ok() && (*step < from_step || (eval && *step == from_step))) {
        kept.append(line);
        kept.push_back('\n');
      }
    }
  }
  KGF_RETURN_IF_ERROR(WriteFileAtomic(path, kept));
  MetricsWriter w;
  w.path_ = path;
  w.file_ = std::fopen(path.c_str(), "ab");
  if (w.file_ == nullptr) return IoError(path + ": cannot open for append: " + std::strerror(errno));
  return w;
}

MetricsWriter::MetricsWriter(MetricsWriter&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_) {
  other.file_ = nullptr;
}

MetricsWriter& MetricsWriter::operator=(MetricsWriter&& other) noexcept {
  if (this != &other) {
    if (file_) std::fclose(file_);
    path_ = std::move(other.path_);
    file_ = other.file_;
    other.file_ = nullptr;
  }
  return *this;
}

MetricsWriter::~MetricsWriter() {
  if (file_) std::fclose(file_);
}

Status MetricsWriter::WriteEval(int64_t step, std::string_view eval_json) {
  std::string json(eval_json);
  while (!json.empty() && (json.back() == '\n' || json.back() == ' ')) json.pop_back();
  const std::string line = "{\"step\":" + std::to_string(step) + ",\"eval\":" + json + "}\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return IoError(path_ + ": write failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status MetricsWriter::Write(const StepMetrics& m) {
  const std::string line = m.ToJson() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return IoError(path_ + ": write failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace kgf::trainer
