// Text banks for dialogue rendering: combinatorial system prompts in three styles (OpenAI
// function calling, ReAct, Hermes tags; Ling §4.4 generalises system prompts into many
// templates), question phrasings per query shape (>= 5 per pattern), final-answer phrasings
// and self-reflection sentences. All banks are constant data: thread-safe.
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

enum class PromptStyle : uint8_t { kOpenAi, kReact, kHermes };
std::string_view PromptStyleName(PromptStyle style);  // "openai", "react", "hermes"

// A system prompt choice: style plus one index per component.
struct SystemPromptChoice {
  PromptStyle style = PromptStyle::kOpenAi;
  int persona = 0, task = 0, rules = 0, closing = 0;
  std::string Id() const;  // "react.3.1.4.2"
};

// Number of distinct system prompts the bank can produce (styles x components).
uint64_t NumSystemPrompts();
SystemPromptChoice PickSystemPrompt(Rng& rng);
// The system message. `function_jsons` are the listed tools' {"name","description",
// "parameters"} objects; OpenAI style leaves them to the request's `tools` field, ReAct lists
// them as lines, Hermes wraps them in <tools></tools>.
std::string RenderSystemPrompt(const SystemPromptChoice& choice,
                               std::span<const std::string* const> function_jsons);

// Question phrasings by the shape of the query root. Placeholders: {X} = the full description
// (projection roots), {A} {B} {C} = branch descriptions (set roots).
std::span<const std::string_view> QuestionBank(Pattern pattern);
std::span<const std::string_view> AnswerBank();      // placeholder {L}: the answer list
std::span<const std::string_view> ReflectionBank();  // placeholder {E}: the error text

// Replaces each "{K}" in `tmpl` with values[K - 'A'] for K in A..Z ("{X}" uses values[23]).
std::string FillTemplate(std::string_view tmpl, std::span<const std::string> values);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_TEMPLATES_H_
