// Statistics of a review store (`kgforge review stats`): acceptance overall and by pattern,
// prompt style and tool, each with its Wilson score interval (how far a sample's rate can be
// trusted), and how human decisions agree with the automatic checks.
#ifndef KGF_REVIEW_REVIEW_STATS_H_
#define KGF_REVIEW_REVIEW_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "review/decision_store.h"

namespace kgf::review {

// Wilson score interval of k successes in n trials at normal quantile z (1.96: 95%).
// Wilson (1927), "Probable inference, the law of succession, and statistical inference".
// n == 0 gives [0, 1].
struct Interval {
  double lo = 0, hi = 1;
};
Interval WilsonInterval(int64_t k, int64_t n, double z = 1.96);

struct Rate {
  int64_t accepted = 0, total = 0;
  double acceptance() const { return total ? static_cast<double>(accepted) / total : 0; }
  Interval interval() const { return WilsonInterval(accepted, total); }
};

struct ReviewStats {
  Rate all;
  std::map<std::string, Rate> by_pattern, by_style, by_tool;  // style: "react", "hermes", ...
  // Human decision x automatic outcome: agreement is accept&kept + reject&rejected.
  int64_t accepted_kept = 0, rejected_kept = 0, accepted_rejected = 0, rejected_rejected = 0;
  int64_t unfiltered = 0;  // decisions on records no filter has judged
  std::map<std::string, int64_t> reject_reasons;

  std::string ToText() const;
  std::string ToJson() const;
};

ReviewStats ComputeReviewStats(const std::vector<Decision>& decisions);

}  // namespace kgf::review

#endif  // KGF_REVIEW_REVIEW_STATS_H_
