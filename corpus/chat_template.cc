// Chat template rendering and loss masks (see chat_template.h for the layout).
#include "corpus/chat_template.h"

#include <set>
#include <utility>

namespace kgf::corpus {
namespace {

constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kReset = "\x1b[0m";
constexpr std::string_view kCompactInstruction =
    "Answer the question with the tools. Call them as <tool_call>{\"name\": ..., \"arguments\": "
    "{...}}</tool_call>; results come back in <tool_result>.";

class Builder {
 public:
  void Special(corpus::Special s, bool trained) {
    segments_.push_back({"", static_cast<int>(s), trained});
  }
  void Text(std::string text, bool trained) {
    if (text.empty()) return;
    // Merge with the previous text segment of the same mask: fewer, longer encode calls.
    if (!segments_.empty() && segments_.back().special < 0 && segments_.back().trained == trained) {
      segments_.back().text += text;
      return;
    }
    segments_.push_back({std::move(text), -1, trained});
  }
  // Text the operator wrote (system prompt, tool list): a special token's text in it is that
  // token, as a Hugging Face tokenizer reads it ("call tools inside <tool_call></tool_call>").
  void OperatorText(std::string_view text) {
    while (!text.empty()) {
      size_t at = std::string_view::npos;
      int which = -1;
      for (int i = 0; i < kNumSpecials; ++i) {
        const size_t p = text.find(kSpecialPieces[i]);
        if (p < at || (p == at && p != std::string_view::npos &&
                       kSpecialPieces[i].size() > kSpecialPieces[which].size())) {
          at = p;
          which = i;
        }
      }
      if (which < 0) {
        Text(std::string(text), false);
        return;
      }
      Text(std::string(text.substr(0, at)), false);
      Special(static_cast<corpus::Special>(which), false);
      text.remove_prefix(at + kSpecialPieces[which].size());
    }
  }
  std::vector<ChatSegment> Take() { return std::move(segments_); }

 private:
  std::vector<ChatSegment> segments_;
};

// A JSON string field that may be absent or null (-> ""). `path` names it in errors.
Result<std::string> OptionalString(const JsonValue& obj, const char* field, const std::string& path) {
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd() || it->value.IsNull()) return std::string();
  if (!it->value.IsString()) {
    return InvalidArgumentError(path + "." + field + " must be a string or null");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// `name(param, ...): description` from an OpenAI function object.
std::string CompactSignature(const JsonValue& fn) {
  std::string out;
  auto name = fn.FindMember("name");
  if (name != fn.MemberEnd() && name->value.IsString()) out = name->value.GetString();
  out += '(';
  auto params = fn.FindMember("parameters");
  if (params != fn.MemberEnd() && params->value.IsObject()) {
    auto props = params->value.FindMember("properties");
    if (props != params->value.MemberEnd() && props->value.IsObject()) {
      bool first = true;
      for (auto it = props->value.MemberBegin(); it != props->value.MemberEnd(); ++it) {
        if (!first) out += ", ";
        out.append(it->name.GetString(), it->name.GetStringLength());
        first = false;
      }
    }
  }
  out += ')';
  auto desc = fn.FindMember("description");
  if (desc != fn.MemberEnd() && desc->value.IsString() && desc->value.GetStringLength() > 0) {
    out += ": ";
    out += desc->value.GetString();
  }
  return out;
}

// Users, tools and the model never produce a special token from text (a user message holding
// "<|user|>" cannot forge a turn); such text would read as the token in a Hugging Face
// tokenizer, so a record holding it is refused rather than trained on ambiguously.
Status NoSpecialText(std::string_view text, const std::string& path) {
  for (std::string_view piece : kSpecialPieces) {
    if (text.find(piece) != std::string_view::npos) {
      return InvalidArgumentError(path + " holds the text of the special token " +
                                  std::string(piece) +
                                  "; only system prompts may name special tokens (remove it)");
    }
  }
  return Status::Ok();
}

bool IsErrorResult(std::string_view content) {
  auto doc = ParseJson(content, "tool result");
  return doc.ok() && doc->IsObject() && doc->HasMember("error");
}

}  // namespace

std::string RenderedChat::Text() const {
  std::string out;
  for (const auto& s : segments) out += s.special >= 0 ? std::string(kSpecialPieces[s.special]) : s.text;
  return out;
}

std::string RenderedChat::PlainText() const {
  std::string out;
  for (const auto& s : segments) {
    if (s.special >= 0) {
      if (!out.empty() && out.back() != '\n') out += '\n';
    } else {
      out += s.text;
    }
  }
  return out;
}

std::string RenderedChat::Highlighted(bool color) const {
  std::string out;
  bool open = false;
  for (const auto& s : segments) {
    if (s.trained != open) {
      out += s.trained ? (color ? kGreen : "⟦") : (color ? kReset : "⟧");
      open = s.trained;
    }
    out += s.special >= 0 ? std::string(kSpecialPieces[s.special]) : s.text;
  }
  if (open) out += color ? kReset : "⟧";
  return out;
}

Result<RenderedChat> RenderChatJson(std::string_view json, const ChatTemplateOptions& options,
                                    std::string_view where) {
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, where));
  return RenderChat(doc, options, where);
}

Result<RenderedChat> RenderChat(const JsonValue& record, const ChatTemplateOptions& options,
                                std::string_view where_view) {
  const std::string where(where_view);
  if (!record.IsObject()) return InvalidArgumentError(where + ": a record must be a JSON object");
  KGF_ASSIGN_OR_RETURN(const JsonValue* messages, JsonGetArray(record, "messages", where));
  if (messages->Empty()) {
    return InvalidArgumentError(where + ": field 'messages' is empty; a record needs at least "
                                        "a user and an assistant message");
  }
  // Tools block: one function object per line, as the model will see it at inference time, or
  // (compact) one `name(param, ...): description` line per tool.
  std::string tools_block;
  std::vector<std::string> tool_jsons;  // compact JSON of each function object
  auto tools_it = record.FindMember("tools");
  if (tools_it != record.MemberEnd() && !tools_it->value.IsNull()) {
    if (!tools_it->value.IsArray()) return InvalidArgumentError(where + ": field 'tools' must be an array");
    for (rapidjson::SizeType i = 0; i < tools_it->value.Size(); ++i) {
      const JsonValue& tool = tools_it->value[i];
      const std::string path = where + ": tools[" + std::to_string(i) + "]";
      if (!tool.IsObject()) return InvalidArgumentError(path + " must be an object");
      auto fn = tool.FindMember("function");
      if (fn == tool.MemberEnd() || !fn->value.IsObject()) {
        return InvalidArgumentError(path + ".function missing; tools use the OpenAI shape "
                                           "{\"type\":\"function\",\"function\":{...}}");
      }
      tool_jsons.push_back(JsonToString(fn->value));
      tools_block += options.compact_prompts ? CompactSignature(fn->value) : tool_jsons.back();
      tools_block += '\n';
    }
  }
  // Ids of calls whose tool result is an error object (self-reflection samples).
  std::set<std::string> failed_calls;
  for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
    const JsonValue& m = (*messages)[i];
    if (!m.IsObject()) continue;
    auto role = m.FindMember("role");
    auto id = m.FindMember("tool_call_id");
    auto content = m.FindMember("content");
    if (role != m.MemberEnd() && role->value.IsString() && std::string_view(role->value.GetString()) == "tool" &&
        id != m.MemberEnd() && id->value.IsString() && content != m.MemberEnd() &&
        content->value.IsString() && IsErrorResult(content->value.GetString())) {
      failed_calls.insert(id->value.GetString());
    }
  }

  Builder b;
  b.Special(Special::kBeginOfText, false);
  bool system_seen = false;
  auto tools_text = [&]() { return "\n\n# Tools\n" + tools_block; };
  bool last_is_assistant = false;
  for (rapidjson::SizeType i = 0; i < messages->Size(); ++i) {
    const JsonValue& m = (*messages)[i];
    const std::string path = where + ": messages[" + std::to_string(i) + "]";
    if (!m.IsObject()) return InvalidArgumentError(path + " must be an object");
    KGF_ASSIGN_OR_RETURN(std::string role, JsonGetString(m, "role", path));
    KGF_ASSIGN_OR_RETURN(std::string content, OptionalString(m, "content", path));
    if (role == "system") {
      if (i != 0) {
        return InvalidArgumentError(path + ": a system message must come first");
      }
      b.Special(Special::kSystem, false);
      if (options.compact_prompts) {
        b.OperatorText(kCompactInstruction);
        if (!tools_block.empty()) b.OperatorText(tools_text());
      } else {
        b.OperatorText(content);
        // The tool list once: unless the system text already lists every tool.
        bool listed = !tool_jsons.empty();
        for (const std::string& t : tool_jsons) listed = listed && content.find(t) != std::string::npos;
        if (!tools_block.empty() && (options.always_render_tools || !listed)) {
          b.OperatorText(tools_text());
        }
      }
      system_seen = true;
    } else if (role == "user") {
      if (!system_seen && (!tools_block.empty() || options.compact_prompts)) {
        b.Special(Special::kSystem, false);
        if (options.compact_prompts) {
          b.OperatorText(kCompactInstruction);
          if (!tools_block.empty()) b.OperatorText(tools_text());
        } else {
          b.OperatorText(tools_text().substr(2));
        }
        system_seen = true;
      }
      KGF_RETURN_IF_ERROR(NoSpecialText(content, path + ".content"));
      b.Special(Special::kUser, false);
      b.Text(content, false);
    } else if (role == "assistant") {
      KGF_RETURN_IF_ERROR(NoSpecialText(content, path + ".content"));
      b.Special(Special::kAssistant, false);
      b.Text(content, true);
      auto calls = m.FindMember("tool_calls");
      if (calls != m.MemberEnd() && !calls->value.IsNull()) {
        if (!calls->value.IsArray()) return InvalidArgumentError(path + ".tool_calls must be an array");
        for (rapidjson::SizeType k = 0; k < calls->value.Size(); ++k) {
          const JsonValue& call = calls->value[k];
          const std::string cpath = path + ".tool_calls[" + std::to_string(k) + "]";
          if (!call.IsObject()) return InvalidArgumentError(cpath + " must be an object");
          KGF_ASSIGN_OR_RETURN(const JsonValue* fn, JsonGetObject(call, "function", cpath));
          KGF_ASSIGN_OR_RETURN(std::string name, JsonGetString(*fn, "name", cpath + ".function"));
          KGF_ASSIGN_OR_RETURN(std::string args, JsonGetString(*fn, "arguments", cpath + ".function"));
          auto parsed = ParseJson(args, cpath + ".function.arguments");
          if (!parsed.ok() || !parsed->IsObject()) {
            return InvalidArgumentError(cpath +
                                        ".function.arguments must be a JSON string holding an "
                                        "object, e.g. \"{\\\"country\\\":\\\"France\\\"}\"");
          }
          KGF_RETURN_IF_ERROR(NoSpecialText(name, cpath + ".function.name"));
          KGF_RETURN_IF_ERROR(NoSpecialText(args, cpath + ".function.arguments"));
          auto id = call.FindMember("id");
          const bool failed = id != call.MemberEnd() && id->value.IsString() &&
                              failed_calls.count(id->value.GetString()) > 0;
          const bool trained = !failed || options.train_on_failed_calls;
          b.Special(Special::kToolCallOpen, trained);
          b.Text("{\"name\":" + JsonQuote(name) + ",\"arguments\":" + JsonToString(*parsed) + "}",
                 trained);
          b.Special(Special::kToolCallClose, trained);
        }
      }
    } else if (role == "tool") {
      if (i == 0) return InvalidArgumentError(path + ": a tool message cannot come first");
      KGF_RETURN_IF_ERROR(NoSpecialText(content, path + ".content"));
      // The first result after a turn of calls opens with a trained <tool_result>: the model
      // learns to end its turn of calls there, and a caller running the calls stops on it.
      b.Special(Special::kToolResultOpen, last_is_assistant);
      b.Text(content, false);
      b.Special(Special::kToolResultClose, false);
    } else {
      return InvalidArgumentError(path + ".role '" + role +
                                  "' is not one of system, user, assistant, tool");
    }
    last_is_assistant = role == "assistant";
  }
  b.Special(Special::kEndOfText, last_is_assistant);
  RenderedChat chat;
  chat.segments = b.Take();
  return chat;
}

std::string HfChatTemplate(const ChatTemplateOptions& options) {
  // The options are fixed at the top; every tag trims the whitespace around it ({%- -%}), so
  // the layout of the template renders nothing.
  std::string instruction = "'";
  for (char c : kCompactInstruction) {
    if (c == '\'' || c == '\\') instruction += '\\';
    instruction += c;
  }
  instruction += "'";
  return std::string("{%- set compact = ") + (options.compact_prompts ? "true" : "false") +
         " -%}{%- set always_tools = " + (options.always_render_tools ? "true" : "false") +
         " -%}{%- set instruction = " + instruction + " -%}\n" + R"jinja({{- bos_token -}}
{%- set ns = namespace(system_seen=false, listed=true, tools_block='') -%}
{%- for tool in (tools or []) -%}
  {%- set fn = tool.function if tool.function is defined else tool -%}
  {%- if compact -%}
    {%- set params = fn.parameters.properties if fn.parameters is defined and fn.parameters.properties is defined else {} -%}
    {%- set line = fn.name ~ '(' ~ (params|list|join(', ')) ~ ')' -%}
    {%- if fn.description is defined and fn.description -%}{%- set line = line ~ ': ' ~ fn.description -%}{%- endif -%}
    {%- set ns.tools_block = ns.tools_block + line + '\n' -%}
  {%- else -%}
    {%- set ns.tools_block = ns.tools_block + fn|tojson(separators=(',', ':')) + '\n' -%}
  {%- endif -%}
{%- endfor -%}
{%- for m in messages -%}
  {%- set content = m.content if m.content is string else '' -%}
  {%- if m.role == 'system' -%}
    {%- if not loop.first -%}{{- raise_exception('a system message must come first') -}}{%- endif -%}
    {%- if compact -%}
      {{- '<|system|>' + instruction -}}
      {%- if tools -%}{{- '\n\n# Tools\n' + ns.tools_block -}}{%- endif -%}
    {%- else -%}
      {{- '<|system|>' + content -}}
      {%- set ns.listed = true -%}
      {%- for tool in (tools or []) -%}
        {%- set fn = tool.function if tool.function is defined else tool -%}
        {%- if fn|tojson(separators=(',', ':')) not in content -%}{%- set ns.listed = false -%}{%- endif -%}
      {%- endfor -%}
      {%- if tools and (always_tools or not ns.listed) -%}{{- '\n\n# Tools\n' + ns.tools_block -}}{%- endif -%}
    {%- endif -%}
    {%- set ns.system_seen = true -%}
  {%- elif m.role == 'user' -%}
    {%- if not ns.system_seen and (tools or compact) -%}
      {%- if compact -%}
        {{- '<|system|>' + instruction -}}
        {%- if tools -%}{{- '\n\n# Tools\n' + ns.tools_block -}}{%- endif -%}
      {%- else -%}
        {{- '<|system|># Tools\n' + ns.tools_block -}}
      {%- endif -%}
      {%- set ns.system_seen = true -%}
    {%- endif -%}
    {{- '<|user|>' + content -}}
  {%- elif m.role == 'assistant' -%}
    {{- '<|assistant|>' + content -}}
    {%- for call in (m.tool_calls or []) -%}
      {%- set fn = call.function if call.function is defined else call -%}
      {%- set args = fn.arguments if fn.arguments is string else fn.arguments|tojson(separators=(',', ':')) -%}
      {{- '<tool_call>{"name":' + fn.name|tojson + ',"arguments":' + args + '}</tool_call>' -}}
    {%- endfor -%}
  {%- elif m.role == 'tool' -%}
    {%- if loop.first -%}{{- raise_exception('a tool message cannot come first') -}}{%- endif -%}
    {{- '<tool_result>' + content + '</tool_result>' -}}
  {%- else -%}
    {{- raise_exception('role ' + m.role + ' is not one of system, user, assistant, tool') -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- else -%}{{- eos_token -}}{%- endif -%})jinja";
}

int64_t TokenizedSample::trained_tokens() const {
  int64_t n = 0;
  for (uint8_t m : mask) n += m;
  return n;
}

Result<TokenizedSample> TokenizeChat(const RenderedChat& chat, const Tokenizer& tokenizer) {
  TokenizedSample out;
  for (const ChatSegment& s : chat.segments) {
    const size_t before = out.tokens.size();
    if (s.special >= 0) {
      out.tokens.push_back(SpecialId(static_cast<Special>(s.special)));
    } else {
      KGF_RETURN_IF_ERROR(tokenizer.EncodeAppend(s.text, &out.tokens));
    }
    out.mask.resize(out.tokens.size(), 0);
    for (size_t k = before; k < out.tokens.size(); ++k) out.mask[k] = s.trained ? 1 : 0;
  }
  return out;
}

bool TruncateSample(TokenizedSample* sample, int64_t max_tokens) {
  KGF_CHECK(max_tokens > 0) << "max_tokens must be positive";
  if (static_cast<int64_t>(sample->tokens.size()) > max_tokens) {
    sample->tokens.resize(max_tokens);
    sample->mask.resize(max_tokens);
  }
  return sample->trained_tokens() > 0;
}

}  // namespace kgf::corpus
