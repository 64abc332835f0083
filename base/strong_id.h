// StrongId<Tag>: a typed integer id so EntityId, RelationId and TokenId cannot be mixed up.
#ifndef KGF_BASE_STRONG_ID_H_
#define KGF_BASE_STRONG_ID_H_

#include <compare>
#include <cstdint>
#include <functional>

namespace kgf {

template <typename Tag, typename Int = uint32_t>
class StrongId {
 public:
  using value_type = Int;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Int v) : v_(v) {}
  constexpr Int value() const { return v_; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;

 private:
  Int v_ = 0;
};

}  // namespace kgf

template <typename Tag, typename Int>
struct std::hash<kgf::StrongId<Tag, Int>> {
  size_t operator()(kgf::StrongId<Tag, Int> id) const noexcept { return std::hash<Int>()(id.value()); }
};

#endif  // KGF_BASE_STRONG_ID_H_
