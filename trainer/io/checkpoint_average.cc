#include "trainer/io/checkpoint_average.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "base/file_util.h"
#include "trainer/io/checkpoint.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/safetensors.h"

namespace kgf::trainer {
namespace {

namespace fs = std::filesystem;

// The checkpoint directories to average, oldest step first.
Result<std::vector<std::string>> ResolveInputs(const AverageOptions& o) {
  std::vector<std::string> dirs;
  if (o.last > 0) {
    if (o.inputs.size() != 1) {
      return InvalidArgumentError("checkpoint average: --last takes exactly one run directory, got " +
                                  std::to_string(o.inputs.size()) + " inputs");
    }
    auto all = ListCheckpoints(o.inputs[0]);
    if (all.size() < static_cast<size_t>(o.last)) {
      return InvalidArgumentError(
          "checkpoint average: " + o.inputs[0] + " has " + std::to_string(all.size()) +
          " checkpoints, fewer than --last " + std::to_string(o.last) +
          "; keep more (train --keep-checkpoints) or average fewer");
    }
    for (size_t i = all.size() - o.last; i < all.size(); ++i) dirs.push_back(all[i].second);
  } else {
    dirs = o.inputs;
  }
  if (dirs.size() < 2) {
    return InvalidArgumentError("checkpoint average: needs at least two checkpoints, got " +
                                std::to_string(dirs.size()));
  }
  return dirs;
}

Status Mismatch(const Checkpoint& a, const Checkpoint& b, const std::string& what) {
  return InvalidArgumentError("checkpoint average: " + b.dir + " differs from " + a.dir + " in " +
                              what + "; average checkpoints of one run only");
}

Result<CheckpointContents> Average(const std::vector<Checkpoint>& cks, std::string sources) {
  const Checkpoint& newest = cks.back();
  const auto ref_tensors = newest.model.All();
  for (const Checkpoint& ck : cks) {
    if (ck.config_json != newest.config_json) return Mismatch(newest, ck, "config.json");
    if (ck.model.All().size() != ref_tensors.size()) {
      return Mismatch(newest, ck, "its number of tensors");
    }
  }
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> values;
  std::vector<TensorRef> refs;
  for (const auto& t : ref_tensors) {
    const SafetensorsFile::Entry& e = *t.entry;
    std::vector<double> sum(e.numel(), 0.0);
    std::vector<float> buf(e.numel());
    for (const Checkpoint& ck : cks) {
      auto other = ck.model.Find(e.name);
      if (!other) return Mismatch(newest, ck, "tensor " + e.name + " (absent)");
      if (other->entry->shape != e.shape || other->entry->dtype != e.dtype) {
        return Mismatch(newest, ck, "tensor " + e.name + "'s shape or dtype");
      }
      other->file->CopyValues(*other->entry, buf);
      for (size_t i = 0; i < buf.size(); ++i) sum[i] += buf[i];
    }
    for (size_t i = 0; i < buf.size(); ++i) {
      buf[i] = static_cast<float>(sum[i] / static_cast<double>(cks.size()));
    }
    names.push_back(e.name);
    shapes.push_back(e.shape);
    values.push_back(std::move(buf));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    refs.push_back({names[i], shapes[i], values[i], ref_tensors[i].entry->dtype});
  }
  KGF_ASSIGN_OR_RETURN(std::string optimizer,
                       ReadFileToString(JoinPath(newest.dir, kOptimizerFile)));
  CheckpointContents c;
  c.step = newest.step;
  c.config_json = newest.config_json;
  c.model_safetensors =
      EncodeSafetensors(refs, {{"format", "pt"}, {"averaged_from", std::move(sources)}});
  c.optimizer_safetensors = std::move(optimizer);
  c.state = newest.state;
  return c;
}

}  // namespace

Result<AverageResult> AverageCheckpoints(const AverageOptions& o) {
  if (o.out.empty()) return InvalidArgumentError("checkpoint average: no output directory given");
  if (fs::exists(o.out) && !(IsDirectory(o.out) && fs::is_empty(o.out))) {
    return FailedPreconditionError(o.out + " exists and is not an empty directory; choose a new "
                                   "output directory or remove it");
  }
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> dirs, ResolveInputs(o));
  std::vector<Checkpoint> cks;
  for (const std::string& dir : dirs) {
    if (IsHfModelDir(dir)) {
      return InvalidArgumentError("checkpoint average: " + dir +
                                  " is a Hugging Face model directory; average kgforge "
                                  "checkpoints (step-NNNNNNNN directories of a run)");
    }
    KGF_ASSIGN_OR_RETURN(Checkpoint ck, ReadCheckpoint(dir));
    cks.push_back(std::move(ck));
  }
  std::stable_sort(cks.begin(), cks.end(),
                   [](const Checkpoint& a, const Checkpoint& b) { return a.step < b.step; });
  AverageResult result;
  std::string sources;
  for (const Checkpoint& ck : cks) {
    result.sources.push_back(ck.dir);
    if (!sources.empty()) sources += ",";
    sources += fs::path(ck.dir).lexically_normal().filename().string();
  }
  KGF_ASSIGN_OR_RETURN(CheckpointContents contents, Average(cks, sources));
  for (const auto& t : cks.back().model.All()) {
    ++result.tensors;
    result.parameters += t.entry->numel();
  }
  // Written into a temporary run directory beside the target and renamed: all or nothing.
  const StagedDirectory staged = StageDirectory(o.out);
  KGF_RETURN_IF_ERROR(RemoveTree(staged.tmp));
  KGF_RETURN_IF_ERROR(PublishDirectory(SaveCheckpoint(staged.tmp, contents, 0).status(), staged));
  result.step = contents.step;
  result.checkpoint = JoinPath(staged.out, CheckpointDirName(contents.step));
  return result;
}

}  // namespace kgf::trainer
