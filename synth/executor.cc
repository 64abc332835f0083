// Tool-call execution on the graph (SPEC §1: r(h) = t; set tools; negation is contextual).
#include "synth/executor.h"

#include <algorithm>

#include "base/json.h"

namespace kgf::synth {
namespace {

ToolError Err(ToolError::Kind kind, std::string message) { return {kind, std::move(message)}; }

// Resolves a JSON array of names into an id-sorted set.
std::variant<EntitySet, ToolError> ResolveNames(const kg::Graph& graph, const JsonValue& v,
                                                std::string_view tool, std::string_view field) {
  EntitySet out;
  out.reserve(v.Size());
  for (const JsonValue& item : v.GetArray()) {
    if (!item.IsString()) {
      return Err(ToolError::Kind::kWrongArgumentType,
                 std::string(tool) + ": every element of '" + std::string(field) +
                     "' must be an entity name (string)");
    }
    std::string_view name(item.GetString(), item.GetStringLength());
    std::optional<kg::EntityId> id = graph.FindEntityByName(name);
    if (!id) {
      return Err(ToolError::Kind::kUnknownEntity,
                 std::string(tool) + ": unknown entity '" + std::string(name) +
                     "'; use the exact name returned by an earlier call");
    }
    out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// A list argument: a JSON array of names, or "#k", the k-th earlier result.
std::variant<EntitySet, ToolError> ResolveList(const kg::Graph& graph, const JsonValue& v,
                                               std::span<const std::string> earlier,
                                               std::string_view tool, std::string_view field) {
  if (v.IsString()) {
    const std::string_view ref(v.GetString(), v.GetStringLength());
    const int k = ResultRefNumber(ref);
    if (k == 0) {
      return Err(ToolError::Kind::kWrongArgumentType,
                 std::string(tool) + ": '" + std::string(field) + "' takes a list of entity names "
                     "or a result reference such as \"#1\", not '" + std::string(ref) + "'");
    }
    if (static_cast<size_t>(k) > earlier.size()) {
      return Err(ToolError::Kind::kWrongArgumentType,
                 std::string(tool) + ": no result " + std::string(ref) + " yet; the conversation has " +
                     std::to_string(earlier.size()) + " tool result" +
                     (earlier.size() == 1 ? "" : "s"));
    }
    rapidjson::Document doc;
    const std::string& obs = earlier[static_cast<size_t>(k) - 1];
    if (!ParseJsonDepthLimited(obs, &doc) || doc.HasParseError() || !doc.IsArray()) {
      return Err(ToolError::Kind::kWrongArgumentType,
                 std::string(tool) + ": result " + std::string(ref) + " is an error, not a list");
    }
    return ResolveNames(graph, doc, tool, field);
  }
  if (!v.IsArray()) {
    return Err(ToolError::Kind::kWrongArgumentType,
               std::string(tool) + ": argument '" + std::string(field) +
                   "' must be an array of entity names");
  }
  return ResolveNames(graph, v, tool, field);
}

}  // namespace

int ResultRefNumber(std::string_view s) {
  if (s.size() < 2 || s.size() > 7 || s[0] != '#' || s[1] == '0') return 0;
  int k = 0;
  for (char c : s.substr(1)) {
    if (c < '0' || c > '9') return 0;
    k = k * 10 + (c - '0');
  }
  return k;
}

std::string_view ToolErrorKindName(ToolError::Kind kind) {
  switch (kind) {
    case ToolError::Kind::kUnknownTool: return "unknown_tool";
    case ToolError::Kind::kUnknownEntity: return "unknown_entity";
    case ToolError::Kind::kWrongArgumentType: return "wrong_argument_type";
    case ToolError::Kind::kMissingArgument: return "missing_argument";
    case ToolError::Kind::kMalformedArguments: return "malformed_arguments";
  }
  return "";
}

std::string NamesJson(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonQuoted(names[i], &out);
  }
  out += ']';
  return out;
}

std::string ObservationJson(const CallOutcome& outcome) {
  if (outcome.ok()) return NamesJson(outcome.result);
  return "{\"error\":" + JsonQuote(outcome.error->message) + "}";
}

std::string_view BaseName(std::string_view name) {
  if (name.size() < 4 || name.back() != ')') return name;
  const size_t open = name.rfind(" (");
  return open == std::string_view::npos || open == 0 ? name : name.substr(0, open);
}

Executor::Executor(const kg::Graph& graph, const ToolCatalog& catalog)
    : graph_(graph), catalog_(catalog) {
  for (uint32_t e = 0; e < graph.num_entities(); ++e) {
    std::string_view name = graph.entity(kg::EntityId(e)).name;
    std::string_view base = BaseName(name);
    if (base.size() != name.size()) by_base_.emplace_back(base, name);
  }
  std::sort(by_base_.begin(), by_base_.end());
  std::vector<uint32_t> order(graph.num_entities());
  for (uint32_t e = 0; e < order.size(); ++e) order[e] = e;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return graph.entity(kg::EntityId(a)).name < graph.entity(kg::EntityId(b)).name;
  });
  rank_.resize(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) rank_[order[i]] = i;
}

void Executor::SortByName(EntitySet* ids) const {
  std::sort(ids->begin(), ids->end(),
            [&](kg::EntityId a, kg::EntityId b) { return rank_[a.value()] < rank_[b.value()]; });
}

std::string Executor::NamesJsonOf(std::span<const kg::EntityId> set) const {
  thread_local EntitySet sorted;
  sorted.assign(set.begin(), set.end());
  SortByName(&sorted);
  std::string out = "[";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonQuoted(graph_.entity(sorted[i]).name, &out);
  }
  out += ']';
  return out;
}

std::vector<std::string> Executor::Names(const EntitySet& set) const {
  EntitySet sorted = set;
  std::sort(sorted.begin(), sorted.end(),
            [&](kg::EntityId a, kg::EntityId b) { return rank_[a.value()] < rank_[b.value()]; });
  std::vector<std::string> names;
  names.reserve(sorted.size());
  for (kg::EntityId e : sorted) names.push_back(graph_.entity(e).name);
  return names;
}

std::variant<EntitySet, ToolError> Executor::ExecuteIds(std::string_view tool_name,
                                                        std::string_view arguments_json,
                                                        std::span<const std::string> earlier) const {
  const Tool* tool = catalog_.Find(tool_name);
  if (tool == nullptr) {
    return Err(ToolError::Kind::kUnknownTool,
               "unknown tool '" + std::string(tool_name) + "'; call one of the listed tools");
  }
  rapidjson::Document doc;
  if (!ParseJsonDepthLimited(arguments_json, &doc) || doc.HasParseError() || !doc.IsObject()) {
    return Err(ToolError::Kind::kMalformedArguments,
               tool->name + ": arguments must be a JSON object");
  }
  auto member = [&](const char* key) -> const JsonValue* {
    auto it = doc.FindMember(key);
    return it == doc.MemberEnd() ? nullptr : &it->value;
  };
  auto missing = [&](const std::string& key) {
    return Err(ToolError::Kind::kMissingArgument,
               tool->name + ": missing required argument '" + key + "'");
  };
  if (tool->kind != ToolKind::kSet) {
    const JsonValue* arg = member(tool->parameter.c_str());
    if (arg == nullptr) return missing(tool->parameter);
    if (!arg->IsString()) {
      return Err(ToolError::Kind::kWrongArgumentType,
                 tool->name + ": argument '" + tool->parameter + "' must be a string");
    }
    std::string_view name(arg->GetString(), arg->GetStringLength());
    std::optional<kg::EntityId> id = graph_.FindEntityByName(name);
    if (!id && ResultRefNumber(name) > 0) {
      // A hop over an earlier result: every entity of it, the results merged (a set projection).
      auto inputs = ResolveList(graph_, *arg, earlier, tool->name, tool->parameter);
      if (auto* e = std::get_if<ToolError>(&inputs)) return *e;
      EntitySet out;
      for (kg::EntityId x : std::get<EntitySet>(inputs)) {
        auto span = tool->kind == ToolKind::kRelation ? graph_.Tails(x, tool->relation)
                                                      : graph_.Heads(tool->relation, x);
        out.insert(out.end(), span.begin(), span.end());
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    }
    if (!id) {
      // A base name shared by several entities: list them, so the caller can pick one.
      auto it = std::lower_bound(by_base_.begin(), by_base_.end(),
                                 std::make_pair(name, std::string_view()));
      std::string candidates;
      for (; it != by_base_.end() && it->first == name; ++it) {
        candidates += (candidates.empty() ? "" : ", ") + std::string(it->second);
      }
      if (!candidates.empty()) {
        return Err(ToolError::Kind::kUnknownEntity,
                   tool->name + ": '" + std::string(name) + "' is ambiguous: " + candidates +
                       "; call again with one of these exact names");
      }
      return Err(ToolError::Kind::kUnknownEntity,
                 tool->name + ": unknown " + tool->parameter + " '" + std::string(name) +
                     "'; check the spelling or use the exact name from the question");
    }
    auto span = tool->kind == ToolKind::kRelation ? graph_.Tails(*id, tool->relation)
                                                  : graph_.Heads(tool->relation, *id);
    return EntitySet(span.begin(), span.end());
  }
  if (tool->set_op == SetOp::kNegation) {
    const JsonValue* entities = member("entities");
    const JsonValue* within = member("within");
    if (entities == nullptr) return missing("entities");
    if (within == nullptr) return missing("within");
    auto a = ResolveList(graph_, *within, earlier, tool->name, "within");
    if (auto* e = std::get_if<ToolError>(&a)) return *e;
    auto b = ResolveList(graph_, *entities, earlier, tool->name, "entities");
    if (auto* e = std::get_if<ToolError>(&b)) return *e;
    return SetDifference(std::get<EntitySet>(a), std::get<EntitySet>(b));
  }
  const JsonValue* sets = member("sets");
  if (sets == nullptr) return missing("sets");
  if (!sets->IsArray() || sets->Size() == 0) {
    return Err(ToolError::Kind::kWrongArgumentType,
               tool->name + ": argument 'sets' must be a non-empty array of lists of names "
                            "(or result references such as \"#1\")");
  }
  EntitySet acc;
  for (rapidjson::SizeType i = 0; i < sets->Size(); ++i) {
    auto s = ResolveList(graph_, (*sets)[i], earlier, tool->name, "sets");
    if (auto* e = std::get_if<ToolError>(&s)) return *e;
    EntitySet& set = std::get<EntitySet>(s);
    if (i == 0) {
      acc = std::move(set);
    } else {
      acc = tool->set_op == SetOp::kIntersection ? SetIntersection(acc, set) : SetUnion(acc, set);
    }
  }
  return acc;
}

CallOutcome Executor::Execute(std::string_view tool_name, std::string_view arguments_json,
                              std::span<const std::string> earlier) const {
  auto r = ExecuteIds(tool_name, arguments_json, earlier);
  CallOutcome out;
  if (auto* e = std::get_if<ToolError>(&r)) {
    out.error = std::move(*e);
  } else {
    out.result = Names(std::get<EntitySet>(r));
  }
  return out;
}

}  // namespace kgf::synth
