// The tool-use record behind a filter Sample (synth/record.h), parsed once and cached in the
// sample (Sample::parsed()). Every record-layer filter reads it through RecordOf.
#ifndef KGF_FILTERS_RECORDS_RECORD_SAMPLE_H_
#define KGF_FILTERS_RECORDS_RECORD_SAMPLE_H_

#include "base/status.h"
#include "filters/sample.h"
#include "synth/record.h"

namespace kgf::filters {

// Errors name the sample's where() and the field (synth::RecordFromJson).
Result<const synth::Record*> RecordOf(Sample& sample);

}  // namespace kgf::filters

#endif  // KGF_FILTERS_RECORDS_RECORD_SAMPLE_H_
