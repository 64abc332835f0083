// One table of names per enum (values numbered 0..N-1 in declaration order): the name of a
// value, the value of a name, and the list an error message offers. Replaces a switch to print
// and an if-chain to parse, kept in step by hand, for each enum.
//   inline constexpr EnumNames<Color, 3> kColorNames({"red", "green", "blue"});
//   kColorNames.Name(Color::kGreen) == "green"; kColorNames.Find("blue") == Color::kBlue;
//   kColorNames.Alternatives() == "red, green or blue"; kColorNames.Joined() == "red, green, blue"
#ifndef KGF_BASE_ENUM_NAMES_H_
#define KGF_BASE_ENUM_NAMES_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kgf {

template <typename E, size_t N>
class EnumNames {
 public:
  constexpr explicit EnumNames(const std::array<std::string_view, N>& names) : names_(names) {}

  static constexpr size_t size() { return N; }
  // "?" for a value outside the table.
  constexpr std::string_view Name(E value) const {
    const auto i = static_cast<size_t>(value);
    return i < N ? names_[i] : std::string_view("?");
  }
  std::optional<E> Find(std::string_view name) const {
    for (size_t i = 0; i < N; ++i) {
      if (names_[i] == name) return static_cast<E>(i);
    }
    return std::nullopt;
  }
  // "a, b, c".
  std::string Joined() const { return Join(", "); }
  // "a, b or c".
  std::string Alternatives() const { return Join(" or "); }

 private:
  std::string Join(std::string_view last_separator) const {
    std::string out;
    for (size_t i = 0; i < N; ++i) {
      if (i > 0) out += i + 1 == N ? last_separator : std::string_view(", ");
      out += names_[i];
    }
    return out;
  }

  std::array<std::string_view, N> names_;
};

}  // namespace kgf

#endif  // KGF_BASE_ENUM_NAMES_H_
