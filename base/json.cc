#include "base/json.h"

#include <rapidjson/error/en.h>
#include <algorithm>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kgf {

int JsonNestingDepth(std::string_view text, int limit, size_t* offset) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (depth > limit) {
        if (offset != nullptr) *offset = i;
        return depth;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

bool ParseJsonDepthLimited(std::string_view text, JsonDoc* doc) {
  if (JsonNestingDepth(text) > kMaxJsonDepth) return false;
  doc->Parse(text.data(), text.size());
  return true;
}

Result<JsonDoc> ParseJson(std::string_view text, std::string_view where) {
  size_t at = 0;
  if (JsonNestingDepth(text, kMaxJsonDepth, &at) > kMaxJsonDepth) {
    return InvalidArgumentError(std::string(where) + ": JSON nested deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels at offset " +
                                std::to_string(at));
  }
  JsonDoc doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return InvalidArgumentError(std::string(where) + ": invalid JSON at offset " +
                                std::to_string(doc.GetErrorOffset()) + ": " +
                                rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

std::string JsonToString(const JsonValue& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  value.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string JsonToPrettyString(const JsonValue& value) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buf);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string JsonQuote(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {
Status Missing(const char* field, std::string_view where) {
  return InvalidArgumentError(std::string(where) + ": field '" + field + "' missing");
}
Status WrongType(const char* field, std::string_view where, const char* want) {
  return InvalidArgumentError(std::string(where) + ": field '" + field + "' must be " + want);
}
}  // namespace

Result<std::string> JsonGetString(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsString()) return WrongType(field, where, "a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<int64_t> JsonGetInt(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsInt64()) return WrongType(field, where, "an integer");
  return it->value.GetInt64();
}

Result<double> JsonGetDouble(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsNumber()) return WrongType(field, where, "a number");
  return it->value.GetDouble();
}

Result<bool> JsonGetBool(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsBool()) return WrongType(field, where, "true or false");
  return it->value.GetBool();
}

Result<const JsonValue*> JsonGetArray(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsArray()) return WrongType(field, where, "an array");
  return &it->value;
}

Result<const JsonValue*> JsonGetObject(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsObject()) return WrongType(field, where, "an object");
  return &it->value;
}

}  // namespace kgf
