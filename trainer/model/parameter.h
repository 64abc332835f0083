// Parameter: one named, trainable tensor of the model (value + gradient, fp32), the unit the
// optimizer, the checkpoint writer and the gradient communicator work on. Names follow Ling's
// Hugging Face layout ("model.layers.3.mlp.gate.weight") so checkpoints load there unchanged.
#ifndef KGF_TRAINER_MODEL_PARAMETER_H_
#define KGF_TRAINER_MODEL_PARAMETER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kgf::trainer {

struct Parameter {
  std::string name;            // HF tensor name
  std::vector<int64_t> shape;  // row-major, HF orientation: Linear weights are (out, in)
  std::vector<float> value;    // (prod(shape))
  std::vector<float> grad;     // (prod(shape)); accumulated by backward, zeroed by the trainer
  bool weight_decay = true;    // false for norms (and embeddings when configured)

  int64_t numel() const { return static_cast<int64_t>(value.size()); }
};

// A view of all parameters of a model in a fixed order (the order of checkpoints and of the
// flattened gradient the communicator reduces).
using ParameterList = std::vector<Parameter*>;

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_PARAMETER_H_
