// Template banks. System prompts: 10 personas x 5 tasks x 5 rule sets x 4 closings x 3 styles
// = 3,000 distinct prompts (the issue asks for >= 1,000).
#include "synth/templates.h"

#include <array>

namespace kgf::synth {
namespace {

constexpr std::array<std::string_view, 10> kPersonas = {
    "You are a helpful assistant that answers questions with a knowledge graph.",
    "You are a precise research assistant with access to knowledge-graph tools.",
    "You are an AI assistant. You can query a knowledge graph through function calls.",
    "You are a careful agent who looks facts up instead of guessing.",
    "You are a question-answering assistant connected to a structured knowledge base.",
    "You are an expert at multi-step reasoning over a knowledge graph.",
    "You are a tool-using assistant. Facts come from the knowledge graph, not from memory.",
    "You are a knowledgeable assistant who verifies every fact with a tool call.",
    "You are an assistant that solves lookup questions step by step with tools.",
    "You are a friendly assistant with a set of knowledge-graph functions at hand.",
};
constexpr std::array<std::string_view, 5> kTasks = {
    "Answer the user's question by calling the available tools.",
    "Use the functions below to find the answer to the user's question.",
    "Break the question into tool calls, run them, and combine the results.",
    "Find the entities the user asks for by chaining the provided functions.",
    "Resolve the question with the tools; each tool returns a list of entity names.",
};
constexpr std::array<std::string_view, 5> kRules = {
    "Pass entity names exactly as they appear in the question or in earlier tool results.",
    "Call independent tools in parallel when you can. Use exact entity names.",
    "Combine lists with the set tools (intersection, union, negation) when the question needs it.",
    "If a call returns an error, read it, fix the call and try again.",
    "Do not invent entities; only use names given by the user or returned by tools.",
};
constexpr std::array<std::string_view, 4> kClosings = {
    "When you have the result, give the final answer as a plain list of names.",
    "Finish with a short answer that names every entity you found.",
    "Reply with the final answer once the tool results are complete.",
    "State the answer clearly at the end.",
};

// Every phrasing keeps its operator word (" and " / " or " / " not "), which the semantic
// verification layer checks. Shapes: projection root (1p 2p 3p ip up inp), 2-way intersection (2i pi), 3-way (3i),
// union (2u), negation (2in 3in pin pni).
constexpr std::array<std::string_view, 6> kProjectionQs = {
    "What is {X}?",
    "Which entities are {X}?",
    "Can you find {X}?",
    "Tell me {X}.",
    "I'd like to know {X}. Could you look it up?",
    "Please list {X}.",
};
constexpr std::array<std::string_view, 6> kIntersect2Qs = {
    "Which entities are both {A} and {B}?",
    "What is both {A} and {B}?",
    "Find everything that is {A} and also {B}.",
    "List the entities that are {A} and {B} at the same time.",
    "Name anything that is at once {A} and {B}.",
    "I need the entities that are both {A} and {B}.",
};
constexpr std::array<std::string_view, 5> kIntersect3Qs = {
    "Which entities are {A}, {B} and also {C}?",
    "What is at the same time {A}, {B} and {C}?",
    "Find everything that is {A} and {B} and {C}.",
    "List the entities that are all of these: {A}; {B}; and {C}.",
    "Name anything that is {A}, and also {B}, and also {C}.",
};
constexpr std::array<std::string_view, 6> kUnionQs = {
    "Which entities are either {A} or {B}?",
    "What is either {A} or {B}?",
    "Find everything that is {A} or {B} (or both).",
    "List the entities that are {A} or that are {B}.",
    "Name anything that is either {A} or {B}.",
    "Give me the entities that are {A} or else {B}.",
};
constexpr std::array<std::string_view, 6> kNegationQs = {
    "Which entities are {A} but not {B}?",
    "What is {A} but not {B}?",
    "Find everything that is {A} but is not {B}.",
    "List the entities that are {A} and are not {B}.",
    "Name what is {A} but is not {B}.",
    "Among the entities that are {A}, which are not {B}?",
};
constexpr std::array<std::string_view, 6> kAnswers = {
    "The answer is {L}.",
    "Based on the tool results, the answer is {L}.",
    "{L}.",
    "Here is what I found: {L}.",
    "The entities you are looking for: {L}.",
    "According to the knowledge graph: {L}.",
};
constexpr std::array<std::string_view, 5> kReflections = {
    "The previous call failed ({E}). Let me fix it and try again.",
    "That call returned an error: {E}. I will correct the call.",
    "I made a mistake in the last call ({E}); retrying with the right call.",
    "The tool reported: {E}. Correcting the call now.",
    "Error observed: {E}. Let me retry with a corrected call.",
};

}  // namespace

std::string_view PromptStyleName(PromptStyle style) {
  switch (style) {
    case PromptStyle::kOpenAi: return "openai";
    case PromptStyle::kReact: return "react";
    case PromptStyle::kHermes: return "hermes";
  }
  return "";
}

std::string SystemPromptChoice::Id() const {
  return std::string(PromptStyleName(style)) + "." + std::to_string(persona) + "." +
         std::to_string(task) + "." + std::to_string(rules) + "." + std::to_string(closing);
}

uint64_t NumSystemPrompts() {
  return 3ULL * kPersonas.size() * kTasks.size() * kRules.size() * kClosings.size();
}

SystemPromptChoice PickSystemPrompt(Rng& rng) {
  SystemPromptChoice c;
  c.style = static_cast<PromptStyle>(rng.Uniform(3));
  c.persona = static_cast<int>(rng.Uniform(kPersonas.size()));
  c.task = static_cast<int>(rng.Uniform(kTasks.size()));
  c.rules = static_cast<int>(rng.Uniform(kRules.size()));
  c.closing = static_cast<int>(rng.Uniform(kClosings.size()));
  return c;
}

std::string RenderSystemPrompt(const SystemPromptChoice& c,
                               std::span<const std::string* const> function_jsons) {
  std::string out;
  out.reserve(256 + function_jsons.size() * 320);
  out += kPersonas[c.persona];
  out += ' ';
  out += kTasks[c.task];
  out += ' ';
  out += kRules[c.rules];
  switch (c.style) {
    case PromptStyle::kOpenAi:
      break;
    case PromptStyle::kReact:
      out += "\n\nYou have access to the following tools:\n";
      for (const std::string* f : function_jsons) {
        out += "- ";
        out += *f;
        out += '\n';
      }
      out += "\nThink about which tool to use next, call it with JSON arguments, read the "
             "observation, and repeat until you can give the final answer.";
      break;
    case PromptStyle::kHermes:
      out += "\n\nYou are provided with function signatures within <tools></tools> XML tags:\n"
             "<tools>\n";
      for (const std::string* f : function_jsons) {
        out += *f;
        out += '\n';
      }
      out += "</tools>\nFor each function call, return a JSON object with the function name and "
             "arguments within <tool_call></tool_call> XML tags.";
      break;
  }
  out += ' ';
  out += kClosings[c.closing];
  return out;
}

std::span<const std::string_view> QuestionBank(Pattern p) {
  switch (p) {
    case Pattern::k1p: case Pattern::k2p: case Pattern::k3p: case Pattern::kIp:
    case Pattern::kUp: case Pattern::kInp:
      return kProjectionQs;
    case Pattern::k2i: case Pattern::kPi: return kIntersect2Qs;
    case Pattern::k3i: return kIntersect3Qs;
    case Pattern::k2u: return kUnionQs;
    case Pattern::k2in: case Pattern::k3in: case Pattern::kPin: case Pattern::kPni:
      return kNegationQs;
  }
  return kProjectionQs;
}

std::span<const std::string_view> AnswerBank() { return kAnswers; }
std::span<const std::string_view> ReflectionBank() { return kReflections; }

std::string FillTemplate(std::string_view tmpl, std::span<const std::string> values) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 2 < tmpl.size() && tmpl[i + 2] == '}' && tmpl[i + 1] >= 'A' &&
        tmpl[i + 1] <= 'Z') {
      size_t k = static_cast<size_t>(tmpl[i + 1] - 'A');
      if (k < values.size()) out += values[k];
      i += 2;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

}  // namespace kgf::synth
