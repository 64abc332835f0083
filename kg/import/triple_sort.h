// Sorting an import's interned triples into the store's primary-key order, duplicates dropped:
// what makes the store's B-tree inserts appends and the content checksum canonical.
#ifndef KGF_KG_IMPORT_TRIPLE_SORT_H_
#define KGF_KG_IMPORT_TRIPLE_SORT_H_

#include <array>
#include <cstdint>
#include <vector>

namespace kgf::kg {

// Sorts (head, relation, tail) id triples lexicographically and removes duplicates, in
// place. When the ids' bit widths add up to less than 64 (any graph under ~2^29 entities with
// a few relations) each triple is packed into one uint64 key and LSD radix sorted (11-bit
// digits, one counting pass each): O(n) time, 16 bytes a triple of scratch besides the
// triples. Otherwise std::sort: O(n log n). Result equals SortUniqueTriplesNaive.
void SortUniqueTriples(std::vector<std::array<uint32_t, 3>>* triples);

// The specification: std::sort + std::unique (tests, and inputs too small to bother).
void SortUniqueTriplesNaive(std::vector<std::array<uint32_t, 3>>* triples);

}  // namespace kgf::kg

#endif  // KGF_KG_IMPORT_TRIPLE_SORT_H_
