// SpillTable: the same answers whether entries sit in memory or in the temporary file.
#include "filters/spill_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/rng.h"

namespace kgf::filters {
namespace {

TEST(SpillTableTest, AnswersDoNotDependOnTheBudget) {
  // The same random Put / Erase / Find sequence against a never-spilling table, a table that
  // spills after every Put and one that spills every few kilobytes, and a std::map.
  SpillTable never(-1), always(0), sometimes(4096);
  std::map<SpillTable::Key, std::string> model;
  Rng rng(3);
  for (int i = 0; i < 3000; ++i) {
    const SpillTable::Key key{rng.Uniform(400), rng.Uniform(3)};
    const uint64_t op = rng.Uniform(10);
    if (op < 5) {
      const std::string value = "v" + std::to_string(i) + std::string(rng.Uniform(40), 'x');
      never.Put(key, value);
      always.Put(key, value);
      sometimes.Put(key, value);
      model[key] = value;
    } else if (op < 7) {
      never.Erase(key);
      always.Erase(key);
      sometimes.Erase(key);
      model.erase(key);
    } else {
      auto want = model.find(key);
      std::optional<std::string> a = never.Find(key), b = always.Find(key),
                                 c = sometimes.Find(key);
      if (want == model.end()) {
        EXPECT_FALSE(a || b || c) << "op " << i;
      } else {
        ASSERT_TRUE(a && b && c) << "op " << i;
        EXPECT_EQ(*a, want->second);
        EXPECT_EQ(*b, want->second);
        EXPECT_EQ(*c, want->second);
      }
    }
  }
  EXPECT_TRUE(always.status().ok()) << always.status().ToString();
  EXPECT_TRUE(sometimes.status().ok()) << sometimes.status().ToString();
  EXPECT_EQ(never.spills(), 0);
  EXPECT_GT(sometimes.spills(), 1);
  EXPECT_LE(sometimes.MemoryBytes(), 4096 + 4096) << "the map is emptied past the budget";
  EXPECT_LT(always.MemoryBytes(), never.MemoryBytes());
}

TEST(SpillTableTest, EmptyAndBinaryValuesRoundTrip) {
  SpillTable t(0);
  t.Put({1, 2}, std::string("\0\x01\xff", 3));
  t.Put({3, 4}, "");
  ASSERT_TRUE(t.Find({1, 2}));
  EXPECT_EQ(*t.Find({1, 2}), std::string("\0\x01\xff", 3));
  ASSERT_TRUE(t.Find({3, 4}));
  EXPECT_EQ(*t.Find({3, 4}), "");
  EXPECT_FALSE(t.Find({2, 1}));
  EXPECT_TRUE(t.status().ok()) << t.status().ToString();
}

}  // namespace
}  // namespace kgf::filters
