// Scores of one dialogue against its record's gold program, and their aggregation per pattern
// (SPEC §6 "Evaluation"):
//   valid-call rate: the call parses, names a tool listed in the record, and its arguments match
//     that tool's JSON Schema (required keys present, no unknown keys, types) — BFCL's AST check;
//   exact tool chain: turn by turn, the multiset of (tool, arguments) equals the gold turn's
//     (order free within a turn, parallel calls);
//   executed answer: the last successful call's result, as a set, equals the gold answer set;
//   final answer precision / recall / F1: entity names in the final message (among the gold
//     answers, the anchors and every name the calls returned) against the gold set; a record
//     whose gold set is empty (outcome no_answer, empty_step, no_tool) scores 1 unless the final
//     message names an entity the last call turn returned (names from earlier turns may explain
//     why there is no answer), else 0; a no_tool record's executed answer is "made no call", a
//     no_answer / empty_step record's "a call of the last call turn returned []";
//   first-turn anchors: of the anchors whose names the question spells out, the share the
//     first call turn names (a string argument equal to the name, at any depth): whether the
//     model copied the question's entities into its first calls, where most failures start.
//     An anchor the question names another way (an ambiguous name by its base name, "Georgia"
//     for "Georgia (country)") is not scored: its first call resolves the name instead. The
//     gold replay scores below 100% here on self-reflection records whose corrected first
//     call comes in a later turn (98% on the quick start's 14 patterns): a diagnostic, not a
//     self-check.
// The gold program is the record's assistant turns with calls, without the deliberate mistake of
// a self-reflection sample. Pure functions: thread-safe.
#ifndef KGF_EVAL_SCORING_H_
#define KGF_EVAL_SCORING_H_

#include <map>
#include <span>
#include <string>
#include <vector>

#include "eval/dialogue.h"
#include "synth/record.h"

namespace kgf::eval {

// True when the record holds a deliberate wrong call (self-reflection, at the call turn
// synth::MistakeTurn), not part of the gold program. The call that resolves an ambiguous name (ambiguous_name) is part of it: the
// question names the entity only by its base name.
bool IsMistake(const synth::Record& r);

// The gold turns of a record: per turn, its calls as (name, canonical arguments) pairs.
std::vector<std::vector<std::pair<std::string, std::string>>> GoldProgram(const synth::Record& r);

// Canonical JSON text of an arguments object (keys sorted, compact), or "" when `json` is not
// a JSON object. A string value "#k" (a result reference, synth/executor.h) with k <= the
// size of `earlier` becomes earlier[k - 1], the canonical form of the call it names
// (CanonicalCall): programs then compare by what they compute, not by how their calls were
// numbered, ordered inside a turn, or preceded by a deliberate wrong call.
std::string CanonicalArguments(std::string_view json, std::span<const std::string> earlier = {});
// "name(canonical arguments)" of a call whose result references resolve in `earlier`.
std::string CanonicalCall(std::string_view name, std::string_view arguments,
                          std::span<const std::string> earlier);

// True when the call is valid for the record's listed tools (see above).
bool CallIsValid(const AgentCall& call, const synth::Record& record);

struct DialogueScore {
  int calls = 0, valid_calls = 0;
  bool chain_exact = false;
  bool executed_answer = false;
  double precision = 0, recall = 0, f1 = 0;
  int turns = 0;
  int64_t tokens = 0;
  int anchors = 0, anchors_copied = 0;  // anchors named in the question; of those, in turn 1
};

DialogueScore ScoreDialogue(const synth::Record& record, const Dialogue& dialogue);

struct ScoreRow {
  int dialogues = 0;
  int calls = 0, valid_calls = 0;
  double chain_exact = 0, executed_answer = 0, precision = 0, recall = 0, f1 = 0;  // means
  double turns = 0, tokens = 0;                                                      // means
  int anchors = 0, anchors_copied = 0;                                               // sums
  double valid_call_rate() const { return calls == 0 ? 0.0 : double(valid_calls) / calls; }
  double anchor_copy_rate() const { return anchors == 0 ? 0.0 : double(anchors_copied) / anchors; }
  void Add(const DialogueScore& s);  // running sums; call Finish() once after the last Add
  void Finish();
};

// Rows per pattern and "all".
struct ScoreTable {
  std::map<std::string, ScoreRow> by_pattern;
  ScoreRow all;
};

}  // namespace kgf::eval

#endif  // KGF_EVAL_SCORING_H_
