// Canonical record JSON (OpenAI chat + tools shape) writer and reader.
#include "synth/record.h"


#include <charconv>
#include <unordered_map>

#include "base/enum_names.h"
#include "base/json.h"

namespace kgf::synth {
namespace {


Result<std::vector<std::string>> StringArray(const JsonValue& obj, const char* field,
                                             const std::string& where) {
  KGF_ASSIGN_OR_RETURN(const JsonValue* arr, JsonGetArray(obj, field, where));
  std::vector<std::string> out;
  for (const JsonValue& v : arr->GetArray()) {
    if (!v.IsString()) {
      return InvalidArgumentError(where + ": field '" + field + "' must hold only strings");
    }
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

}  // namespace

void AppendRecordJson(const Record& r, std::string* out) {
  JsonAppender w(out);
  w.StartObject();
  w.Key("id"); w.String(r.id);
  w.Key("kg"); w.StartObject();
  w.Key("name"); w.String(r.kg_name);
  w.Key("checksum"); w.String(r.kg_checksum);
  w.EndObject();
  w.Key("pattern"); w.String(r.pattern);
  w.Key("split"); w.String(r.split);
  w.Key("query"); w.StartObject();
  w.Key("anchors"); w.StartArray();
  for (const AnchorRef& a : r.anchors) {
    w.StartObject();
    w.Key("key"); w.String(a.key);
    w.Key("name"); w.String(a.name);
    w.EndObject();
  }
  w.EndArray();
  w.Key("relations"); w.StartArray();
  for (const std::string& rel : r.relations) w.String(rel);
  w.EndArray();
  w.Key("directions"); w.StartArray();
  for (size_t i = 0; i < r.relations.size(); ++i) {
    w.String(i < r.inverse.size() && r.inverse[i] ? "inverse" : "forward");
  }
  w.EndArray();
  w.Key("structure"); w.String(r.structure);
  w.Key("program"); w.String(r.program);
  w.EndObject();
  w.Key("answers"); w.StartArray();
  for (const std::string& a : r.answers) w.String(a);
  w.EndArray();
  if (!r.outcome.empty()) {
    w.Key("outcome"); w.String(r.outcome);
  }
  w.Key("tools"); w.StartArray();
  for (const FunctionSpec& f : r.tools) {
    w.StartObject();
    w.Key("type"); w.String("function");
    w.Key("function"); w.StartObject();
    w.Key("name"); w.String(f.name);
    w.Key("description"); w.String(f.description);
    w.Key("parameters");
    w.RawValue(f.parameters);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("messages"); w.StartArray();
  for (const Message& m : r.messages) {
    w.StartObject();
    w.Key("role"); w.String(m.role);
    if (m.role == "tool") {
      w.Key("tool_call_id"); w.String(m.tool_call_id);
      w.Key("name"); w.String(m.name);
    }
    w.Key("content");
    if (m.content.empty() && !m.tool_calls.empty()) {
      w.Null();
    } else {
      w.String(m.content);
    }
    if (!m.tool_calls.empty()) {
      w.Key("tool_calls"); w.StartArray();
      for (const ToolCall& c : m.tool_calls) {
        w.StartObject();
        w.Key("id"); w.String(c.id);
        w.Key("type"); w.String("function");
        w.Key("function"); w.StartObject();
        w.Key("name"); w.String(c.name);
        w.Key("arguments"); w.String(c.arguments);
        w.EndObject();
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("template"); w.StartObject();
  w.Key("system"); w.String(r.templates.system);
  w.Key("question"); w.String(r.templates.question);
  w.Key("answer"); w.String(r.templates.answer);
  w.Key("reflection"); w.String(r.templates.reflection);
  w.EndObject();
  w.Key("seed"); w.Uint64(r.seed);
  w.Key("index"); w.Uint64(r.index);
  w.EndObject();
}

std::string RecordToJson(const Record& record) {
  std::string out;
  AppendRecordJson(record, &out);
  return out;
}

namespace {
constexpr EnumNames<RecordOutcome, kNumRecordOutcomes> kOutcomeNames(
    {"answered", "no_answer", "empty_step", "no_tool"});
}  // namespace

std::string_view RecordOutcomeName(RecordOutcome o) { return kOutcomeNames.Name(o); }

Result<RecordOutcome> ParseRecordOutcome(std::string_view name, std::string_view where) {
  if (name.empty()) return RecordOutcome::kAnswered;
  if (auto outcome = kOutcomeNames.Find(name)) return *outcome;
  return InvalidArgumentError(std::string(where) + ": 'outcome' is '" + std::string(name) +
                              "'; expected " + kOutcomeNames.Alternatives());
}

Result<Record> RecordFromJson(std::string_view json, std::string_view where_view) {
  std::string where(where_view);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  if (!doc.IsObject()) return InvalidArgumentError(where + ": a record must be a JSON object");
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* kg, JsonGetObject(doc, "kg", where));
  KGF_ASSIGN_OR_RETURN(r.kg_name, JsonGetString(*kg, "name", where + ": kg"));
  KGF_ASSIGN_OR_RETURN(r.kg_checksum, JsonGetString(*kg, "checksum", where + ": kg"));
  KGF_ASSIGN_OR_RETURN(r.pattern, JsonGetString(doc, "pattern", where));
  KGF_ASSIGN_OR_RETURN(r.split, JsonGetString(doc, "split", where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* q, JsonGetObject(doc, "query", where));
  std::string qwhere = where + ": query";
  KGF_ASSIGN_OR_RETURN(const JsonValue* anchors, JsonGetArray(*q, "anchors", qwhere));
  for (rapidjson::SizeType i = 0; i < anchors->Size(); ++i) {
    std::string aw = qwhere + ".anchors[" + std::to_string(i) + "]";
    if (!(*anchors)[i].IsObject()) return InvalidArgumentError(aw + " must be an object");
    AnchorRef a;
    KGF_ASSIGN_OR_RETURN(a.key, JsonGetString((*anchors)[i], "key", aw));
    KGF_ASSIGN_OR_RETURN(a.name, JsonGetString((*anchors)[i], "name", aw));
    r.anchors.push_back(std::move(a));
  }
  KGF_ASSIGN_OR_RETURN(r.relations, StringArray(*q, "relations", qwhere));
  r.inverse.assign(r.relations.size(), 0);
  if (q->HasMember("directions")) {
    KGF_ASSIGN_OR_RETURN(std::vector<std::string> dirs, StringArray(*q, "directions", qwhere));
    if (dirs.size() != r.relations.size()) {
      return InvalidArgumentError(qwhere + ".directions has " + std::to_string(dirs.size()) +
                                  " entries for " + std::to_string(r.relations.size()) +
                                  " relations; give one \"forward\" or \"inverse\" per relation");
    }
    for (size_t i = 0; i < dirs.size(); ++i) {
      if (dirs[i] != "forward" && dirs[i] != "inverse") {
        return InvalidArgumentError(qwhere + ".directions[" + std::to_string(i) + "] is '" +
                                    dirs[i] + "'; expected \"forward\" or \"inverse\"");
      }
      r.inverse[i] = dirs[i] == "inverse";
    }
  }
  KGF_ASSIGN_OR_RETURN(r.structure, JsonGetString(*q, "structure", qwhere));
  KGF_ASSIGN_OR_RETURN(r.program, JsonGetString(*q, "program", qwhere));
  KGF_ASSIGN_OR_RETURN(r.answers, StringArray(doc, "answers", where));
  if (auto it = doc.FindMember("outcome"); it != doc.MemberEnd()) {
    if (!it->value.IsString()) return InvalidArgumentError(where + ": 'outcome' must be a string");
    r.outcome.assign(it->value.GetString(), it->value.GetStringLength());
    KGF_ASSIGN_OR_RETURN(RecordOutcome o, ParseRecordOutcome(r.outcome, where));
    if (o == RecordOutcome::kAnswered) r.outcome.clear();
    if (o != RecordOutcome::kAnswered && !r.answers.empty()) {
      return InvalidArgumentError(where + ": a record with outcome '" + r.outcome +
                                  "' must have \"answers\":[]");
    }
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* tools, JsonGetArray(doc, "tools", where));
  for (rapidjson::SizeType i = 0; i < tools->Size(); ++i) {
    std::string tw = where + ": tools[" + std::to_string(i) + "]";
    if (!(*tools)[i].IsObject()) return InvalidArgumentError(tw + " must be an object");
    KGF_ASSIGN_OR_RETURN(const JsonValue* fn, JsonGetObject((*tools)[i], "function", tw));
    FunctionSpec f;
    KGF_ASSIGN_OR_RETURN(f.name, JsonGetString(*fn, "name", tw + ".function"));
    KGF_ASSIGN_OR_RETURN(f.description, JsonGetString(*fn, "description", tw + ".function"));
    KGF_ASSIGN_OR_RETURN(const JsonValue* params, JsonGetObject(*fn, "parameters", tw + ".function"));
    f.parameters = JsonToString(*params);
    r.tools.push_back(std::move(f));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* msgs, JsonGetArray(doc, "messages", where));
  for (rapidjson::SizeType i = 0; i < msgs->Size(); ++i) {
    std::string mw = where + ": messages[" + std::to_string(i) + "]";
    const JsonValue& mv = (*msgs)[i];
    if (!mv.IsObject()) return InvalidArgumentError(mw + " must be an object");
    Message m;
    KGF_ASSIGN_OR_RETURN(m.role, JsonGetString(mv, "role", mw));
    if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool") {
      return InvalidArgumentError(mw + ": field 'role' is '" + m.role +
                                  "'; expected system, user, assistant or tool");
    }
    auto content = mv.FindMember("content");
    if (content == mv.MemberEnd()) return InvalidArgumentError(mw + ": field 'content' missing");
    if (content->value.IsString()) {
      m.content.assign(content->value.GetString(), content->value.GetStringLength());
    } else if (!content->value.IsNull()) {
      return InvalidArgumentError(mw + ": field 'content' must be a string or null");
    }
    if (m.role == "tool") {
      KGF_ASSIGN_OR_RETURN(m.tool_call_id, JsonGetString(mv, "tool_call_id", mw));
      KGF_ASSIGN_OR_RETURN(m.name, JsonGetString(mv, "name", mw));
    }
    auto calls = mv.FindMember("tool_calls");
    if (calls != mv.MemberEnd()) {
      if (!calls->value.IsArray()) return InvalidArgumentError(mw + ": 'tool_calls' must be an array");
      for (rapidjson::SizeType k = 0; k < calls->value.Size(); ++k) {
        std::string cw = mw + ".tool_calls[" + std::to_string(k) + "]";
        const JsonValue& cv = calls->value[k];
        if (!cv.IsObject()) return InvalidArgumentError(cw + " must be an object");
        ToolCall c;
        KGF_ASSIGN_OR_RETURN(c.id, JsonGetString(cv, "id", cw));
        KGF_ASSIGN_OR_RETURN(const JsonValue* fn, JsonGetObject(cv, "function", cw));
        KGF_ASSIGN_OR_RETURN(c.name, JsonGetString(*fn, "name", cw + ".function"));
        KGF_ASSIGN_OR_RETURN(c.arguments, JsonGetString(*fn, "arguments", cw + ".function"));
        m.tool_calls.push_back(std::move(c));
      }
    }
    // null content belongs to an assistant turn that only calls tools (OpenAI shape); anywhere
    // else the message says nothing (a 4-token document in a corpus).
    if (content->value.IsNull() && !(m.role == "assistant" && !m.tool_calls.empty())) {
      return InvalidArgumentError(mw + ": 'content' is null, which only an assistant message "
                                       "with tool_calls may be; give the " + m.role + "'s text");
    }
    r.messages.push_back(std::move(m));
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* t, JsonGetObject(doc, "template", where));
  KGF_ASSIGN_OR_RETURN(r.templates.system, JsonGetString(*t, "system", where + ": template"));
  KGF_ASSIGN_OR_RETURN(r.templates.question, JsonGetString(*t, "question", where + ": template"));
  KGF_ASSIGN_OR_RETURN(r.templates.answer, JsonGetString(*t, "answer", where + ": template"));
  KGF_ASSIGN_OR_RETURN(r.templates.reflection, JsonGetString(*t, "reflection", where + ": template"));
  // Written as unsigned 64-bit numbers; a negative value would not read back the same.
  KGF_ASSIGN_OR_RETURN(r.seed, JsonGetUint64(doc, "seed", where));
  KGF_ASSIGN_OR_RETURN(r.index, JsonGetUint64(doc, "index", where));
  return r;
}

std::vector<ExecutedCall> CallsOf(const Record& record) {
  std::unordered_map<std::string, std::string> observations;
  for (const Message& m : record.messages) {
    if (m.role == "tool") observations[m.tool_call_id] = m.content;
  }
  std::vector<ExecutedCall> out;
  for (const Message& m : record.messages) {
    for (const ToolCall& c : m.tool_calls) {
      auto it = observations.find(c.id);
      out.push_back({c, it == observations.end() ? std::string() : it->second});
    }
  }
  return out;
}

int MistakeTurn(const Record& record) {
  const std::string& kind = record.templates.reflection;
  if (kind.empty() || kind.rfind("ambiguous_name", 0) == 0) return 0;
  const size_t at = kind.rfind('@');
  if (at == std::string::npos) return 1;
  int turn = 0;
  const auto [end, ec] = std::from_chars(kind.data() + at + 1, kind.data() + kind.size(), turn);
  return ec == std::errc() && end == kind.data() + kind.size() && turn > 0 ? turn : 1;
}

}  // namespace kgf::synth
