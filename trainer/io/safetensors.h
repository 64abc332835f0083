// The safetensors file format (huggingface/safetensors), F32 tensors only: what checkpoints,
// optimizer state and `kgforge model grads` are written in, so Python loads them unchanged.
// Layout: uint64 LE N | N bytes of JSON header, padded with spaces so 8 + N is a multiple of 8 |
// byte buffer. Header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ...}; offsets are relative to the byte buffer, tensors tile it
// with no gaps or overlaps. Source: safetensors/safetensors/src/tensor.rs.
#ifndef KGF_TRAINER_IO_SAFETENSORS_H_
#define KGF_TRAINER_IO_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

// A tensor to write: borrowed name, shape and data. REQUIRES: data.size() == prod(shape).
struct TensorRef {
  std::string_view name;
  std::span<const int64_t> shape;
  std::span<const float> data;
};

using SafetensorsMetadata = std::map<std::string, std::string>;

// The complete file bytes. Tensors are laid out (and listed in the header) in the given order;
// "__metadata__" comes first when non-empty. Deterministic: same input, same bytes.
// REQUIRES: names unique and not "__metadata__" (a bug otherwise; KGF_CHECK).
std::string EncodeSafetensors(std::span<const TensorRef> tensors,
                              const SafetensorsMetadata& metadata = {});
// EncodeSafetensors + WriteFileAtomic.
Status WriteSafetensors(const std::string& path, std::span<const TensorRef> tensors,
                        const SafetensorsMetadata& metadata = {});

// A parsed, fully validated safetensors file held in memory. Move-only value; thread-safe const.
class SafetensorsFile {
 public:
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // byte offsets in the data buffer
    int64_t numel() const;
  };

  // Errors: NotFound / IoError from reading; DataLoss naming `path` for a truncated file, a
  // header length past the end, malformed header JSON, offsets out of range / overlapping /
  // leaving gaps, or a size that disagrees with the shape; InvalidArgument for a dtype other
  // than F32 (named with the tensor).
  static Result<SafetensorsFile> Read(const std::string& path);
  // Same checks on bytes already in memory; `where` names them in errors.
  static Result<SafetensorsFile> Parse(std::string bytes, std::string_view where);

  // Tensors in file order (by data offset).
  const std::vector<Entry>& entries() const { return entries_; }
  const SafetensorsMetadata& metadata() const { return metadata_; }
  // nullptr when absent.
  const Entry* Find(std::string_view name) const;
  // The tensor's values (copied out: the buffer need not be 4-byte aligned).
  std::vector<float> Values(const Entry& entry) const;
  // Copies the values into `out`. REQUIRES: out.size() == entry.numel().
  void CopyValues(const Entry& entry, std::span<float> out) const;

 private:
  std::string bytes_;
  uint64_t data_start_ = 0;
  std::vector<Entry> entries_;
  SafetensorsMetadata metadata_;
};

// Which buffer of a Parameter to read or write.
enum class ParameterField { kValue, kGrad };

// Writes every parameter's value (or grad) under its name with its shape.
Status WriteParameters(const std::string& path, const ParameterList& params, ParameterField field,
                       const SafetensorsMetadata& metadata = {});
// Copies the file's tensors into the parameters' values (or grads), matching by name.
// Errors (FailedPrecondition, naming `where`): a parameter missing from the file, a tensor the
// model does not have, or a shape mismatch ("model.layers.0.mlp.gate.weight: checkpoint shape
// [8, 64] but the model has [4, 64]"). Nothing is modified unless everything matches.
Status LoadParameters(const SafetensorsFile& file, const ParameterList& params,
                      ParameterField field, std::string_view where);

// "[2, 3]"
std::string ShapeString(std::span<const int64_t> shape);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_SAFETENSORS_H_
