// RunEval: the closed loop of SPEC §6 (`kgforge eval`). Held-out records (by default the test
// split) are played by a trained model as a
// tool-using agent: its calls run on the graph with the synth executor, errors come back as
// tool results as in training, until it answers or runs out of turns. (With synth's default
// split the test records' anchor entities never anchor a training record; with
// --split-by-facts their facts are never read by one.) The same records are also
// played by the gold replay (must score 100%: a check of the harness) and a trivial baseline
// (the most frequent first call), and everything is scored per pattern (eval/scoring.h).
// Deterministic: greedy decoding, records in input order.
#ifndef KGF_EVAL_EVALUATOR_H_
#define KGF_EVAL_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "corpus/chat_template.h"
#include "eval/scoring.h"

namespace kgf::eval {

struct EvalOptions {
  std::string checkpoint;            // run or checkpoint dir; empty: gold replay and baseline only
  std::string kg;                    // graph store the records were made from (required)
  std::vector<std::string> inputs;   // record files (.jsonl, .jsonl.zst) or folders of them
  // The training corpus: its tokenizer and chat template options (from its manifest), and, when
  // `inputs` is empty, its held-out records (eval/<split>.jsonl).
  std::string corpus;
  std::string tokenizer;             // overrides the corpus's tokenizer
  corpus::ChatTemplateOptions chat;  // used when no corpus is given
  std::string split = "test";        // only records of this split; "any" for all
  std::string patterns = "all";      // pattern mix syntax: "all", "1p,2p,2i", ...
  int64_t limit = 0;                 // at most this many records (0 = all), in input order
  int64_t per_pattern = 0;           // at most this many records per pattern (0 = all)
  int max_turns = 8;                 // assistant turns per dialogue
  int max_new_tokens = 192;          // tokens per turn
  // Constrained decoding of calls (eval/call_constraint.h): tool names from the record's tools,
  // argument strings from the graph's entity names. Reported as such (ToText says so).
  bool constrain_calls = false;
  std::string transcript;            // JSONL of every model dialogue with its verdict; "" = none
  // Dialogues played at once, each worker with its own copy of the model (0 = one per core);
  // never changes the report.
  int threads = 0;
};

struct EvalReport {
  bool has_model = false;
  bool constrained = false;  // the model's calls were decoded under CallConstraint
  ScoreTable model, gold, baseline;
  std::string baseline_call;  // e.g. "get_capital_of_country(<first anchor>)"
  int64_t records = 0;
  double seconds = 0;
  std::string ToText() const;  // the table, the self-check and the baseline
  std::string ToJson() const;
};

// Errors: InvalidArgument (no records, bad options, an unreadable record naming file:line),
// the graph store's and the checkpoint's errors. Writes the transcript atomically.
Result<EvalReport> RunEval(const EvalOptions& options);

}  // namespace kgf::eval

#endif  // KGF_EVAL_EVALUATOR_H_
