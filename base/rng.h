// Rng: a seeded, splittable pseudo-random generator (xoshiro256**, seeded by SplitMix64).
// Every distribution here is our own code, so a seed gives the same numbers on every platform
// and standard library. Reproducibility under parallelism comes from ForItem(seed, index):
// the stream is a function of the item, never of the thread that processes it.
#ifndef KGF_BASE_RNG_H_
#define KGF_BASE_RNG_H_

#include <array>
#include <cstdint>
#include <span>
#include <utility>

namespace kgf {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // An independent stream for item `index` of a run seeded with `seed`.
  static Rng ForItem(uint64_t seed, uint64_t index);
  // A child stream; deterministic in (this stream's seed, stream_id), does not advance *this.
  Rng Split(uint64_t stream_id) const;

  uint64_t Next();  // uniform over all 64-bit values
  // Uniform in [0, n). REQUIRES: n > 0. Unbiased (Lemire's method).
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  double UniformDouble();  // [0, 1), 53 random bits
  float UniformFloat();    // [0, 1), 24 random bits
  double Normal();         // standard normal (Box-Muller, no cached second value)
  bool Bernoulli(double p);
  // Index drawn with probability proportional to weights[i]. REQUIRES: some weight > 0.
  size_t Weighted(std::span<const double> weights);

  template <typename T>
  void Shuffle(std::span<T> items) {  // Fisher-Yates
    for (size_t i = items.size(); i > 1; --i) {
      size_t j = Uniform(i);
      std::swap(items[i - 1], items[j]);
    }
  }

  // Full generator state, for checkpoints.
  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_;
};

// SplitMix64 finaliser: a strong 64-bit mix, also useful as a hash combiner.
uint64_t Mix64(uint64_t x);

}  // namespace kgf

#endif  // KGF_BASE_RNG_H_
