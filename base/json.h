// JSON helpers over RapidJSON (the project's JSON type): parse with a located error,
// serialise compactly, and read typed fields with errors that name the field.
#ifndef KGF_BASE_JSON_H_
#define KGF_BASE_JSON_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kgf {

using JsonDoc = rapidjson::Document;
using JsonValue = rapidjson::Value;

// Parses `text`; on error the message is "<where>: invalid JSON at offset N: <reason>".
Result<JsonDoc> ParseJson(std::string_view text, std::string_view where);
// Compact serialisation (no spaces), UTF-8 passed through unescaped.
std::string JsonToString(const JsonValue& value);
std::string JsonToPrettyString(const JsonValue& value);
// JSON string literal for `s`, including the quotes.
std::string JsonQuote(std::string_view s);

// Typed field access: errors read "<where>: field 'name' missing" / "... must be a string".
Result<std::string> JsonGetString(const JsonValue& obj, const char* field, std::string_view where);
Result<int64_t> JsonGetInt(const JsonValue& obj, const char* field, std::string_view where);
Result<double> JsonGetDouble(const JsonValue& obj, const char* field, std::string_view where);
Result<bool> JsonGetBool(const JsonValue& obj, const char* field, std::string_view where);
// Returns the member or an error when it is missing / not of the kind wanted.
Result<const JsonValue*> JsonGetArray(const JsonValue& obj, const char* field, std::string_view where);
Result<const JsonValue*> JsonGetObject(const JsonValue& obj, const char* field, std::string_view where);

}  // namespace kgf

#endif  // KGF_BASE_JSON_H_
