#include "base/rng.h"

#include <cmath>
#include <numbers>

#include "base/check.h"

namespace kgf {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {
inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& word : s_) {  // SplitMix64 sequence (Vigna's recommended seeding)
    x += 0x9e3779b97f4a7c15ULL;
    word = Mix64(x - 0x9e3779b97f4a7c15ULL);
  }
}

Rng Rng::ForItem(uint64_t seed, uint64_t index) {
  return Rng(Mix64(Mix64(seed) ^ Mix64(index + 0x632be59bd9b4e019ULL)));
}

Rng Rng::Split(uint64_t stream_id) const {
  uint64_t h = Mix64(s_[0] ^ Mix64(s_[1] + stream_id)) ^ Mix64(s_[2] + 0x1234567ULL * (stream_id + 1)) ^ s_[3];
  return Rng(h);
}

uint64_t Rng::Next() {  // xoshiro256** 1.0
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Uniform(uint64_t n) {
  KGF_CHECK(n > 0) << "Uniform(0)";
  // Lemire, "Fast random integer generation in an interval" (2019).
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  KGF_CHECK(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == ~0ULL) return static_cast<int64_t>(Next());
  return lo + static_cast<int64_t>(Uniform(span + 1));
}

double Rng::UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
float Rng::UniformFloat() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }

double Rng::Normal() {
  double u1 = UniformDouble();
  while (u1 <= 0.0) u1 = UniformDouble();
  const double u2 = UniformDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

bool Rng::Bernoulli(double p) { return UniformDouble() < p; }

size_t Rng::Weighted(std::span<const double> weights) {
  double total = 0;
  for (double w : weights) total += w > 0 ? w : 0;
  KGF_CHECK(total > 0) << "Weighted() needs a positive weight";
  double x = UniformDouble() * total;
  size_t last_positive = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last_positive = i;
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return last_positive;  // rounding guard
}

}  // namespace kgf
