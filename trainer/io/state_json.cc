#include "trainer/io/state_json.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kgf::trainer {

std::string JsonDouble(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", x);
  return buf;
}

std::string JsonExactDouble(double x) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "\"%016llx\"",
                static_cast<unsigned long long>(std::bit_cast<uint64_t>(x)));
  return buf;
}

Result<double> JsonGetExactDouble(const JsonValue& obj, const char* field,
                                  std::string_view where) {
  KGF_ASSIGN_OR_RETURN(std::string hex, JsonGetString(obj, field, where));
  uint64_t bits = 0;
  auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), bits, 16);
  if (hex.size() != 16 || ec != std::errc() || ptr != hex.data() + hex.size()) {
    return InvalidArgumentError(std::string(where) + ": field '" + field +
                                "' must be 16 hex digits (the bits of a double)");
  }
  return std::bit_cast<double>(bits);
}

}  // namespace kgf::trainer
