// Format exporters/importers (LLaMA-Factory ShareGPT, APIGen xLAM, Hermes function calling).
#include "synth/exporters.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

// ---- ShareGPT ----
std::string ExportShareGpt(const Record& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  w.Key("conversations"); w.StartArray();
  std::vector<std::pair<int, std::string>> thoughts;
  int pos = 0;
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const Message& m = r.messages[i];
    if (m.role == "system") continue;
    if (m.role == "tool") {
      // Group the tool messages answering one assistant turn into one observation.
      size_t j = i;
      while (j < r.messages.size() && r.messages[j].role == "tool") ++j;
      w.StartObject();
      w.Key("from"); w.String("observation");
      w.Key("value");
      if (j - i == 1) {
        Str(w, m.content);
      } else {
        rapidjson::StringBuffer ob;
        Writer ow(ob);
        ow.StartArray();
        for (size_t k = i; k < j; ++k) Str(ow, r.messages[k].content);
        ow.EndArray();
        w.String(ob.GetString());
      }
      w.EndObject();
      ++pos;
      i = j - 1;
      continue;
    }
    w.StartObject();
    if (m.role == "user") {
      w.Key("from"); w.String("human");
      w.Key("value"); Str(w, m.content);
    } else if (!m.tool_calls.empty()) {
      w.Key("from"); w.String("function_call");
      w.Key("value");
      if (m.tool_calls.size() == 1) {
        w.String(CallJson(m.tool_calls[0]).c_str());
      } else {
        std::string arr = "[";
        for (size_t k = 0; k < m.tool_calls.size(); ++k) {
          if (k > 0) arr += ',';
          arr += CallJson(m.tool_calls[k]);
        }
        arr += "]";
        Str(w, arr);
      }
      if (!m.content.empty()) thoughts.emplace_back(pos, m.content);
    } else {
      w.Key("from"); w.String("gpt");
      w.Key("value"); Str(w, m.content);
    }
    w.EndObject();
    ++pos;
  }
  w.EndArray();
  if (const Message* sys = FindSystem(r)) {
    w.Key("system"); Str(w, sys->content);
  }
  w.Key("tools"); Str(w, FunctionsJson(r));
  if (!thoughts.empty()) {
    w.Key("thoughts"); w.StartArray();
    for (const auto& [turn, text] : thoughts) {
      w.StartObject();
      w.Key("turn"); w.Int(turn);
      w.Key("content"); Str(w, text);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return sb.GetString();
}

Result<Record> ImportShareGpt(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(std::string tools, JsonGetString(doc, "tools", where));
  KGF_ASSIGN_OR_RETURN(r.tools, ParseFunctions(tools, where + ": tools"));
  if (doc.HasMember("system")) {
    KGF_ASSIGN_OR_RETURN(std::string sys, JsonGetString(doc, "system", where));
    r.messages.push_back({"system", std::move(sys), {}, "", ""});
  }
  std::vector<std::pair<int, std::string>> thoughts;
  if (doc.HasMember("thoughts")) {
    KGF_ASSIGN_OR_RETURN(const JsonValue* arr, JsonGetArray(doc, "thoughts", where));
    for (const JsonValue& t : arr->GetArray()) {
      KGF_ASSIGN_OR_RETURN(int64_t turn, JsonGetInt(t, "turn", where + ": thoughts"));
      KGF_ASSIGN_OR_RETURN(std::string text, JsonGetString(t, "content", where + ": thoughts"));
      thoughts.emplace_back(static_cast<int>(turn), std::move(text));
    }
  }
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
      for (auto& [turn, text] : thoughts) {
        if (turn == static_cast<int>(i)) m.content = text;
      }
      KGF_ASSIGN_OR_RETURN(JsonDoc calls, ParseJson(value, at));
      if (calls.IsArray()) {
        for (rapidjson::SizeType k = 0; k < calls.Size(); ++k) {
          KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(calls[k], at, CallId(call_turn, k)));
          m.tool_calls.push_back(std::move(c));
        }
      } else {
        KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(calls, at, CallId(call_turn, 0)));
        m.tool_calls.push_back(std::move(c));
      }
      r.messages.push_back(std::move(m));
    } else if (from == "observation") {
      if (r.messages.empty() || r.messages.back().tool_calls.empty()) {
        return InvalidArgumentError(at + ": an observation must follow a function_call");
      }
      const std::vector<ToolCall> calls = r.messages.back().tool_calls;
      if (calls.size() == 1) {
        r.messages.push_back({"tool", std::move(value), {}, calls[0].id, calls[0].name});
      } else {
        KGF_ASSIGN_OR_RETURN(JsonDoc obs, ParseJson(value, at));
        if (!obs.IsArray() || obs.Size() != calls.size()) {
          return InvalidArgumentError(at + ": the observation of " + std::to_string(calls.size()) +
                                      " parallel calls must be an array of as many strings");
        }
        for (size_t k = 0; k < calls.size(); ++k) {
          if (!obs[k].IsString()) return InvalidArgumentError(at + ": observations must be strings");
          r.messages.push_back({"tool", std::string(obs[k].GetString(), obs[k].GetStringLength()),
                                {}, calls[k].id, calls[k].name});
        }
      }
    } else {
      return InvalidArgumentError(at + ": unknown 'from' value '" + from +
                                  "'; expected human, gpt, function_call or observation");
    }
  }
  return r;
}

// ---- xLAM ----
std::string ExportXlam(const Record& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  std::string query;
  for (const Message& m : r.messages) {
    if (m.role == "user") {
      query = m.content;
      break;
    }
  }
  w.Key("query"); Str(w, query);
  w.Key("tools"); Str(w, FunctionsJson(r));
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
  w.EndObject();
  return sb.GetString();
}

Result<Record> ImportXlam(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(std::string query, JsonGetString(doc, "query", where));
  KGF_ASSIGN_OR_RETURN(std::string tools, JsonGetString(doc, "tools", where));
  KGF_ASSIGN_OR_RETURN(r.tools, ParseFunctions(tools, where + ": tools"));
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

// True when the system text already lists every tool as its function JSON (synth's ReAct
// prompts do, as "- {...}" lines): a second list in <tools> would show each tool twice.
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

std::string ExportHermes(const Record& r) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  w.Key("conversations"); w.StartArray();
  const Message* sys = FindSystem(r);
  {
    std::string value = sys ? sys->content : "";
    if (value.find("<tools>") == std::string::npos && !ListsEveryTool(value, r)) {
      value += HermesToolsBlock(r);
    }
    w.StartObject();
    w.Key("from"); w.String("system");
    w.Key("value"); Str(w, value);
    w.EndObject();
  }
  for (size_t i = sys ? 1 : 0; i < r.messages.size(); ++i) {
    const Message& m = r.messages[i];
    w.StartObject();
    if (m.role == "user") {
      w.Key("from"); w.String("human");
      w.Key("value"); Str(w, m.content);
    } else if (m.role == "assistant") {
      std::string value = m.content;
      for (const ToolCall& c : m.tool_calls) {
        if (!value.empty()) value += '\n';
        value += "<tool_call>\n" + CallJson(c) + "\n</tool_call>";
      }
      w.Key("from"); w.String("gpt");
      w.Key("value"); Str(w, value);
    } else {
      // Consecutive tool messages form one tool turn.
      std::string value;
      size_t j = i;
      for (; j < r.messages.size() && r.messages[j].role == "tool"; ++j) {
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
      i = j - 1;
      w.Key("from"); w.String("tool");
      w.Key("value"); Str(w, value);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("tools"); Str(w, FunctionsJson(r));
  w.EndObject();
  return sb.GetString();
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

Result<Record> ImportHermes(const JsonDoc& doc, const std::string& where) {
  Record r;
  KGF_ASSIGN_OR_RETURN(r.id, JsonGetString(doc, "id", where));
  KGF_ASSIGN_OR_RETURN(std::string tools, JsonGetString(doc, "tools", where));
  KGF_ASSIGN_OR_RETURN(r.tools, ParseFunctions(tools, where + ": tools"));
  KGF_ASSIGN_OR_RETURN(const JsonValue* conv, JsonGetArray(doc, "conversations", where));
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
      std::string text;
      KGF_ASSIGN_OR_RETURN(std::vector<std::string> bodies, TagBodies(value, "tool_call", &text, at));
      Message m{"assistant", std::move(text), {}, "", ""};
      if (!bodies.empty()) ++call_turn;
      for (size_t k = 0; k < bodies.size(); ++k) {
        KGF_ASSIGN_OR_RETURN(JsonDoc call, ParseJson(bodies[k], at + " <tool_call>"));
        KGF_ASSIGN_OR_RETURN(ToolCall c, ParseCall(call, at, CallId(call_turn, k)));
        m.tool_calls.push_back(std::move(c));
      }
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

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "openai") return ExportFormat::kOpenAi;
  if (name == "sharegpt") return ExportFormat::kShareGpt;
  if (name == "xlam") return ExportFormat::kXlam;
  if (name == "hermes") return ExportFormat::kHermes;
  return InvalidArgumentError("unknown export format '" + std::string(name) +
                              "'; expected openai, sharegpt, xlam or hermes");
}

std::string_view ExportFormatName(ExportFormat f) {
  switch (f) {
    case ExportFormat::kOpenAi: return "openai";
    case ExportFormat::kShareGpt: return "sharegpt";
    case ExportFormat::kXlam: return "xlam";
    case ExportFormat::kHermes: return "hermes";
  }
  return "";
}

std::string ExportRecord(const Record& record, ExportFormat format) {
  switch (format) {
    case ExportFormat::kOpenAi: return RecordToJson(record);
    case ExportFormat::kShareGpt: return ExportShareGpt(record);
    case ExportFormat::kXlam: return ExportXlam(record);
    case ExportFormat::kHermes: return ExportHermes(record);
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
    case ExportFormat::kOpenAi: break;
  }
  return InternalError("unreachable export format");
}

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
      KGF_RETURN_IF_ERROR(out->WriteLine(ExportRecord(r, format)));
      ++summary.records;
    }
    KGF_RETURN_IF_ERROR(in->status());
  }
  if (summary.shards == 0) {
    return NotFoundError("export: no shard-*.jsonl.zst files in " + options.in_dir +
                         "; point --in at a `kgforge synth` output directory");
  }
  KGF_RETURN_IF_ERROR(out->Close());
  return summary;
}

}  // namespace kgf::synth
