// JSON helpers over RapidJSON (the project's JSON type): parse with a located error,
// serialise compactly, and read typed fields with errors that name the field.
#ifndef KGF_BASE_JSON_H_
#define KGF_BASE_JSON_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kgf {

using JsonDoc = rapidjson::Document;
using JsonValue = rapidjson::Value;

// Deepest nesting a parsed document may have. RapidJSON parses, copies, writes and frees
// values recursively, so a line of 100,000 '[' would overflow the stack; ParseJson and
// ParseJsonDepthLimited refuse anything deeper before parsing.
inline constexpr int kMaxJsonDepth = 256;

// The deepest [ / { nesting in `text` (strings and their escapes skipped), scanning no further
// than the first point where it exceeds `limit`; *offset (if given) gets that point's offset.
int JsonNestingDepth(std::string_view text, int limit = kMaxJsonDepth, size_t* offset = nullptr);

// Parses `text`; on error the message is "<where>: invalid JSON at offset N: <reason>" or
// "<where>: JSON nested deeper than 256 levels at offset N".
Result<JsonDoc> ParseJson(std::string_view text, std::string_view where);
// ParseJson into a document the caller made (for example one on its own allocator).
Status ParseJsonInto(std::string_view text, std::string_view where, JsonDoc* doc);

// Parses `text` into *doc like rapidjson's Parse; false (doc untouched) when it is nested
// deeper than kMaxJsonDepth. For hot paths that treat any bad JSON alike (tool arguments).
bool ParseJsonDepthLimited(std::string_view text, JsonDoc* doc);
// Compact serialisation (no spaces), UTF-8 passed through unescaped.
std::string JsonToString(const JsonValue& value);
std::string JsonToPrettyString(const JsonValue& value);
// JSON string literal for `s`, including the quotes.
std::string JsonQuote(std::string_view s);
// Appends JsonQuote(s) to *out without a temporary (names in observations, hot in synthesis).
void AppendJsonQuoted(std::string_view s, std::string* out);

// Compact JSON written straight into a string, with rapidjson Writer's calls and output (no
// spaces, same escapes), for hot writers: rapidjson copies raw values a byte at a time and
// escapes a byte at a time after the first escape, which made it a fifth of a synthesized
// record's cost. Structure is the caller's to get right (checked in debug builds only).
class JsonAppender {
 public:
  explicit JsonAppender(std::string* out) : out_(out) {}
  void StartObject() { Open('{', true); }
  void EndObject() { Close('}'); }
  void StartArray() { Open('[', false); }
  void EndArray() { Close(']'); }
  void Key(std::string_view k) { String(k); }
  void String(std::string_view s) {
    Prefix();
    AppendJsonQuoted(s, out_);
  }
  void Null() {
    Prefix();
    out_->append("null");
  }
  void Uint64(uint64_t v) {
    Prefix();
    out_->append(std::to_string(v));
  }
  void Int64(int64_t v) {
    Prefix();
    out_->append(std::to_string(v));
  }
  void Bool(bool v) {
    Prefix();
    out_->append(v ? "true" : "false");
  }
  // %.17g (reads back to the same double); NaN and infinities as null.
  void Double(double v);
  // `json` is one complete JSON value, written as is.
  void RawValue(std::string_view json) {
    Prefix();
    out_->append(json);
  }

 private:
  void Prefix() {
    if (levels_.empty()) return;
    Level& l = levels_.back();
    if (l.count > 0) out_->push_back(l.object && l.count % 2 == 1 ? ':' : ',');
    ++l.count;
  }
  void Open(char c, bool object) {
    Prefix();
    out_->push_back(c);
    levels_.push_back({object, 0});
  }
  void Close(char c) {
    levels_.pop_back();
    out_->push_back(c);
  }
  struct Level {
    bool object;
    uint32_t count;  // keys and values written at this level
  };
  std::string* out_;
  std::vector<Level> levels_;
};

// Typed field access: errors read "<where>: field 'name' missing" / "... must be a string".
Result<std::string> JsonGetString(const JsonValue& obj, const char* field, std::string_view where);
Result<int64_t> JsonGetInt(const JsonValue& obj, const char* field, std::string_view where);
// 0 .. 2^64-1; a negative or fractional value is "must be a non-negative integer".
Result<uint64_t> JsonGetUint64(const JsonValue& obj, const char* field, std::string_view where);
Result<double> JsonGetDouble(const JsonValue& obj, const char* field, std::string_view where);
Result<bool> JsonGetBool(const JsonValue& obj, const char* field, std::string_view where);
// Returns the member or an error when it is missing / not of the kind wanted.
Result<const JsonValue*> JsonGetArray(const JsonValue& obj, const char* field, std::string_view where);
Result<const JsonValue*> JsonGetObject(const JsonValue& obj, const char* field, std::string_view where);

// Writes one compact JSON value (UTF-8 passed through), for summaries and reports:
//   JsonWriter w; w.BeginObject().Key("records").Uint(20).Key("out").String(dir).EndObject();
//   w.str()  ->  {"records":20,"out":"..."}
// Keys and values must alternate inside objects (RapidJSON asserts the nesting in debug builds).
class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}
  JsonWriter& BeginObject() { return Done(writer_.StartObject()); }
  JsonWriter& EndObject() { return Done(writer_.EndObject()); }
  JsonWriter& BeginArray() { return Done(writer_.StartArray()); }
  JsonWriter& EndArray() { return Done(writer_.EndArray()); }
  JsonWriter& Key(std::string_view k) {
    return Done(writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())));
  }
  JsonWriter& String(std::string_view v) {
    return Done(writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size())));
  }
  JsonWriter& Int(int64_t v) { return Done(writer_.Int64(v)); }
  JsonWriter& Uint(uint64_t v) { return Done(writer_.Uint64(v)); }
  JsonWriter& Double(double v) { return Done(writer_.Double(v)); }
  JsonWriter& Bool(bool v) { return Done(writer_.Bool(v)); }
  // A value that is already JSON text (an object another module serialised).
  JsonWriter& Raw(std::string_view json) {
    return Done(writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType));
  }
  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  JsonWriter& Done(bool) { return *this; }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace kgf

#endif  // KGF_BASE_JSON_H_
