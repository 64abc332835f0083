// Optimizers over a ParameterList: AdamW (Loshchilov & Hutter, decoupled weight decay, PyTorch
// torch.optim.AdamW semantics) with Ling's settings (SPEC §4: betas 0.9/0.95, eps 1e-8, weight
// decay 0.1), plain SGD for tests, and global-norm gradient clipping.
#ifndef KGF_TRAINER_TRAIN_OPTIMIZER_H_
#define KGF_TRAINER_TRAIN_OPTIMIZER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "trainer/model/parameter.h"
#include "trainer/io/safetensors.h"

namespace kgf::trainer {

enum class OptimizerKind { kAdamW, kSgd };
// "adamw" | "sgd"; anything else -> InvalidArgument.
Result<OptimizerKind> ParseOptimizerKind(std::string_view name);
std::string_view OptimizerKindName(OptimizerKind kind);

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdamW;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  // Decoupled: p -= lr * weight_decay * p, only for parameters with weight_decay = true.
  // AdamW only; SGD is plain p -= lr * g.
  double weight_decay = 0.1;
};

// Square root of the sum of squares of every gradient, accumulated in double in a fixed order
// (independent of the thread count).
double GlobalGradNorm(const ParameterList& params);
// The factor torch.nn.utils.clip_grad_norm_ scales every gradient by: max_norm / (norm + 1e-6)
// if max_norm > 0 and a finite norm exceeds it, else 1.
float GradClipScale(double norm, double max_norm);
// Scales every gradient in place by GradClipScale(GlobalGradNorm(params), max_norm). Returns
// the norm before clipping. The trainer instead hands the scale to Optimizer::Step, which
// applies it as it reads each gradient (the same bits, one pass over the gradients fewer).
double ClipGradNorm(const ParameterList& params, double max_norm);
// Sets every gradient to zero.
void ZeroGradients(const ParameterList& params);
// True when every gradient value is finite.
bool GradientsFinite(const ParameterList& params);

// Holds the optimizer state (AdamW first and second moments, fp32) for a fixed ParameterList.
// REQUIRES: the parameters outlive the optimizer and keep their sizes. Not thread-safe; Step()
// uses TBB inside and its result does not depend on the thread count.
class Optimizer {
 public:
  Optimizer(ParameterList params, OptimizerOptions options);

  // One update with learning rate `lr` from the current gradients (which it does not zero).
  // AdamW (PyTorch order): p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
  // p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), t = step count after increment.
  // g is each gradient times grad_scale (GradClipScale), rounded to float as an in-place
  // ClipGradNorm would leave it; the stored gradients are not changed.
  void Step(double lr, float grad_scale = 1.0f);

  const OptimizerOptions& options() const { return options_; }
  // Updates taken so far (AdamW's t).
  int64_t step_count() const { return step_count_; }

  // State as safetensors: "<param>.exp_avg" and "<param>.exp_avg_sq" for every parameter (AdamW;
  // nothing for SGD), metadata {"optimizer": kind, "step_count": t}.
  Status Save(const std::string& path) const;
  // The bytes Save() writes.
  std::string Encode() const;
  // Restores what Save() wrote. Errors (FailedPrecondition naming `file`'s origin `where`):
  // another optimizer kind, a missing tensor or a shape that does not match the parameters.
  Status Load(const SafetensorsFile& file, std::string_view where);

  // Direct state access (tests). (numel) per parameter, in ParameterList order.
  const std::vector<std::vector<float>>& exp_avg() const { return m_; }
  const std::vector<std::vector<float>>& exp_avg_sq() const { return v_; }

 private:
  ParameterList params_;
  OptimizerOptions options_;
  int64_t step_count_ = 0;
  std::vector<std::vector<float>> m_, v_;  // (numel) per parameter; empty for SGD
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_OPTIMIZER_H_
