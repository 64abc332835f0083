// Execution layer: re-runs every call on the knowledge graph (record_checks.h).
#include <algorithm>

#include "filters/records/record_checks.h"
#include "synth/pattern.h"
#include "synth/query.h"

namespace kgf::filters {

RecordExecutionFilter::RecordExecutionFilter(std::string name, KgContext context)
    : RecordFilter(std::move(name), "record_execution"),
      context_(std::move(context)),
      executor_(*context_.graph, *context_.catalog) {}

Verdict RecordExecutionFilter::Apply(Sample& sample) const {
  Result<const synth::Record*> parsed = RecordOf(sample);
  if (!parsed.ok()) return Verdict::Drop("parse", parsed.status().message());
  const synth::Record& r = **parsed;
  const kg::Graph& g = *context_.graph;
  if (!context_.checksum.empty() && r.kg_checksum != context_.checksum) {
    return Verdict::Drop("kg_mismatch", "record was made from kg " + r.kg_checksum +
                                            ", the graph given is " + context_.checksum);
  }
  std::vector<std::string> earlier;  // results so far, for result references ("#k")
  for (const auto& c : synth::CallsOf(r)) {
    std::string got =
        synth::ObservationJson(executor_.Execute(c.call.name, c.call.arguments, earlier));
    if (got != c.observation) {
      return Verdict::Drop("observation_mismatch", "call '" + c.call.id + "' to " + c.call.name +
                                                       " gives " + got.substr(0, 200) +
                                                       ", recorded " + c.observation.substr(0, 200));
    }
    earlier.push_back(c.observation);
  }
  Result<synth::Pattern> pattern = synth::ParsePattern(r.pattern);
  if (!pattern.ok()) return Verdict::Drop("bad_pattern", pattern.status().message());
  synth::Query q;
  q.pattern = *pattern;
  if (static_cast<int>(r.anchors.size()) != synth::NumAnchors(q.pattern) ||
      static_cast<int>(r.relations.size()) != synth::NumRelations(q.pattern)) {
    return Verdict::Drop("bad_pattern", "pattern " + r.pattern +
                                            " needs other numbers of anchors and relations");
  }
  for (const auto& a : r.anchors) {
    std::optional<kg::EntityId> id = g.FindEntityByKey(a.key);
    if (!id) return Verdict::Drop("unknown_anchor", "anchor key '" + a.key + "' not in the graph");
    q.anchors.push_back(*id);
  }
  for (const auto& key : r.relations) {
    std::optional<kg::RelationId> id = g.FindRelationByKey(key);
    if (!id) return Verdict::Drop("unknown_relation", "relation '" + key + "' not in the graph");
    q.relations.push_back(*id);
  }
  q.inverse = r.inverse;
  q.inverse.resize(q.relations.size(), 0);
  if (r.outcome == "no_tool") {
    // The dialogue is right to answer nothing only if no listed tool looks up a relation of
    // the query, in either direction.
    for (const auto& f : r.tools) {
      const synth::Tool* t = context_.catalog->Find(f.name);
      if (t != nullptr && synth::LooksUpAnyOf(*t, q.relations)) {
        return Verdict::Drop("tool_covers_query", "no_tool record lists '" + f.name +
                                                      "', which looks up a relation of the query");
      }
    }
    return Verdict::Keep();
  }
  std::vector<std::string> answers = executor_.Names(synth::ExecuteQuery(g, q));
  std::vector<std::string> recorded = r.answers;
  std::sort(recorded.begin(), recorded.end());
  if (answers != recorded) {
    return Verdict::Drop("answer_mismatch", "query gives " + std::to_string(answers.size()) +
                                                " answers, record lists " +
                                                std::to_string(recorded.size()));
  }
  const std::string& final_text = r.messages.empty() ? std::string() : r.messages.back().content;
  for (const auto& a : answers) {
    if (final_text.find(a) == std::string::npos) {
      return Verdict::Drop("final_answer_mismatch", "final answer does not name '" + a + "'");
    }
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
