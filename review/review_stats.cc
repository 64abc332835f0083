// Review statistics (review_stats.h).
#include "review/review_stats.h"

#include <cmath>
#include <cstdio>

#include "base/json.h"

namespace kgf::review {

Interval WilsonInterval(int64_t k, int64_t n, double z) {
  if (n <= 0) return {};
  const double p = static_cast<double>(k) / static_cast<double>(n), nn = static_cast<double>(n);
  const double denom = 1 + z * z / nn;
  const double center = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

ReviewStats ComputeReviewStats(const std::vector<Decision>& decisions) {
  ReviewStats s;
  for (const Decision& d : decisions) {
    const bool accept = d.decision == "accept";
    auto add = [&](Rate& r) {
      ++r.total;
      r.accepted += accept;
    };
    add(s.all);
    add(s.by_pattern[d.pattern.empty() ? "?" : d.pattern]);
    add(s.by_style[d.template_id.substr(0, d.template_id.find('.'))]);
    size_t pos = 0;
    while (pos < d.tools.size()) {
      size_t end = d.tools.find(',', pos);
      if (end == std::string::npos) end = d.tools.size();
      add(s.by_tool[d.tools.substr(pos, end - pos)]);
      pos = end + 1;
    }
    if (!accept) ++s.reject_reasons[d.reason.empty() ? "(no reason)" : d.reason];
    if (d.automatic == "kept") {
      (accept ? s.accepted_kept : s.rejected_kept)++;
    } else if (d.automatic == "rejected") {
      (accept ? s.accepted_rejected : s.rejected_rejected)++;
    } else {
      ++s.unfiltered;
    }
  }
  return s;
}

namespace {

std::string Line(const std::string& name, const Rate& r) {
  char buf[256];
  const Interval i = r.interval();
  std::snprintf(buf, sizeof(buf), "  %-40s %5lld / %-5lld %5.1f%%  [%5.1f%%, %5.1f%%]\n",
                name.c_str(), static_cast<long long>(r.accepted), static_cast<long long>(r.total),
                100 * r.acceptance(), 100 * i.lo, 100 * i.hi);
  return buf;
}

void RateJson(JsonWriter& w, const Rate& r) {
  const Interval i = r.interval();
  w.BeginObject().Key("accepted").Int(r.accepted).Key("total").Int(r.total);
  w.Key("acceptance").Double(r.acceptance()).Key("wilson95").BeginArray().Double(i.lo).Double(i.hi);
  w.EndArray().EndObject();
}

}  // namespace

std::string ReviewStats::ToText() const {
  std::string out = "acceptance (accepted / decided, Wilson 95% interval)\n" + Line("all", all);
  for (const auto& [title, group] : {std::pair{"by pattern", &by_pattern},
                                     {"by prompt style", &by_style}, {"by tool", &by_tool}}) {
    out += std::string(title) + ":\n";
    for (const auto& [k, r] : *group) out += Line(k, r);
  }
  const int64_t judged = accepted_kept + rejected_kept + accepted_rejected + rejected_rejected;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "agreement with the automatic checks: %lld of %lld (human accept & kept %lld, "
                "reject & rejected %lld; reject but kept %lld, accept but rejected %lld); "
                "%lld decision(s) on unfiltered records\n",
                static_cast<long long>(accepted_kept + rejected_rejected),
                static_cast<long long>(judged), static_cast<long long>(accepted_kept),
                static_cast<long long>(rejected_rejected), static_cast<long long>(rejected_kept),
                static_cast<long long>(accepted_rejected), static_cast<long long>(unfiltered));
  out += buf;
  if (!reject_reasons.empty()) {
    out += "reject reasons:\n";
    for (const auto& [reason, n] : reject_reasons) {
      out += "  " + std::to_string(n) + "  " + reason + "\n";
    }
  }
  return out;
}

std::string ReviewStats::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("all");
  RateJson(w, all);
  for (const auto& [key, group] : {std::pair{"by_pattern", &by_pattern},
                                   {"by_style", &by_style}, {"by_tool", &by_tool}}) {
    w.Key(key).BeginObject();
    for (const auto& [k, r] : *group) {
      w.Key(k);
      RateJson(w, r);
    }
    w.EndObject();
  }
  w.Key("agreement").BeginObject().Key("accepted_kept").Int(accepted_kept);
  w.Key("rejected_kept").Int(rejected_kept).Key("accepted_rejected").Int(accepted_rejected);
  w.Key("rejected_rejected").Int(rejected_rejected).Key("unfiltered").Int(unfiltered).EndObject();
  w.Key("reject_reasons").BeginObject();
  for (const auto& [reason, n] : reject_reasons) w.Key(reason).Int(n);
  w.EndObject().EndObject();
  return w.str();
}

}  // namespace kgf::review
