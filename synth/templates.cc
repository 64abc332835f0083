// Template banks. System prompts: a persona, a task sentence, a rule and a closing set into
// one of the style's framings, which also lists the tools (except OpenAI) and says how to call
// them; NumSystemPrompts() multiplies the bank sizes out (340,480; Ling §4.4 asks for
// > 30,000). Compile-time checks below keep OpenAI prompts free of references to a tool list
// they do not contain, and every other framing listing the tools exactly once.
#include "synth/templates.h"

#include <array>

#include "base/check.h"

namespace kgf::synth {
namespace {

using Bank = std::span<const std::string_view>;

// Words by which a sentence points at a tool list in the prompt text.
constexpr std::array<std::string_view, 3> kListWords = {"below", "listed", "following"};

constexpr std::array<std::string_view, 20> kPersonas = {
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
    "You are a meticulous fact-finding assistant backed by a knowledge graph.",
    "You are a data assistant who answers questions by querying a graph of entities and "
    "relations.",
    "You are an analytical assistant who answers questions about entities by tracing their "
    "relations in a knowledge graph.",
    "You are a reliable assistant; every answer you give is grounded in knowledge-graph lookups.",
    "You are a patient assistant who works through complex questions one lookup at a time.",
    "You are a concise assistant that answers questions about entities with knowledge-graph "
    "tools.",
    "You are a research agent whose only source of facts is a knowledge graph queried through "
    "tools.",
    "You are an assistant for exploring a knowledge graph of entities and the relations between "
    "them.",
    "You are a retrieval assistant: you fetch facts from a knowledge graph rather than recalling "
    "them.",
    "You are a methodical assistant who plans the lookups a question needs before making them.",
};
// The first kTasksWithoutList sentences do not point at a tool list; the rest do.
constexpr size_t kTasksWithoutList = 8;
constexpr std::array<std::string_view, 12> kTasks = {
    "Answer the user's question by calling the available tools.",
    "Break the question into tool calls, run them, and combine the results.",
    "Find the entities the user asks for by chaining the provided functions.",
    "Resolve the question with the tools; each tool returns a list of entity names.",
    "Work out which relations the question involves, then query them one hop at a time.",
    "Use function calls to look up every fact the question depends on.",
    "Start from the entities named in the question and follow their relations with tool calls "
    "until you reach the answer.",
    "Turn the user's question into a sequence of tool calls and report what they return.",
    "Use the functions below to find the answer to the user's question.",
    "Answer the user's question with the tools listed below.",
    "Solve the question by calling the following tools; each returns a list of entity names.",
    "Choose among the functions described below to look up what the user asks for.",
};
// The first kRulesWithoutList sentences do not point at a tool list; the rest do.
constexpr size_t kRulesWithoutList = 10;
constexpr std::array<std::string_view, 12> kRules = {
    "Pass entity names exactly as they appear in the question or in earlier tool results.",
    "Call independent tools in parallel when you can. Use exact entity names.",
    "Combine lists with the set tools (intersection, union, negation) when the question needs it.",
    "If a call returns an error, read it, fix the call and try again.",
    "Do not invent entities; only use names given by the user or returned by tools.",
    "When two lookups do not depend on each other, make them in the same turn.",
    "Use intersection for entities that meet every condition, union for either-or questions, "
    "and negation to remove one list's entities from another.",
    "Never answer from memory: every entity in your answer must come from a tool result.",
    "Feed the names one call returns into the next call instead of retyping or guessing them.",
    "Negation removes the names of one list from another list; it never returns entities from "
    "outside the given lists.",
    "Only call functions from the list below, with arguments that match their parameter schemas.",
    "Use only the tools listed; never make up a function name.",
};
constexpr std::array<std::string_view, 8> kClosings = {
    "When you have the result, give the final answer as a plain list of names.",
    "Finish with a short answer that names every entity you found.",
    "Reply with the final answer once the tool results are complete.",
    "State the answer clearly at the end.",
    "Once you have what you need, answer in one sentence that names the entities.",
    "End with the answer; if several entities qualify, name them all.",
    "After the last tool result, write the final answer for the user.",
    "Keep the final answer brief and include every matching entity.",
};

// Framings: whole prompts with slots {P} persona, {G} task (goal), {R} rule, {C} closing and
// {T} the tool list (one line per function, each ending in '\n').
constexpr std::array<std::string_view, 5> kOpenAiFramings = {
    "{P} {G} {R} {C}",
    "{P} {G}\n\n{R} Call a function whenever you need a fact, with JSON arguments that match its "
    "parameter schema. {C}",
    "{P} You can query the knowledge graph through function calls; each result comes back to you "
    "as a tool message. {G} {R} {C}",
    "{P}\n\n# Instructions\n- {G}\n- {R}\n- {C}",
    "{P} {G} {R} Do not guess argument values: take them from the question or from earlier "
    "function results. {C}",
};
constexpr std::array<std::string_view, 4> kReactFramings = {
    "{P} {G} {R}\n\nYou have access to the following tools:\n{T}\nBefore each action, write a "
    "line starting with \"Thought:\" that says what you need next, then call the tool with JSON "
    "arguments. Read the observation it returns and repeat until you can give the final answer. "
    "{C}",
    "{P}\n\n{G} {R}\n\nTools:\n{T}\nWork in a loop of Thought, Action and Observation: write "
    "\"Thought:\" followed by your reasoning, make the tool calls as your Action, and read each "
    "Observation before taking the next step. {C}",
    "{P} {G} {R}\n\nThe tools available to you are:\n{T}\nAlways reason before you act. Begin "
    "each turn with \"Thought:\" and one sentence about what to look up next, then call the tool. "
    "Stop calling tools once the observations contain everything you need. {C}",
    "{P} {G}\n\n{R}\n\nAvailable tools, one JSON description per line:\n{T}\nUse this format: a "
    "\"Thought:\" line that explains your next step, then the tool call (your Action); the tool's "
    "reply is your Observation. Repeat Thought, Action and Observation as often as necessary. "
    "{C}",
};
constexpr std::array<std::string_view, 4> kHermesFramings = {
    "{P} {G} {R}\n\nYou are provided with function signatures within <tools></tools> XML tags:\n"
    "<tools>\n{T}</tools>\nFor each function call, return a JSON object with the function name "
    "and arguments within <tool_call></tool_call> XML tags. {C}",
    "{P} {G} {R}\n\nThe functions you may call are described inside <tools></tools> tags, one "
    "JSON object per line:\n<tools>\n{T}</tools>\nTo call a function, write a JSON object with "
    "\"name\" and \"arguments\" keys inside <tool_call></tool_call> tags. {C}",
    "{P}\n\n{G} {R}\n\nHere are the available functions as JSON signatures within "
    "<tools></tools> XML tags:\n<tools>\n{T}</tools>\nWrap every function call in "
    "<tool_call></tool_call> tags as {\"name\": <function-name>, \"arguments\": "
    "<arguments-object>}. {C}",
    "{P} {G} {R} Take argument values only from the question or from earlier results.\n\n"
    "<tools>\n{T}</tools>\nThe function signatures are inside the <tools></tools> tags above. "
    "Return each call as a JSON object with the function name and its arguments inside "
    "<tool_call></tool_call> XML tags, one block per call. {C}",
};
// Qwen / ModelScope-Agent: the instructions first, then a "# Tools" section.
constexpr std::array<std::string_view, 4> kQwenFramings = {
    "{P} {G} {R} {C}\n\n# Tools\n\nYou may call one or more functions to assist with the user "
    "query.\n\nEach function's signature is one JSON object per line inside <tools></tools> XML "
    "tags:\n<tools>\n{T}</tools>\n\nTo make a call, put a JSON object with its name and arguments "
    "between <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, "
    "\"arguments\": <arguments-object>}\n</tool_call>",
    "{P}\n\n{G} {R} {C}\n\n# Tools\n\nYou may call one or more functions to assist with the user "
    "query.\n\n## Function signatures (JSON)\n\n<tools>\n{T}</tools>\n\n## How to call\n\nFor "
    "every call, reply with <tool_call></tool_call> tags around a JSON object holding the "
    "function \"name\" and its \"arguments\"; the result comes back in the next message.",
    "{P} {G} {R}\n\n# Tools\n\nYou may call one or more functions to assist with the user query. "
    "Their signatures are written in JSON between the <tools></tools> tags:\n<tools>\n{T}"
    "</tools>\n\nWhen you decide to call a function, output <tool_call></tool_call> tags "
    "containing {\"name\": ..., \"arguments\": {...}}. {C}",
    "{P} {G}\n\n{R} {C}\n\n# Tools\n\n## Functions\n\nYou may call one or more functions to "
    "assist with the user query. The available functions, one JSON signature per line:\n<tools>\n"
    "{T}</tools>\n\n## Calling format\n\nWrite each call as <tool_call>{\"name\": "
    "<function-name>, \"arguments\": <arguments-object>}</tool_call>, one per call, and wait for "
    "the results before you answer.",
};

struct StyleBank {
  PromptStyle style;
  std::string_view name;
  Bank framings;
  bool lists_tools;            // the framings carry {T}
  std::string_view tool_line;  // written before each function JSON in {T}
  size_t tasks, rules;         // the style draws from kTasks[0, tasks) and kRules[0, rules)
  bool wants_thought;
};
constexpr std::array<StyleBank, kNumPromptStyles> kStyles = {{
    {PromptStyle::kOpenAi, "openai", kOpenAiFramings, false, "", kTasksWithoutList,
     kRulesWithoutList, false},
    {PromptStyle::kReact, "react", kReactFramings, true, "- ", kTasks.size(), kRules.size(), true},
    {PromptStyle::kHermes, "hermes", kHermesFramings, true, "", kTasks.size(), kRules.size(),
     false},
    {PromptStyle::kQwen, "qwen", kQwenFramings, true, "", kTasks.size(), kRules.size(), false},
}};

// ReAct thoughts; {S} is the step.
constexpr std::array<std::string_view, 5> kFirstThoughts = {
    "Thought: To answer this, I first need to {S}.",
    "Thought: The first step is to {S}.",
    "Thought: I should not answer from memory; let me {S} first.",
    "Thought: Let me start from what the question gives me and {S}.",
    "Thought: Before anything else, I need to {S}.",
};
constexpr std::array<std::string_view, 5> kLaterThoughts = {
    "Thought: Next, I need to {S}.",
    "Thought: With those results, I can now {S}.",
    "Thought: Now I should {S}.",
    "Thought: The next step is to {S}.",
    "Thought: Building on the previous results, I will {S}.",
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
constexpr std::array<std::string_view, 14> kAnswers = {
    "The {N} {L}.",
    "Based on the tool results, the {N} {L}.",
    "{L}.",
    "Here is what I found: {L}.",
    "The entities you are looking for: {L}.",
    "According to the knowledge graph: {L}.",
    "The tool results give {L}.",
    "After checking the knowledge graph, the {N} {L}.",
    "Putting the results together: {L}.",
    "Answer: {L}.",
    "From the lookups, the {N} {L}.",
    "The knowledge graph returns {L} for this question.",
    "Final answer: {L}.",
    "I found {L}.",
};
constexpr std::array<std::string_view, 10> kReflections = {
    "The previous call failed ({E}). Let me fix it and try again.",
    "That call returned an error: {E}. I will correct the call.",
    "I made a mistake in the last call ({E}); retrying with the right call.",
    "The tool reported: {E}. Correcting the call now.",
    "Error observed: {E}. Let me retry with a corrected call.",
    "The call did not work: {E}. I'll adjust it and call again.",
    "That went wrong ({E}). Let me correct the call.",
    "The tool rejected my call: {E}. I will fix it and retry.",
    "The call failed with this message: {E}. Trying again with a corrected call.",
    "The last call returned an error ({E}), so I need to fix it before continuing.",
};

// ---- compile-time consistency of the system-prompt banks ----

constexpr size_t Occurrences(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

constexpr bool MentionsList(std::string_view text) {
  for (std::string_view word : kListWords) {
    if (text.find(word) != std::string_view::npos) return true;
  }
  return false;
}

// True when bank[0, n) never points at a tool list and bank[n, end) always does.
constexpr bool ListWordsStartAt(Bank bank, size_t n) {
  for (size_t i = 0; i < bank.size(); ++i) {
    if (MentionsList(bank[i]) != (i >= n)) return false;
  }
  return true;
}

// Each text slot once; the tool list once and after the task and rule, or (OpenAI) absent
// along with any word pointing at it.
constexpr bool FramingIsWellFormed(std::string_view f, bool lists_tools) {
  for (std::string_view slot : {"{P}", "{G}", "{R}", "{C}"}) {
    if (Occurrences(f, slot) != 1) return false;
  }
  if (Occurrences(f, "{T}") != (lists_tools ? 1u : 0u)) return false;
  if (!lists_tools) return !MentionsList(f);
  return f.find("{T}") > f.find("{G}") && f.find("{T}") > f.find("{R}");
}

constexpr bool StylesAreWellFormed() {
  for (size_t i = 0; i < kStyles.size(); ++i) {
    const StyleBank& s = kStyles[i];
    if (static_cast<size_t>(s.style) != i || s.framings.empty()) return false;
    if (s.tasks > kTasks.size() || s.rules > kRules.size()) return false;
    if (!s.lists_tools && (s.tasks > kTasksWithoutList || s.rules > kRulesWithoutList)) {
      return false;
    }
    for (std::string_view f : s.framings) {
      if (!FramingIsWellFormed(f, s.lists_tools)) return false;
    }
  }
  return true;
}

constexpr bool AllStartWith(Bank bank, std::string_view prefix) {
  for (std::string_view text : bank) {
    if (!text.starts_with(prefix)) return false;
  }
  return true;
}

static_assert(ListWordsStartAt(kPersonas, kPersonas.size()));
static_assert(ListWordsStartAt(kClosings, kClosings.size()));
static_assert(ListWordsStartAt(kTasks, kTasksWithoutList));
static_assert(ListWordsStartAt(kRules, kRulesWithoutList));
static_assert(StylesAreWellFormed());
static_assert(AllStartWith(kFirstThoughts, "Thought: "));
static_assert(AllStartWith(kLaterThoughts, "Thought: "));

// ---- choices ----

constexpr std::array<int SystemPromptChoice::*, 5> kComponents = {
    &SystemPromptChoice::persona, &SystemPromptChoice::task, &SystemPromptChoice::rules,
    &SystemPromptChoice::closing, &SystemPromptChoice::framing};

const StyleBank& BankOf(PromptStyle style) {
  auto i = static_cast<size_t>(style);
  KGF_CHECK_LT(i, kStyles.size()) << "not a prompt style";
  return kStyles[i];
}

// Bank sizes of a style's components, in kComponents order.
std::array<uint64_t, 5> ComponentSizes(const StyleBank& s) {
  return {kPersonas.size(), s.tasks, s.rules, kClosings.size(), s.framings.size()};
}

uint64_t NumChoices(const StyleBank& s) {
  uint64_t n = 1;
  for (uint64_t size : ComponentSizes(s)) n *= size;
  return n;
}

bool IsValid(const SystemPromptChoice& c) {
  if (static_cast<size_t>(c.style) >= kStyles.size()) return false;
  std::array<uint64_t, 5> sizes = ComponentSizes(kStyles[static_cast<size_t>(c.style)]);
  for (size_t k = 0; k < kComponents.size(); ++k) {
    int v = c.*kComponents[k];
    if (v < 0 || static_cast<uint64_t>(v) >= sizes[k]) return false;
  }
  return true;
}

// values[slot - 'A'] = text, the layout FillTemplate reads.
using Slots = std::array<std::string, 26>;
std::string& Slot(Slots& slots, char name) { return slots[static_cast<size_t>(name - 'A')]; }

constexpr std::array<std::string_view, 4> kDiagnoses = {
    "That gives {G}, but the question needs {W}. I called the wrong tool; using {T} instead.",
    "That result lists {G}, not {W}. The right tool is {T}.",
    "Wait, that gives {G}. I need {W}, so I will call {T}.",
    "I picked the wrong relation: that gives {G}. For {W} I should call {T}.",
};
constexpr std::array<std::string_view, 3> kDirectionDiagnoses = {
    "That went the wrong way: it gives {G}, but the question asks for {W}. {T} goes the other direction.",
    "I used the reverse lookup by mistake; that gives {G}. I need {W}, so I call {T}.",
    "Wrong direction: that gives {G}, which is not what is asked. For {W} the tool is {T}.",
};
constexpr std::array<std::string_view, 3> kTypedDirectionDiagnoses = {
    "That went the wrong way: {U} takes {A}, and {I} is {K}. For {W} the tool is {T}.",
    "I used the reverse lookup by mistake: {U} expects {A}, not {K} like {I}. I need {W}, so I call {T}.",
    "Wrong direction: {I} is {K}, but {U} takes {A}. For {W} I call {T}.",
};
constexpr std::array<std::string_view, 3> kSwappedDiagnoses = {
    "I swapped the two lists: that gives {G}. The question wants {W}, so I call {T} again with the lists the other way round.",
    "The lists went in the wrong places ({G}). For {W}, {T} needs them swapped back.",
    "That gives {G}: I passed the lists in the wrong order. Calling {T} again with the two lists exchanged.",
};
constexpr std::array<std::string_view, 3> kEmptyDiagnoses = {
    "That came back empty: I looked up {G}. The question needs {W}, so the right tool is {T}.",
    "Nothing for {G}; that was the wrong tool. For {W} I call {T}.",
    "An empty list, because I asked for {G}. I need {W}: calling {T}.",
};
constexpr std::array<std::string_view, 3> kSetOpDiagnoses = {
    "That gives {G}, but the question asks for {W}. Using {T} instead.",
    "Wrong set operation: I need {W}, not {G}. Calling {T}.",
    "I combined the lists the wrong way ({G}); the question wants {W}, so {T} is the right call.",
};
constexpr std::array<std::string_view, 4> kNoAnswers = {
    "The graph has no entry for {S}, so there is no answer.",
    "The lookup of {S} came back empty: the graph has no answer to this.",
    "Nothing: the graph lists no result for {S}.",
    "There is no answer: the graph records nothing for {S}.",
};
constexpr std::array<std::string_view, 3> kNoCommon = {
    "The lists have nothing in common, so no entity matches the question.",
    "Nothing satisfies every condition at once, so there is no answer.",
    "No entity is in all of the lists, so there is no answer.",
};
constexpr std::array<std::string_view, 3> kEmptySteps = {
    "The lookup of {S} came back empty, and the rest of the question depends on it, so there is no answer.",
    "The graph has nothing for {S}; without it the question has no answer.",
    "There is no entry for {S} in the graph, so I cannot go further: there is no answer.",
};
constexpr std::array<std::string_view, 3> kNoTools = {
    "None of the tools I have looks up {S}, so I can't answer this with them.",
    "I have no tool for {S}; the available tools cannot answer this question.",
    "The tools listed cannot answer this: none of them covers {S}.",
};
constexpr std::array<std::string_view, 3> kResolutions = {
    "Several entities are called {B}; the {P} is {N}.",
    "{B} is ambiguous here. The question is about the {P}, so I use {N}.",
    "The graph has more than one {B}. I need the {P}: {N}.",
};

}  // namespace

std::string_view PromptStyleName(PromptStyle style) {
  auto i = static_cast<size_t>(style);
  return i < kStyles.size() ? kStyles[i].name : std::string_view();
}

std::string SystemPromptChoice::Id() const {
  std::string id(PromptStyleName(style));
  for (int SystemPromptChoice::*field : kComponents) {
    id += '.';
    id += std::to_string(this->*field);
  }
  return id;
}

uint64_t NumSystemPrompts() {
  uint64_t n = 0;
  for (const StyleBank& s : kStyles) n += NumChoices(s);
  return n;
}

SystemPromptChoice SystemPromptAt(uint64_t index) {
  KGF_CHECK_LT(index, NumSystemPrompts()) << "system prompt index out of range";
  SystemPromptChoice c;
  size_t style = 0;
  while (index >= NumChoices(kStyles[style])) index -= NumChoices(kStyles[style++]);
  c.style = kStyles[style].style;
  std::array<uint64_t, 5> sizes = ComponentSizes(kStyles[style]);
  for (size_t k = kComponents.size(); k-- > 0;) {  // framing varies fastest
    c.*kComponents[k] = static_cast<int>(index % sizes[k]);
    index /= sizes[k];
  }
  return c;
}

SystemPromptChoice PickSystemPrompt(Rng& rng) {
  SystemPromptChoice c;
  c.style = kStyles[rng.Uniform(kStyles.size())].style;
  std::array<uint64_t, 5> sizes = ComponentSizes(BankOf(c.style));
  for (size_t k = 0; k < kComponents.size(); ++k) {
    c.*kComponents[k] = static_cast<int>(rng.Uniform(sizes[k]));
  }
  return c;
}

std::string RenderSystemPrompt(const SystemPromptChoice& c,
                               std::span<const std::string* const> function_jsons) {
  KGF_CHECK(IsValid(c)) << "invalid system prompt choice " << c.Id();
  const StyleBank& s = BankOf(c.style);
  Slots slots;
  Slot(slots, 'P') = kPersonas[c.persona];
  Slot(slots, 'G') = kTasks[c.task];
  Slot(slots, 'R') = kRules[c.rules];
  Slot(slots, 'C') = kClosings[c.closing];
  if (s.lists_tools) {
    std::string& tools = Slot(slots, 'T');
    for (const std::string* f : function_jsons) {
      tools += s.tool_line;
      tools += *f;
      tools += '\n';
    }
  }
  return FillTemplate(s.framings[c.framing], slots);
}

bool WantsThought(PromptStyle style) { return BankOf(style).wants_thought; }

std::string ThoughtText(std::string_view step, bool first, Rng& rng) {
  Bank bank = first ? Bank(kFirstThoughts) : Bank(kLaterThoughts);
  Slots slots;
  Slot(slots, 'S') = step;
  return FillTemplate(bank[rng.Uniform(bank.size())], slots);
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
std::span<const std::string_view> DiagnosisBank() { return kDiagnoses; }
std::span<const std::string_view> ResolutionBank() { return kResolutions; }
std::span<const std::string_view> DirectionDiagnosisBank() { return kDirectionDiagnoses; }
std::span<const std::string_view> TypedDirectionDiagnosisBank() { return kTypedDirectionDiagnoses; }
std::span<const std::string_view> SwappedDiagnosisBank() { return kSwappedDiagnoses; }
std::span<const std::string_view> EmptyDiagnosisBank() { return kEmptyDiagnoses; }
std::span<const std::string_view> SetOpDiagnosisBank() { return kSetOpDiagnoses; }
std::span<const std::string_view> NoAnswerBank() { return kNoAnswers; }
std::span<const std::string_view> NoCommonBank() { return kNoCommon; }
std::span<const std::string_view> EmptyStepBank() { return kEmptySteps; }
std::span<const std::string_view> NoToolBank() { return kNoTools; }

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
