// KGF_CHECK: aborts with file:line and a message when an internal invariant is broken.
// For bugs only; never reachable from user data (that is what Status is for).
#ifndef KGF_BASE_CHECK_H_
#define KGF_BASE_CHECK_H_

#include <sstream>

namespace kgf::internal {

// Collects the streamed message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `cond ? (void)0 : Voidify() & stream` type-check.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace kgf::internal

#define KGF_CHECK(cond)                 \
  (cond) ? (void)0                      \
         : ::kgf::internal::Voidify() & \
               ::kgf::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#define KGF_CHECK_EQ(a, b) KGF_CHECK((a) == (b)) << (a) << " vs " << (b) << " "
#define KGF_CHECK_LT(a, b) KGF_CHECK((a) < (b)) << (a) << " vs " << (b) << " "
#define KGF_CHECK_LE(a, b) KGF_CHECK((a) <= (b)) << (a) << " vs " << (b) << " "

#ifndef NDEBUG
#define KGF_DCHECK(cond) KGF_CHECK(cond)
#else
#define KGF_DCHECK(cond) KGF_CHECK(true || (cond))
#endif

#endif  // KGF_BASE_CHECK_H_
