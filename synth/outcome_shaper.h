// OutcomeShaper: turns a share of accepted samples into dialogues that end without answers
// (SPEC §1 "Rendering", RecordOutcome in synth/record.h), so the data also teaches what to do
// when the graph has nothing to give:
//   no_answer  — one anchor is swapped for another entity of its type so that the last set is
//                empty while every earlier set is not ("What is the capital of Antarctica?": the
//                call returns [], the assistant says the graph has none);
//   empty_step — one anchor is swapped so that its first hop is empty and that empties the
//                answer (a chain or an intersection): the assistant stops after that call;
//   no_tool    — the query is kept; the renderer lists no tool of its relations (either
//                direction), and the assistant says no listed tool answers it, without calling.
// Each draw is one Bernoulli-style draw of the item's rng, then at most `tries` candidate
// anchors; when no candidate fits, the sample stays answered. The result is a pure function of
// (sample, rng state). Thread-safe: Shape() is const.
#ifndef KGF_SYNTH_OUTCOME_SHAPER_H_
#define KGF_SYNTH_OUTCOME_SHAPER_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "kg/graph.h"
#include "synth/query_sampler.h"

namespace kgf::synth {

struct OutcomeOptions {
  double no_answer_share = 0.03;   // of accepted samples of the patterns that allow it
  double empty_step_share = 0.03;  // idem
  double no_tool_share = 0.02;     // of every accepted sample
  int tries = 64;                  // candidate anchors per reshaped sample
  // Errors: a share outside [0, 1], shares summing to more than 1, tries < 1. Names the field.
  Status Validate() const;
};

class OutcomeShaper {
 public:
  // REQUIRES: graph outlives the shaper.
  OutcomeShaper(const kg::Graph& graph, OutcomeOptions options, SamplerOptions limits);

  // Draws the outcome of an accepted sample and reshapes it (anchors, node_sets, outcome).
  // REQUIRES: sample->query is set.
  void Shape(SampleOutcome* sample, Rng& rng) const;

  const OutcomeOptions& options() const { return options_; }

 private:
  bool Reshape(SampleOutcome* sample, RecordOutcome want, Rng& rng) const;
  bool Fits(const Query& q, const std::vector<EntitySet>& sets, RecordOutcome want,
            int slot) const;

  const kg::Graph* graph_;
  OutcomeOptions options_;
  SamplerOptions limits_;
  std::unordered_map<std::string, std::vector<kg::EntityId>> by_type_;  // typed entities only
};

// True when the pattern's answer can be empty with every earlier set non-empty in a way people
// ask about (projections and intersections, not unions or negations).
bool AllowsNoAnswer(Pattern p);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_OUTCOME_SHAPER_H_
