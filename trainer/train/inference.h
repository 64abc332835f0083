// Using a trained checkpoint outside the loop: load its model, generate text or token ids
// (`kgforge generate`), and compute the loss and every gradient of one batch
// (`kgforge model grads`, for checking against other implementations, e.g. PyTorch).
#ifndef KGF_TRAINER_TRAIN_INFERENCE_H_
#define KGF_TRAINER_TRAIN_INFERENCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "trainer/model/model.h"

namespace kgf::trainer {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::string dir;   // the checkpoint directory used
  int64_t step = 0;  // its training step
};

// `path` is a checkpoint directory (step-NNNNNNNN) or a run directory (its newest valid
// checkpoint). Router warmup state is restored too. Errors: NotFound (nothing there), DataLoss
// (corrupt checkpoint), InvalidArgument (bad config.json).
Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path);

struct GenerateJob {
  std::string checkpoint;  // checkpoint or run directory
  std::string prompt;      // text with `tokenizer`, else token ids ("5 17 3" or "5,17,3")
  std::string tokenizer;   // sentencepiece model (the corpus folder's tokenizer.model)
  int max_new_tokens = 64;
  double temperature = 0;  // 0 = greedy
  double top_p = 1.0;
  uint64_t seed = 1;
  bool stop_at_end_of_text = true;  // stop at <|end_of_text|> (corpus special id)
};

struct GenerateResult {
  std::vector<int32_t> prompt_ids, new_ids;
  std::string text;  // decoded new tokens (with a tokenizer), else the ids joined by spaces
};

// Errors: as LoadModelFromCheckpoint; InvalidArgument for an empty or unparsable prompt or an
// id >= vocab_size; the tokenizer's errors.
Result<GenerateResult> GenerateFromCheckpoint(const GenerateJob& job);

struct GradsJob {
  std::string checkpoint;  // checkpoint or run directory
  std::string tokens;      // raw little-endian int32 tokens: batch_size rows of equal length L
  std::string out;         // safetensors: every parameter's gradient under its HF name
  int batch_size = 1;      // B; each row gives T = L - 1 positions (targets = next token)
  int64_t step = -1;       // routing-warmup step passed to the model; -1 = the checkpoint's
};

struct GradsResult {
  LossParts loss;
  int B = 0, T = 0;
  std::string checkpoint_dir;
};

// One ForwardBackward (grad_scale 1, all positions trained) from the checkpoint's weights;
// writes the gradients with metadata {"loss", "lm_loss", "balance_loss", "z_loss",
// "target_tokens", "B", "T", "step"} (doubles as %.17g). Errors: as above, InvalidArgument for
// a token file that does not split into batch_size rows of >= 2 tokens or holds ids out of range.
Result<GradsResult> ComputeGradients(const GradsJob& job);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_INFERENCE_H_
