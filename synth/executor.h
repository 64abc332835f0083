// Executor: runs one tool call (tool name + JSON arguments string) on the in-memory graph.
// Results are entity display names sorted bytewise (a stable order); failures are typed
// ToolErrors whose message is what the model sees as the observation. Thread-safe (const).
//
// Result references: a set tool's list argument (an item of "sets", or "entities" / "within")
// may be the string "#k" instead of a list of names: the result of the conversation's k-th
// tool call (1-based, every call counted, failed ones too), given to Execute as `earlier`,
// the observations so far in order. A reference to a failed call, or past the calls so far,
// is an error the model sees like any other. A relation tool's argument may be "#k" too (when
// no entity has that name): the tool looks up every entity of that result and returns the
// union, a set projection (synth --hop-arguments refs).
#ifndef KGF_SYNTH_EXECUTOR_H_
#define KGF_SYNTH_EXECUTOR_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/json.h"
#include "kg/graph.h"
#include "synth/query.h"
#include "synth/tool_catalog.h"

namespace kgf::synth {

struct ToolError {
  enum class Kind : uint8_t {
    kUnknownTool,        // no tool of that name
    kUnknownEntity,      // an argument names no entity of the graph
    kWrongArgumentType,  // e.g. a number where a string is required
    kMissingArgument,    // a required parameter is absent
    kMalformedArguments, // arguments are not a JSON object
  };
  Kind kind;
  std::string message;
};
std::string_view ToolErrorKindName(ToolError::Kind kind);  // "unknown_tool", ...

// Either the sorted result names or an error.
struct CallOutcome {
  std::vector<std::string> result;
  std::optional<ToolError> error;
  bool ok() const { return !error.has_value(); }
};

// Observation text of a tool message: a JSON array of names, or {"error":"..."}.
std::string ObservationJson(const CallOutcome& outcome);
std::string NamesJson(const std::vector<std::string>& names);

class Executor {
 public:
  // REQUIRES: graph and catalog outlive the executor; catalog was built from graph.
  Executor(const kg::Graph& graph, const ToolCatalog& catalog);

  CallOutcome Execute(std::string_view tool_name, std::string_view arguments_json,
                      std::span<const std::string> earlier = {}) const;

  // Ids of the result (sorted by id), for callers that work on ids. Same errors.
  std::variant<EntitySet, ToolError> ExecuteIds(std::string_view tool_name,
                                                std::string_view arguments_json,
                                                std::span<const std::string> earlier = {}) const;

  // Display names sorted bytewise.
  std::vector<std::string> Names(const EntitySet& set) const;
  // NamesJson(Names(set)), without building the strings: ids ordered by their names' rank.
  std::string NamesJsonOf(std::span<const kg::EntityId> set) const;
  // Orders ids by their entities' names (the order observations list them in).
  void SortByName(EntitySet* ids) const;

 private:
  const kg::Graph& graph_;
  const ToolCatalog& catalog_;
  // Names with a disambiguating suffix, "Micronesia (subregion)", by their base "Micronesia":
  // an unknown-entity error for a base lists them (how a dialogue resolves an ambiguous name).
  std::vector<std::pair<std::string_view, std::string_view>> by_base_;
  std::vector<uint32_t> rank_;  // per entity: its position among all names sorted bytewise
};

// k for a result reference "#k" (k >= 1, no sign or leading zero), else 0.
int ResultRefNumber(std::string_view s);

// Calls fn(JsonValue&) on each place of a call's arguments object where a result reference
// may stand: every item of "sets" (set tools), and every top-level argument ("entities" and
// "within" of the negation, a relation tool's single parameter).
template <typename Fn>
void ForEachReferenceSlot(JsonValue& args, Fn&& fn) {
  if (!args.IsObject()) return;
  for (auto it = args.MemberBegin(); it != args.MemberEnd(); ++it) {
    if (it->name == "sets" && it->value.IsArray()) {
      for (JsonValue& x : it->value.GetArray()) fn(x);
    } else {
      fn(it->value);
    }
  }
}

// "Micronesia" for "Micronesia (subregion)"; the name itself when it has no "(...)" suffix.
std::string_view BaseName(std::string_view name);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_EXECUTOR_H_
