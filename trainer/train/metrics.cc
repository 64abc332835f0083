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
  std::string s = "{\"step\":" + std::to_string(step) + ",\"loss\":" + JsonDouble(loss) +
                  ",\"lm_loss\":" + JsonDouble(lm_loss) + ",\"balance_loss\":" +
                  JsonDouble(balance_loss) + ",\"z_loss\":" + JsonDouble(z_loss) +
                  ",\"grad_norm\":" + JsonDouble(grad_norm) + ",\"lr\":" + JsonDouble(lr) +
                  ",\"sequences\":" + std::to_string(sequences) +
                  ",\"micro_batches\":" + std::to_string(micro_batches) +
                  ",\"tokens\":" + std::to_string(tokens) +
                  ",\"target_tokens\":" + std::to_string(target_tokens) +
                  ",\"step_seconds\":" + JsonDouble(step_seconds) +
                  ",\"tokens_per_s\":" + JsonDouble(tokens_per_s) +
                  ",\"model_flops_per_s\":" + JsonDouble(model_flops_per_s) + ",\"expert_load\":[";
  for (size_t l = 0; l < expert_load.size(); ++l) {
    const ExpertLoadStats st = ComputeLoadStats(expert_load[l]);
    s += (l ? ",{" : "{") + std::string("\"layer\":") + std::to_string(l) + ",\"counts\":[";
    for (size_t e = 0; e < expert_load[l].size(); ++e) {
      s += (e ? "," : "") + std::to_string(expert_load[l][e]);
    }
    s += "],\"max_over_mean\":" + JsonDouble(st.max_over_mean) +
         ",\"entropy\":" + JsonDouble(st.entropy) + "}";
  }
  s += "],\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) s += (i ? "," : "") + events[i].ToJson();
  s += "]";
  if (!rank_seconds.empty()) {
    s += ",\"ranks\":[";
    for (size_t r = 0; r < rank_seconds.size(); ++r) {
      const auto& t = rank_seconds[r];
      s += (r ? ",{" : "{") + std::string("\"data\":") + JsonDouble(t[0]) + ",\"compute\":" +
           JsonDouble(t[1]) + ",\"comm\":" + JsonDouble(t[2]) + ",\"optimizer\":" +
           JsonDouble(t[3]) + "}";
    }
    s += "]";
  }
  if (!sync.empty()) s += ",\"sync\":" + sync;
  if (!system.empty()) {
    s += ",\"system\":[";
    for (size_t i = 0; i < system.size(); ++i) s += (i ? "," : "") + system[i];
    s += "]";
  }
  return s + "}";
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
