// Memory budgets (see memory_budget.h).
#include "base/memory_budget.h"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kgf {

int64_t AvailableMemoryBytes() {
  int64_t bytes = -1;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      long long kb = 0;
      if (std::sscanf(line, "MemAvailable: %lld kB", &kb) == 1) {
        bytes = kb * 1024;
        break;
      }
    }
    std::fclose(f);
  }
  if (const char* cap = std::getenv("KGF_MAX_MEMORY_MB"); cap != nullptr && *cap != '\0') {
    char* end = nullptr;
    const long long mb = std::strtoll(cap, &end, 10);
    // Bounded first: a huge value must not overflow when turned into bytes.
    if (*end == '\0' && mb > 0 && mb < (int64_t{1} << 40) && (bytes < 0 || mb * 1024 * 1024 < bytes)) {
      bytes = mb * 1024 * 1024;
    }
  }
  return bytes;
}

Status CheckMemoryBudget(double bytes, std::string_view what, std::string_view hint) {
  const int64_t available = AvailableMemoryBytes();
  if (available < 0 || bytes <= static_cast<double>(available)) return Status::Ok();
  char buf[160];
  std::snprintf(buf, sizeof(buf), " needs %.1f GiB but %.1f GiB are available; ",
                bytes / double(1 << 30), static_cast<double>(available) / double(1 << 30));
  return FailedPreconditionError(std::string(what) + buf + std::string(hint));
}

void TuneAllocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace kgf
