// Memory budgets checked before large allocations, so a config too big for the machine is
// refused up front with the numbers instead of dying in std::bad_alloc (SIGABRT naming
// nothing) after filling memory.
#ifndef KGF_BASE_MEMORY_BUDGET_H_
#define KGF_BASE_MEMORY_BUDGET_H_

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace kgf {

// Bytes this process may still allocate: MemAvailable from /proc/meminfo, capped by the
// KGF_MAX_MEMORY_MB environment variable when set; -1 when neither is known.
int64_t AvailableMemoryBytes();

// OK when `bytes` fits in AvailableMemoryBytes() (or that is unknown). Else
// FailedPrecondition "<what> needs X.X GiB but Y.Y GiB are available; <hint>".
Status CheckMemoryBudget(double bytes, std::string_view what, std::string_view hint);

}  // namespace kgf

#endif  // KGF_BASE_MEMORY_BUDGET_H_
