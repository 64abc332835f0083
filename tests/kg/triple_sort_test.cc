// SortUniqueTriples (radix over packed keys) against std::sort + std::unique.
#include "kg/import/triple_sort.h"

#include <gtest/gtest.h>

#include "base/rng.h"

namespace kgf::kg {
namespace {

using Triples = std::vector<std::array<uint32_t, 3>>;

Triples Random(Rng& rng, size_t n, uint64_t entities, uint64_t relations) {
  Triples t(n);
  for (auto& x : t) {
    x = {static_cast<uint32_t>(rng.Uniform(entities)), static_cast<uint32_t>(rng.Uniform(relations)),
         static_cast<uint32_t>(rng.Uniform(entities))};
  }
  return t;
}

void ExpectMatchesNaive(Triples input, const std::string& what) {
  Triples naive = input;
  SortUniqueTriplesNaive(&naive);
  SortUniqueTriples(&input);
  EXPECT_EQ(input, naive) << what;
}

TEST(TripleSortTest, RadixEqualsNaiveOverManySeedsAndShapes) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    const size_t n = 4096 + rng.Uniform(60000);  // above the radix threshold
    // Few entities: many duplicates; many: keys up to 2 x 26 bits + relation bits.
    const uint64_t entities = seed % 2 ? 1 + rng.Uniform(300) : 1 + rng.Uniform(uint64_t{1} << 26);
    const uint64_t relations = 1 + rng.Uniform(seed % 3 ? 20 : 5000);
    ExpectMatchesNaive(Random(rng, n, entities, relations), "seed " + std::to_string(seed));
  }
}

TEST(TripleSortTest, WideIdsFallBackToComparisonSort) {
  Rng rng(5);
  // 32 + 32 + 1 bits do not pack into 64: the comparison sort answers.
  Triples t = Random(rng, 10000, uint64_t{1} << 32, 2);
  t[0] = {0xffffffffu, 1, 0xffffffffu};
  ExpectMatchesNaive(t, "wide");
}

TEST(TripleSortTest, ConstantColumnsAndSmallInputs) {
  Rng rng(9);
  Triples same_head = Random(rng, 9000, 1000, 3);
  for (auto& x : same_head) x[0] = 0;  // zero head bits
  ExpectMatchesNaive(same_head, "head always 0");
  Triples all_zero(5000, {0, 0, 0});
  ExpectMatchesNaive(all_zero, "all zero");
  ExpectMatchesNaive({}, "empty");
  ExpectMatchesNaive({{3, 1, 2}, {1, 2, 3}, {3, 1, 2}}, "below the threshold");
}

}  // namespace
}  // namespace kgf::kg
