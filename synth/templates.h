// Text banks for dialogue rendering: combinatorial system prompts in four styles (OpenAI
// function calling, ReAct, Hermes tags, Qwen / ModelScope-Agent "# Tools"; Ling §4.4
// generalises system prompts into >30,000 templates), ReAct thoughts, question phrasings per
// query shape (>= 5 per pattern), final-answer phrasings and self-reflection sentences. All
// banks are constant data: every function here is thread-safe.
#ifndef KGF_SYNTH_TEMPLATES_H_
#define KGF_SYNTH_TEMPLATES_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "synth/pattern.h"

namespace kgf::synth {

// New styles go at the end: the numeric values are stable.
enum class PromptStyle : uint8_t { kOpenAi, kReact, kHermes, kQwen };
inline constexpr int kNumPromptStyles = 4;
// "openai", "react", "hermes", "qwen"; "" for a value outside the enum.
std::string_view PromptStyleName(PromptStyle style);

// A system prompt choice: style plus one index per component. The prompt is the style's
// framing `framing` (its layout, the sentences that introduce the tools and the call format)
// filled with a persona, a task sentence, a rule, a closing and, except for OpenAI, the tools.
// Valid when every index is in [0, size) of its bank for the style. OpenAI prompts leave the
// tools to the request's `tools` field, so their task and rule banks are the subsets whose
// sentences do not point at a list in the text ("below", "listed", "following"); the other
// styles may use every sentence.
struct SystemPromptChoice {
  PromptStyle style = PromptStyle::kOpenAi;
  int persona = 0, task = 0, rules = 0, closing = 0;
  int framing = 0;
  std::string Id() const;  // "react.3.1.4.2.0": style.persona.task.rules.closing.framing
};

// Number of valid choices (340,480: OpenAI 20 personas x 8 tasks x 10 rules x 8 closings x
// 5 framings, ReAct, Hermes and Qwen each 20 x 12 x 12 x 8 x 4). Distinct choices render
// distinct texts.
uint64_t NumSystemPrompts();
// The index-th valid choice, in the order (style, persona, task, rules, closing, framing)
// with framing varying fastest: a bijection from [0, NumSystemPrompts()) onto valid choices.
// REQUIRES: index < NumSystemPrompts().
SystemPromptChoice SystemPromptAt(uint64_t index);
// A valid choice: the style uniform over the four styles, then each component uniform over
// the style's bank. Deterministic for a given rng state.
SystemPromptChoice PickSystemPrompt(Rng& rng);
// The system message. `function_jsons` are the offered tools' {"name","description",
// "parameters"} objects; each appears exactly once in the text, in order: ReAct as "- <json>"
// lines, Hermes and Qwen one per line inside <tools></tools>. OpenAI prompts contain none
// (the caller sends them in the request's `tools` field).
// REQUIRES: choice is valid (PickSystemPrompt's and SystemPromptAt's are); aborts otherwise.
std::string RenderSystemPrompt(const SystemPromptChoice& choice,
                               std::span<const std::string* const> function_jsons);

// True when the style's assistant turns carry reasoning text before their calls (ReAct).
bool WantsThought(PromptStyle style);
// A short thought placed before a turn of calls, e.g. "Thought: To answer this, I first need
// to look up the capital of France." `step` says what the turn does as a clause with no final
// punctuation ("look up the capital of France"); `first` picks the first-turn phrasings
// (5) over the later-turn ones (5). Every text starts with "Thought: " and ends with ".".
// One draw of rng; deterministic for a given rng state.
std::string ThoughtText(std::string_view step, bool first, Rng& rng);

// Question phrasings by the shape of the query root. Placeholders: {X} = the full description
// (projection roots), {A} {B} {C} = branch descriptions (set roots).
std::span<const std::string_view> QuestionBank(Pattern pattern);
// Final-answer phrasings (14); placeholder {L}: the answer list.
std::span<const std::string_view> AnswerBank();
// Self-reflection phrasings (10); placeholder {E}: the error text.
std::span<const std::string_view> ReflectionBank();
// After a real call of the wrong relation: {G} what it gave, {W} what was needed, {T} the tool.
std::span<const std::string_view> DiagnosisBank();
// After an ambiguous name: {B} the name as written, {P} the parameter, {N} the exact name.
std::span<const std::string_view> ResolutionBank();
// After a call of the right relation in the wrong direction; slots as DiagnosisBank.
std::span<const std::string_view> DirectionDiagnosisBank();
// The same when the wrong tool takes another type than the input's: {U} the wrong tool, {A} the
// type it takes with its article ("an ability"), {I} the input's name, {K} the input's type with
// its article, {W} and {T} as above.
std::span<const std::string_view> TypedDirectionDiagnosisBank();
// After a negation with its two lists swapped: {G}, {W} and {T} as SetOpDiagnosisBank.
std::span<const std::string_view> SwappedDiagnosisBank();
// After a wrong relation's call that came back empty; slots as DiagnosisBank.
std::span<const std::string_view> EmptyDiagnosisBank();
// After the wrong set operation: {G} what it computed, {W} what was needed, {T} the tool.
std::span<const std::string_view> SetOpDiagnosisBank();
// Final answers of dialogues without answers. {S}: the step that came back empty or that no
// tool covers, as a noun phrase ("the capital of Antarctica").
std::span<const std::string_view> NoAnswerBank();   // the last lookup is empty
std::span<const std::string_view> NoCommonBank();   // the last intersection is empty (no slot)
std::span<const std::string_view> EmptyStepBank();  // an earlier lookup is empty: stop
std::span<const std::string_view> NoToolBank();     // no listed tool covers {S}

// Replaces each "{K}" in `tmpl` with values[K - 'A'] for K in A..Z ("{X}" uses values[23]);
// a K past the end of `values` becomes "". Values are inserted verbatim, not scanned again.
std::string FillTemplate(std::string_view tmpl, std::span<const std::string> values);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_TEMPLATES_H_
