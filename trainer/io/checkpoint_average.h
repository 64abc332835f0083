// Checkpoint averaging: the element-wise mean of the parameters of several checkpoints of one
// run (LAWA / "latest weight averaging", Kaddour 2022; Sanyal et al. 2023), written as a new
// checkpoint. Averaging the last checkpoints of a WSD decay smooths decisions that a single
// checkpoint lands on by chance (examples/closed_loop/README.md: one run's 1p stop-or-hop
// accuracy swung 87.8 -> 68.3 -> 70.7% between steps 6,000, 6,500 and 7,000; their average
// scored 82.9%).
//
// The output is a kgforge checkpoint directory <out>/step-NNNNNNNN (NNNNNNNN: the newest
// input's step) whose model.safetensors holds the mean of every parameter (accumulated in
// double, stored as the inputs' dtype) with metadata {"format": "pt", "averaged_from":
// "<dir>,<dir>,..."}. config.json, optimizer.safetensors and trainer_state.json are the newest
// input's: the average is for eval, generate and export-hf; a run resumed from it continues
// with the newest checkpoint's optimizer moments.
#ifndef KGF_TRAINER_IO_CHECKPOINT_AVERAGE_H_
#define KGF_TRAINER_IO_CHECKPOINT_AVERAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace kgf::trainer {

struct AverageOptions {
  // Checkpoint directories, or with `last` > 0 exactly one run directory.
  std::vector<std::string> inputs;
  // > 0: the newest `last` checkpoints of the run directory in `inputs`.
  int last = 0;
  // A new run directory (absent or empty) for the averaged checkpoint.
  std::string out;
};

struct AverageResult {
  std::string checkpoint;            // <out>/step-NNNNNNNN
  int64_t step = 0;                  // the newest input's
  std::vector<std::string> sources;  // the checkpoints averaged, oldest step first
  int64_t tensors = 0;
  int64_t parameters = 0;
};

// Errors: InvalidArgument (fewer than two checkpoints, `last` without exactly one run
// directory, `out` not empty, a Hugging Face directory as input, configs or tensor names,
// shapes or dtypes that differ: the checkpoint and the field named); NotFound / DataLoss from
// reading an input (ReadCheckpoint's reasons); IoError from writing. Nothing is left under
// `out` on error.
Result<AverageResult> AverageCheckpoints(const AverageOptions& options);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_CHECKPOINT_AVERAGE_H_
