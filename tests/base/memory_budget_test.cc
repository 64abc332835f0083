// Memory budgets and the allocator settings every kgforge program starts with.
#include "base/memory_budget.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace kgf {
namespace {

TEST(MemoryBudgetTest, TunedAllocatorServesLargeBlocksFromTheHeap) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc's";
#endif
  TuneAllocator();
  // A 1 MiB block: glibc's default would mmap it (above 128 KiB, before any sliding), and so
  // would a process that set only the trim threshold (the regression that slowed training).
  const size_t before = mallinfo2().hblks;
  void* p = std::malloc(1 << 20);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, 1 << 20);
  EXPECT_EQ(mallinfo2().hblks, before) << "a 1 MiB block was mmapped";
  std::free(p);
  // Blocks above 32 MiB are still mmapped (they go back to the kernel when freed).
  void* big = std::malloc(size_t{40} << 20);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(mallinfo2().hblks, before + 1);
  std::free(big);
}

TEST(MemoryBudgetTest, ABudgetTooBigIsRefusedWithTheNumbers) {
  Status s = CheckMemoryBudget(1e18, "this test", "ask for less");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("this test needs"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("ask for less"), std::string::npos) << s.ToString();
  EXPECT_TRUE(CheckMemoryBudget(1024, "a kilobyte", "").ok());
}

}  // namespace
}  // namespace kgf
