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

// Sets glibc's allocator for this project's programs (the kgforge binary and the benchmarks
// call it first thing): keep up to 64 MiB free at the top of the heap (trim threshold) and
// serve blocks up to 32 MiB from the heap (mmap threshold). The trim threshold spares
// `corpus build` a page fault storm (sentencepiece frees a few hundred KiB per document); the
// mmap threshold must be pinned with it, because setting either turns off glibc's sliding mmap
// threshold, after which every scratch buffer over 128 KiB is a fresh mmap (the trainer's step
// ran 1.5x slower). Test: MemoryBudgetTest.TunedAllocatorServesLargeBlocksFromTheHeap.
void TuneAllocator();

}  // namespace kgf

#endif  // KGF_BASE_MEMORY_BUDGET_H_
