#include "filters/records/record_sample.h"

namespace kgf::filters {

Result<const synth::Record*> RecordOf(Sample& sample) {
  std::any& cache = sample.parsed();
  if (!cache.has_value()) cache = synth::RecordFromJson(sample.Json(), sample.where());
  auto* parsed = std::any_cast<Result<synth::Record>>(&cache);
  KGF_CHECK(parsed != nullptr) << "another view cached in the sample";
  if (!parsed->ok()) return parsed->status();
  return &parsed->value();
}

}  // namespace kgf::filters
