// MinHash + LSH: the measured candidate rate at known Jaccard similarities follows
// 1 - (1 - s^r)^b; recall and precision around the default threshold; Jaccard estimates.
#include "filters/minhash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/rng.h"

namespace kgf::filters {
namespace {

// Two shingle sets of size m sharing k elements: Jaccard k / (2m - k).
void MakePair(Rng& rng, int m, int k, std::vector<uint64_t>* a, std::vector<uint64_t>* b) {
  a->clear();
  b->clear();
  for (int i = 0; i < k; ++i) {
    uint64_t x = rng.Next();
    a->push_back(x);
    b->push_back(x);
  }
  for (int i = k; i < m; ++i) {
    a->push_back(rng.Next());
    b->push_back(rng.Next());
  }
}

bool Candidate(const MinHasher& h, const std::vector<uint64_t>& sa,
               const std::vector<uint64_t>& sb) {
  for (int band = 0; band < h.params().bands; ++band) {
    if (h.BandKey(sa, band) == h.BandKey(sb, band)) return true;
  }
  return false;
}

TEST(MinHashTest, CandidateRateFollowsTheSCurve) {
  MinHasher hasher(MinHashParams{});  // 14 bands x 8 rows
  Rng rng(7);
  const int m = 200, trials = 400;
  std::vector<uint64_t> a, b, sa, sb;
  for (double s : {0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9}) {
    int k = static_cast<int>(std::lround(2.0 * m * s / (1.0 + s)));  // k/(2m-k) = s
    double exact_s = static_cast<double>(k) / (2 * m - k);
    int hits = 0;
    double jaccard_sum = 0;
    for (int t = 0; t < trials; ++t) {
      MakePair(rng, m, k, &a, &b);
      hasher.SignatureOfShingles(a, &sa);
      hasher.SignatureOfShingles(b, &sb);
      hits += Candidate(hasher, sa, sb);
      jaccard_sum += EstimateJaccard(sa, sb);
    }
    double p = LshCandidateProbability(exact_s, 14, 8);
    double measured = static_cast<double>(hits) / trials;
    // 4 binomial standard deviations plus a little slack for the finite signature.
    double tol = 4 * std::sqrt(p * (1 - p) / trials) + 0.02;
    EXPECT_NEAR(measured, p, tol) << "s=" << exact_s;
    EXPECT_NEAR(jaccard_sum / trials, exact_s, 0.02) << "s=" << exact_s;
  }
}

TEST(MinHashTest, RecallAndPrecisionAroundTheThreshold) {
  MinHasher hasher(MinHashParams{});
  Rng rng(11);
  std::vector<uint64_t> a, b, sa, sb;
  int found = 0, false_pos = 0;
  const int trials = 300;
  for (int t = 0; t < trials; ++t) {
    MakePair(rng, 100, 95, &a, &b);  // s = 0.905
    hasher.SignatureOfShingles(a, &sa);
    hasher.SignatureOfShingles(b, &sb);
    found += Candidate(hasher, sa, sb);
    MakePair(rng, 100, 50, &a, &b);  // s = 0.333
    hasher.SignatureOfShingles(a, &sa);
    hasher.SignatureOfShingles(b, &sb);
    false_pos += Candidate(hasher, sa, sb);
  }
  EXPECT_GE(found, trials * 0.97);    // theory: 0.9993
  EXPECT_LE(false_pos, trials * 0.02);  // theory: 0.002
}

TEST(MinHashTest, TextSignatureIgnoresCaseAndPunctuation) {
  MinHasher hasher(MinHashParams{});
  std::vector<uint64_t> a, b, c;
  ASSERT_TRUE(hasher.Signature("The quick brown fox jumps over the lazy dog.", &a));
  ASSERT_TRUE(hasher.Signature("the QUICK brown fox, jumps over the lazy dog", &b));
  ASSERT_TRUE(hasher.Signature("A completely different sentence about other things here", &c));
  EXPECT_EQ(a, b);
  EXPECT_LT(EstimateJaccard(a, c), 0.1);
  EXPECT_FALSE(hasher.Signature(" ... !! ", &c));
  EXPECT_TRUE(c.empty());
}

TEST(MinHashTest, SameSeedSameSignatureOtherSeedOther) {
  std::vector<uint64_t> a, b, c;
  MinHasher(MinHashParams{}).Signature("one two three four five six", &a);
  MinHasher(MinHashParams{}).Signature("one two three four five six", &b);
  MinHashParams other;
  other.seed = 99;
  MinHasher(other).Signature("one two three four five six", &c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 112u);
}

TEST(MinHashTest, TheoryCurveValues) {
  EXPECT_NEAR(LshCandidateProbability(0.0, 14, 8), 0.0, 1e-12);
  EXPECT_NEAR(LshCandidateProbability(1.0, 14, 8), 1.0, 1e-12);
  // The threshold (1/b)^(1/r) of 14 x 8 is about 0.72 (SPEC §2).
  double t = std::pow(1.0 / 14, 1.0 / 8);
  EXPECT_NEAR(t, 0.719, 0.001);
  // At the threshold s^r = 1/b, so the probability is 1 - (1 - 1/14)^14 = 0.6457.
  EXPECT_NEAR(LshCandidateProbability(t, 14, 8), 0.6457, 0.0005);
}

}  // namespace
}  // namespace kgf::filters
