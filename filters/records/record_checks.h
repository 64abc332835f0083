// Checks for tool-use records (synth/record.h), the APIGen verification layers (Liu et al. 2024,
// "APIGen: Automated Pipeline for Generating Verifiable and Diverse Function-Calling Datasets",
// §3.2; SPEC §1 "Verification layers"). Each layer is a per-record filter; a record that does
// not parse is dropped with reason "parse" by every layer.
//
// RecordFormatFilter ("record_format"): roles are system, user, then turns of an assistant
//   message with tool_calls followed by one tool message per call in call order (matching
//   tool_call_id), ending with one assistant message with text and no calls ("role_order",
//   "unanswered_call", "no_final_answer", "duplicate_call_id"); every call names a tool listed in
//   the record ("unknown_tool"); arguments are a JSON object that matches the tool's parameter
//   schema ("bad_arguments", "schema"). In a self-reflection record (template.reflection set) a
//   call whose observation is {"error":...} may break the tool/schema rules: it is the
//   deliberate wrong call, and the execution layer checks that the error is real.
// RecordSemanticFilter ("record_semantic"): every anchor name occurs in the question
//   ("anchor_missing"); no answer name occurs in the question as a whole word unless it is part
//   of an anchor name ("answer_leaked"); the operator words of the pattern's program occur
//   (intersection "and", union "or", negation "not"; configurable; "operator_missing");
//   question length within [min_question_chars, max_question_chars] ("question_length");
//   calls <= max_calls ("too_many_calls"); no successful call returned an empty list and the
//   answer set is not empty ("empty_intermediate", "empty_answer"), except the deliberate wrong
//   call of a self-reflection record and, in a dialogue that ends without answers (outcome
//   no_answer / empty_step), its last call turn, which must return an empty list; a no_tool
//   dialogue makes no call ("no_tool_called").
// RecordExecutionFilter ("record_execution"): needs the knowledge graph the records came from.
//   The record's kg checksum must equal the graph's when one is given ("kg_mismatch"); every call
//   re-run with synth::Executor must give exactly the recorded observation
//   ("observation_mismatch"); the query rebuilt from pattern + anchor keys + relation keys
//   ("unknown_anchor", "unknown_relation", "bad_pattern") must give the recorded answers
//   ("answer_mismatch"); the final assistant message must name every answer
//   ("final_answer_mismatch"). A no_tool record instead lists no tool of the query's relations
//   ("tool_covers_query").
// Thread-safe: Apply() is const.
#ifndef KGF_FILTERS_RECORDS_RECORD_CHECKS_H_
#define KGF_FILTERS_RECORDS_RECORD_CHECKS_H_

#include <string>
#include <vector>

#include "filters/filter.h"
#include "filters/option_reader.h"
#include "filters/records/record_sample.h"
#include "kg/graph.h"
#include "synth/answer_leak.h"
#include "synth/executor.h"
#include "synth/tool_catalog.h"

namespace kgf::filters {

class RecordFormatFilter : public RecordFilter {
 public:
  explicit RecordFormatFilter(std::string name) : RecordFilter(std::move(name), "record_format") {}
  Verdict Apply(Sample& sample) const override;
};

struct RecordSemanticOptions {
  int64_t min_question_chars = 10;
  int64_t max_question_chars = 2000;
  int64_t max_calls = 64;
  std::vector<std::string> intersection_words = {"and"};
  std::vector<std::string> union_words = {"or"};
  std::vector<std::string> negation_words = {"not"};
  Status Read(OptionReader& reader);
};

class RecordSemanticFilter : public RecordFilter {
 public:
  RecordSemanticFilter(std::string name, RecordSemanticOptions options)
      : RecordFilter(std::move(name), "record_semantic"), options_(std::move(options)) {}
  Verdict Apply(Sample& sample) const override;

 private:
  RecordSemanticOptions options_;
};

// The graph a batch of records must be re-executed on.
struct KgContext {
  const kg::Graph* graph = nullptr;
  const synth::ToolCatalog* catalog = nullptr;  // built from graph
  std::string checksum;  // the store's "xxh3:..." checksum; empty: not checked
};

class RecordExecutionFilter : public RecordFilter {
 public:
  // REQUIRES: context.graph and context.catalog non-null and outliving the filter.
  RecordExecutionFilter(std::string name, KgContext context);
  Verdict Apply(Sample& sample) const override;

 private:
  KgContext context_;
  synth::Executor executor_;
};

// Whole-word matching (synth/answer_leak.h), shared with the renderer's answer-leak rule.
using synth::ContainsWords;

}  // namespace kgf::filters

#endif  // KGF_FILTERS_RECORDS_RECORD_CHECKS_H_
