// Training checkpoints (SPEC §5): one directory per saved step inside the run directory,
//   <run>/step-00000120/
//     config.json            ModelConfig::ToJson(): loads in Hugging Face as a Ling config
//     model.safetensors      every parameter under its HF name (raw lm_head W, not normalised)
//     optimizer.safetensors  AdamW moments "<name>.exp_avg" / "<name>.exp_avg_sq" (optimizer.h)
//     trainer_state.json     TrainerState below
//     checksums.xxh3         "<file> xxh3:<16 hex>" for each file above, written last
// A checkpoint is written into <run>/.step-00000120.tmp-<pid> and renamed into place, so a
// crash leaves either the complete directory or nothing under the final name. The newest
// `keep_last` checkpoints are kept. Loading verifies every checksum and parses everything;
// the latest checkpoint that passes is used and each one skipped is logged with its reason.
#ifndef KGF_TRAINER_IO_CHECKPOINT_H_
#define KGF_TRAINER_IO_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "trainer/io/safetensors.h"

namespace kgf::trainer {

inline constexpr char kConfigFile[] = "config.json";
inline constexpr char kModelFile[] = "model.safetensors";
inline constexpr char kOptimizerFile[] = "optimizer.safetensors";
inline constexpr char kTrainerStateFile[] = "trainer_state.json";
inline constexpr char kChecksumsFile[] = "checksums.xxh3";
// Optional: the EDiT local-SGD state (trainer/train/local_sgd.h) of a run that syncs so.
inline constexpr char kLocalSgdFile[] = "local_sgd.safetensors";

// Everything besides parameters and optimizer moments that a resumed run needs to continue
// exactly as the uninterrupted one would have.
struct TrainerState {
  int64_t step = 0;                     // updates completed; the next update is `step`
  int64_t data_position = 0;            // sequences consumed from the data loader
  int64_t tokens_seen = 0;              // input tokens of applied updates
  std::array<uint64_t, 4> rng_state{};  // the trainer's Rng
  std::string spike_detector = "{}";    // SpikeDetector::StateJson()
  std::vector<float> router_state;      // Model::RouterState() (warmup EMA statistics)
  double last_lr = 0;                   // LR of the last update (the schedule is f(step))
  double elapsed_seconds = 0;           // training wall time so far
  std::string options = "{}";           // the run's options as JSON (for people; not read back)

  // Exact: doubles and floats are stored as their bits.
  std::string ToJson() const;
  // Errors: InvalidArgument naming `where` and the field.
  static Result<TrainerState> FromJson(std::string_view json, std::string_view where);
};

// "step-00000120"
std::string CheckpointDirName(int64_t step);

// What to write. The config is ModelConfig::ToJson(); the model and optimizer files are the
// encoded safetensors bytes (EncodeSafetensors / Optimizer::Save's format).
struct CheckpointContents {
  int64_t step = 0;
  std::string config_json;
  std::string model_safetensors;
  std::string optimizer_safetensors;
  std::string local_sgd_safetensors;  // written (and checksummed) only when non-empty
  TrainerState state;
};

// Writes <run_dir>/step-NNNNNNNN atomically (replacing one of the same step), then deletes all
// but the newest `keep_last` checkpoints (keep_last <= 0 keeps all) and stale temporary
// directories. Returns the checkpoint directory. Errors: IoError naming the path.
Result<std::string> SaveCheckpoint(const std::string& run_dir, const CheckpointContents& contents,
                                   int keep_last);

// A verified, parsed checkpoint: kgforge's own, or a Hugging Face model directory
// (hf_checkpoint.h), which has no optimizer state and a default TrainerState.
struct Checkpoint {
  std::string dir;
  int64_t step = 0;
  std::string config_json;
  SafetensorsShards model;
  SafetensorsFile optimizer;
  std::optional<SafetensorsFile> local_sgd;  // when the checkpoint has kLocalSgdFile
  TrainerState state;
  bool from_hf = false;
};

// Reads and verifies one checkpoint directory: the checksums file present and listing every
// file, every checksum matching, both safetensors files valid, trainer_state.json parseable and
// its step equal to the directory's. Errors: NotFound (no such directory / file), DataLoss
// naming the file and what is wrong (checksum mismatch, truncation, ...).
Result<Checkpoint> ReadCheckpoint(const std::string& dir);

// Checkpoint directories under run_dir as (step, path), oldest first. Temporary ones excluded.
std::vector<std::pair<int64_t, std::string>> ListCheckpoints(const std::string& run_dir);

// The newest checkpoint of run_dir that ReadCheckpoint accepts; each newer one that fails is
// logged (WARNING, with the reason) and appended to `skipped` when given. nullopt when run_dir
// has no valid checkpoint (or does not exist).
std::optional<Checkpoint> ReadLatestCheckpoint(const std::string& run_dir,
                                               std::vector<std::string>* skipped = nullptr);

// `path` is a checkpoint directory (ReadCheckpoint), a Hugging Face model directory
// (ReadHfModelDir) or a run directory (its newest valid checkpoint). Errors: NotFound (no such
// directory, or a run directory without checkpoints), DataLoss (the checkpoint, or every
// checkpoint of the run, is corrupt; the reason named).
Result<Checkpoint> ReadCheckpointOrLatest(const std::string& path);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_CHECKPOINT_H_
