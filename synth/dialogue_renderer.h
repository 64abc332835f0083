// DialogueRenderer: turns an accepted query sample into a canonical Record (SPEC §1
// "Rendering"): system prompt from the combinatorial bank, a question naming every anchor and
// no answer, assistant tool-call turns with the executed results (a hop over k entities is one
// turn of k parallel calls followed by a union), optional self-reflection (one wrong call, the
// executor's real error, then the corrected call), distractor tools, and a final answer.
// Thread-safe: Render() is const; all randomness comes from the caller's Rng.
#ifndef KGF_SYNTH_DIALOGUE_RENDERER_H_
#define KGF_SYNTH_DIALOGUE_RENDERER_H_

#include <optional>
#include <span>
#include <string>

#include "base/rng.h"
#include "kg/graph.h"
#include "synth/executor.h"
#include "synth/query_sampler.h"
#include "synth/question_grammar.h"
#include "synth/record.h"
#include "synth/tool_catalog.h"

namespace kgf::synth {

struct RenderOptions {
  int distractors = 4;            // tools listed beyond the needed ones (fewer if the catalog is small)
  double reflection_share = 0.1;  // share of samples with one corrected wrong call
  // Set calls name their input lists by result reference ("#k", the k-th tool result of the
  // dialogue: executor.h) instead of copying them; the catalog should be built with
  // ToolCatalogOptions::result_refs so the tools say so.
  bool result_refs = false;
  // A hop over an earlier result is one call naming it ("#k": every entity of the result, the
  // results merged) instead of one call per entity and a union; the catalog should be built
  // with ToolCatalogOptions::hop_refs.
  bool hop_refs = false;
};

struct KgRef {
  std::string name;      // graph name, e.g. "countries"
  std::string checksum;  // store checksum, "xxh3:..."
};

// One call of a dialogue's plan.
struct PlannedCall {
  int turn;
  const Tool* tool;
  std::string arguments;
  std::string observation;
  std::string input;          // relation calls: the entity name passed
  kg::RelationId relation{0};  // relation calls (and the union after a fan-out): the hop
  bool inverse = false;
  int node = -1;               // the pattern-tree node the call computes (part of)
  bool merge = false;          // the union that merges a fan-out hop's calls
  int seq = -1;                // the call's index in the plan before it is ordered by turn
  std::vector<int> sources;    // set calls (and hops by reference): the seq of the call giving
                               // each list argument (the hop's input)
  bool by_reference = false;   // a hop over an earlier result named "#k" (hop_refs); `input`
                               // then joins the result's names as prose reads them ("the
                               // United Kingdom and France", kg::NameInText)
  bool plural_input = false;   // ... and that result holds more than one entity
};

// A deliberate call that goes wrong, placed as a turn of its own before planned turn `turn`,
// and the text that corrects it.
struct Mistake {
  // "misspelled_entity.3", "wrong_relation.1", "wrong_set_op.0@3", ... (template.reflection):
  // the kind, the phrasing's index, and "@t" when the mistake is the t-th call turn (t > 1).
  std::string kind;
  int turn = 1;
  std::string tool, arguments, observation;
  std::string reflection;   // the next assistant turn's text
  const Tool* listed = nullptr;  // a real tool that was called wrongly (listed with the others)
  int call_seq = -1;        // a wrong set operation or a wrong hop by reference: the planned
                            // call it stands in for (AppendTurns writes its references)
  bool swapped = false;     // ... a negation with its two lists swapped
};

class DialogueRenderer {
 public:
  // REQUIRES: graph and catalog outlive the renderer; catalog built from graph.
  DialogueRenderer(const kg::Graph& graph, const ToolCatalog& catalog, RenderOptions options,
                   KgRef kg);

  // Renders an accepted sample (REQUIRES: sample.query is set). Returns nullopt when an answer
  // name would appear in the question (count it as RejectReason::kAnswerLeak).
  std::optional<Record> Render(const SampleOutcome& sample, std::string_view split,
                               uint64_t seed, uint64_t index, Rng& rng) const;

  // True when Render() with the same sample and rng state would return nullopt (an answer
  // named in the question): the question alone, without the dialogue. `rng` is taken by value.
  bool AnswerLeaks(const SampleOutcome& sample, Rng rng) const;

  const QuestionGrammar& grammar() const { return grammar_; }

 private:
  bool Leaks(const Query& q, const std::string& question,
             const std::vector<std::string>& answers) const;
  int PlainAnchor(const Query& q) const;
  Question Ask(const Query& q, Rng& rng) const;
  std::optional<Mistake> PlanResolution(const PlannedCall& first, Rng& rng) const;
  std::vector<PlannedCall> PlanCalls(const Query& q, const std::vector<EntitySet>& sets) const;
  std::optional<Mistake> PlanMistake(const PlannedCall& first, Rng& rng) const;
  std::optional<Mistake> PlanMistakeAnyTurn(const std::vector<PlannedCall>& calls, Rng& rng) const;
  // A planned call's input for a wrong twin of it: `tool`'s arguments on it, and the results
  // the twin can see: the input's name, or for a hop by reference "#1" over just the result it
  // names (AppendTurns writes the real number).
  struct HopInput {
    const PlannedCall& call;
    std::string_view source;  // a hop by reference: the observation of the result it names
    std::string Arguments(const Tool& tool) const;
    std::vector<std::string> Earlier() const;
  };
  std::optional<Mistake> PlanWrongRelation(const HopInput& in, Rng& rng) const;
  std::optional<Mistake> PlanWrongDirection(const HopInput& in, Rng& rng) const;
  std::optional<Mistake> PlanWrongSetOp(const PlannedCall& call, Rng& rng) const;
  std::string StopEarly(const Query& q, const std::vector<EntitySet>& sets, RecordOutcome outcome,
                        std::vector<PlannedCall>* calls, Rng& rng, std::string* template_id) const;
  std::string NoToolText(const Query& q, Rng& rng, std::string* template_id) const;
  std::string StepText(std::span<const PlannedCall> turn) const;
  void AppendTurns(std::vector<PlannedCall>& calls, const std::optional<Mistake>& mistake,
                   bool thoughts, Rng& rng, std::vector<Message>* messages) const;

  const kg::Graph& graph_;
  const ToolCatalog& catalog_;
  Executor executor_;
  QuestionGrammar grammar_;
  RenderOptions options_;
  KgRef kg_;
};

// "A", "A and B", "A, B and C".
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_DIALOGUE_RENDERER_H_
