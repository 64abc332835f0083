// ToolCatalog: the tools of a knowledge graph (SPEC §1 "Tool (API) generation"). Every relation
// gives a forward tool get_<relation>_of_<head_type>(<head_type>) -> tails and, when its
// inverse is a hop of its own (RelationDirections: not symmetric, no partner relation in the
// graph), an inverse tool (tail -> heads), plus the set tools get_intersection_of, get_union_of
// and get_negation_of.
// Parameters are JSON Schema in the OpenAI function-calling shape. The catalog is written as
// tools.json (schema, kind, relation key and direction) so calls can be re-executed on the raw
// triples without kgforge. Immutable after Build(): thread-safe.
#ifndef KGF_SYNTH_TOOL_CATALOG_H_
#define KGF_SYNTH_TOOL_CATALOG_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "kg/graph.h"

namespace kgf::synth {

enum class ToolKind : uint8_t { kRelation, kInverse, kSet };
enum class SetOp : uint8_t { kNone, kIntersection, kUnion, kNegation };

std::string_view ToolKindName(ToolKind kind);  // "relation", "inverse", "set"

struct Tool {
  std::string name;         // snake_case ASCII, unique in the catalog
  std::string description;
  ToolKind kind = ToolKind::kRelation;
  SetOp set_op = SetOp::kNone;
  std::string relation_key;  // relation tools: the relation's key
  kg::RelationId relation{0};  // relation tools: id in the graph the catalog was built from
  std::string parameter;     // relation tools: the single required string parameter
  std::string parameters_json;  // JSON Schema object, compact
  std::string function_json;    // {"name","description","parameters"}, compact
  std::string openai_json;      // {"type":"function","function":{...}}, compact
};

// True when `tool` looks up one of `relations` (either direction); set tools look up none.
bool LooksUpAnyOf(const Tool& tool, std::span<const kg::RelationId> relations);

struct ToolCatalogOptions {
  // The set tools' schemas and descriptions offer result references ("#k", the k-th tool
  // result of the conversation: executor.h) beside lists of names. The executor accepts both
  // either way; this only changes what the tools tell the model.
  bool result_refs = false;
  // The relation tools' parameter and description offer a result reference too: "#k" looks up
  // every entity of the k-th result and merges what it finds (a hop over an earlier result in
  // one call instead of one call per entity and a union).
  bool hop_refs = false;
};

class ToolCatalog {
 public:
  // Builds the catalog for `graph`. Tool names are derived from relation names and entity
  // types; a name that would collide gets the suffix _2, _3, ... in relation order.
  // Errors: InvalidArgument for a graph without relations.
  static Result<ToolCatalog> Build(const kg::Graph& graph, ToolCatalogOptions options = {});

  const std::vector<Tool>& tools() const { return tools_; }
  const Tool* Find(std::string_view name) const;
  // REQUIRES: r < graph.num_relations().
  const Tool& Forward(kg::RelationId r) const { return tools_[forward_[r.value()]]; }
  bool HasInverse(kg::RelationId r) const { return inverse_[r.value()] != kNoTool; }
  // REQUIRES: HasInverse(r).
  const Tool& Inverse(kg::RelationId r) const;
  // The tool of one hop: Forward(r), or Inverse(r) when `inverse`.
  const Tool& Hop(kg::RelationId r, bool inverse) const {
    return inverse ? Inverse(r) : Forward(r);
  }
  const Tool& SetTool(SetOp op) const;
  size_t size() const { return tools_.size(); }

  // tools.json: {"tools":[{"type":"function","function":{...},"kind":...,"relation":...,
  // "direction":"forward"|"inverse"}...]}, deterministic bytes.
  std::string ToToolsJson() const;
  Status WriteToolsJson(const std::string& path) const;  // atomic

 private:
  static constexpr size_t kNoTool = static_cast<size_t>(-1);
  std::vector<Tool> tools_;
  std::vector<size_t> forward_, inverse_;  // inverse_[r] = kNoTool when r has no inverse tool
  size_t set_tools_[3] = {0, 0, 0};
  std::unordered_map<std::string, size_t> by_name_;
};

// One entry of a tools.json file, independent of any loaded graph.
struct ToolsJsonEntry {
  std::string name, description, kind;  // kind: relation | inverse | set
  std::string parameters_json;
  std::string relation_key;  // relation/inverse tools
  std::string direction;     // "forward" | "inverse" for relation tools, else empty
  std::string set_op;        // "intersection" | "union" | "negation" for set tools
};
// Parses a tools.json text. Errors name `where`, the tool index and the field.
Result<std::vector<ToolsJsonEntry>> ParseToolsJson(std::string_view text, std::string_view where);

// snake_case ASCII form of a label: lower-case letters and digits, other runs become '_'.
std::string SnakeCase(std::string_view label);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_TOOL_CATALOG_H_
