// Dialogue rendering (KG2Tool / Ling §4.4): the query's tool chain becomes assistant turns
// whose observations are the executed sets, so the trace is correct by construction.
#include "synth/dialogue_renderer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include "base/json.h"
#include "kg/names.h"
#include "synth/answer_leak.h"
#include "synth/templates.h"

namespace kgf::synth {
namespace {


// Perturbs an ASCII letter of `name` (swap / drop / double); empty when impossible.
std::string Misspell(const std::string& name, Rng& rng) {
  std::vector<size_t> pos;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    unsigned char a = name[i], b = name[i + 1];
    if (std::isalpha(a) && std::isalpha(b) && a < 128 && b < 128 && a != b) pos.push_back(i);
  }
  if (pos.empty()) return "";
  size_t i = pos[rng.Uniform(pos.size())];
  std::string out = name;
  switch (rng.Uniform(3)) {
    case 0: std::swap(out[i], out[i + 1]); break;
    case 1: out.erase(i + 1, 1); break;
    default: out.insert(i, 1, out[i]); break;
  }
  return out;
}

// The next turn's text from one phrasing of `bank`; its index goes into the mistake's kind.
void FillReflection(std::span<const std::string_view> bank, std::span<const std::string> values,
                    Rng& rng, Mistake* m) {
  const size_t i = rng.Uniform(bank.size());
  m->reflection = FillTemplate(bank[i], values);
  m->kind += "." + std::to_string(i);
}

// A type key as words: "subdivision_type" -> "subdivision type".
std::string SpacedType(std::string type) {
  std::replace(type.begin(), type.end(), '_', ' ');
  return type;
}

// Names as prose reads them ("the United Kingdom and France"): kg::NameInText.
std::string JoinNamesInText(const std::vector<std::string>& names) {
  std::vector<std::string> in_text;
  in_text.reserve(names.size());
  for (const std::string& n : names) in_text.push_back(kg::NameInText(n));
  return JoinNames(in_text);
}

// A relation call's input as prose reads it (a by-reference call's is already).
std::string InputInText(const PlannedCall& c) {
  return c.by_reference ? c.input : kg::NameInText(c.input);
}

}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " and " : ", ";
    out += names[i];
  }
  return out;
}

DialogueRenderer::DialogueRenderer(const kg::Graph& graph, const ToolCatalog& catalog,
                                   RenderOptions options, KgRef kg)
    : graph_(graph), catalog_(catalog), executor_(graph, catalog),
      grammar_(QuestionGrammar::Build(graph)), options_(options), kg_(std::move(kg)) {}

// Plans the calls: a turn holds every call whose inputs are known (ready[n] = the turn after
// which node n's set is known), a hop over k entities is k parallel calls plus a union turn.
std::vector<PlannedCall> DialogueRenderer::PlanCalls(const Query& q,
                                                     const std::vector<EntitySet>& sets) const {
  const PatternTree& tree = TreeOf(q.pattern);
  std::vector<int> ready(tree.nodes.size(), 0);
  std::vector<int> producer(tree.nodes.size(), -1);  // seq of the call whose result is the set
  std::vector<PlannedCall> calls;
  // Each node's set as a JSON list, written once (a set is an observation and the argument of
  // the operation above it).
  std::vector<std::string> set_json(tree.nodes.size());
  auto json_of = [&](int n) -> const std::string& {
    if (set_json[n].empty()) set_json[n] = executor_.NamesJsonOf(sets[n]);
    return set_json[n];
  };
  auto sets_json = [&](const std::vector<int>& nodes) {
    std::string args = "{\"sets\":[";
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (k > 0) args += ',';
      args += json_of(nodes[k]);
    }
    return args + "]}";
  };
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op == QueryOp::kAnchor) continue;
    if (node.op == QueryOp::kProject) {
      const int c = node.children[0];
      const int turn = ready[c] + 1;
      const kg::RelationId rel = q.relations[node.slot];
      const bool inverse = q.IsInverse(node.slot);
      const Tool& tool = catalog_.Hop(rel, inverse);
      // One call per input entity, in name order (as the observation lists them).
      EntitySet inputs = sets[c];
      executor_.SortByName(&inputs);
      if (options_.hop_refs && tree.nodes[c].op != QueryOp::kAnchor && producer[c] >= 0) {
        // One call naming the input's result ("#k", numbered when the turns are written).
        std::vector<std::string> names;
        for (kg::EntityId x : inputs) names.push_back(graph_.entity(x).name);
        PlannedCall call{turn, &tool, "", json_of(static_cast<int>(n)), JoinNamesInText(names), rel,
                         inverse, static_cast<int>(n), false, static_cast<int>(calls.size()),
                         {producer[c]}};
        call.by_reference = true;
        call.plural_input = names.size() > 1;
        producer[n] = call.seq;
        calls.push_back(std::move(call));
        ready[n] = turn;
        continue;
      }
      std::vector<std::string> partials;
      std::vector<int> partial_seqs;
      for (kg::EntityId x : inputs) {
        const std::string& name = graph_.entity(x).name;
        auto next = Neighbors(graph_, x, rel, inverse);
        std::string obs = executor_.NamesJsonOf(next);
        if (inputs.size() > 1) partials.push_back(obs);
        std::string args = "{";
        AppendJsonQuoted(tool.parameter, &args);
        args += ':';
        AppendJsonQuoted(name, &args);
        args += '}';
        const int seq = static_cast<int>(calls.size());
        partial_seqs.push_back(seq);
        producer[n] = seq;
        calls.push_back({turn, &tool, std::move(args), std::move(obs), name, rel, inverse,
                         static_cast<int>(n), false, seq, {}});
      }
      ready[n] = turn;
      if (partials.size() > 1) {
        std::string args = "{\"sets\":[";
        for (size_t k = 0; k < partials.size(); ++k) args += (k > 0 ? "," : "") + partials[k];
        const int seq = static_cast<int>(calls.size());
        producer[n] = seq;
        calls.push_back({turn + 1, &catalog_.SetTool(SetOp::kUnion), args + "]}", json_of(n),
                         "", rel, inverse, static_cast<int>(n), true, seq,
                         std::move(partial_seqs)});
        ready[n] = turn + 1;
      }
      continue;
    }
    int turn = 0;
    for (int c : node.children) turn = std::max(turn, ready[c]);
    ++turn;
    PlannedCall call{turn, nullptr, "", json_of(static_cast<int>(n)), "", {}, false,
                     static_cast<int>(n)};
    call.seq = static_cast<int>(calls.size());
    if (node.op == QueryOp::kNegate) {
      call.tool = &catalog_.SetTool(SetOp::kNegation);
      call.arguments = "{\"entities\":" + json_of(node.children[1]) +
                       ",\"within\":" + json_of(node.children[0]) + "}";
      call.sources = {producer[node.children[1]], producer[node.children[0]]};
    } else {
      call.tool = &catalog_.SetTool(node.op == QueryOp::kIntersect ? SetOp::kIntersection
                                                                    : SetOp::kUnion);
      call.arguments = sets_json(node.children);
      for (int c : node.children) call.sources.push_back(producer[c]);
    }
    producer[n] = call.seq;
    calls.push_back(std::move(call));
    ready[n] = turn;
  }
  std::stable_sort(calls.begin(), calls.end(),
                   [](const PlannedCall& a, const PlannedCall& b) { return a.turn < b.turn; });
  return calls;
}

// A deliberate mistake in place of the first call (self-reflection, Ling §4.4): a misspelled
// entity, a hallucinated tool name or a wrong argument key (the executor's real error comes
// back), or a real tool of the wrong relation (its real, off-target result comes back). The
// next turn says what went wrong and makes the right call.
std::optional<Mistake> DialogueRenderer::PlanMistake(const PlannedCall& first, Rng& rng) const {
  KGF_CHECK(first.tool->kind != ToolKind::kSet && !first.input.empty())
      << "turn 1 must project an anchor";
  const Tool& tool = *first.tool;
  const std::string& anchor = first.input;
  Mistake m;
  m.tool = tool.name;
  switch (rng.Uniform(5)) {
    case 0: {
      std::string bad = Misspell(anchor, rng);
      if (bad.empty() || graph_.FindEntityByName(bad)) return std::nullopt;
      m.kind = "misspelled_entity";
      m.arguments = "{" + JsonQuote(tool.parameter) + ":" + JsonQuote(bad) + "}";
      break;
    }
    case 1: {
      m.tool = "fetch_" + tool.name.substr(tool.name.rfind("get_", 0) == 0 ? 4 : 0);
      if (catalog_.Find(m.tool) != nullptr) return std::nullopt;
      m.kind = "wrong_tool";
      m.arguments = first.arguments;
      break;
    }
    case 2: {
      std::string key = tool.parameter == "name" ? "entity" : "name";
      m.kind = "wrong_argument";
      m.arguments = "{" + JsonQuote(key) + ":" + JsonQuote(anchor) + "}";
      break;
    }
    case 3: return PlanWrongRelation({first, {}}, rng);
    default: return PlanWrongDirection({first, {}}, rng);
  }
  CallOutcome outcome = executor_.Execute(m.tool, m.arguments);
  KGF_CHECK(!outcome.ok()) << "a deliberately wrong call succeeded: " << m.tool;
  m.observation = ObservationJson(outcome);
  std::array<std::string, 26> e;
  e['E' - 'A'] = outcome.error->message;
  FillReflection(ReflectionBank(), e, rng, &m);
  return m;
}

std::string DialogueRenderer::HopInput::Arguments(const Tool& tool) const {
  return "{" + JsonQuote(tool.parameter) + ":" +
         (call.by_reference ? std::string("\"#1\"") : JsonQuote(call.input)) + "}";
}

std::vector<std::string> DialogueRenderer::HopInput::Earlier() const {
  return call.by_reference ? std::vector<std::string>{std::string(source)}
                           : std::vector<std::string>{};
}

// The wrong relation: another tool taking the same kind of entity, whose result on the input
// is real (possibly empty) but not what the question asks.
std::optional<Mistake> DialogueRenderer::PlanWrongRelation(const HopInput& in, Rng& rng) const {
  const PlannedCall& call = in.call;
  const Tool& right = *call.tool;
  const std::vector<std::string> earlier = in.Earlier();
  std::vector<const Tool*> candidates;
  for (const Tool& t : catalog_.tools()) {
    if (t.kind == ToolKind::kSet || &t == &right || t.parameter != right.parameter) continue;
    CallOutcome out = executor_.Execute(t.name, in.Arguments(t), earlier);
    if (out.ok() && ObservationJson(out) != call.observation) candidates.push_back(&t);
  }
  if (candidates.empty()) return std::nullopt;
  const Tool& wrong = *candidates[rng.Uniform(candidates.size())];
  Mistake m;
  m.kind = "wrong_relation";
  m.tool = wrong.name;
  m.arguments = in.Arguments(wrong);
  CallOutcome out = executor_.Execute(wrong.name, m.arguments, earlier);
  m.observation = ObservationJson(out);
  m.listed = &wrong;
  if (call.by_reference) m.call_seq = call.seq;
  std::array<std::string, 26> v;
  v['G' - 'A'] = grammar_.HopPhrase(wrong.relation, wrong.kind == ToolKind::kInverse, InputInText(call),
                                    call.plural_input);
  v['W' - 'A'] = grammar_.HopPhrase(call.relation, call.inverse, InputInText(call), call.plural_input);
  v['T' - 'A'] = right.name;
  FillReflection(out.result.empty() ? EmptyDiagnosisBank() : DiagnosisBank(), v, rng, &m);
  return m;
}

// The right relation walked the other way: its other-direction tool on the same input.
std::optional<Mistake> DialogueRenderer::PlanWrongDirection(const HopInput& in, Rng& rng) const {
  const PlannedCall& call = in.call;
  if (!catalog_.HasInverse(call.relation)) return std::nullopt;
  const Tool& right = *call.tool;
  const Tool& wrong = catalog_.Hop(call.relation, !call.inverse);
  Mistake m;
  m.kind = "wrong_direction";
  m.tool = wrong.name;
  m.arguments = in.Arguments(wrong);
  CallOutcome out = executor_.Execute(wrong.name, m.arguments, in.Earlier());
  if (!out.ok()) return std::nullopt;
  m.observation = ObservationJson(out);
  const std::string input_json =
      call.by_reference ? std::string(in.source)
                        : executor_.NamesJsonOf(EntitySet{*graph_.FindEntityByName(call.input)});
  if (m.observation == call.observation || m.observation == input_json) return std::nullopt;
  m.listed = &wrong;
  if (call.by_reference) m.call_seq = call.seq;
  std::array<std::string, 26> v;
  v['G' - 'A'] = grammar_.HopPhrase(call.relation, !call.inverse, InputInText(call), call.plural_input);
  v['W' - 'A'] = grammar_.HopPhrase(call.relation, call.inverse, InputInText(call), call.plural_input);
  v['T' - 'A'] = right.name;
  // "the language of Chinese" would name nothing: say why the call went wrong instead, when
  // the input's type is known and differs from the one the wrong tool takes.
  const std::optional<kg::EntityId> input_entity =
      call.by_reference ? std::nullopt : graph_.FindEntityByName(call.input);
  const std::string input_type = input_entity ? graph_.entity(*input_entity).type : "";
  if (!input_type.empty() && wrong.parameter != input_type && wrong.parameter != "entity") {
    m.kind = "wrong_direction_typed";
    v['U' - 'A'] = wrong.name;
    v['A' - 'A'] = QuestionGrammar::Article(SpacedType(wrong.parameter));
    v['I' - 'A'] = kg::NameInText(call.input);
    v['K' - 'A'] = QuestionGrammar::Article(SpacedType(input_type));
    FillReflection(TypedDirectionDiagnosisBank(), v, rng, &m);
    return m;
  }
  FillReflection(DirectionDiagnosisBank(), v, rng, &m);
  return m;
}

// The wrong set operation: union for intersection and back, or a negation with its two lists
// swapped.
std::optional<Mistake> DialogueRenderer::PlanWrongSetOp(const PlannedCall& call, Rng& rng) const {
  static constexpr std::string_view kCommon = "only what the lists have in common";
  static constexpr std::string_view kEither = "everything in either list";
  Mistake m;
  m.kind = "wrong_set_op";
  std::array<std::string, 26> v;
  v['T' - 'A'] = call.tool->name;
  switch (call.tool->set_op) {
    case SetOp::kIntersection:
    case SetOp::kUnion: {
      const bool inter = call.tool->set_op == SetOp::kIntersection;
      const Tool& wrong = catalog_.SetTool(inter ? SetOp::kUnion : SetOp::kIntersection);
      m.tool = wrong.name;
      m.arguments = call.arguments;
      m.listed = &wrong;
      v['G' - 'A'] = inter ? kEither : kCommon;
      v['W' - 'A'] = inter ? kCommon : kEither;
      break;
    }
    case SetOp::kNegation: {
      auto doc = ParseJson(call.arguments, "arguments");
      KGF_CHECK(doc.ok() && doc->IsObject()) << "planned negation arguments";
      m.tool = call.tool->name;
      m.arguments = "{\"entities\":" + JsonToString((*doc)["within"]) +
                    ",\"within\":" + JsonToString((*doc)["entities"]) + "}";
      m.listed = call.tool;
      m.swapped = true;
      v['G' - 'A'] = "the entities to leave out that are not among the candidates";
      v['W' - 'A'] = "the candidates without the entities to leave out";
      break;
    }
    case SetOp::kNone: return std::nullopt;
  }
  CallOutcome out = executor_.Execute(m.tool, m.arguments);
  if (!out.ok()) return std::nullopt;
  m.observation = ObservationJson(out);
  if (m.observation == call.observation) return std::nullopt;
  m.call_seq = call.seq;
  if (m.swapped) {
    // The tool was right; its lists were not ("using get_negation_of instead" would be wrong).
    m.kind = "wrong_set_op_swapped";
    FillReflection(SwappedDiagnosisBank(), v, rng, &m);
    return m;
  }
  FillReflection(SetOpDiagnosisBank(), v, rng, &m);
  return m;
}

// A mistake at a turn drawn uniformly among the plan's turns: at the first, any of
// PlanMistake's kinds; later, the wrong relation or direction of one of the turn's lookups,
// or the wrong set operation of one of the query's set nodes (not of a fan-out's merge).
std::optional<Mistake> DialogueRenderer::PlanMistakeAnyTurn(const std::vector<PlannedCall>& calls,
                                                            Rng& rng) const {
  const int turns = calls.back().turn;
  const int t = 1 + static_cast<int>(rng.Uniform(static_cast<uint64_t>(turns)));
  if (t == 1) return PlanMistake(calls.front(), rng);
  // Merging a fan-out's results is bookkeeping, not a choice: never the call gone wrong.
  std::vector<const PlannedCall*> at;
  for (const PlannedCall& c : calls) {
    if (c.turn == t && !c.merge) at.push_back(&c);
  }
  if (at.empty()) return std::nullopt;
  const PlannedCall& c = *at[rng.Uniform(at.size())];
  std::optional<Mistake> m;
  if (c.tool->kind == ToolKind::kSet) {
    m = PlanWrongSetOp(c, rng);
  } else {
    // A hop by reference goes wrong on the same result (the one its source call returned).
    std::string_view source;
    for (const PlannedCall& p : calls) {
      if (c.by_reference && p.seq == c.sources.at(0)) source = p.observation;
    }
    const HopInput in{c, source};
    m = rng.Bernoulli(0.5) ? PlanWrongDirection(in, rng) : PlanWrongRelation(in, rng);
  }
  if (m) {
    m->turn = t;
    m->kind += "@" + std::to_string(t);
  }
  return m;
}

std::optional<Mistake> DialogueRenderer::PlanResolution(const PlannedCall& first, Rng& rng) const {
  const Tool& tool = *first.tool;
  const std::string base(BaseName(first.input));
  Mistake m;
  m.kind = "ambiguous_name";
  m.tool = tool.name;
  m.arguments = "{" + JsonQuote(tool.parameter) + ":" + JsonQuote(base) + "}";
  CallOutcome outcome = executor_.Execute(m.tool, m.arguments);
  KGF_CHECK(!outcome.ok()) << "an ambiguous base name resolved: " << base;
  m.observation = ObservationJson(outcome);
  std::array<std::string, 26> v;
  v['B' - 'A'] = base;
  v['P' - 'A'] = tool.parameter;
  std::replace(v['P' - 'A'].begin(), v['P' - 'A'].end(), '_', ' ');
  v['N' - 'A'] = first.input;
  FillReflection(ResolutionBank(), v, rng, &m);
  return m;
}

// What a turn does, in words, for a ReAct thought: "look up the capital of France".
std::string DialogueRenderer::StepText(std::span<const PlannedCall> turn) const {
  // One phrase per hop (relation and direction, over all its inputs) and per set operation, in
  // the order the turn first calls them.
  std::vector<std::string> steps;
  struct Hop {
    const Tool* tool;
    std::vector<std::string> inputs;
    bool plural = false;  // a hop by reference over several entities
  };
  std::vector<Hop> hops;
  for (const PlannedCall& c : turn) {
    if (c.tool->kind == ToolKind::kSet) {
      switch (c.tool->set_op) {
        case SetOp::kIntersection: steps.push_back("keep only what the lists have in common"); break;
        case SetOp::kUnion: steps.push_back("merge the lists into one"); break;
        case SetOp::kNegation: steps.push_back("remove the excluded entities from the list"); break;
        case SetOp::kNone: break;
      }
      continue;
    }
    auto it = std::find_if(hops.begin(), hops.end(), [&](const Hop& h) { return h.tool == c.tool; });
    if (it == hops.end()) {
      hops.push_back({c.tool, {}});
      it = hops.end() - 1;
      steps.emplace_back();  // filled below, keeps the order
    }
    it->inputs.push_back(InputInText(c));
    it->plural = it->plural || c.plural_input;
  }
  size_t h = 0;
  for (std::string& step : steps) {
    if (!step.empty()) continue;
    const PlannedCall* first = nullptr;
    for (const PlannedCall& c : turn) {
      if (c.tool == hops[h].tool) {
        first = &c;
        break;
      }
    }
    const Hop& hop = hops[h++];
    step = "look up " + grammar_.HopPhrase(first->relation, first->inverse, JoinNames(hop.inputs),
                                           hop.inputs.size() > 1 || hop.plural);
  }
  // One verb for a run of look-ups: "look up the neighbours of Tajikistan and the country whose
  // capital is Tashkent", not "look up ... and look up ...".
  for (size_t i = steps.size(); i-- > 1;) {
    if (steps[i].rfind("look up ", 0) == 0 && steps[i - 1].rfind("look up ", 0) == 0) {
      steps[i].erase(0, 8);
    }
  }
  return JoinNames(steps);
}

bool DialogueRenderer::Leaks(const Query& q, const std::string& question,
                             const std::vector<std::string>& answers) const {
  std::vector<std::string> anchor_names;
  for (kg::EntityId a : q.anchors) anchor_names.push_back(graph_.entity(a).name);
  for (const std::string& a : answers) {
    if (synth::AnswerLeaks(question, a, anchor_names)) return true;
  }
  return false;
}

// The anchor the user may name as people do, without its disambiguating suffix: the anchor of
// the first call, when its name is "<base> (<its type>)" and no other anchor shares the base.
// Returns its slot or -1.
int DialogueRenderer::PlainAnchor(const Query& q) const {
  const PatternTree& tree = TreeOf(q.pattern);
  for (const QueryNode& node : tree.nodes) {
    if (node.op != QueryOp::kProject) continue;
    const QueryNode& child = tree.nodes[node.children[0]];
    if (child.op != QueryOp::kAnchor) continue;
    const kg::EntityInfo& e = graph_.entity(q.anchors[child.slot]);
    const std::string_view base = BaseName(e.name);
    if (base.size() == e.name.size() || e.type.empty() || graph_.FindEntityByName(base)) return -1;
    std::string type = e.type;
    std::replace(type.begin(), type.end(), '_', ' ');
    if (e.name.compare(base.size() + 2, type.size(), type) != 0 ||
        e.name.size() != base.size() + 3 + type.size()) {
      return -1;
    }
    for (size_t a = 0; a < q.anchors.size(); ++a) {
      if (static_cast<int>(a) != child.slot &&
          BaseName(graph_.entity(q.anchors[a]).name) == base) {
        return -1;
      }
    }
    return child.slot;
  }
  return -1;
}

// The question, with the plain anchor (if any) named without its suffix.
Question DialogueRenderer::Ask(const Query& q, Rng& rng) const {
  Question question = grammar_.Render(q, rng);
  const int plain = PlainAnchor(q);
  if (plain < 0) return question;
  const std::string& name = graph_.entity(q.anchors[plain]).name;
  const std::string base(BaseName(name));
  for (size_t at = question.text.find(name); at != std::string::npos;
       at = question.text.find(name, at + base.size())) {
    question.text.replace(at, name.size(), base);
  }
  return question;
}

bool DialogueRenderer::AnswerLeaks(const SampleOutcome& sample, Rng rng) const {
  KGF_CHECK(sample.query.has_value()) << "AnswerLeaks() of a rejected sample";
  const Query& q = *sample.query;
  Question question = Ask(q, rng);
  return Leaks(q, question.text, executor_.Names(sample.node_sets[TreeOf(q.pattern).root]));
}

// Dialogues without answers: drops the calls after the turn that came back empty (the first
// empty node E: a lookup, or the last intersection) and returns the closing text.
std::string DialogueRenderer::StopEarly(const Query& q, const std::vector<EntitySet>& sets,
                                        RecordOutcome outcome, std::vector<PlannedCall>* calls,
                                        Rng& rng, std::string* template_id) const {
  const PatternTree& tree = TreeOf(q.pattern);
  int e = -1;
  for (size_t n = 0; n < tree.nodes.size() && e < 0; ++n) {
    if (tree.nodes[n].op != QueryOp::kAnchor && sets[n].empty()) e = static_cast<int>(n);
  }
  KGF_CHECK(e >= 0) << "a dialogue without answers has no empty set";
  const QueryNode& node = tree.nodes[e];
  std::array<std::string, 26> v;
  std::span<const std::string_view> bank;
  std::string id;
  if (node.op == QueryOp::kProject) {
    int stop = 0;
    for (const PlannedCall& c : *calls) {
      if (c.node == e && c.tool->kind != ToolKind::kSet) stop = c.turn;
    }
    std::erase_if(*calls, [&](const PlannedCall& c) { return c.turn > stop; });
    const std::vector<std::string> inputs = executor_.Names(sets[node.children[0]]);  // sorted
    v['S' - 'A'] = grammar_.HopPhrase(q.relations[node.slot], q.IsInverse(node.slot),
                                      JoinNamesInText(inputs), inputs.size() > 1);
    const bool last = e == tree.root;
    bank = last ? NoAnswerBank() : EmptyStepBank();
    id = last ? "none" : "stop";
  } else {
    KGF_CHECK(node.op == QueryOp::kIntersect && outcome == RecordOutcome::kNoAnswer)
        << "an empty set node other than an intersection";
    bank = NoCommonBank();
    id = "common";
  }
  const size_t i = rng.Uniform(bank.size());
  *template_id = id + "." + std::to_string(i);
  return FillTemplate(bank[i], v);
}

// The closing text of a question no listed tool answers: names its first lookup.
std::string DialogueRenderer::NoToolText(const Query& q, Rng& rng, std::string* template_id) const {
  const PatternTree& tree = TreeOf(q.pattern);
  std::array<std::string, 26> v;
  for (const QueryNode& node : tree.nodes) {
    if (node.op != QueryOp::kProject || tree.nodes[node.children[0]].op != QueryOp::kAnchor) {
      continue;
    }
    const kg::EntityId anchor = q.anchors[tree.nodes[node.children[0]].slot];
    v['S' - 'A'] = grammar_.HopPhrase(q.relations[node.slot], q.IsInverse(node.slot),
                                      kg::NameInText(graph_.entity(anchor).name), false);
    break;
  }
  auto bank = NoToolBank();
  const size_t i = rng.Uniform(bank.size());
  *template_id = "notool." + std::to_string(i);
  return FillTemplate(bank[i], v);
}

std::optional<Record> DialogueRenderer::Render(const SampleOutcome& sample,
                                               std::string_view split, uint64_t seed,
                                               uint64_t index, Rng& rng) const {
  KGF_CHECK(sample.query.has_value()) << "Render() of a rejected sample";
  const Query& q = *sample.query;
  const PatternTree& tree = TreeOf(q.pattern);
  const RecordOutcome outcome = sample.outcome;

  // Question first: a leak rejects before any other work.
  Question question = Ask(q, rng);
  std::vector<std::string> answers;
  if (outcome == RecordOutcome::kAnswered) answers = executor_.Names(sample.node_sets[tree.root]);
  if (Leaks(q, question.text, answers)) return std::nullopt;
  std::vector<PlannedCall> calls;
  std::string closing, closing_id;
  if (outcome == RecordOutcome::kNoTool) {
    closing = NoToolText(q, rng, &closing_id);
  } else {
    calls = PlanCalls(q, sample.node_sets);
    if (outcome != RecordOutcome::kAnswered) {
      closing = StopEarly(q, sample.node_sets, outcome, &calls, rng, &closing_id);
    }
  }
  std::optional<Mistake> mistake;
  if (calls.empty()) {
    // no_tool: nothing to call, nothing to get wrong
  } else if (PlainAnchor(q) >= 0) {
    // The user wrote the name without its suffix: the first call uses it as written, the
    // graph lists the candidates, the next turn picks the one of the right type.
    mistake = PlanResolution(calls.front(), rng);
  } else if (options_.reflection_share > 0 && rng.Bernoulli(options_.reflection_share)) {
    mistake = PlanMistakeAnyTurn(calls, rng);
  }

  Record r;
  r.id = "s" + std::to_string(seed) + "-" + std::to_string(index);
  r.kg_name = kg_.name;
  r.kg_checksum = kg_.checksum;
  r.pattern = std::string(PatternName(q.pattern));
  r.split = std::string(split);
  for (kg::EntityId a : q.anchors) r.anchors.push_back({graph_.entity(a).key, graph_.entity(a).name});
  for (kg::RelationId rel : q.relations) r.relations.push_back(graph_.relation(rel).key);
  r.inverse = q.inverse;
  r.inverse.resize(q.relations.size(), 0);
  r.structure = std::string(PatternStructure(q.pattern));
  r.program = std::string(PatternProgram(q.pattern));
  r.answers = answers;
  if (outcome != RecordOutcome::kAnswered) r.outcome = std::string(RecordOutcomeName(outcome));
  r.seed = seed;
  r.index = index;
  r.templates.question = question.frame;
  r.templates.reflection = mistake ? mistake->kind : "";

  // Tools: the needed ones (and a wrongly called real one) plus distractors, shuffled. A
  // no_tool dialogue lists no tool of the query's relations, in either direction.
  std::vector<const Tool*> listed;
  std::unordered_set<const Tool*> seen;
  if (outcome == RecordOutcome::kNoTool) {
    for (const Tool& t : catalog_.tools()) {
      if (LooksUpAnyOf(t, q.relations)) seen.insert(&t);
    }
  }
  for (const PlannedCall& c : calls) {
    if (seen.insert(c.tool).second) listed.push_back(c.tool);
  }
  if (mistake && mistake->listed && seen.insert(mistake->listed).second) {
    listed.push_back(mistake->listed);
  }
  const size_t wanted = listed.size() + static_cast<size_t>(std::max(0, options_.distractors));
  const size_t available = catalog_.size();
  for (int tries = 0; listed.size() < std::min(wanted, available) && tries < 8 * options_.distractors;
       ++tries) {
    const Tool* t = &catalog_.tools()[rng.Uniform(available)];
    if (seen.insert(t).second) listed.push_back(t);
  }
  rng.Shuffle(std::span<const Tool*>(listed));
  std::vector<const std::string*> fn_jsons;
  for (const Tool* t : listed) {
    r.tools.push_back({t->name, t->description, t->parameters_json});
    fn_jsons.push_back(&t->function_json);
  }

  SystemPromptChoice sys = PickSystemPrompt(rng);
  r.templates.system = sys.Id();
  r.messages.push_back({"system", RenderSystemPrompt(sys, fn_jsons), {}, "", ""});
  r.messages.push_back({"user", std::move(question.text), {}, "", ""});
  AppendTurns(calls, mistake, WantsThought(sys.style), rng, &r.messages);

  if (outcome != RecordOutcome::kAnswered) {
    r.messages.push_back({"assistant", std::move(closing), {}, "", ""});
    r.templates.answer = std::move(closing_id);
    return r;
  }
  auto abank = AnswerBank();
  size_t ai = rng.Uniform(abank.size());
  std::array<std::string, 26> l;
  l['L' - 'A'] = JoinNames(answers);
  l['N' - 'A'] = answers.size() > 1 ? "answers are" : "answer is";  // "the answers are A and B"
  r.messages.push_back({"assistant", FillTemplate(abank[ai], l), {}, "", ""});
  r.templates.answer = "a." + std::to_string(ai);
  return r;
}

// The assistant / tool turns: each planned turn (its reasoning text: the reflection after a
// mistake, else a thought when the style wants one), the mistake and its observation as a turn
// of their own just before the planned turn they belong to.
void DialogueRenderer::AppendTurns(std::vector<PlannedCall>& calls,
                                   const std::optional<Mistake>& mistake, bool thoughts, Rng& rng,
                                   std::vector<Message>* messages) const {
  // Result references: number[seq] is the result number ("#k") of the planned call `seq` once
  // its result is in; `results` counts every tool result so far, the mistake's too.
  int max_seq = -1;
  for (const PlannedCall& c : calls) max_seq = std::max(max_seq, c.seq);
  std::vector<int> number(static_cast<size_t>(max_seq + 1), 0);
  int results = 0;
  // {"sets":["#a","#b"]} / {"entities":"#a","within":"#b"}; "" when a list has no number.
  auto ref_arguments = [&](const PlannedCall& c, bool swapped) -> std::string {
    if (c.by_reference) {  // {"country":"#a"}
      const int src = c.sources.at(0);
      KGF_CHECK(src >= 0 && src <= max_seq && number[src] > 0) << "a hop before its input";
      return "{" + JsonQuote(c.tool->parameter) + ":\"#" + std::to_string(number[src]) + "\"}";
    }
    if (!options_.result_refs || c.tool->kind != ToolKind::kSet || c.sources.empty()) return "";
    std::vector<std::string> refs;
    for (int src : c.sources) {
      if (src < 0 || src > max_seq || number[src] == 0) return "";
      refs.push_back("\"#" + std::to_string(number[src]) + "\"");
    }
    if (c.tool->set_op == SetOp::kNegation) {
      if (refs.size() != 2) return "";
      if (swapped) std::swap(refs[0], refs[1]);
      return "{\"entities\":" + refs[0] + ",\"within\":" + refs[1] + "}";
    }
    std::string args = "{\"sets\":[";
    for (size_t k = 0; k < refs.size(); ++k) args += (k > 0 ? "," : "") + refs[k];
    return args + "]}";
  };
  int turn_no = 0;
  std::string text;
  for (size_t i = 0; i < calls.size();) {
    size_t j = i;
    while (j < calls.size() && calls[j].turn == calls[i].turn) ++j;
    if (mistake && mistake->turn == calls[i].turn) {
      ++turn_no;
      const std::string id = "call_" + std::to_string(turn_no) + "_0";
      std::string content =
          thoughts ? ThoughtText(StepText({calls.data() + i, j - i}), turn_no == 1, rng) : "";
      std::string arguments = mistake->arguments;
      for (size_t k = i; k < j && mistake->call_seq >= 0; ++k) {
        if (calls[k].seq != mistake->call_seq) continue;
        if (calls[k].by_reference) {  // the wrong tool on the same result: its real number
          const Tool* wrong = catalog_.Find(mistake->tool);
          KGF_CHECK(wrong != nullptr) << "a wrong hop by reference names no tool";
          arguments = "{" + JsonQuote(wrong->parameter) + ":\"#" +
                      std::to_string(number[calls[k].sources.at(0)]) + "\"}";
        } else if (std::string refs = ref_arguments(calls[k], mistake->swapped); !refs.empty()) {
          arguments = std::move(refs);
        }
      }
      messages->push_back({"assistant", std::move(content),
                           {{id, mistake->tool, std::move(arguments)}}, "", ""});
      messages->push_back({"tool", mistake->observation, {}, id, mistake->tool});
      ++results;
      text = mistake->reflection;
    }
    ++turn_no;
    if (text.empty() && thoughts) {
      text = ThoughtText(StepText({calls.data() + i, j - i}), turn_no == 1, rng);
    }
    Message assistant{"assistant", std::move(text), {}, "", ""};
    text.clear();
    for (size_t k = i; k < j; ++k) {
      std::string refs = ref_arguments(calls[k], false);
      assistant.tool_calls.push_back({"call_" + std::to_string(turn_no) + "_" +
                                          std::to_string(k - i),
                                      calls[k].tool->name,
                                      refs.empty() ? calls[k].arguments : std::move(refs)});
    }
    std::vector<Message> results_of_turn;
    for (size_t k = i; k < j; ++k) {
      results_of_turn.push_back({"tool", std::move(calls[k].observation), {},
                                 assistant.tool_calls[k - i].id, calls[k].tool->name});
      ++results;
      if (calls[k].seq >= 0) number[calls[k].seq] = results;
    }
    messages->push_back(std::move(assistant));
    for (Message& m : results_of_turn) messages->push_back(std::move(m));
    i = j;
  }
}

}  // namespace kgf::synth
