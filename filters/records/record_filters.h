// The tool-use record layer as a plugin of the filter pipeline (filters/filter_factory.h): the
// APIGen verification layers (record_format, record_semantic, record_execution;
// record_checks.h) and the dedup keys of records (sources "question" and "record"). It links
// synth and the graph; the core filters and the pipeline link neither.
#ifndef KGF_FILTERS_RECORDS_RECORD_FILTERS_H_
#define KGF_FILTERS_RECORDS_RECORD_FILTERS_H_

#include <string>

#include "base/status.h"
#include "filters/filter_factory.h"
#include "filters/pipeline.h"
#include "filters/records/record_checks.h"

namespace kgf::filters {

// The record filter types and dedup keys. record_execution needs kg.graph and kg.catalog
// (outliving the pipeline); without them a config that uses it fails, naming the filter.
FilterPlugins RecordFilterPlugins(KgContext kg);

// A record's dedup key: its first user message (normalised when asked), then with_calls:
// every call's tool name and canonical arguments. Error: not a record, or no user message.
Result<std::string> RecordDedupKey(Sample& sample, bool normalize, bool with_calls);

// The whole `kgforge filter` command: opens the graph store (options.kg, for
// record_execution), builds the pipeline from options.config with the record layer, runs it.
Result<PipelineReport> RunFilterCommand(const FilterRunOptions& options);

}  // namespace kgf::filters

#endif  // KGF_FILTERS_RECORDS_RECORD_FILTERS_H_
