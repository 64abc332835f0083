// Builds filters from their JSON config objects. Known types: gopher_quality,
// gopher_repetition, c4, fineweb, script, pii, exact_dedup, minhash_dedup, record_format,
// record_semantic, record_execution. Every object has "type", an optional "name" (default: the
// type; must be unique in a pipeline) and, for text rules, an optional "field" (default: the
// pipeline's text_field). Errors name the config file, the filter's index and the bad key.
#ifndef KGF_FILTERS_FILTER_FACTORY_H_
#define KGF_FILTERS_FILTER_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "filters/filter.h"
#include "filters/record_checks.h"

namespace kgf::filters {

struct FactoryContext {
  std::string where;       // "cfg.json: filters[3]"
  std::string text_field;  // pipeline default
  std::string config_dir;  // for relative data-file paths
  KgContext kg;            // graph for record_execution (may be empty)
};

Result<std::unique_ptr<Filter>> MakeFilter(const JsonValue& spec, const FactoryContext& context);

// The list of known filter types, for error messages and --help.
const std::vector<std::string>& KnownFilterTypes();

}  // namespace kgf::filters

#endif  // KGF_FILTERS_FILTER_FACTORY_H_
