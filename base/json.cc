#include "base/json.h"

#include <rapidjson/error/en.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace kgf {
namespace {

// SAX handler in front of a document: numbers arrive as text (kParseNumbersAsStringsFlag) and
// are converted here. Integers are typed as rapidjson types them (int, unsigned, int64, uint64,
// a double past 64 bits); other numbers go through std::from_chars, which rounds to the nearest
// double. rapidjson 1.1's own conversion can be an ulp off (5.0e215 -> 4.999999999999999e215,
// so a config written back reads as another config) and its full-precision mode is wrong for a
// zero significand ("0e-37" -> 5e-57; found by fuzz/model_config_fuzzer).
class ExactNumbers {
 public:
  explicit ExactNumbers(JsonDoc& doc) : doc_(doc) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_.EndArray(elements); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
    const char* end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      if (*s == '-') {
        int64_t v = 0;
        auto r = std::from_chars(s, end, v);
        if (r.ec == std::errc() && r.ptr == end) {
          return v >= std::numeric_limits<int>::min() ? doc_.Int(static_cast<int>(v)) : doc_.Int64(v);
        }
      } else {
        uint64_t v = 0;
        auto r = std::from_chars(s, end, v);
        if (r.ec == std::errc() && r.ptr == end) {
          return v <= std::numeric_limits<unsigned>::max() ? doc_.Uint(static_cast<unsigned>(v))
                                                           : doc_.Uint64(v);
        }
      }
    }
    double d = 0;
    auto r = std::from_chars(s, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      d = std::strtod(std::string(s, n).c_str(), nullptr);  // underflow: 0 or a subnormal
      if (std::isinf(d)) {
        too_big_ = std::string(s, n);
        return false;
      }
    } else if (r.ec != std::errc() || r.ptr != end) {
      too_big_ = std::string(s, n);  // the reader validated the grammar; not expected
      return false;
    }
    return doc_.Double(d);
  }

  // The number that overflowed a double, or "" (copied out: the handler dies with the parse).
  const std::string& too_big() const { return too_big_; }

 private:
  JsonDoc& doc_;
  std::string too_big_;
};

}  // namespace

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
  JsonDoc doc;
  KGF_RETURN_IF_ERROR(ParseJsonInto(text, where, &doc));
  return doc;
}

Status ParseJsonInto(std::string_view text, std::string_view where, JsonDoc* out) {
  JsonDoc& doc = *out;
  size_t at = 0;
  if (JsonNestingDepth(text, kMaxJsonDepth, &at) > kMaxJsonDepth) {
    return InvalidArgumentError(std::string(where) + ": JSON nested deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels at offset " +
                                std::to_string(at));
  }
  rapidjson::ParseResult result;
  std::string bad_number;
  auto generate = [&](JsonDoc& handler) {
    ExactNumbers exact(handler);
    rapidjson::MemoryStream memory(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(memory);
    rapidjson::Reader reader;
    result = reader.Parse<rapidjson::kParseValidateEncodingFlag |
                          rapidjson::kParseNumbersAsStringsFlag>(in, exact);
    bad_number = exact.too_big();
    return !result.IsError();
  };
  doc.Populate(generate);
  if (!bad_number.empty()) {
    return InvalidArgumentError(std::string(where) + ": number too big for a double: " +
                                bad_number.substr(0, 40));
  }
  if (result.IsError()) {
    return InvalidArgumentError(std::string(where) + ": invalid JSON at offset " +
                                std::to_string(result.Offset()) + ": " +
                                rapidjson::GetParseError_En(result.Code()));
  }
  return Status::Ok();
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
  std::string out;
  AppendJsonQuoted(s, &out);
  return out;
}

namespace {

// The bytes rapidjson's Writer escapes (the same output, byte for byte: tests/base compares the
// two over every byte value): '"', '\\' and every control character (rapidjson 1.1's SSE4.2
// scan lets some of 0x1A-0x1F through raw, which strict readers, rapidjson's own, refuse).
constexpr bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void JsonAppender::Double(double v) {
  Prefix();
  if (!std::isfinite(v)) {
    out_->append("null");
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  out_->append(buf);
}

void AppendJsonQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Output goes through a small stack buffer (a system prompt holding a tool list has an escape
  // every ten bytes or so: appending to the string piece by piece cost more than the scan);
  // runs without escapes are found and copied 32 bytes at a time.
  char buf[1024];
  size_t k = 0;
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
#ifdef __AVX2__
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
  const __m256i space = _mm256_set1_epi8(0x20);
#endif
  while (i < n) {
    if (k > sizeof(buf) - 64) {
      out->append(buf, k);
      k = 0;
    }
#ifdef __AVX2__
    if (i + 32 <= n) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
      // Unsigned c < 0x20 <=> max(c, 0x20) != c.
      const __m256i plain = _mm256_cmpeq_epi8(_mm256_max_epu8(v, space), v);
      const __m256i special = _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
                                              _mm256_cmpeq_epi8(v, backslash));
      const uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(special)) |
                            ~static_cast<uint32_t>(_mm256_movemask_epi8(plain));
      const size_t run = mask == 0 ? 32 : static_cast<size_t>(__builtin_ctz(mask));
      std::memcpy(buf + k, p + i, run);  // k <= 960: room for 32
      k += run;
      i += run;
      if (run == 32) continue;
    }
#endif
    const unsigned char c = static_cast<unsigned char>(p[i++]);
    if (!NeedsEscape(c)) {
      buf[k++] = static_cast<char>(c);
      continue;
    }
    buf[k++] = '\\';
    switch (c) {
      case '"': buf[k++] = '"'; break;
      case '\\': buf[k++] = '\\'; break;
      case '\b': buf[k++] = 'b'; break;
      case '\f': buf[k++] = 'f'; break;
      case '\n': buf[k++] = 'n'; break;
      case '\r': buf[k++] = 'r'; break;
      case '\t': buf[k++] = 't'; break;
      default:
        buf[k++] = 'u';
        buf[k++] = '0';
        buf[k++] = '0';
        buf[k++] = kHex[c >> 4];
        buf[k++] = kHex[c & 0xF];
    }
  }
  out->append(buf, k);
  out->push_back('"');
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

Result<uint64_t> JsonGetUint64(const JsonValue& obj, const char* field, std::string_view where) {
  if (!obj.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return Missing(field, where);
  if (!it->value.IsUint64()) return WrongType(field, where, "a non-negative integer");
  return it->value.GetUint64();
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
