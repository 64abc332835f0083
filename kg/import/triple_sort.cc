// LSD radix sort of packed triple keys (Knuth TAOCP vol. 3, 5.2.5; one histogram pass per
// 11-bit digit, so the 2048 counters stay in L1).
#include "kg/import/triple_sort.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace kgf::kg {
namespace {

constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t{1} << kDigitBits;
constexpr size_t kRadixMinimum = 4096;  // below this std::sort is as fast

// Sorts keys whose set bits all lie below `bits`. scratch: same size as keys.
void RadixSort(std::vector<uint64_t>* keys, std::vector<uint64_t>* scratch, int bits) {
  std::vector<size_t> count(kBuckets);
  for (int shift = 0; shift < bits; shift += kDigitBits) {
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t k : *keys) ++count[(k >> shift) & (kBuckets - 1)];
    if (*std::max_element(count.begin(), count.end()) == keys->size()) continue;  // one digit
    size_t sum = 0;
    for (size_t& c : count) sum += std::exchange(c, sum);
    for (uint64_t k : *keys) (*scratch)[count[(k >> shift) & (kBuckets - 1)]++] = k;
    keys->swap(*scratch);
  }
}

}  // namespace

void SortUniqueTriplesNaive(std::vector<std::array<uint32_t, 3>>* triples) {
  std::sort(triples->begin(), triples->end());
  triples->erase(std::unique(triples->begin(), triples->end()), triples->end());
}

void SortUniqueTriples(std::vector<std::array<uint32_t, 3>>* triples) {
  std::array<uint32_t, 3> max{0, 0, 0};
  for (const auto& t : *triples) {
    for (int c = 0; c < 3; ++c) max[c] = std::max(max[c], t[c]);
  }
  const int head_bits = std::bit_width(max[0]);
  const int relation_bits = std::bit_width(max[1]);
  const int tail_bits = std::bit_width(max[2]);
  const int bits = head_bits + relation_bits + tail_bits;
  if (triples->size() < kRadixMinimum || bits >= 64) {
    SortUniqueTriplesNaive(triples);
    return;
  }
  // key = head | relation | tail, most significant first: key order is triple order.
  const int relation_shift = tail_bits, head_shift = tail_bits + relation_bits;
  std::vector<uint64_t> keys(triples->size());  // (n)
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& t = (*triples)[i];
    keys[i] = uint64_t{t[0]} << head_shift | uint64_t{t[1]} << relation_shift | t[2];
  }
  std::vector<std::array<uint32_t, 3>>().swap(*triples);  // give the memory to the scratch
  {
    std::vector<uint64_t> scratch(keys.size());  // (n)
    RadixSort(&keys, &scratch, bits);
  }
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const uint64_t tail_mask = (uint64_t{1} << tail_bits) - 1;
  const uint64_t relation_mask = (uint64_t{1} << relation_bits) - 1;
  triples->reserve(keys.size());
  for (uint64_t k : keys) {
    triples->push_back({static_cast<uint32_t>(k >> head_shift),
                        static_cast<uint32_t>((k >> relation_shift) & relation_mask),
                        static_cast<uint32_t>(k & tail_mask)});
  }
}

}  // namespace kgf::kg
