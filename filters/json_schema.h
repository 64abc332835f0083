// A small JSON Schema validator for tool parameters (the subset the OpenAI function-calling
// shape uses; JSON Schema 2020-12 "Validation" §6): type (string, number, integer, boolean,
// array, object, null, or a list of them), properties, required, additionalProperties (bool),
// items, enum, minItems, maxItems, minLength. Unknown keywords are ignored, as the standard
// allows. Thread-safe (pure).
#ifndef KGF_FILTERS_JSON_SCHEMA_H_
#define KGF_FILTERS_JSON_SCHEMA_H_

#include <string>

#include "base/json.h"

namespace kgf::filters {

// Empty string when `value` matches `schema`, else the first violation with its JSON path
// ("$.sets[1][0]: expected string, got number").
std::string ValidateJsonSchema(const JsonValue& schema, const JsonValue& value);

}  // namespace kgf::filters

#endif  // KGF_FILTERS_JSON_SCHEMA_H_
