// Format exporters/importers (LLaMA-Factory ShareGPT, APIGen xLAM, Hermes function calling).
#include "synth/exporters.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>

#include "base/enum_names.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/line_writer.h"

namespace kgf::synth {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Raw(Writer& w, const std::string& json, rapidjson::Type type) {
  w.RawValue(json.data(), json.size(), type);
}

std::string FunctionsJson(const Record& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartArray();
  for (const FunctionSpec& f : r.tools) {
    w.StartObject();
    w.Key("name"); Str(w, f.name);
    w.Key("description"); Str(w, f.description);
    w.Key("parameters"); Raw(w, f.parameters, rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  return sb.GetString();
}

// {"name":..,"arguments":{..}}
void CallObject(Writer& w, const ToolCall& c) {
  w.StartObject();
  w.Key("name"); Str(w, c.name);
  w.Key("arguments"); Raw(w, c.arguments, rapidjson::kObjectType);
  w.EndObject();
}
std::string CallJson(const ToolCall& c) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  CallObject(w, c);
  return sb.GetString();
}

Result<std::vector<FunctionSpec>> ParseFunctions(std::string_view text, const std::string& where) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, where));
  if (!doc.IsArray()) return InvalidArgumentError(where + ": tools must be a JSON array");
  std::vector<FunctionSpec> out;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    FunctionSpec f;
    KGF_ASSIGN_OR_RETURN(f.name, JsonGetString(doc[i], "name", at));
    KGF_ASSIGN_OR_RETURN(f.description, JsonGetString(doc[i], "description", at));
    KGF_ASSIGN_OR_RETURN(const JsonValue* p, JsonGetObject(doc[i], "parameters", at));
    f.parameters = JsonToString(*p);
    out.push_back(std::move(f));
  }
  return out;
}

Result<ToolCall> ParseCall(const JsonValue& v, const std::string& where, std::string id) {
  ToolCall c;
  c.id = std::move(id);
  KGF_ASSIGN_OR_RETURN(c.name, JsonGetString(v, "name", where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* args, JsonGetObject(v, "arguments", where));
  c.arguments = JsonToString(*args);
  return c;
}

std::string CallId(int turn, size_t k) {
  return "call_" + std::to_string(turn) + "_" + std::to_string(k);
}

const Message* FindSystem(const Record& r) {
  return !r.messages.empty() && r.messages[0].role == "system" ? &r.messages[0] : nullptr;
}

// LLaMA-Factory's separator of parallel tool results inside one observation (its OpenAI
// converter joins them so; the template wraps the whole in <tool_response>...</tool_response>).
constexpr std::string_view kResponseJoin = "\n</tool_response>\n<tool_response>\n";

// True when the system text already lists every tool as its function JSON (synth's ReAct,
// Hermes and Qwen prompts do): a second list (a `tools` field a trainer renders into the
// prompt, or an appended <tools> block) would show each tool twice.
bool ListsEveryTool(const std::string& system, const Record& r) {
  if (r.tools.empty()) return false;
  for (const FunctionSpec& f : r.tools) {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    w.StartObject();
    w.Key("name"); Str(w, f.name);
    w.Key("description"); Str(w, f.description);
    w.Key("parameters"); Raw(w, f.parameters, rapidjson::kObjectType);
    w.EndObject();
    if (system.find(sb.GetString()) == std::string::npos) return false;
  }
  return true;
}

bool SystemListsTools(const Record& r) {
  const Message* sys = FindSystem(r);
  return sys != nullptr && ListsEveryTool(sys->content, r);
}

// The function objects {"name","description","parameters"} written in a text (a system prompt
// that lists the tools), in order of appearance, each once.
std::vector<FunctionSpec> ToolsFromText(const std::string& text) {
  std::vector<FunctionSpec> out;
  std::set<std::string> seen;
  for (size_t at = text.find("{\"name\":"); at != std::string::npos;
       at = text.find("{\"name\":", at + 1)) {
    JsonDoc doc;
    doc.Parse<rapidjson::kParseStopWhenDoneFlag>(text.data() + at, text.size() - at);
    if (doc.HasParseError() || !doc.IsObject()) continue;
    auto name = doc.FindMember("name"), desc = doc.FindMember("description"),
         params = doc.FindMember("parameters");
    if (name == doc.MemberEnd() || !name->value.IsString() || desc == doc.MemberEnd() ||
        !desc->value.IsString() || params == doc.MemberEnd() || !params->value.IsObject()) {
      continue;
    }
    if (!seen.insert(name->value.GetString()).second) continue;
    out.push_back({name->value.GetString(), desc->value.GetString(), JsonToString(params->value)});
  }
  return out;
}

// Tools from an optional "tools" string field, else from the system prompt's own listing.
Result<std::vector<FunctionSpec>> ToolsOf(const JsonDoc& doc, const std::string& system,
                                         const std::string& where) {
  if (doc.HasMember("tools")) {
    KGF_ASSIGN_OR_RETURN(std::string tools, JsonGetString(doc, "tools", where));
    return ParseFunctions(tools, where + ": tools");
  }
  return ToolsFromText(system);
}

// {"name":..,"arguments":{..}} of one call, or a JSON array of them for parallel calls.
std::string CallsJson(const std::vector<ToolCall>& calls) {
  if (calls.size() == 1) return CallJson(calls[0]);
  std::string arr = "[";
  for (size_t k = 0; k < calls.size(); ++k) {
    if (k > 0) arr += ',';
    arr += CallJson(calls[k]);
  }
  return arr + "]";
}

Result<std::vector<ToolCall>> ParseCalls(std::string_view json, const std::string& at, int turn) {
  KGF_ASSIGN_OR_RETURN(JsonDoc calls, ParseJson(json, at));
  std::vector<ToolCall> out;
  if (calls.IsArray()) {
    for (rapidjson::SizeType k = 0; k < calls.Size(); ++k) {
      KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(calls[k], at, CallId(turn, k)));
      out.push_back(std::move(c));
    }
  } else {
    KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(calls, at, CallId(turn, 0)));
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> SplitOn(std::string_view text, std::string_view sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t at = text.find(sep); at != std::string_view::npos; at = text.find(sep, pos)) {
    out.emplace_back(text.substr(pos, at - pos));
    pos = at + sep.size();
  }
  out.emplace_back(text.substr(pos));
  return out;
}

// ---- ShareGPT ----

// What ShareGPT and Hermes records share: {"id": ..., "conversations": [{"from", "value"}, ...]
// and the run of consecutive tool messages that is one turn's observation.
struct ConversationJson {
  rapidjson::StringBuffer sb;
  Writer w{sb};
  explicit ConversationJson(const Record& r) {
    w.StartObject();
    w.Key("id"); Str(w, r.id);
    w.Key("conversations"); w.StartArray();
  }
  void Turn(const char* from, const std::string& value) {
    w.StartObject();
    w.Key("from"); w.String(from);
    w.Key("value"); Str(w, value);
    w.EndObject();
  }
};

// The end of the run of tool messages starting at i (one turn's results).
size_t ToolRunEnd(const Record& r, size_t i) {
  while (i < r.messages.size() && r.messages[i].role == "tool") ++i;
  return i;
}
std::string ExportShareGpt(const Record& r) {
  ConversationJson c(r);
  Writer& w = c.w;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const Message& m = r.messages[i];
    if (m.role == "system") continue;
    if (m.role == "tool") {
      // The results of one turn of calls are one observation (turns alternate), joined as
      // LLaMA-Factory joins them: one <tool_response> per result once the template wraps it.
      const size_t end = ToolRunEnd(r, i);
      std::string value;
      for (size_t j = i; j < end; ++j) {
        if (j > i) value += kResponseJoin;
        value += r.messages[j].content;
      }
      i = end - 1;
      c.Turn("observation", value);
    } else if (m.role == "user") {
      c.Turn("human", m.content);
    } else if (!m.tool_calls.empty()) {
      // Text said with the calls (a self-reflection) goes before them, the calls inside
      // <tool_call></tool_call>: LLaMA-Factory's FunctionFormatter keeps such text as the
      // turn's thought.
      const std::string calls = CallsJson(m.tool_calls);
      c.Turn("function_call",
             m.content.empty() ? calls : m.content + "<tool_call>" + calls + "</tool_call>");
    } else {
      c.Turn("gpt", m.content);
    }
  }
  w.EndArray();
  if (const Message* sys = FindSystem(r)) {
    w.Key("system"); Str(w, sys->content);
  }
  // LLaMA-Factory renders `tools` into the system prompt: only when the prompt lacks them.
  if (!SystemListsTools(r)) {
    w.Key("tools"); Str(w, FunctionsJson(r));
  }
  w.EndObject();
  return c.sb.GetString();
}

Result<Record> ImportShareGpt(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  std::string system;
  if (doc.HasMember("system")) {
    KGF_ASSIGN_OR_RETURN(system, JsonGetString(doc, "system", where));
    r.messages.push_back({"system", system, {}, "", ""});
  }
  KGF_ASSIGN_OR_RETURN(r.tools, ToolsOf(doc, system, where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* conv, JsonGetArray(doc, "conversations", where));
  int call_turn = 0;
  for (rapidjson::SizeType i = 0; i < conv->Size(); ++i) {
    std::string at = where + ": conversations[" + std::to_string(i) + "]";
    KGF_ASSIGN_OR_RETURN(std::string from, JsonGetString((*conv)[i], "from", at));
    KGF_ASSIGN_OR_RETURN(std::string value, JsonGetString((*conv)[i], "value", at));
    const bool odd = i % 2 == 0;  // positions counted from 1: human/observation are odd
    if ((from == "human" || from == "observation") != odd) {
      return InvalidArgumentError(at + ": '" + from + "' at the wrong position; human and "
                                  "observation turns must alternate with gpt and function_call");
    }
    if (from == "human") {
      r.messages.push_back({"user", std::move(value), {}, "", ""});
    } else if (from == "gpt") {
      r.messages.push_back({"assistant", std::move(value), {}, "", ""});
    } else if (from == "function_call") {
      ++call_turn;
      Message m{"assistant", "", {}, "", ""};
      std::string_view calls = value;
      const size_t open = value.find("<tool_call>");
      if (open != std::string::npos && EndsWith(value, "</tool_call>")) {
        m.content = value.substr(0, open);
        calls = std::string_view(value).substr(open + 11, value.size() - open - 11 - 12);
      }
      KGF_ASSIGN_OR_RETURN(m.tool_calls, ParseCalls(calls, at, call_turn));
      r.messages.push_back(std::move(m));
    } else if (from == "observation") {
      if (r.messages.empty() || r.messages.back().tool_calls.empty()) {
        return InvalidArgumentError(at + ": an observation must follow a function_call");
      }
      const std::vector<ToolCall> calls = r.messages.back().tool_calls;
      std::vector<std::string> results =
          calls.size() == 1 ? std::vector<std::string>{value} : SplitOn(value, kResponseJoin);
      if (results.size() != calls.size()) {
        return InvalidArgumentError(at + ": the observation of " + std::to_string(calls.size()) +
                                    " parallel calls must hold as many results, joined by "
                                    "\"\\n</tool_response>\\n<tool_response>\\n\"");
      }
      for (size_t k = 0; k < calls.size(); ++k) {
        r.messages.push_back({"tool", std::move(results[k]), {}, calls[k].id, calls[k].name});
      }
    } else {
      return InvalidArgumentError(at + ": unknown 'from' value '" + from +
                                  "'; expected human, gpt, function_call or observation");
    }
  }
  return r;
}

// ---- xLAM ----
// xLAM's parameter types are Python's: "str", "int", "List[str]" (the 60k release; NeMo's
// converter maps them back to JSON Schema).
std::string XlamType(const JsonValue& schema) {
  auto type = schema.FindMember("type");
  std::string t = type != schema.MemberEnd() && type->value.IsString() ? type->value.GetString() : "";
  if (type != schema.MemberEnd() && type->value.IsArray()) {
    // A type list (a set tool's list argument that may also be a result reference, "#k"):
    // xLAM has one type a parameter, the array one (the description tells of references).
    for (const JsonValue& x : type->value.GetArray()) {
      if (!x.IsString()) continue;
      if (t.empty() || std::string_view(x.GetString()) == "array") t = x.GetString();
    }
  }
  if (t == "string") return "str";
  if (t == "integer") return "int";
  if (t == "number") return "float";
  if (t == "boolean") return "bool";
  if (t == "object") return "dict";
  if (t == "array") {
    auto items = schema.FindMember("items");
    if (items != schema.MemberEnd() && items->value.IsObject()) {
      return "List[" + XlamType(items->value) + "]";
    }
    return "list";
  }
  return "str";
}

// "List[List[str]]" -> {"type":"array","items":{"type":"array","items":{"type":"string"}}}
void WriteSchemaOfXlamType(Writer& w, std::string_view t) {
  w.StartObject();
  w.Key("type");
  if (t.substr(0, 5) == "List[" && t.back() == ']') {
    w.String("array");
    w.Key("items");
    WriteSchemaOfXlamType(w, t.substr(5, t.size() - 6));
  } else {
    w.String(t == "int" ? "integer" : t == "float" ? "number" : t == "bool" ? "boolean"
             : t == "dict" ? "object" : t == "list" ? "array" : "string");
  }
  w.EndObject();
}

// [{"name","description","parameters":{param:{"type","description"}}}]: xLAM's flat map (every
// parameter of ours is required, so none has a default).
std::string XlamToolsJson(const Record& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartArray();
  for (const FunctionSpec& f : r.tools) {
    w.StartObject();
    w.Key("name"); Str(w, f.name);
    w.Key("description"); Str(w, f.description);
    w.Key("parameters"); w.StartObject();
    JsonDoc schema;
    schema.Parse(f.parameters.data(), f.parameters.size());
    auto props = schema.IsObject() ? schema.FindMember("properties") : schema.MemberEnd();
    if (schema.IsObject() && props != schema.MemberEnd() && props->value.IsObject()) {
      for (auto it = props->value.MemberBegin(); it != props->value.MemberEnd(); ++it) {
        w.Key(it->name.GetString(), it->name.GetStringLength());
        w.StartObject();
        w.Key("type"); Str(w, XlamType(it->value));
        auto desc = it->value.FindMember("description");
        w.Key("description");
        if (desc != it->value.MemberEnd() && desc->value.IsString()) {
          w.String(desc->value.GetString(), desc->value.GetStringLength());
        } else {
          w.String("");
        }
        w.EndObject();
      }
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  return sb.GetString();
}

// xLAM is single-turn: the answers are the calls a model makes from the query alone.
std::string_view XlamSkipReason(const Record& r) {
  int call_turns = 0;
  for (const Message& m : r.messages) {
    call_turns += m.tool_calls.empty() ? 0 : 1;
    if (m.role == "tool") {
      JsonDoc d;
      if (ParseJsonDepthLimited(m.content, &d) && !d.HasParseError() && d.IsObject() &&
          d.HasMember("error")) {
        return "failed_call";  // a self-reflection dialogue: its first call is the mistake
      }
    }
  }
  if (call_turns == 0) return "no_calls";
  if (call_turns > 1) return "dependent_calls";  // later arguments come from earlier results
  return "";
}

std::string ExportXlam(const Record& r, int64_t index) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("id"); w.Int64(index);
  std::string query;
  for (const Message& m : r.messages) {
    if (m.role == "user") {
      query = m.content;
      break;
    }
  }
  w.Key("query"); Str(w, query);
  w.Key("tools"); Str(w, XlamToolsJson(r));
  std::string answers = "[";
  bool first = true;
  for (const Message& m : r.messages) {
    for (const ToolCall& c : m.tool_calls) {
      if (!first) answers += ',';
      first = false;
      answers += CallJson(c);
    }
  }
  answers += "]";
  w.Key("answers"); Str(w, answers);
  w.Key("source_id"); Str(w, r.id);  // our record id (xLAM's id is an integer)
  w.EndObject();
  return sb.GetString();
}

Result<std::vector<FunctionSpec>> ParseXlamTools(std::string_view text, const std::string& where) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(text, where));
  if (!doc.IsArray()) return InvalidArgumentError(where + ": tools must be a JSON array");
  std::vector<FunctionSpec> out;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    FunctionSpec f;
    KGF_ASSIGN_OR_RETURN(f.name, JsonGetString(doc[i], "name", at));
    KGF_ASSIGN_OR_RETURN(f.description, JsonGetString(doc[i], "description", at));
    KGF_ASSIGN_OR_RETURN(const JsonValue* params, JsonGetObject(doc[i], "parameters", at));
    rapidjson::StringBuffer sb;
    Writer w(sb);
    w.StartObject();
    w.Key("type"); w.String("object");
    w.Key("properties"); w.StartObject();
    std::vector<std::string> required;
    for (auto it = params->MemberBegin(); it != params->MemberEnd(); ++it) {
      const std::string pat = at + ".parameters." + it->name.GetString();
      KGF_ASSIGN_OR_RETURN(std::string type, JsonGetString(it->value, "type", pat));
      w.Key(it->name.GetString(), it->name.GetStringLength());
      // The schema of the type, then the description inside the same object.
      rapidjson::StringBuffer tb;
      Writer tw(tb);
      WriteSchemaOfXlamType(tw, type);
      std::string schema = tb.GetString();
      auto desc = it->value.FindMember("description");
      if (desc != it->value.MemberEnd() && desc->value.IsString()) {
        schema.pop_back();
        schema += ",\"description\":" + JsonQuote(desc->value.GetString()) + "}";
      }
      Raw(w, schema, rapidjson::kObjectType);
      if (!it->value.HasMember("default")) required.push_back(it->name.GetString());
    }
    w.EndObject();
    w.Key("required"); w.StartArray();
    for (const std::string& q : required) Str(w, q);
    w.EndArray();
    w.EndObject();
    f.parameters = sb.GetString();
    out.push_back(std::move(f));
  }
  return out;
}

Result<Record> ImportXlam(const JsonDoc& doc, const std::string& where) {
  Record r;
  if (doc.HasMember("source_id")) {
    KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "source_id", where));
  } else {
    KGF_ASSIGN_OR_RETURN(int64_t id, JsonGetInt(doc, "id", where));
    r.id = std::to_string(id);
  }
  KGF_ASSIGN_OR_RETURN(std::string query, JsonGetString(doc, "query", where));
  KGF_ASSIGN_OR_RETURN(std::string tools, JsonGetString(doc, "tools", where));
  KGF_ASSIGN_OR_RETURN(r.tools, ParseXlamTools(tools, where + ": tools"));
  KGF_ASSIGN_OR_RETURN(std::string answers, JsonGetString(doc, "answers", where));
  KGF_ASSIGN_OR_RETURN(JsonDoc calls, ParseJson(answers, where + ": answers"));
  if (!calls.IsArray()) return InvalidArgumentError(where + ": answers must be a JSON array");
  r.messages.push_back({"user", std::move(query), {}, "", ""});
  Message m{"assistant", "", {}, "", ""};
  for (rapidjson::SizeType k = 0; k < calls.Size(); ++k) {
    KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(calls[k], where + ": answers", CallId(1, k)));
    m.tool_calls.push_back(std::move(c));
  }
  r.messages.push_back(std::move(m));
  return r;
}

// ---- Hermes ----
std::string HermesToolsBlock(const Record& r) {
  std::string out = "\n\n<tools>\n";
  for (const FunctionSpec& f : r.tools) {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    w.StartObject();
    w.Key("type"); w.String("function");
    w.Key("function"); w.StartObject();
    w.Key("name"); Str(w, f.name);
    w.Key("description"); Str(w, f.description);
    w.Key("parameters"); Raw(w, f.parameters, rapidjson::kObjectType);
    w.EndObject();
    w.EndObject();
    out += sb.GetString();
    out += '\n';
  }
  out += "</tools>";
  return out;
}

std::string ExportHermes(const Record& r) {
  ConversationJson conv(r);
  const Message* sys = FindSystem(r);
  std::string system = sys ? sys->content : "";
  if (system.find("<tools>") == std::string::npos && !ListsEveryTool(system, r)) {
    system += HermesToolsBlock(r);
  }
  conv.Turn("system", system);
  for (size_t i = sys ? 1 : 0; i < r.messages.size(); ++i) {
    const Message& m = r.messages[i];
    if (m.role == "user") {
      conv.Turn("human", m.content);
    } else if (m.role == "assistant") {
      std::string value = m.content;
      for (const ToolCall& c : m.tool_calls) {
        if (!value.empty()) value += '\n';
        value += "<tool_call>\n" + CallJson(c) + "\n</tool_call>";
      }
      conv.Turn("gpt", value);
    } else {
      // Consecutive tool messages form one tool turn.
      const size_t end = ToolRunEnd(r, i);
      std::string value;
      for (size_t j = i; j < end; ++j) {
        rapidjson::StringBuffer tb;
        Writer tw(tb);
        tw.StartObject();
        tw.Key("name"); Str(tw, r.messages[j].name);
        // The result as a JSON value, as Hermes writes tool responses (our observations are
        // JSON: a list of names or {"error": ...}); a non-JSON text stays a string.
        tw.Key("content");
        const std::string& content = r.messages[j].content;
        JsonDoc parsed;
        if (ParseJsonDepthLimited(content, &parsed) && !parsed.HasParseError()) {
          tw.RawValue(content.data(), content.size(), parsed.GetType());
        } else {
          Str(tw, content);
        }
        tw.EndObject();
        if (!value.empty()) value += '\n';
        value += "<tool_response>\n" + std::string(tb.GetString()) + "\n</tool_response>";
      }
      i = end - 1;
      conv.Turn("tool", value);
    }
  }
  conv.w.EndArray();
  // The system turn lists every tool (above); a `tools` field as well would list them twice.
  conv.w.EndObject();
  return conv.sb.GetString();
}

// Splits `text` into the bodies of <tag>...</tag> blocks; *prefix gets the text before the first.
Result<std::vector<std::string>> TagBodies(const std::string& text, const std::string& tag,
                                           std::string* prefix, const std::string& where) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">\n", close = "\n</" + tag + ">";
  size_t pos = text.find(open);
  *prefix = text.substr(0, pos == std::string::npos ? text.size() : pos);
  if (pos != std::string::npos && !prefix->empty()) {
    if (prefix->back() != '\n') return InvalidArgumentError(where + ": text must end in a newline before <" + tag + ">");
    prefix->pop_back();
  }
  while (pos != std::string::npos) {
    size_t end = text.find(close, pos);
    if (end == std::string::npos) return InvalidArgumentError(where + ": unclosed <" + tag + ">");
    out.push_back(text.substr(pos + open.size(), end - pos - open.size()));
    pos = text.find(open, end);
  }
  return out;
}

// An assistant turn written as text then <tool_call>\n{...}\n</tool_call> blocks (Hermes,
// Bailing). `call_turn` counts turns with calls (the call ids).
Result<Message> ParseTaggedAssistant(const std::string& value, const std::string& at,
                                     int* call_turn) {
  std::string text;
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> bodies, TagBodies(value, "tool_call", &text, at));
  Message m{"assistant", std::move(text), {}, "", ""};
  if (!bodies.empty()) ++*call_turn;
  for (size_t k = 0; k < bodies.size(); ++k) {
    KGF_ASSIGN_OR_RETURN(JsonDoc call, ParseJson(bodies[k], at + " <tool_call>"));
    KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(call, at, CallId(*call_turn, k)));
    m.tool_calls.push_back(std::move(c));
  }
  return m;
}

Result<Record> ImportHermes(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(const JsonValue* conv, JsonGetArray(doc, "conversations", where));
  std::string system;
  if (!conv->Empty() && (*conv)[0].IsObject()) {
    auto from = (*conv)[0].FindMember("from"), value = (*conv)[0].FindMember("value");
    if (from != (*conv)[0].MemberEnd() && from->value.IsString() &&
        std::string_view(from->value.GetString()) == "system" &&
        value != (*conv)[0].MemberEnd() && value->value.IsString()) {
      system = value->value.GetString();
    }
  }
  KGF_ASSIGN_OR_RETURN(r.tools, ToolsOf(doc, system, where));
  int call_turn = 0;
  for (rapidjson::SizeType i = 0; i < conv->Size(); ++i) {
    std::string at = where + ": conversations[" + std::to_string(i) + "]";
    KGF_ASSIGN_OR_RETURN(std::string from, JsonGetString((*conv)[i], "from", at));
    KGF_ASSIGN_OR_RETURN(std::string value, JsonGetString((*conv)[i], "value", at));
    if (from == "system") {
      std::string block = HermesToolsBlock(r);
      if (EndsWith(value, block)) value.resize(value.size() - block.size());
      r.messages.push_back({"system", std::move(value), {}, "", ""});
    } else if (from == "human") {
      r.messages.push_back({"user", std::move(value), {}, "", ""});
    } else if (from == "gpt") {
      KGF_ASSIGN_OR_RETURN(Message m, ParseTaggedAssistant(value, at, &call_turn));
      r.messages.push_back(std::move(m));
    } else if (from == "tool") {
      if (r.messages.empty() || r.messages.back().tool_calls.empty()) {
        return InvalidArgumentError(at + ": a tool turn must follow a gpt turn with tool calls");
      }
      const std::vector<ToolCall> calls = r.messages.back().tool_calls;
      std::string ignored;
      KGF_ASSIGN_OR_RETURN(std::vector<std::string> bodies, TagBodies(value, "tool_response", &ignored, at));
      if (bodies.size() != calls.size()) {
        return InvalidArgumentError(at + ": " + std::to_string(bodies.size()) +
                                    " tool responses for " + std::to_string(calls.size()) + " calls");
      }
      for (size_t k = 0; k < bodies.size(); ++k) {
        KGF_ASSIGN_OR_RETURN(JsonDoc resp, ParseJson(bodies[k], at + " <tool_response>"));
        KGF_ASSIGN_OR_RETURN(std::string name, JsonGetString(resp, "name", at));
        auto content_it = resp.FindMember("content");
        if (content_it == resp.MemberEnd()) {
          return InvalidArgumentError(at + " <tool_response>: field 'content' missing");
        }
        std::string content = content_it->value.IsString()
                                  ? std::string(content_it->value.GetString(),
                                                content_it->value.GetStringLength())
                                  : JsonToString(content_it->value);
        r.messages.push_back({"tool", std::move(content), {}, calls[k].id, std::move(name)});
      }
    } else {
      return InvalidArgumentError(at + ": unknown 'from' value '" + from +
                                  "'; expected system, human, gpt or tool");
    }
  }
  return r;
}

// ---- Bailing (Ling's chat roles) ----
// Ling's SFT layout as LLaMA-Factory's `bailing` template renders it: <role>SYSTEM</role>,
// <role>HUMAN</role>, <role>ASSISTANT</role>, <role>OBSERVATION</role>, each followed by its
// text; calls and results in Ling's (Qwen-style) tags, one block per call / result.
constexpr std::string_view kRoleTags[] = {"<role>SYSTEM</role>", "<role>HUMAN</role>",
                                          "<role>ASSISTANT</role>", "<role>OBSERVATION</role>"};

std::string ExportBailing(const Record& r) {
  std::string text;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const Message& m = r.messages[i];
    if (m.role == "system") {
      text += std::string(kRoleTags[0]) + m.content;
    } else if (m.role == "user") {
      text += std::string(kRoleTags[1]) + m.content;
    } else if (m.role == "assistant") {
      text += std::string(kRoleTags[2]) + m.content;
      for (const ToolCall& c : m.tool_calls) {
        if (&c != &m.tool_calls.front() || !m.content.empty()) text += '\n';
        text += "<tool_call>\n" + CallJson(c) + "\n</tool_call>";
      }
    } else {
      text += kRoleTags[3];
      const size_t end = ToolRunEnd(r, i);
      for (size_t j = i; j < end; ++j) {
        if (j > i) text += '\n';
        text += "<tool_response>\n" + r.messages[j].content + "\n</tool_response>";
      }
      i = end - 1;
    }
  }
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  w.Key("text"); Str(w, text);
  if (!SystemListsTools(r)) {
    w.Key("tools"); Str(w, FunctionsJson(r));
  }
  w.EndObject();
  return sb.GetString();
}

Result<Record> ImportBailing(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(std::string text, JsonGetString(doc, "text", where));
  // (role index, body) in order.
  std::vector<std::pair<int, std::string>> turns;
  size_t pos = 0;
  while (pos < text.size()) {
    int role = -1;
    for (int k = 0; k < 4; ++k) {
      if (text.compare(pos, kRoleTags[k].size(), kRoleTags[k]) == 0) role = k;
    }
    if (role < 0) {
      return InvalidArgumentError(where + ": text at byte " + std::to_string(pos) +
                                  " is not a <role>SYSTEM|HUMAN|ASSISTANT|OBSERVATION</role> tag");
    }
    pos += kRoleTags[role].size();
    size_t next = text.find("<role>", pos);
    if (next == std::string::npos) next = text.size();
    turns.emplace_back(role, text.substr(pos, next - pos));
    pos = next;
  }
  const std::string system = !turns.empty() && turns[0].first == 0 ? turns[0].second : "";
  KGF_ASSIGN_OR_RETURN(r.tools, ToolsOf(doc, system, where));
  int call_turn = 0;
  for (size_t t = 0; t < turns.size(); ++t) {
    auto& [role, body] = turns[t];
    const std::string at = where + ": turn " + std::to_string(t);
    if (role == 0) {
      r.messages.push_back({"system", std::move(body), {}, "", ""});
    } else if (role == 1) {
      r.messages.push_back({"user", std::move(body), {}, "", ""});
    } else if (role == 2) {
      KGF_ASSIGN_OR_RETURN(Message m, ParseTaggedAssistant(body, at, &call_turn));
      r.messages.push_back(std::move(m));
    } else {
      if (r.messages.empty() || r.messages.back().tool_calls.empty()) {
        return InvalidArgumentError(at + ": an OBSERVATION must follow an ASSISTANT turn with calls");
      }
      const std::vector<ToolCall> calls = r.messages.back().tool_calls;
      std::string ignored;
      KGF_ASSIGN_OR_RETURN(std::vector<std::string> results,
                           TagBodies(body, "tool_response", &ignored, at));
      if (results.size() != calls.size()) {
        return InvalidArgumentError(at + ": " + std::to_string(results.size()) +
                                    " tool responses for " + std::to_string(calls.size()) + " calls");
      }
      for (size_t k = 0; k < calls.size(); ++k) {
        r.messages.push_back({"tool", std::move(results[k]), {}, calls[k].id, calls[k].name});
      }
    }
  }
  return r;
}

}  // namespace

namespace {
constexpr EnumNames<ExportFormat, 5> kExportFormatNames(
    {"openai", "sharegpt", "xlam", "hermes", "bailing"});
}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (auto format = kExportFormatNames.Find(name)) return *format;
  return InvalidArgumentError("unknown export format '" + std::string(name) + "'; expected " +
                              kExportFormatNames.Alternatives());
}

std::string_view ExportFormatName(ExportFormat f) { return kExportFormatNames.Name(f); }

std::string_view ExportSkipReason(const Record& record, ExportFormat format) {
  return format == ExportFormat::kXlam ? XlamSkipReason(record) : std::string_view();
}

std::string ExportRecord(const Record& record, ExportFormat format, int64_t index) {
  switch (format) {
    case ExportFormat::kOpenAi: return RecordToJson(record);
    case ExportFormat::kShareGpt: return ExportShareGpt(record);
    case ExportFormat::kXlam: return ExportXlam(record, index);
    case ExportFormat::kHermes: return ExportHermes(record);
    case ExportFormat::kBailing: return ExportBailing(record);
  }
  return "";
}

Result<Record> ImportRecord(std::string_view json, ExportFormat format, std::string_view where_view) {
  std::string where(where_view);
  if (format == ExportFormat::kOpenAi) return RecordFromJson(json, where);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  if (!doc.IsObject()) return InvalidArgumentError(where + ": expected a JSON object");
  switch (format) {
    case ExportFormat::kShareGpt: return ImportShareGpt(doc, where);
    case ExportFormat::kXlam: return ImportXlam(doc, where);
    case ExportFormat::kHermes: return ImportHermes(doc, where);
    case ExportFormat::kBailing: return ImportBailing(doc, where);
    case ExportFormat::kOpenAi: break;
  }
  return InternalError("unreachable export format");
}

namespace {

std::string DatasetInfoEntry(ExportFormat format, const std::string& file_name) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("file_name"); Str(w, file_name);
  if (format == ExportFormat::kShareGpt) {
    w.Key("formatting"); w.String("sharegpt");
    w.Key("columns"); w.StartObject();
    w.Key("messages"); w.String("conversations");
    w.Key("system"); w.String("system");
    w.Key("tools"); w.String("tools");
    w.EndObject();
  } else {
    // LLaMA-Factory's OpenAI converter: assistant tool_calls become function turns, `tool`
    // messages observations (its default observation tag is "observation").
    w.Key("formatting"); w.String("openai");
    w.Key("columns"); w.StartObject();
    w.Key("messages"); w.String("messages");
    w.EndObject();
    w.Key("tags"); w.StartObject();
    for (const auto& [k, v] : {std::pair{"role_tag", "role"}, {"content_tag", "content"},
                               {"user_tag", "user"}, {"assistant_tag", "assistant"},
                               {"observation_tag", "tool"}, {"function_tag", "function"},
                               {"system_tag", "system"}}) {
      w.Key(k); w.String(v);
    }
    w.EndObject();
  }
  w.EndObject();
  return sb.GetString();
}

Result<std::string> WriteDatasetInfo(const std::string& out, ExportFormat format) {
  const std::string dir = Dirname(out).empty() ? "." : Dirname(out);
  const std::string path = JoinPath(dir, "dataset_info.json");
  std::string name = Basename(out);
  for (std::string_view ext : {".jsonl", ".json"}) {
    if (EndsWith(name, ext)) name.resize(name.size() - ext.size());
  }
  JsonDoc info;
  info.SetObject();
  if (FileExists(path)) {
    KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    KGF_ASSIGN_OR_RETURN(info, ParseJson(text, path));
    if (!info.IsObject()) {
      return InvalidArgumentError(path + ": not a JSON object; move it away to let export add "
                                         "its dataset entry");
    }
  }
  KGF_ASSIGN_OR_RETURN(JsonDoc entry, ParseJson(DatasetInfoEntry(format, Basename(out)), "entry"));
  info.RemoveMember(name.c_str());
  info.AddMember(JsonValue(name.c_str(), info.GetAllocator()),
                 JsonValue(entry, info.GetAllocator()), info.GetAllocator());
  KGF_RETURN_IF_ERROR(WriteFileAtomic(path, JsonToString(info) + "\n"));
  return path;
}

}  // namespace

Result<ExportSummary> ExportShards(const ExportOptions& options) {
  if (options.in_dir.empty() || options.out.empty()) {
    return InvalidArgumentError("export: pass --in DIR (a synth output) and --out FILE");
  }
  if (!options.split.empty() && options.split != "train" && options.split != "valid" &&
      options.split != "test") {
    return InvalidArgumentError("export: --split '" + options.split +
                                "' is not one of train, valid, test");
  }
  KGF_ASSIGN_OR_RETURN(ExportFormat format, ParseExportFormat(options.format));
  const std::string out_dir = Dirname(options.out);
  KGF_RETURN_IF_ERROR(RemoveStaleTempFiles(out_dir.empty() ? "." : out_dir,
                                           Basename(options.out) + ".tmp.")
                          .status());
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(options.in_dir));
  ExportSummary summary;
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineWriter> out, LineWriter::Open(options.out));
  for (const std::string& name : names) {
    if (!StartsWith(name, "shard-") || !EndsWith(name, ".jsonl.zst")) continue;
    ++summary.shards;
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> in,
                         LineReader::Open(JoinPath(options.in_dir, name), 64 << 20));
    std::string line;
    while (in->Next(&line)) {
      KGF_ASSIGN_OR_RETURN(Record r, RecordFromJson(line, in->Where()));
      if (!options.split.empty() && r.split != options.split) continue;
      if (std::string_view why = ExportSkipReason(r, format); !why.empty()) {
        ++summary.skipped[std::string(why)];
        continue;
      }
      KGF_RETURN_IF_ERROR(out->WriteLine(ExportRecord(r, format, static_cast<int64_t>(summary.records))));
      ++summary.records;
    }
    KGF_RETURN_IF_ERROR(in->status());
  }
  if (summary.shards == 0) {
    return NotFoundError("export: no shard-*.jsonl.zst files in " + options.in_dir +
                         "; point --in at a `kgforge synth` output directory");
  }
  KGF_RETURN_IF_ERROR(out->Close());
  // LLaMA-Factory reads .json / .jsonl files named in a dataset_info.json beside them.
  if ((format == ExportFormat::kShareGpt || format == ExportFormat::kOpenAi) &&
      !EndsWith(options.out, ".zst")) {
    KGF_ASSIGN_OR_RETURN(summary.dataset_info, WriteDatasetInfo(options.out, format));
  }
  return summary;
}

}  // namespace kgf::synth
