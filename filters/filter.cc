// RecordFilter::Run: per-record filters in parallel; each verdict depends on its sample only.
#include "filters/filter.h"

#include <tbb/parallel_for.h>

namespace kgf::filters {

void RecordFilter::Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                       Progress* progress, State* /*state*/) const {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, samples.size(), 16),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t i = range.begin(); i != range.end(); ++i) {
                        verdicts[i] = Apply(*samples[i]);
                      }
                      if (progress != nullptr) progress->Add(range.size());
                    });
}

}  // namespace kgf::filters
