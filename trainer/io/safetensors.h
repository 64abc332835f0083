// The safetensors file format (huggingface/safetensors): what checkpoints, optimizer state,
// `kgforge model grads` and `model export-hf` are written in, so Python loads them unchanged.
// Written as F32 (checkpoints) or BF16 (exports); read from F32, BF16 and F16 (real Hugging
// Face checkpoints are BF16), always converted to float in memory.
// Layout: uint64 LE N | N bytes of JSON header, padded with spaces so 8 + N is a multiple of 8 |
// byte buffer. Header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]}, ...}; offsets are relative to the byte buffer, tensors tile it
// with no gaps or overlaps. Source: safetensors/safetensors/src/tensor.rs.
#ifndef KGF_TRAINER_IO_SAFETENSORS_H_
#define KGF_TRAINER_IO_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

// Element types read and written. Written BF16 rounds to nearest even (NaN stays NaN).
enum class SafetensorsDtype : uint8_t { kF32, kBF16, kF16 };
// "F32" | "BF16" | "F16": the header's spelling.
std::string_view SafetensorsDtypeName(SafetensorsDtype dtype);
int SafetensorsDtypeBytes(SafetensorsDtype dtype);

// A tensor to write: borrowed name, shape and data, stored as `dtype` (kF32 or kBF16).
// REQUIRES: data.size() == prod(shape).
struct TensorRef {
  std::string_view name;
  std::span<const int64_t> shape;
  std::span<const float> data;
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
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
    SafetensorsDtype dtype = SafetensorsDtype::kF32;
    uint64_t begin = 0, end = 0;  // byte offsets in the data buffer
    int64_t numel() const;
  };

  // Errors: NotFound / IoError from reading; DataLoss naming `path` for a truncated file, a
  // header length past the end, malformed header JSON, offsets out of range / overlapping /
  // leaving gaps, or a size that disagrees with the shape and dtype; InvalidArgument for a
  // dtype other than F32 / BF16 / F16 (named with the tensor).
  static Result<SafetensorsFile> Read(const std::string& path);
  // Same checks on bytes already in memory; `where` names them in errors.
  static Result<SafetensorsFile> Parse(std::string bytes, std::string_view where);

  // Tensors in file order (by data offset).
  const std::vector<Entry>& entries() const { return entries_; }
  const SafetensorsMetadata& metadata() const { return metadata_; }
  // nullptr when absent.
  const Entry* Find(std::string_view name) const;
  // The tensor's values as float (copied out: the buffer need not be aligned).
  std::vector<float> Values(const Entry& entry) const;
  // Copies the values into `out`, converted to float. REQUIRES: out.size() == entry.numel().
  void CopyValues(const Entry& entry, std::span<float> out) const;

 private:
  std::string bytes_;
  uint64_t data_start_ = 0;
  std::vector<Entry> entries_;
  SafetensorsMetadata metadata_;
};

// One or more safetensors files read as one set of named tensors: a checkpoint's
// model.safetensors, or a Hugging Face model sharded as model-00001-of-00003.safetensors ...
// Move-only; thread-safe const.
class SafetensorsShards {
 public:
  struct Tensor {
    const SafetensorsFile* file = nullptr;
    const SafetensorsFile::Entry* entry = nullptr;
  };
  SafetensorsShards() = default;
  SafetensorsShards(SafetensorsShards&&) = default;
  SafetensorsShards& operator=(SafetensorsShards&&) = default;

  // Adds a file. Errors: FailedPrecondition naming `where` when a tensor name is already in an
  // earlier file.
  Status Add(SafetensorsFile file, std::string_view where);
  // nullopt when absent.
  std::optional<Tensor> Find(std::string_view name) const;
  // Every tensor, file by file in data order.
  std::vector<Tensor> All() const;
  size_t num_files() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;  // stable addresses for Tensor
  std::map<std::string, Tensor, std::less<>> index_;
};

// DataLoss naming `where` and the tensor when any value is NaN or infinite.
Status CheckFiniteTensors(const SafetensorsShards& tensors, std::string_view where);

// Which buffer of a Parameter to read or write.
enum class ParameterField { kValue, kGrad };

// Writes every parameter's value (or grad) under its name with its shape.
Status WriteParameters(const std::string& path, const ParameterList& params, ParameterField field,
                       const SafetensorsMetadata& metadata = {});
// Copies the file's tensors into the parameters' values (or grads), matching by name.
// Errors (FailedPrecondition, naming `where`): a parameter missing from the file, a tensor the
// model does not have, or a shape mismatch ("model.layers.0.mlp.gate.weight: checkpoint shape
// [8, 64] but the model has [4, 64]"). Nothing is modified unless everything matches.
Status LoadParameters(const SafetensorsShards& tensors, const ParameterList& params,
                      ParameterField field, std::string_view where);
// The same over one file (copies its bytes: for small files and tests).
Status LoadParameters(const SafetensorsFile& file, const ParameterList& params,
                      ParameterField field, std::string_view where);

// "[2, 3]"
std::string ShapeString(std::span<const int64_t> shape);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_SAFETENSORS_H_
