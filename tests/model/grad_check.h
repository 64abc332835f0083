// Finite-difference helpers for the trainer's gradient tests (double precision).
#ifndef KGF_TESTS_MODEL_GRAD_CHECK_H_
#define KGF_TESTS_MODEL_GRAD_CHECK_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "base/rng.h"

namespace kgf::trainer::testing {

inline std::vector<double> RandomVector(size_t n, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = scale * rng.Normal();
  return v;
}

// Relative error of an analytic derivative against a numeric one, robust near zero.
inline double RelError(double analytic, double numeric, double floor = 1e-7) {
  return std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), floor});
}

// Compares analytic[i] with the central difference (f(x + h e_i) - f(x - h e_i)) / 2h for up to
// `max_checks` entries of x (all when x is small, otherwise a seeded sample), perturbing x in
// place (f must read x). Returns the largest relative error seen.
inline double CheckGradient(std::vector<double>& x, const std::vector<double>& analytic,
                            const std::function<double()>& f, const std::string& what,
                            double tol = 1e-5, size_t max_checks = 64, double h = 1e-6,
                            uint64_t seed = 7) {
  EXPECT_EQ(x.size(), analytic.size()) << what;
  std::vector<size_t> idx;
  if (x.size() <= max_checks) {
    for (size_t i = 0; i < x.size(); ++i) idx.push_back(i);
  } else {
    Rng rng(seed);
    for (size_t k = 0; k < max_checks; ++k) idx.push_back(rng.Uniform(x.size()));
  }
  double worst = 0;
  for (size_t i : idx) {
    const double old = x[i];
    x[i] = old + h;
    const double fp = f();
    x[i] = old - h;
    const double fm = f();
    x[i] = old;
    const double numeric = (fp - fm) / (2 * h);
    const double err = RelError(analytic[i], numeric);
    worst = std::max(worst, err);
    EXPECT_LT(err, tol) << what << "[" << i << "]: analytic " << analytic[i] << " numeric "
                        << numeric;
  }
  return worst;
}

inline double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace kgf::trainer::testing

#endif  // KGF_TESTS_MODEL_GRAD_CHECK_H_
