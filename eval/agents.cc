// Agents of the closed loop (see agents.h).
#include "eval/agents.h"

#include <algorithm>

#include "base/json.h"
#include "eval/scoring.h"
#include "synth/executor.h"

namespace kgf::eval {
namespace {

using corpus::Special;
using corpus::SpecialId;

int CallTurns(const Dialogue& d) {
  int n = 0;
  for (const AgentTurn& t : d.turns) n += !t.calls.empty();
  return n;
}

// Rewrites each result reference "#k" of a call's arguments to "#renumber[k]" (when that
// is > 0).
void RenumberRefs(rapidjson::Document& args, const std::vector<int>& renumber) {
  synth::ForEachReferenceSlot(args, [&](JsonValue& v) {
    if (!v.IsString()) return;
    const int k = synth::ResultRefNumber({v.GetString(), v.GetStringLength()});
    if (k > 0 && static_cast<size_t>(k) < renumber.size() && renumber[k] > 0) {
      const std::string ref = "#" + std::to_string(renumber[k]);
      v.SetString(ref.data(), static_cast<rapidjson::SizeType>(ref.size()), args.GetAllocator());
    }
  });
}

}  // namespace

bool TakesResultReferences(std::span<const synth::FunctionSpec> tools) {
  for (const synth::FunctionSpec& f : tools) {
    if (f.parameters.find(R"(\"#k\")") != std::string::npos) return true;
  }
  return false;
}

AgentCall ParseCall(std::string_view raw) {
  AgentCall c;
  c.raw = std::string(raw);
  rapidjson::Document doc;
  if (!ParseJsonDepthLimited(raw, &doc) || doc.HasParseError() || !doc.IsObject()) return c;
  auto name = doc.FindMember("name");
  auto args = doc.FindMember("arguments");
  if (name == doc.MemberEnd() || !name->value.IsString()) return c;
  c.name.assign(name->value.GetString(), name->value.GetStringLength());
  if (args == doc.MemberEnd()) return c;
  if (args->value.IsString()) {  // OpenAI style: arguments as a JSON string
    rapidjson::Document inner;
    if (!ParseJsonDepthLimited({args->value.GetString(), args->value.GetStringLength()}, &inner) ||
        inner.HasParseError() || !inner.IsObject()) {
      return c;
    }
    c.arguments = JsonToString(inner);
  } else if (args->value.IsObject()) {
    c.arguments = JsonToString(args->value);
  } else {
    return c;
  }
  c.parsed = true;
  return c;
}

Result<AgentTurn> GoldAgent::Next(const synth::Record& record, const Dialogue& so_far) {
  // The gold turns: assistant messages with calls, without a self-reflection mistake.
  // Without the mistake the calls after it are numbered one less: result references ("#k")
  // are renumbered to the replay's calls (renumber[old k] = new k; 0 for the mistake's).
  std::vector<const synth::Message*> turns;
  std::vector<int> renumber = {0};
  const int mistake = synth::MistakeTurn(record);
  int turn_no = 0, kept = 0;
  for (const synth::Message& m : record.messages) {
    if (m.role != "assistant" || m.tool_calls.empty()) continue;
    const bool wrong = ++turn_no == mistake;
    for (size_t c = 0; c < m.tool_calls.size(); ++c) renumber.push_back(wrong ? 0 : ++kept);
    if (!wrong) turns.push_back(&m);
  }
  const size_t k = static_cast<size_t>(CallTurns(so_far));
  AgentTurn t;
  if (k < turns.size()) {
    t.text = turns[k]->content;
    for (const synth::ToolCall& c : turns[k]->tool_calls) {
      std::string arguments = c.arguments;
      rapidjson::Document doc;
      if (mistake > 0 && ParseJsonDepthLimited(arguments, &doc) && !doc.HasParseError()) {
        RenumberRefs(doc, renumber);
        arguments = JsonToString(doc);
      }
      t.calls.push_back(ParseCall("{\"name\":" + JsonQuote(c.name) + ",\"arguments\":" +
                                  arguments + "}"));
    }
    return t;
  }
  t.text = record.messages.empty() ? "" : record.messages.back().content;
  return t;
}

Result<AgentTurn> FirstCallBaseline::Next(const synth::Record& record, const Dialogue& so_far) {
  AgentTurn t;
  if (so_far.turns.empty()) {
    const std::string anchor = record.anchors.empty() ? "" : record.anchors[0].name;
    t.calls.push_back(ParseCall("{\"name\":" + JsonQuote(tool_) + ",\"arguments\":{" +
                                JsonQuote(parameter_) + ":" + JsonQuote(anchor) + "}}"));
    return t;
  }
  // Answer with whatever the call returned.
  std::string names;
  if (!so_far.observations.empty() && !so_far.observations[0].empty()) {
    auto doc = ParseJson(so_far.observations[0][0], "observation");
    if (doc.ok() && doc->IsArray()) {
      for (const auto& x : doc->GetArray()) {
        if (!x.IsString()) continue;
        if (!names.empty()) names += ", ";
        names += x.GetString();
      }
    }
  }
  t.text = names.empty() ? "I could not find an answer." : "The answer is " + names + ".";
  return t;
}

Result<std::unique_ptr<ModelAgent>> ModelAgent::Create(const std::string& checkpoint,
                                                       const std::string& tokenizer,
                                                       ModelAgentOptions options) {
  KGF_ASSIGN_OR_RETURN(trainer::LoadedModel model, trainer::LoadModelFromCheckpoint(checkpoint));
  KGF_ASSIGN_OR_RETURN(corpus::Tokenizer tok, corpus::Tokenizer::Load(tokenizer));
  const int vocab = model.model->config().vocab_size;
  if (tok.vocab_size() > vocab) {
    return FailedPreconditionError(tokenizer + " has " + std::to_string(tok.vocab_size()) +
                                   " tokens but the model in " + model.dir +
                                   " has a vocabulary of " + std::to_string(vocab) +
                                   "; evaluate with the tokenizer of the corpus it was trained on");
  }
  std::vector<std::string> names = std::move(options.constrain_to_entities);
  auto agent = std::unique_ptr<ModelAgent>(new ModelAgent(std::move(model), std::move(tok), options));
  if (!names.empty()) {
    agent->constraint_ = std::make_unique<CallConstraint>(agent->tokenizer_, std::move(names));
  }
  return agent;
}

int ModelAgent::context_length() const { return model_.model->config().max_position_embeddings; }

Result<std::vector<int32_t>> ModelAgent::Prompt(const synth::Record& record) const {
  synth::Record head = record;
  head.messages.clear();
  for (const synth::Message& m : record.messages) {
    if (m.role == "system" || m.role == "user") head.messages.push_back(m);
    if (m.role == "user") break;
  }
  KGF_ASSIGN_OR_RETURN(corpus::RenderedChat chat,
                       corpus::RenderChatJson(synth::RecordToJson(head), options_.chat, record.id));
  KGF_ASSIGN_OR_RETURN(corpus::TokenizedSample sample, corpus::TokenizeChat(chat, tokenizer_));
  // The template closes every sample with <|end_of_text|>; the prompt opens the answer instead.
  if (!sample.tokens.empty() && sample.tokens.back() == SpecialId(Special::kEndOfText)) {
    sample.tokens.pop_back();
  }
  sample.tokens.push_back(SpecialId(Special::kAssistant));
  return std::move(sample.tokens);
}

AgentTurn ModelAgent::ParseTurn(std::vector<int32_t> ids) const {
  AgentTurn t;
  std::vector<int32_t> span;
  bool in_call = false;
  auto flush = [&](std::string* into) {
    if (span.empty()) return;
    Result<std::string> text = tokenizer_.Decode(span);
    if (text.ok()) *into += *text;
    span.clear();
  };
  std::string call_text;
  for (int32_t id : ids) {
    if (id == SpecialId(Special::kToolCallOpen)) {
      if (in_call) {  // a call opened before the last one closed: count it (invalid)
        flush(&call_text);
        t.calls.push_back(ParseCall(call_text));
      } else {
        flush(&t.text);
      }
      in_call = true;
      call_text.clear();
    } else if (id == SpecialId(Special::kToolCallClose)) {
      if (in_call) {
        flush(&call_text);
        t.calls.push_back(ParseCall(call_text));
      } else {
        flush(&t.text);  // a stray close: the text before it stays text
      }
      in_call = false;
    } else if (id >= 1 && id <= corpus::kNumSpecials) {
      flush(in_call ? &call_text : &t.text);  // other special tokens end a span
    } else {
      span.push_back(id);
    }
  }
  flush(in_call ? &call_text : &t.text);
  if (in_call) t.calls.push_back(ParseCall(call_text));  // an unclosed call: counted, invalid
  t.ids = std::move(ids);
  return t;
}

Result<std::vector<int32_t>> ModelAgent::Context(const synth::Record& record,
                                                 const Dialogue& so_far) {
  if (cached_id_ != record.id || cached_prompt_.empty()) {
    KGF_ASSIGN_OR_RETURN(cached_prompt_, Prompt(record));
    cached_id_ = record.id;
  }
  // The prompt, then each earlier turn as generated and its observations, as the chat template
  // lays them out (<tool_result>obs</tool_result> per call, then <|assistant|>).
  std::vector<int32_t> context = cached_prompt_;
  size_t call_turn = 0;
  for (const AgentTurn& t : so_far.turns) {
    context.insert(context.end(), t.ids.begin(), t.ids.end());
    if (t.calls.empty()) continue;
    const std::vector<std::string>& obs = so_far.observations[call_turn++];
    for (size_t k = 0; k < obs.size(); ++k) {
      if (k > 0 || context.back() != SpecialId(Special::kToolResultOpen)) {
        context.push_back(SpecialId(Special::kToolResultOpen));
      }
      KGF_RETURN_IF_ERROR(tokenizer_.EncodeAppend(obs[k], &context));
      context.push_back(SpecialId(Special::kToolResultClose));
    }
    context.push_back(SpecialId(Special::kAssistant));
  }
  return context;
}

Result<AgentTurn> ModelAgent::Next(const synth::Record& record, const Dialogue& so_far) {
  KGF_ASSIGN_OR_RETURN(std::vector<int32_t> context, Context(record, so_far));
  if (static_cast<int>(context.size()) >= context_length()) {
    AgentTurn full;
    full.out_of_context = true;
    return full;
  }
  trainer::Model::GenerateOptions g;
  g.max_new_tokens = options_.max_new_tokens;
  g.stop_tokens = {SpecialId(Special::kToolResultOpen), SpecialId(Special::kEndOfText)};
  std::vector<std::string> tool_names, argument_names;
  if (constraint_) {
    for (const synth::FunctionSpec& f : record.tools) tool_names.push_back(f.name);
    // Arguments are copied from the dialogue: the question and the results so far.
    std::string seen;
    for (const synth::Message& m : record.messages) {
      if (m.role == "user") seen += m.content + "\n";
    }
    size_t results = 0;
    for (const auto& turn : so_far.observations) {
      for (const std::string& o : turn) seen += o + "\n";
      results += turn.size();
    }
    argument_names = constraint_->NamesIn(seen);
    // Result references ("#k") name the results so far, where the record's tools take them
    // (their schemas say so: set tools with --set-arguments refs, relation tools with
    // --hop-arguments refs).
    const bool refs = TakesResultReferences(record.tools);
    for (size_t k = 1; refs && k <= results; ++k) argument_names.push_back("#" + std::to_string(k));
    std::sort(argument_names.begin(), argument_names.end());
    g.constrain = [&](std::span<const int32_t> generated, std::span<float> logits) {
      constraint_->Apply(generated, tool_names, argument_names, logits);
    };
  }
  return ParseTurn(model_.model->Generate(context, g));
}

}  // namespace kgf::eval
