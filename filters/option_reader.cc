// OptionReader (see option_reader.h).
#include "filters/option_reader.h"

#include <sstream>

#include "base/file_util.h"

namespace kgf::filters {

const JsonValue* OptionReader::Find(const char* key) {
  used_.insert(key);
  auto it = obj_.FindMember(key);
  return it == obj_.MemberEnd() ? nullptr : &it->value;
}

template <typename T>
static Status RangeError(const std::string& where, const char* key, T lo, T hi, T got) {
  std::ostringstream os;
  os << where << ": '" << key << "' must be in [" << lo << ", " << hi << "], got " << got;
  return InvalidArgumentError(os.str());
}

Status OptionReader::Double(const char* key, double* out, double lo, double hi) {
  const JsonValue* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsNumber()) return InvalidArgumentError(where_ + ": '" + key + "' must be a number");
  double d = v->GetDouble();
  if (!(d >= lo && d <= hi)) return RangeError(where_, key, lo, hi, d);
  *out = d;
  return Status::Ok();
}

Status OptionReader::Int(const char* key, int64_t* out, int64_t lo, int64_t hi) {
  const JsonValue* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsInt64()) return InvalidArgumentError(where_ + ": '" + key + "' must be an integer");
  int64_t d = v->GetInt64();
  if (d < lo || d > hi) return RangeError(where_, key, lo, hi, d);
  *out = d;
  return Status::Ok();
}

Status OptionReader::Int(const char* key, int* out, int lo, int hi) {
  int64_t v = *out;
  KGF_RETURN_IF_ERROR(Int(key, &v, lo, hi));
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status OptionReader::Bool(const char* key, bool* out) {
  const JsonValue* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsBool()) return InvalidArgumentError(where_ + ": '" + key + "' must be true or false");
  *out = v->GetBool();
  return Status::Ok();
}

Status OptionReader::String(const char* key, std::string* out) {
  const JsonValue* v = Find(key);
  if (v == nullptr) return Status::Ok();
  if (!v->IsString()) return InvalidArgumentError(where_ + ": '" + key + "' must be a string");
  *out = v->GetString();
  return Status::Ok();
}

Status OptionReader::Path(const char* key, std::string* out) {
  std::string value;
  KGF_RETURN_IF_ERROR(String(key, &value));
  if (!value.empty()) *out = JoinPath(config_dir_, value);  // keeps an absolute path
  return Status::Ok();
}

Status OptionReader::Enum(const char* key, std::string* out,
                          const std::vector<std::string>& allowed) {
  std::string value = *out;
  KGF_RETURN_IF_ERROR(String(key, &value));
  for (const auto& a : allowed) {
    if (a == value) {
      *out = value;
      return Status::Ok();
    }
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return InvalidArgumentError(where_ + ": '" + key + "' must be one of " + list + ", got '" +
                              value + "'");
}

Status OptionReader::StringList(const char* key, std::vector<std::string>* out) {
  const JsonValue* v = Find(key);
  if (v == nullptr) return Status::Ok();
  std::string err = where_ + ": '" + key + "' must be an array of strings";
  if (!v->IsArray()) return InvalidArgumentError(err);
  std::vector<std::string> list;
  for (const auto& e : v->GetArray()) {
    if (!e.IsString()) return InvalidArgumentError(err);
    list.emplace_back(e.GetString(), e.GetStringLength());
  }
  *out = std::move(list);
  return Status::Ok();
}

Status OptionReader::Finish() const {
  std::string unknown;
  for (auto it = obj_.MemberBegin(); it != obj_.MemberEnd(); ++it) {
    std::string k = it->name.GetString();
    if (!used_.count(k)) unknown += (unknown.empty() ? "'" : ", '") + k + "'";
  }
  if (unknown.empty()) return Status::Ok();
  std::string known;
  for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
  return InvalidArgumentError(where_ + ": unknown option " + unknown + "; known options: " +
                              known);
}

}  // namespace kgf::filters
