// Subset JSON Schema validation; see the header.
#include "filters/json_schema.h"

#include <cmath>

namespace kgf::filters {

namespace {

std::string KindOf(const JsonValue& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  if (v.IsInt64() || v.IsUint64() || (v.IsDouble() && std::floor(v.GetDouble()) == v.GetDouble())) {
    return "integer";
  }
  return "number";
}

bool TypeMatches(const std::string& want, const JsonValue& v) {
  std::string kind = KindOf(v);
  return want == kind || (want == "number" && kind == "integer");
}

std::string Validate(const JsonValue& schema, const JsonValue& v, const std::string& path) {
  if (!schema.IsObject()) return "";
  auto type = schema.FindMember("type");
  if (type != schema.MemberEnd()) {
    bool ok = false;
    std::string wanted;
    if (type->value.IsString()) {
      wanted = type->value.GetString();
      ok = TypeMatches(wanted, v);
    } else if (type->value.IsArray()) {
      for (const auto& t : type->value.GetArray()) {
        if (!t.IsString()) continue;
        wanted += (wanted.empty() ? "" : "|") + std::string(t.GetString());
        ok = ok || TypeMatches(t.GetString(), v);
      }
    } else {
      ok = true;
    }
    if (!ok) return path + ": expected " + wanted + ", got " + KindOf(v);
  }
  auto en = schema.FindMember("enum");
  if (en != schema.MemberEnd() && en->value.IsArray()) {
    bool found = false;
    for (const auto& e : en->value.GetArray()) found = found || e == v;
    if (!found) return path + ": value not in enum";
  }
  if (v.IsString()) {
    auto ml = schema.FindMember("minLength");
    if (ml != schema.MemberEnd() && ml->value.IsInt64() &&
        static_cast<int64_t>(v.GetStringLength()) < ml->value.GetInt64()) {
      return path + ": string shorter than minLength";
    }
  }
  if (v.IsArray()) {
    auto mi = schema.FindMember("minItems");
    if (mi != schema.MemberEnd() && mi->value.IsInt64() &&
        static_cast<int64_t>(v.Size()) < mi->value.GetInt64()) {
      return path + ": fewer items than minItems " + std::to_string(mi->value.GetInt64());
    }
    auto ma = schema.FindMember("maxItems");
    if (ma != schema.MemberEnd() && ma->value.IsInt64() &&
        static_cast<int64_t>(v.Size()) > ma->value.GetInt64()) {
      return path + ": more items than maxItems " + std::to_string(ma->value.GetInt64());
    }
    auto items = schema.FindMember("items");
    if (items != schema.MemberEnd()) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        std::string e = Validate(items->value, v[i], path + "[" + std::to_string(i) + "]");
        if (!e.empty()) return e;
      }
    }
  }
  if (v.IsObject()) {
    auto req = schema.FindMember("required");
    if (req != schema.MemberEnd() && req->value.IsArray()) {
      for (const auto& r : req->value.GetArray()) {
        if (r.IsString() && !v.HasMember(r.GetString())) {
          return path + ": required property '" + r.GetString() + "' missing";
        }
      }
    }
    auto props = schema.FindMember("properties");
    auto extra = schema.FindMember("additionalProperties");
    bool closed = extra != schema.MemberEnd() && extra->value.IsBool() && !extra->value.GetBool();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      std::string key = m->name.GetString();
      const JsonValue* sub = nullptr;
      if (props != schema.MemberEnd() && props->value.IsObject()) {
        auto p = props->value.FindMember(m->name);
        if (p != props->value.MemberEnd()) sub = &p->value;
      }
      if (sub == nullptr) {
        if (closed) return path + ": unexpected property '" + key + "'";
        continue;
      }
      std::string e = Validate(*sub, m->value, path + "." + key);
      if (!e.empty()) return e;
    }
  }
  return "";
}

}  // namespace

std::string ValidateJsonSchema(const JsonValue& schema, const JsonValue& value) {
  return Validate(schema, value, "$");
}

}  // namespace kgf::filters
