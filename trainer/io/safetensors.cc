#include "trainer/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "base/file_util.h"
#include "base/json.h"

namespace kgf::trainer {
namespace {

// safetensors rejects headers over 100 MB (tensor.rs MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Elements of a shape; -1 when the product overflows int64 (a hostile header: "[2^62, 4]").
int64_t Numel(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return -1;
  }
  return n;
}

void AppendLe64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t ReadLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// float -> bf16 bits, round to nearest even; NaN stays a (quiet) NaN.
uint16_t FloatToBf16Bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

float Bf16BitsToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// IEEE 754 binary16 -> float (exact: every half is a float).
float F16BitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
  // Subnormal (or zero): mant x 2^-24.
  const float v = static_cast<float>(mant) * 0x1p-24f;
  return sign ? -v : v;
}

std::optional<SafetensorsDtype> ParseDtype(std::string_view s) {
  if (s == "F32") return SafetensorsDtype::kF32;
  if (s == "BF16") return SafetensorsDtype::kBF16;
  if (s == "F16") return SafetensorsDtype::kF16;
  return std::nullopt;
}

}  // namespace

std::string_view SafetensorsDtypeName(SafetensorsDtype dtype) {
  switch (dtype) {
    case SafetensorsDtype::kF32: return "F32";
    case SafetensorsDtype::kBF16: return "BF16";
    case SafetensorsDtype::kF16: return "F16";
  }
  return "?";
}

int SafetensorsDtypeBytes(SafetensorsDtype dtype) {
  return dtype == SafetensorsDtype::kF32 ? 4 : 2;
}

std::string ShapeString(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t SafetensorsFile::Entry::numel() const { return Numel(shape); }

std::string EncodeSafetensors(std::span<const TensorRef> tensors,
                              const SafetensorsMetadata& metadata) {
  // Header JSON, compact, in the given order (the format does not prescribe one).
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first_kv = true;
    for (const auto& [k, v] : metadata) {
      if (!first_kv) header += ",";
      first_kv = false;
      header += JsonQuote(k) + ":" + JsonQuote(v);
    }
    header += "}";
    first = false;
  }
  uint64_t offset = 0;
  std::set<std::string_view> seen;
  for (const TensorRef& t : tensors) {
    KGF_CHECK(t.name != "__metadata__") << "reserved tensor name";
    KGF_CHECK(seen.insert(t.name).second) << "duplicate tensor name " << t.name;
    KGF_CHECK_EQ(static_cast<int64_t>(t.data.size()), Numel(t.shape)) << t.name;
    KGF_CHECK(t.dtype != SafetensorsDtype::kF16) << "F16 is read, never written";
    if (!first) header += ",";
    first = false;
    const uint64_t bytes = t.data.size() * SafetensorsDtypeBytes(t.dtype);
    header += JsonQuote(t.name) + ":{\"dtype\":\"" + std::string(SafetensorsDtypeName(t.dtype)) +
              "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) header += ",";
      header += std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  // Pad with spaces so the byte buffer starts 8-byte aligned (as the reference writer does).
  while ((8 + header.size()) % 8 != 0) header.push_back(' ');

  std::string out;
  out.reserve(8 + header.size() + offset);
  AppendLe64(&out, header.size());
  out += header;
  static_assert(std::endian::native == std::endian::little, "safetensors is little-endian");
  for (const TensorRef& t : tensors) {
    if (t.dtype == SafetensorsDtype::kF32) {
      out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
      continue;
    }
    for (float f : t.data) {
      const uint16_t b = FloatToBf16Bits(f);
      out.push_back(static_cast<char>(b & 0xff));
      out.push_back(static_cast<char>(b >> 8));
    }
  }
  return out;
}

Status WriteSafetensors(const std::string& path, std::span<const TensorRef> tensors,
                        const SafetensorsMetadata& metadata) {
  return WriteFileAtomic(path, EncodeSafetensors(tensors, metadata));
}

Result<SafetensorsFile> SafetensorsFile::Read(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return Parse(std::move(bytes), path);
}

Result<SafetensorsFile> SafetensorsFile::Parse(std::string bytes, std::string_view where) {
  const std::string w(where);
  if (bytes.size() < 8) {
    return DataLossError(w + ": truncated safetensors file (" + std::to_string(bytes.size()) +
                         " bytes, the 8-byte header length is missing)");
  }
  const uint64_t n = ReadLe64(bytes.data());
  if (n > kMaxHeaderBytes || n > bytes.size() - 8) {
    return DataLossError(w + ": safetensors header length " + std::to_string(n) +
                         " exceeds the file (" + std::to_string(bytes.size()) +
                         " bytes): truncated or not a safetensors file");
  }
  std::string_view header(bytes.data() + 8, n);
  if (header.empty() || header[0] != '{') {
    return DataLossError(w + ": safetensors header does not start with '{'");
  }
  auto parsed = ParseJson(header, w + " (safetensors header)");
  if (!parsed.ok()) return DataLossError(parsed.status().message());
  JsonDoc doc = std::move(parsed).value();
  if (!doc.IsObject()) return DataLossError(w + ": safetensors header is not a JSON object");

  SafetensorsFile file;
  const uint64_t data_size = bytes.size() - 8 - n;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const JsonValue& v = it->value;
    if (name == "__metadata__") {
      if (!v.IsObject()) return DataLossError(w + ": __metadata__ is not an object");
      for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
        if (!m->value.IsString()) {
          return DataLossError(w + ": __metadata__ value of '" + m->name.GetString() +
                               "' is not a string");
        }
        file.metadata_[m->name.GetString()] = m->value.GetString();
      }
      continue;
    }
    const std::string tw = w + ": tensor '" + name + "'";
    if (!v.IsObject()) return DataLossError(tw + " is not an object");
    auto dtype = v.FindMember("dtype");
    auto shape = v.FindMember("shape");
    auto offsets = v.FindMember("data_offsets");
    if (dtype == v.MemberEnd() || !dtype->value.IsString() || shape == v.MemberEnd() ||
        !shape->value.IsArray() || offsets == v.MemberEnd() || !offsets->value.IsArray() ||
        offsets->value.Size() != 2) {
      return DataLossError(tw + " needs string dtype, array shape and data_offsets [begin, end]");
    }
    std::optional<SafetensorsDtype> dt = ParseDtype(dtype->value.GetString());
    if (!dt) {
      return InvalidArgumentError(tw + " has dtype " + dtype->value.GetString() +
                                  "; supported are F32, BF16 and F16 (convert the checkpoint)");
    }
    Entry e;
    e.name = name;
    e.dtype = *dt;
    for (const auto& d : shape->value.GetArray()) {
      if (!d.IsInt64() || d.GetInt64() < 0) return DataLossError(tw + ": bad shape entry");
      e.shape.push_back(d.GetInt64());
    }
    if (!offsets->value[0].IsUint64() || !offsets->value[1].IsUint64()) {
      return DataLossError(tw + ": data_offsets must be non-negative integers");
    }
    e.begin = offsets->value[0].GetUint64();
    e.end = offsets->value[1].GetUint64();
    if (e.begin > e.end || e.end > data_size) {
      return DataLossError(tw + ": data_offsets [" + std::to_string(e.begin) + ", " +
                           std::to_string(e.end) + "] outside the " + std::to_string(data_size) +
                           "-byte buffer (truncated file?)");
    }
    const uint64_t width = SafetensorsDtypeBytes(e.dtype);
    if (e.numel() < 0 || static_cast<uint64_t>(e.numel()) > (e.end - e.begin) / width ||
        e.end - e.begin != static_cast<uint64_t>(e.numel()) * width) {
      return DataLossError(tw + ": " + std::to_string(e.end - e.begin) +
                           " bytes do not match shape " + ShapeString(e.shape));
    }
    file.entries_.push_back(std::move(e));
  }
  std::sort(file.entries_.begin(), file.entries_.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  uint64_t expected = 0;
  for (const Entry& e : file.entries_) {
    if (e.begin != expected) {
      return DataLossError(w + ": tensor '" + e.name + "' starts at byte " +
                           std::to_string(e.begin) + " but the previous tensor ends at " +
                           std::to_string(expected) + " (gap or overlap)");
    }
    expected = e.end;
  }
  if (expected != data_size) {
    return DataLossError(w + ": tensors cover " + std::to_string(expected) + " bytes but the buffer has " +
                         std::to_string(data_size) + " (truncated or trailing bytes)");
  }
  file.data_start_ = 8 + n;
  file.bytes_ = std::move(bytes);
  return file;
}

const SafetensorsFile::Entry* SafetensorsFile::Find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<float> SafetensorsFile::Values(const Entry& entry) const {
  std::vector<float> out(entry.numel());
  CopyValues(entry, out);
  return out;
}

void SafetensorsFile::CopyValues(const Entry& entry, std::span<float> out) const {
  KGF_CHECK_EQ(static_cast<int64_t>(out.size()), entry.numel());
  if (out.empty()) return;
  const char* p = bytes_.data() + data_start_ + entry.begin;
  if (entry.dtype == SafetensorsDtype::kF32) {
    std::memcpy(out.data(), p, out.size() * sizeof(float));
    return;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const uint16_t b = static_cast<uint16_t>(static_cast<unsigned char>(p[2 * i]) |
                                             static_cast<unsigned char>(p[2 * i + 1]) << 8);
    out[i] = entry.dtype == SafetensorsDtype::kBF16 ? Bf16BitsToFloat(b) : F16BitsToFloat(b);
  }
}

Status SafetensorsShards::Add(SafetensorsFile file, std::string_view where) {
  auto owned = std::make_unique<SafetensorsFile>(std::move(file));
  for (const SafetensorsFile::Entry& e : owned->entries()) {
    if (index_.count(e.name)) {
      return FailedPreconditionError(std::string(where) + ": tensor '" + e.name +
                                     "' is also in an earlier file of the set");
    }
  }
  for (const SafetensorsFile::Entry& e : owned->entries()) index_[e.name] = {owned.get(), &e};
  files_.push_back(std::move(owned));
  return Status::Ok();
}

std::optional<SafetensorsShards::Tensor> SafetensorsShards::Find(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::vector<SafetensorsShards::Tensor> SafetensorsShards::All() const {
  std::vector<Tensor> out;
  for (const auto& f : files_) {
    for (const SafetensorsFile::Entry& e : f->entries()) out.push_back({f.get(), &e});
  }
  return out;
}

Status WriteParameters(const std::string& path, const ParameterList& params, ParameterField field,
                       const SafetensorsMetadata& metadata) {
  std::vector<TensorRef> refs;
  refs.reserve(params.size());
  for (const Parameter* p : params) {
    const auto& data = field == ParameterField::kValue ? p->value : p->grad;
    refs.push_back({p->name, p->shape, data});
  }
  return WriteSafetensors(path, refs, metadata);
}

Status CheckFiniteTensors(const SafetensorsShards& tensors, std::string_view where) {
  std::vector<float> values;
  for (const SafetensorsShards::Tensor& t : tensors.All()) {
    values.resize(static_cast<size_t>(t.entry->numel()));
    t.file->CopyValues(*t.entry, values);
    for (float v : values) {
      if (!std::isfinite(v)) {
        return DataLossError(std::string(where) + ": tensor '" + t.entry->name +
                             "' holds a non-finite value");
      }
    }
  }
  return Status::Ok();
}

Status LoadParameters(const SafetensorsShards& tensors, const ParameterList& params,
                      ParameterField field, std::string_view where) {
  const std::string w(where);
  std::vector<SafetensorsShards::Tensor> matched(params.size());
  std::set<std::string_view> names;
  for (size_t i = 0; i < params.size(); ++i) {
    const Parameter& p = *params[i];
    names.insert(p.name);
    std::optional<SafetensorsShards::Tensor> t = tensors.Find(p.name);
    if (!t) {
      return FailedPreconditionError(w + ": tensor '" + p.name +
                                     "' of the model is missing (a checkpoint of another model?)");
    }
    if (t->entry->shape != p.shape) {
      return FailedPreconditionError(w + ": " + p.name + ": checkpoint shape " +
                                     ShapeString(t->entry->shape) + " but the model has " +
                                     ShapeString(p.shape) + " (a checkpoint of another shape)");
    }
    matched[i] = *t;
  }
  for (const SafetensorsShards::Tensor& t : tensors.All()) {
    if (!names.count(t.entry->name)) {
      return FailedPreconditionError(w + ": tensor '" + t.entry->name +
                                     "' is not a parameter of the model (a checkpoint of another shape)");
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    auto& data = field == ParameterField::kValue ? params[i]->value : params[i]->grad;
    data.resize(params[i]->value.size());
    matched[i].file->CopyValues(*matched[i].entry, data);
  }
  return Status::Ok();
}

Status LoadParameters(const SafetensorsFile& file, const ParameterList& params,
                      ParameterField field, std::string_view where) {
  SafetensorsShards one;  // holds a copy of the file's bytes
  KGF_RETURN_IF_ERROR(one.Add(file, where));
  return LoadParameters(one, params, field, where);
}

}  // namespace kgf::trainer
