// MinHash signatures and LSH banding for near-duplicate detection (Broder 1997, "On the
// resemblance and containment of documents"; banding as in Leskovec, Rajaraman, Ullman, "Mining
// of Massive Datasets" ch. 3.4; defaults as in SPEC §2: word 5-grams, 14 bands x 8 rows, 64-bit
// hashes). Shingles are n-grams of normalised words (lower-case, surrounding ASCII punctuation
// removed); a text with fewer than n words is one shingle of all its words; a text without
// words has no signature. Hash i of a shingle hash h is the bijection
// x = (h ^ s_i) * a_i (a_i odd), x ^= x >> 32, with s_i, a_i drawn from a fixed seed.
// Two documents with Jaccard similarity s share at least one band with probability
// 1 - (1 - s^rows)^bands. Thread-safe: all methods are const.
#ifndef KGF_FILTERS_MINHASH_H_
#define KGF_FILTERS_MINHASH_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace kgf::filters {

struct MinHashParams {
  int ngram = 5;
  int bands = 14;
  int rows = 8;
  uint64_t seed = 0x6b67666f726765ULL;  // "kgforge"
};

class MinHasher {
 public:
  explicit MinHasher(MinHashParams params);
  const MinHashParams& params() const { return params_; }
  int num_hashes() const { return params_.bands * params_.rows; }

  // Writes num_hashes() values to *signature; returns false (and clears it) for a text
  // without words.
  bool Signature(std::string_view text, std::vector<uint64_t>* signature) const;
  // Signature from precomputed shingle hashes (for tests and callers with their own shingles).
  void SignatureOfShingles(std::span<const uint64_t> shingles, std::vector<uint64_t>* sig) const;
  // Key of band b of a signature. REQUIRES: b < bands, sig.size() == num_hashes().
  uint64_t BandKey(std::span<const uint64_t> sig, int b) const;

 private:
  MinHashParams params_;
  std::vector<uint64_t> xor_, mul_;  // (num_hashes)
};

// Probability that two documents of Jaccard similarity s become candidates.
double LshCandidateProbability(double s, int bands, int rows);

// Jaccard estimate: share of equal signature positions.
double EstimateJaccard(std::span<const uint64_t> a, std::span<const uint64_t> b);

}  // namespace kgf::filters

#endif  // KGF_FILTERS_MINHASH_H_
