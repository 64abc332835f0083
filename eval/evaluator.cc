// The closed-loop evaluation (see evaluator.h).
#include "eval/evaluator.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <tbb/info.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <thread>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/progress.h"
#include "corpus/manifest.h"
#include "eval/agents.h"
#include "kg/graph_store.h"
#include "synth/executor.h"
#include "synth/pattern.h"
#include "synth/tool_catalog.h"

namespace kgf::eval {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

Result<std::vector<std::string>> RecordFiles(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    if (!IsDirectory(in)) {
      if (!FileExists(in)) return NotFoundError("eval: record file " + in + " does not exist");
      files.push_back(in);
      continue;
    }
    KGF_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(in));
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      const bool jsonl = n.size() > 6 && (n.ends_with(".jsonl") || n.ends_with(".jsonl.zst"));
      if (jsonl) files.push_back(JoinPath(in, n));
    }
  }
  if (files.empty()) {
    return InvalidArgumentError("eval: no record files (.jsonl or .jsonl.zst) in the inputs");
  }
  return files;
}

Result<std::vector<synth::Record>> ReadRecords(const EvalOptions& o) {
  KGF_ASSIGN_OR_RETURN(std::vector<double> weights, synth::ParsePatternMix(o.patterns));
  KGF_ASSIGN_OR_RETURN(std::vector<std::string> files, RecordFiles(o.inputs));
  std::vector<synth::Record> out;
  std::map<std::string, int64_t> per_pattern;
  for (const std::string& f : files) {
    KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(f, 16 << 20));
    std::string line;
    while (reader->Next(&line)) {
      if (line.empty()) continue;
      KGF_ASSIGN_OR_RETURN(synth::Record r, synth::RecordFromJson(line, reader->Where()));
      if (o.split != "any" && r.split != o.split) continue;
      KGF_ASSIGN_OR_RETURN(synth::Pattern p, synth::ParsePattern(r.pattern));
      if (weights[static_cast<int>(p)] <= 0) continue;
      if (o.per_pattern > 0 && per_pattern[r.pattern] >= o.per_pattern) continue;
      ++per_pattern[r.pattern];
      out.push_back(std::move(r));
      if (o.limit > 0 && static_cast<int64_t>(out.size()) >= o.limit) return out;
    }
    KGF_RETURN_IF_ERROR(reader->status());
  }
  if (out.empty()) {
    return InvalidArgumentError("eval: no record of split '" + o.split + "' and patterns '" +
                                o.patterns + "' in the inputs");
  }
  return out;
}

// Plays one record with one agent: its calls run on the graph, errors come back as results.
Result<Dialogue> Play(Agent& agent, const synth::Record& record, const synth::Executor& exec,
                      int max_turns) {
  Dialogue d;
  std::vector<std::string> earlier;  // every result so far, for result references ("#k")
  for (int turn = 0; turn < max_turns; ++turn) {
    KGF_ASSIGN_OR_RETURN(AgentTurn t, agent.Next(record, d));
    if (t.out_of_context) {
      d.stop = "context";
      return d;
    }
    d.generated_tokens += static_cast<int64_t>(t.ids.size());
    if (t.calls.empty()) {
      d.final_text = t.text;
      // A model turn without calls ends at <|end_of_text|>, else it ran out of tokens.
      const bool ended = t.ids.empty() ||
                         t.ids.back() == corpus::SpecialId(corpus::Special::kEndOfText);
      d.stop = ended ? "answer" : "max_tokens";
      d.turns.push_back(std::move(t));
      return d;
    }
    std::vector<std::string> obs;
    for (const AgentCall& c : t.calls) {
      obs.push_back(c.parsed ? synth::ObservationJson(exec.Execute(c.name, c.arguments, earlier))
                             : "{\"error\":\"the call is not a JSON object with a name and "
                               "arguments\"}");
    }
    // A turn's calls run side by side: none of them sees another's result.
    earlier.insert(earlier.end(), obs.begin(), obs.end());
    d.turns.push_back(std::move(t));
    d.observations.push_back(std::move(obs));
  }
  d.stop = "max_turns";
  return d;
}

// The most frequent first call of the gold programs: its tool and parameter.
std::pair<std::string, std::string> MostFrequentFirstTool(const std::vector<synth::Record>& recs,
                                                          const synth::ToolCatalog& catalog) {
  std::map<std::string, int64_t> counts;
  for (const synth::Record& r : recs) {
    auto gold = GoldProgram(r);
    if (!gold.empty() && !gold[0].empty()) ++counts[gold[0][0].first];
  }
  std::pair<std::string, int64_t> best{"", -1};
  for (const auto& [name, n] : counts) {
    if (n > best.second) best = {name, n};
  }
  const synth::Tool* tool = catalog.Find(best.first);
  return {best.first, tool != nullptr ? tool->parameter : "name"};
}

void WriteScores(Writer& w, const DialogueScore& s) {
  w.StartObject();
  w.Key("calls"); w.Int(s.calls);
  w.Key("valid_calls"); w.Int(s.valid_calls);
  w.Key("chain_exact"); w.Bool(s.chain_exact);
  w.Key("executed_answer"); w.Bool(s.executed_answer);
  w.Key("precision"); w.Double(s.precision);
  w.Key("recall"); w.Double(s.recall);
  w.Key("f1"); w.Double(s.f1);
  w.Key("anchors"); w.Int(s.anchors);
  w.Key("anchors_copied"); w.Int(s.anchors_copied);
  w.EndObject();
}

// Valid UTF-8 for the transcript: model text may hold stray bytes (byte-fallback tokens cut
// mid-character); each byte of an invalid sequence becomes U+FFFD.
std::string Utf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size() && !(n == 1 && c == 0);
    for (int k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string TranscriptLine(const synth::Record& r, const Dialogue& d, const DialogueScore& s) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  auto str = [&](std::string_view v) {
    const std::string clean = Utf8(v);
    w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
  };
  w.StartObject();
  w.Key("id"); w.String(r.id.c_str());
  w.Key("pattern"); w.String(r.pattern.c_str());
  const std::string question = r.messages.size() > 1 ? r.messages[1].content : "";
  w.Key("question"); w.String(question.c_str());
  w.Key("answers"); w.StartArray();
  for (const std::string& a : r.answers) w.String(a.c_str());
  w.EndArray();
  w.Key("turns"); w.StartArray();
  size_t call_turn = 0;
  for (const AgentTurn& t : d.turns) {
    w.StartObject();
    w.Key("text"); str(t.text);
    w.Key("calls"); w.StartArray();
    for (size_t k = 0; k < t.calls.size(); ++k) {
      const AgentCall& c = t.calls[k];
      w.StartObject();
      w.Key("name"); str(c.name);
      w.Key("arguments"); str(c.parsed ? c.arguments : c.raw);
      w.Key("valid"); w.Bool(CallIsValid(c, r));
      w.Key("observation"); w.String(d.observations[call_turn][k].c_str());
      w.EndObject();
    }
    call_turn += !t.calls.empty();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("final"); str(d.final_text);
  w.Key("stop"); w.String(d.stop.c_str());
  w.Key("scores"); WriteScores(w, s);
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

// Plays every record into a score table (and transcript lines). With several agents (the
// same model loaded once per worker) the records are played in parallel, each by whichever
// worker takes it next; a dialogue depends only on its record (greedy decoding, kernels that
// are bit-identical for any thread count), and scores and transcript lines are gathered in
// record order, so the report is the same for any number of workers.
Status PlayAll(std::span<Agent* const> agents, const std::vector<synth::Record>& records,
               const synth::Executor& exec, int max_turns, const std::string& label,
               ScoreTable* table, std::string* transcript) {
  Progress progress("eval " + label, records.size(), "dialogues");
  std::vector<std::optional<Result<Dialogue>>> played(records.size());
  std::atomic<size_t> next{0};
  auto work = [&](Agent* agent) {
    for (size_t i; (i = next.fetch_add(1)) < records.size();) {
      played[i].emplace(Play(*agent, records[i], exec, max_turns));
      progress.Add(1);
    }
  };
  if (agents.size() == 1) {
    work(agents[0]);
  } else {
    std::vector<std::thread> workers;
    for (Agent* a : agents) workers.emplace_back(work, a);
    for (std::thread& t : workers) t.join();
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const synth::Record& r = records[i];
    if (!played[i]->ok()) return played[i]->status();
    const Dialogue& d = played[i]->value();
    DialogueScore s = ScoreDialogue(r, d);
    table->by_pattern[r.pattern].Add(s);
    table->all.Add(s);
    if (transcript != nullptr) *transcript += TranscriptLine(r, d, s);
  }
  progress.Finish();
  for (auto& [p, row] : table->by_pattern) row.Finish();
  table->all.Finish();
  return Status::Ok();
}

std::string Pct(double v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%5.1f%%", 100.0 * v);
  return buf;
}

std::string RowText(const std::string& name, const ScoreRow& r) {
  char buf[240];
  std::snprintf(buf, sizeof(buf), "  %-7s %6d  %s  %s  %s  %s %s %s  %5.2f %7.1f  %s\n",
                name.c_str(), r.dialogues, Pct(r.valid_call_rate()).c_str(),
                Pct(r.chain_exact).c_str(), Pct(r.executed_answer).c_str(),
                Pct(r.precision).c_str(), Pct(r.recall).c_str(), Pct(r.f1).c_str(), r.turns,
                r.tokens, r.anchors == 0 ? "     -" : Pct(r.anchor_copy_rate()).c_str());
  return buf;
}

void WriteRow(Writer& w, const ScoreRow& r) {
  w.StartObject();
  w.Key("dialogues"); w.Int(r.dialogues);
  w.Key("calls"); w.Int(r.calls);
  w.Key("valid_call_rate"); w.Double(r.valid_call_rate());
  w.Key("chain_exact"); w.Double(r.chain_exact);
  w.Key("executed_answer"); w.Double(r.executed_answer);
  w.Key("precision"); w.Double(r.precision);
  w.Key("recall"); w.Double(r.recall);
  w.Key("f1"); w.Double(r.f1);
  w.Key("turns"); w.Double(r.turns);
  w.Key("tokens"); w.Double(r.tokens);
  w.Key("anchors"); w.Int(r.anchors);
  w.Key("anchor_copy_rate"); w.Double(r.anchor_copy_rate());
  w.EndObject();
}

void WriteTable(Writer& w, const ScoreTable& t) {
  w.StartObject();
  w.Key("all"); WriteRow(w, t.all);
  w.Key("patterns"); w.StartObject();
  for (const auto& [p, row] : t.by_pattern) {
    w.Key(p.c_str());
    WriteRow(w, row);
  }
  w.EndObject();
  w.EndObject();
}

bool Perfect(const ScoreRow& r) {
  return r.valid_call_rate() == 1.0 && r.chain_exact == 1.0 && r.executed_answer == 1.0 &&
         r.f1 == 1.0;
}


// Fills the tokenizer, chat template and inputs from the corpus manifest.
Result<EvalOptions> WithCorpus(EvalOptions o) {
  if (o.corpus.empty()) return o;
  KGF_ASSIGN_OR_RETURN(corpus::CorpusInfo info, corpus::ReadCorpusInfo(o.corpus));
  if (o.tokenizer.empty()) o.tokenizer = info.tokenizer_path;
  o.chat = info.chat_template;
  if (o.inputs.empty()) {
    auto it = info.eval_files.find(o.split);
    if (it == info.eval_files.end()) {
      return NotFoundError("eval: " + o.corpus + " holds no held-out records of split '" +
                           o.split + "' (eval/" + o.split + ".jsonl); pass --in FILE_OR_DIR");
    }
    o.inputs = {it->second.path};
  }
  return o;
}

}  // namespace

std::string EvalReport::ToText() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "eval: %lld held-out dialogues in %.1fs\n",
                static_cast<long long>(records), seconds);
  out += buf;
  if (has_model) {
    if (constrained) {
      out += "model calls decoded under the call constraint (tool names and entity names only; "
             "--constrain-calls)\n";
    }
    out += "  pattern  dialogs  valid calls  chain exact  exec answer  precision recall     F1  turns  tokens  1st-turn anchors\n";
    for (synth::Pattern p : synth::AllPatterns()) {
      auto it = model.by_pattern.find(std::string(synth::PatternName(p)));
      if (it != model.by_pattern.end()) out += RowText(it->first, it->second);
    }
    out += RowText("all", model.all);
  }
  out += std::string("  self-check, gold replay: valid calls ") + Pct(gold.all.valid_call_rate()) +
         ", chain exact " + Pct(gold.all.chain_exact) + ", exec answer " +
         Pct(gold.all.executed_answer) + ", F1 " + Pct(gold.all.f1) +
         (Perfect(gold.all) ? "  (ok)\n" : "  (FAILED: the harness is wrong)\n");
  out += "  baseline, always " + baseline_call + ": chain exact " + Pct(baseline.all.chain_exact) +
         ", exec answer " + Pct(baseline.all.executed_answer) + ", F1 " + Pct(baseline.all.f1) +
         "\n";
  return out;
}

std::string EvalReport::ToJson() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("records"); w.Int64(records);
  w.Key("seconds"); w.Double(seconds);
  w.Key("constrained"); w.Bool(constrained);
  if (has_model) {
    w.Key("model"); WriteTable(w, model);
  }
  w.Key("gold_replay"); WriteTable(w, gold);
  w.Key("gold_replay_ok"); w.Bool(Perfect(gold.all));
  w.Key("baseline"); WriteTable(w, baseline);
  w.Key("baseline_call"); w.String(baseline_call.c_str());
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}


Result<EvalReport> RunEval(const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  KGF_ASSIGN_OR_RETURN(const EvalOptions o, WithCorpus(options));
  if (o.kg.empty()) return InvalidArgumentError("eval: no graph store; pass --kg STORE");
  if (o.inputs.empty()) {
    return InvalidArgumentError("eval: no records; pass --in FILE_OR_DIR or --corpus DIR");
  }
  if (o.max_turns < 1 || o.max_new_tokens < 1) {
    return InvalidArgumentError("eval: max_turns and max_new_tokens must be >= 1");
  }
  if (!o.checkpoint.empty() && o.tokenizer.empty()) {
    return InvalidArgumentError(
        "eval: a checkpoint needs the tokenizer of its training corpus (--tokenizer, or --corpus "
        "DIR to take it and the chat template from the corpus manifest)");
  }
  KGF_ASSIGN_OR_RETURN(std::vector<synth::Record> records, ReadRecords(o));
  KGF_ASSIGN_OR_RETURN(kg::OpenedGraph opened, kg::OpenGraph(o.kg));
  const kg::Graph& graph = opened.graph;
  for (const synth::Record& r : records) {
    if (!r.kg_checksum.empty() && r.kg_checksum != opened.checksum) {
      return FailedPreconditionError("eval: record " + r.id + " was made from graph " +
                                     r.kg_checksum + ", but " + o.kg + " is " + opened.checksum +
                                     "; evaluate on the store the records came from");
    }
  }
  KGF_ASSIGN_OR_RETURN(synth::ToolCatalog catalog, synth::ToolCatalog::Build(graph));
  synth::Executor exec(graph, catalog);

  EvalReport report;
  report.records = static_cast<int64_t>(records.size());
  GoldAgent gold;
  // The gold replay plays whole programs, however long (a self-check, not a limit).
  Agent* gold_agent = &gold;
  KGF_RETURN_IF_ERROR(
      PlayAll({&gold_agent, 1}, records, exec, 1 << 20, "gold", &report.gold, nullptr));
  auto [tool, param] = MostFrequentFirstTool(records, catalog);
  report.baseline_call = tool + "(" + param + "=<first anchor>)";
  FirstCallBaseline baseline(tool, param);
  Agent* baseline_agent = &baseline;
  KGF_RETURN_IF_ERROR(PlayAll({&baseline_agent, 1}, records, exec, o.max_turns, "baseline",
                              &report.baseline, nullptr));
  if (!o.checkpoint.empty()) {
    ModelAgentOptions mo;
    mo.max_new_tokens = o.max_new_tokens;
    mo.chat = o.chat;
    if (o.constrain_calls) {
      for (size_t i = 0; i < graph.num_entities(); ++i) {
        mo.constrain_to_entities.push_back(graph.entity(kg::EntityId(static_cast<uint32_t>(i))).name);
      }
      report.constrained = true;
    }
    // One agent (and model copy) per worker: an agent keeps the dialogue it is playing.
    const int workers = std::max<int64_t>(
        1, std::min<int64_t>(o.threads > 0 ? o.threads : tbb::info::default_concurrency(),
                             static_cast<int64_t>(records.size())));
    std::vector<std::unique_ptr<ModelAgent>> owned;
    std::vector<Agent*> agents;
    for (int w = 0; w < workers; ++w) {
      KGF_ASSIGN_OR_RETURN(std::unique_ptr<ModelAgent> agent,
                           ModelAgent::Create(o.checkpoint, o.tokenizer, mo));
      agents.push_back(agent.get());
      owned.push_back(std::move(agent));
    }
    std::string transcript;
    KGF_RETURN_IF_ERROR(PlayAll(agents, records, exec, o.max_turns, "model", &report.model,
                                o.transcript.empty() ? nullptr : &transcript));
    report.has_model = true;
    if (!o.transcript.empty()) KGF_RETURN_IF_ERROR(WriteFileAtomic(o.transcript, transcript));
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace kgf::eval
