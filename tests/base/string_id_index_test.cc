#include "base/string_id_index.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "base/rng.h"

namespace kgf {
namespace {

// Against std::unordered_map over many growths, with the strings in a vector that reallocates
// (short strings move their bytes) and ids given in insertion order.
TEST(StringIdIndexTest, AgreesWithUnorderedMapThroughGrowth) {
  std::vector<std::string> keys;
  std::unordered_map<std::string, uint32_t> reference;
  StringIdIndex index;
  auto key_of = [&](uint32_t id) -> std::string_view { return keys[id]; };
  Rng rng(11);
  for (int i = 0; i < 200000; ++i) {
    // Short and long keys, many repeats.
    std::string k = "k" + std::to_string(rng.Uniform(60000));
    if (rng.Uniform(3) == 0) k += std::string(30, 'x');
    const auto [id, added] = index.FindOrInsert(k, static_cast<uint32_t>(keys.size()), key_of);
    const auto [it, ref_added] = reference.try_emplace(k, static_cast<uint32_t>(keys.size()));
    ASSERT_EQ(added, ref_added) << k;
    ASSERT_EQ(id, it->second) << k;
    if (added) keys.push_back(k);
  }
  EXPECT_EQ(index.size(), reference.size());
  for (const auto& [k, id] : reference) ASSERT_EQ(index.Find(k, key_of), id);
  EXPECT_EQ(index.Find("absent", key_of), std::nullopt);
  EXPECT_EQ(index.Find("", key_of), std::nullopt);
  StringIdIndex empty;
  EXPECT_EQ(empty.Find("k1", key_of), std::nullopt);
}

// Strings with the same 32 hash bits in a slot still compare by content (an empty string and
// strings that differ only past their first bytes included).
TEST(StringIdIndexTest, ComparesContentNotJustHashes) {
  std::vector<std::string> keys = {"", "a", "ab", std::string("a\0b", 3), std::string("a\0c", 3)};
  StringIdIndex index;
  auto key_of = [&](uint32_t id) -> std::string_view { return keys[id]; };
  index.Reserve(keys.size());
  for (uint32_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(index.FindOrInsert(keys[i], i, key_of).second);
  for (uint32_t i = 0; i < keys.size(); ++i) EXPECT_EQ(index.Find(keys[i], key_of), i);
  EXPECT_FALSE(index.FindOrInsert(std::string("a\0b", 3), 99, key_of).second);
  EXPECT_EQ(index.Find(std::string("a\0d", 3), key_of), std::nullopt);
}

}  // namespace
}  // namespace kgf
