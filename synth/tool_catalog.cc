// Tool catalog construction and tools.json (SPEC §1; OpenAI function-calling schema shape).
#include "synth/tool_catalog.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "base/file_util.h"
#include "base/json.h"
#include "synth/question_grammar.h"
#include "synth/relation_directions.h"

namespace kgf::synth {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string Words(std::string_view snake) {
  std::string out(snake);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

std::string TypeOr(const std::string& type, std::string_view fallback) {
  std::string s = SnakeCase(type);
  return s.empty() ? std::string(fallback) : s;
}

std::string StringParamSchema(const std::string& param, const std::string& description) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("type"); w.String("object");
  w.Key("properties"); w.StartObject();
  w.Key(param.c_str()); w.StartObject();
  w.Key("type"); w.String("string");
  w.Key("description"); w.String(description.c_str());
  w.EndObject();
  w.EndObject();
  w.Key("required"); w.StartArray(); w.String(param.c_str()); w.EndArray();
  w.EndObject();
  return sb.GetString();
}

void FinishJson(Tool* tool) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("name"); w.String(tool->name.c_str());
  w.Key("description"); w.String(tool->description.c_str());
  w.Key("parameters"); w.RawValue(tool->parameters_json.data(), tool->parameters_json.size(),
                                  rapidjson::kObjectType);
  w.EndObject();
  tool->function_json = sb.GetString();
  tool->openai_json = "{\"type\":\"function\",\"function\":" + tool->function_json + "}";
}

// A relation tool's parameter: "The exact name of the country." (or a result reference).
std::string ParamText(const std::string& type, bool hop_refs) {
  return "The exact name of the " + Words(type) +
         (hop_refs ? ", or \"#k\" for every entity of the k-th tool call's result." : ".");
}
constexpr std::string_view kHopRefsNote = " Takes \"#k\" too: every entity of the k-th result.";

Tool MakeSetTool(SetOp op, bool refs) {
  Tool t;
  t.kind = ToolKind::kSet;
  t.set_op = op;
  // With references a list argument is an array of names or the string "#k".
  const std::string list_type = refs ? R"("type":["array","string"],"items":{"type":"string"})"
                                     : R"("type":"array","items":{"type":"string"})";
  const std::string list =
      "{" + list_type + R"(,"description":"A list of entity names)" +
      (refs ? R"(, or \"#k\" for the result of the k-th tool call so far (#1 is the first)."})"
            : R"(."})");
  const std::string refs_note =
      refs ? " A list may be given as \"#k\", the result of the k-th tool call so far." : "";
  switch (op) {
    case SetOp::kIntersection:
    case SetOp::kUnion:
      t.name = op == SetOp::kIntersection ? "get_intersection_of" : "get_union_of";
      t.description = (op == SetOp::kIntersection
                           ? "Returns the entities that appear in every one of the given lists."
                           : "Returns the entities that appear in at least one of the given lists.") +
                      refs_note;
      t.parameters_json = R"({"type":"object","properties":{"sets":{"type":"array","items":)" +
                          list + R"(,"description":"Two or more lists of entity names."}},"required":["sets"]})";
      break;
    case SetOp::kNegation: {
      t.name = "get_negation_of";
      t.description =
          "Returns the entities of 'within' that are not in 'entities' (a difference inside the "
          "given context, not a global complement)." + refs_note;
      auto field = [&](const char* what) {
        return "{" + list_type + R"(,"description":")" + what +
               (refs ? R"(, or \"#k\" for the result of the k-th tool call so far."})" : R"(."})");
      };
      t.parameters_json = R"({"type":"object","properties":{"entities":)" +
                          field("The entity names to exclude") + R"(,"within":)" +
                          field("The entity names to keep unless excluded") +
                          R"(},"required":["entities","within"]})";
      break;
    }
    case SetOp::kNone: KGF_CHECK(false) << "not a set op";
  }
  FinishJson(&t);
  return t;
}

std::string_view SetOpName(SetOp op) {
  switch (op) {
    case SetOp::kIntersection: return "intersection";
    case SetOp::kUnion: return "union";
    case SetOp::kNegation: return "negation";
    case SetOp::kNone: break;
  }
  return "";
}

}  // namespace

std::string SnakeCase(std::string_view label) {
  std::string out;
  bool pending_sep = false;
  for (unsigned char c : label) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (pending_sep && !out.empty()) out += '_';
      pending_sep = false;
      out += static_cast<char>(c);
    } else if (c >= 'A' && c <= 'Z') {
      if (pending_sep && !out.empty()) out += '_';
      pending_sep = false;
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      pending_sep = true;
    }
  }
  return out;
}

std::string_view ToolKindName(ToolKind kind) {
  switch (kind) {
    case ToolKind::kRelation: return "relation";
    case ToolKind::kInverse: return "inverse";
    case ToolKind::kSet: return "set";
  }
  return "";
}

Result<ToolCatalog> ToolCatalog::Build(const kg::Graph& graph, ToolCatalogOptions options) {
  if (graph.num_relations() == 0) {
    return InvalidArgumentError(
        "tool catalog: the graph has no relations, so there are no tools; load a graph with "
        "at least one relation and triple");
  }
  ToolCatalog cat;
  auto add = [&cat](Tool tool) {
    std::string base = tool.name;
    for (int k = 2; cat.by_name_.count(tool.name) > 0; ++k) {
      tool.name = base + "_" + std::to_string(k);
    }
    FinishJson(&tool);
    cat.by_name_.emplace(tool.name, cat.tools_.size());
    cat.tools_.push_back(std::move(tool));
    return cat.tools_.size() - 1;
  };
  // Set tools first so their names are never taken by a relation.
  cat.set_tools_[0] = add(MakeSetTool(SetOp::kIntersection, options.result_refs));
  cat.set_tools_[1] = add(MakeSetTool(SetOp::kUnion, options.result_refs));
  cat.set_tools_[2] = add(MakeSetTool(SetOp::kNegation, options.result_refs));
  const RelationDirections directions = RelationDirections::Analyze(graph);
  const QuestionGrammar grammar = QuestionGrammar::Build(graph);
  for (uint32_t i = 0; i < graph.num_relations(); ++i) {
    kg::RelationId r(i);
    const kg::RelationInfo& info = graph.relation(r);
    std::string rel = SnakeCase(info.name.empty() ? info.key : info.name);
    if (rel.empty()) rel = "relation_" + std::to_string(i);
    std::string head = TypeOr(info.head_type, "entity");
    std::string tail = TypeOr(info.tail_type, "entity");

    Tool fwd;
    fwd.kind = ToolKind::kRelation;
    fwd.relation = r;
    fwd.relation_key = info.key;
    fwd.name = "get_" + rel + "_of_" + head;
    fwd.parameter = head;
    fwd.description = !info.description.empty()
                          ? info.description
                          : "Returns the " + Words(tail) + " entities that are the " + Words(rel) +
                                " of the given " + Words(head) + ".";
    fwd.parameters_json = StringParamSchema(head, ParamText(head, options.hop_refs));
    if (options.hop_refs) fwd.description += kHopRefsNote;
    cat.forward_.push_back(add(std::move(fwd)));
    if (!directions.HasInverseHop(r)) {
      cat.inverse_.push_back(kNoTool);
      continue;
    }

    Tool inv;
    inv.kind = ToolKind::kInverse;
    inv.relation = r;
    inv.relation_key = info.key;
    std::string inv_label = SnakeCase(info.inverse_name);
    // The label reads into the tail type when it ends in a preposition or copula:
    // "capital_of" -> get_capital_of_city, "countries_in" -> get_countries_in_region.
    auto ends_with = [&](std::string_view suffix) {
      return inv_label.size() > suffix.size() &&
             inv_label.compare(inv_label.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    bool reads_into = false;
    for (std::string_view w : {"_of", "_in", "_at", "_by", "_for", "_on", "_to", "_with", "_from",
                               "_against", "_into", "_are", "_is"}) {
      reads_into = reads_into || ends_with(w);
    }
    // A label that already ends in the tail type, or its last word, names its argument:
    // "countries_using_currency" -> get_countries_using_currency, "subdivisions_of_type"
    // (tail subdivision_type) -> get_subdivisions_of_type.
    const std::string tail_word = tail.substr(tail.rfind('_') == std::string::npos ? 0 : tail.rfind('_') + 1);
    const bool names_tail = ends_with("_" + tail) || ends_with("_" + tail_word);
    inv.name = inv_label.empty() ? "get_" + head + "_with_" + rel
               : names_tail      ? "get_" + inv_label
               : reads_into      ? "get_" + inv_label + "_" + tail
                                 : "get_" + inv_label + "_of_" + tail;
    inv.parameter = tail;
    // "Returns the countries whose official languages include the given language."
    inv.description = "Returns the " + grammar.HopPhrase(r, true, "the given " + Words(tail), false)
                                           .substr(4) +
                      " (inverse of " + cat.tools_[cat.forward_.back()].name + ").";
    inv.parameters_json = StringParamSchema(tail, ParamText(tail, options.hop_refs));
    if (options.hop_refs) inv.description += kHopRefsNote;
    cat.inverse_.push_back(add(std::move(inv)));
  }
  return cat;
}

const Tool* ToolCatalog::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &tools_[it->second];
}

const Tool& ToolCatalog::Inverse(kg::RelationId r) const {
  KGF_CHECK(HasInverse(r)) << "relation " << r.value() << " has no inverse tool";
  return tools_[inverse_[r.value()]];
}

const Tool& ToolCatalog::SetTool(SetOp op) const {
  switch (op) {
    case SetOp::kIntersection: return tools_[set_tools_[0]];
    case SetOp::kUnion: return tools_[set_tools_[1]];
    case SetOp::kNegation: return tools_[set_tools_[2]];
    case SetOp::kNone: break;
  }
  KGF_CHECK(false) << "SetTool(kNone)";
  return tools_[0];
}

std::string ToolCatalog::ToToolsJson() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("tools");
  w.StartArray();
  for (const Tool& t : tools_) {
    w.StartObject();
    w.Key("type"); w.String("function");
    w.Key("function");
    w.RawValue(t.function_json.data(), t.function_json.size(), rapidjson::kObjectType);
    w.Key("kind"); w.String(ToolKindName(t.kind).data());
    if (t.kind == ToolKind::kSet) {
      w.Key("set_op"); w.String(SetOpName(t.set_op).data());
    } else {
      w.Key("relation"); w.String(t.relation_key.c_str());
      w.Key("direction"); w.String(t.kind == ToolKind::kRelation ? "forward" : "inverse");
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

Status ToolCatalog::WriteToolsJson(const std::string& path) const {
  return WriteFileAtomic(path, ToToolsJson());
}

Result<std::vector<ToolsJsonEntry>> ParseToolsJson(std::string_view text, std::string_view where) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, where));
  if (!doc.IsObject()) return InvalidArgumentError(std::string(where) + ": expected a JSON object");
  KGF_ASSIGN_OR_RETURN(const JsonValue* arr, JsonGetArray(doc, "tools", where));
  std::vector<ToolsJsonEntry> out;
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    std::string at = std::string(where) + ": tools[" + std::to_string(i) + "]";
    const JsonValue& v = (*arr)[i];
    if (!v.IsObject()) return InvalidArgumentError(at + " must be an object");
    KGF_ASSIGN_OR_RETURN(const JsonValue* fn, JsonGetObject(v, "function", at));
    ToolsJsonEntry e;
    KGF_ASSIGN_OR_RETURN(e.name, JsonGetString(*fn, "name", at + ".function"));
    KGF_ASSIGN_OR_RETURN(e.description, JsonGetString(*fn, "description", at + ".function"));
    KGF_ASSIGN_OR_RETURN(const JsonValue* params, JsonGetObject(*fn, "parameters", at + ".function"));
    e.parameters_json = JsonToString(*params);
    KGF_ASSIGN_OR_RETURN(e.kind, JsonGetString(v, "kind", at));
    if (e.kind == "set") {
      KGF_ASSIGN_OR_RETURN(e.set_op, JsonGetString(v, "set_op", at));
    } else if (e.kind == "relation" || e.kind == "inverse") {
      KGF_ASSIGN_OR_RETURN(e.relation_key, JsonGetString(v, "relation", at));
      KGF_ASSIGN_OR_RETURN(e.direction, JsonGetString(v, "direction", at));
    } else {
      return InvalidArgumentError(at + ": field 'kind' is '" + e.kind +
                                  "'; expected relation, inverse or set");
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool LooksUpAnyOf(const Tool& tool, std::span<const kg::RelationId> relations) {
  return tool.kind != ToolKind::kSet &&
         std::find(relations.begin(), relations.end(), tool.relation) != relations.end();
}

}  // namespace kgf::synth
