// Builds filters from their JSON config objects. Core types: gopher_quality, gopher_repetition,
// c4, fineweb, script, pii, exact_dedup, minhash_dedup; modules add theirs as FilterPlugins
// (the tool-use record layer, filters/records/: record_format, record_semantic,
// record_execution, and the dedup sources "question" / "record"), so the core links neither
// synth nor the graph. Every object has "type", an optional "name" (default: the type; must be
// unique in a pipeline) and, for text rules, an optional "field" (default: the pipeline's
// text_field). Errors name the config file, the filter's index and the bad key.
#ifndef KGF_FILTERS_FILTER_FACTORY_H_
#define KGF_FILTERS_FILTER_FACTORY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "filters/dedup_filters.h"
#include "filters/filter.h"
#include "filters/option_reader.h"

namespace kgf::filters {

// A filter type a module adds: `make` reads the filter's options from `reader` ("type" and
// "name" already read) and builds it.
struct FilterType {
  std::string name;
  std::function<Result<std::unique_ptr<Filter>>(const std::string& name, OptionReader& reader)>
      make;
};

struct FilterPlugins {
  std::vector<FilterType> types;
  RecordKeyFn record_key;  // empty: dedup sources "question" / "record" are unavailable
};

struct FactoryContext {
  std::string where;       // "cfg.json: filters[3]"
  std::string text_field;  // pipeline default
  std::string config_dir;  // for relative data-file paths
  const FilterPlugins* plugins = nullptr;
};

Result<std::unique_ptr<Filter>> MakeFilter(const JsonValue& spec, const FactoryContext& context);

// The known filter types (core, then the plugins'), for error messages and --help.
std::vector<std::string> KnownFilterTypes(const FilterPlugins* plugins = nullptr);

}  // namespace kgf::filters

#endif  // KGF_FILTERS_FILTER_FACTORY_H_
