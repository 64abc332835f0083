// MinHash signatures; see the header for sources.
#include "filters/minhash.h"

#include <cmath>
#include <limits>

#include "base/check.h"
#include "base/hash.h"
#include "base/rng.h"
#include "filters/text/text_util.h"

namespace kgf::filters {

MinHasher::MinHasher(MinHashParams params) : params_(params) {
  KGF_CHECK(params.ngram >= 1 && params.bands >= 1 && params.rows >= 1) << "bad MinHash params";
  Rng rng(params.seed);
  xor_.resize(num_hashes());
  mul_.resize(num_hashes());
  for (int i = 0; i < num_hashes(); ++i) {
    xor_[i] = rng.Next();
    mul_[i] = rng.Next() | 1;
  }
}

void MinHasher::SignatureOfShingles(std::span<const uint64_t> shingles,
                                    std::vector<uint64_t>* sig) const {
  const int k = num_hashes();
  sig->assign(k, std::numeric_limits<uint64_t>::max());
  uint64_t* out = sig->data();
  const uint64_t* xs = xor_.data();
  const uint64_t* ms = mul_.data();
  for (uint64_t h : shingles) {
    for (int i = 0; i < k; ++i) {
      uint64_t x = (h ^ xs[i]) * ms[i];
      x ^= x >> 32;
      out[i] = x < out[i] ? x : out[i];
    }
  }
}

bool MinHasher::Signature(std::string_view text, std::vector<uint64_t>* signature) const {
  std::vector<uint64_t> words;
  NormalizedWordHashes(text, &words);
  if (words.empty()) {
    signature->clear();
    return false;
  }
  const size_t n = static_cast<size_t>(params_.ngram);
  std::vector<uint64_t> shingles;
  size_t count = words.size() >= n ? words.size() - n + 1 : 1;
  size_t len = std::min(n, words.size());
  shingles.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint64_t h = 0x243f6a8885a308d3ULL ^ len;
    for (size_t j = 0; j < len; ++j) {
      h ^= words[i + j] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h *= 0xbf58476d1ce4e5b9ULL;
    }
    shingles.push_back(h ^ (h >> 31));
  }
  SignatureOfShingles(shingles, signature);
  return true;
}

uint64_t MinHasher::BandKey(std::span<const uint64_t> sig, int b) const {
  auto band = sig.subspan(static_cast<size_t>(b) * params_.rows, params_.rows);
  return Hash64(std::string_view(reinterpret_cast<const char*>(band.data()),
                                 band.size() * sizeof(uint64_t)),
                static_cast<uint64_t>(b));
}

double LshCandidateProbability(double s, int bands, int rows) {
  return 1.0 - std::pow(1.0 - std::pow(s, rows), bands);
}

double EstimateJaccard(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  if (a.empty() || a.size() != b.size()) return 0;
  size_t eq = 0;
  for (size_t i = 0; i < a.size(); ++i) eq += a[i] == b[i];
  return static_cast<double>(eq) / a.size();
}

}  // namespace kgf::filters
