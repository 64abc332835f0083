// Dialogue rendering (KG2Tool / Ling §4.4): the query's tool chain becomes assistant turns
// whose observations are the executed sets, so the trace is correct by construction.
#include "synth/dialogue_renderer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include "base/json.h"
#include "synth/answer_leak.h"
#include "synth/templates.h"

namespace kgf::synth {
namespace {

struct PlannedCall {
  int turn;
  const Tool* tool;
  std::string arguments;
  std::string observation;
  std::string input;  // relation calls: the entity name passed
};

std::string ListJson(const std::vector<std::string>& names) { return NamesJson(names); }

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

std::optional<Record> DialogueRenderer::Render(const SampleOutcome& sample,
                                               std::string_view split, uint64_t seed,
                                               uint64_t index, Rng& rng) const {
  KGF_CHECK(sample.query.has_value()) << "Render() of a rejected sample";
  const Query& q = *sample.query;
  const PatternTree& tree = TreeOf(q.pattern);
  const std::vector<EntitySet>& sets = sample.node_sets;

  // Question first: a leak rejects before any other work.
  Question question = grammar_.Render(q, rng);
  std::vector<std::string> answers = executor_.Names(sets[tree.root]);
  std::vector<std::string> anchor_names;
  for (kg::EntityId a : q.anchors) anchor_names.push_back(graph_.entity(a).name);
  for (const std::string& a : answers) {
    if (AnswerLeaks(question.text, a, anchor_names)) return std::nullopt;
  }

  // Plan the calls: ready[n] = the turn after which node n's set is known.
  std::vector<int> ready(tree.nodes.size(), 0);
  std::vector<PlannedCall> calls;
  for (size_t n = 0; n < tree.nodes.size(); ++n) {
    const QueryNode& node = tree.nodes[n];
    if (node.op == QueryOp::kAnchor) continue;
    if (node.op == QueryOp::kProject) {
      int c = node.children[0];
      int turn = ready[c] + 1;
      const kg::RelationId rel = q.relations[node.slot];
      const bool inverse = q.IsInverse(node.slot);
      const Tool& tool = catalog_.Hop(rel, inverse);
      std::vector<std::string> inputs = executor_.Names(sets[c]);
      std::vector<std::string> partials;
      for (const std::string& name : inputs) {
        kg::EntityId x = *graph_.FindEntityByName(name);
        auto next = Neighbors(graph_, x, rel, inverse);
        std::string obs = ListJson(executor_.Names(EntitySet(next.begin(), next.end())));
        calls.push_back({turn, &tool, "{" + JsonQuote(tool.parameter) + ":" + JsonQuote(name) + "}",
                         obs, name});
        partials.push_back(std::move(obs));
      }
      ready[n] = turn;
      if (partials.size() > 1) {
        std::string args = "{\"sets\":[";
        for (size_t k = 0; k < partials.size(); ++k) {
          if (k > 0) args += ',';
          args += partials[k];
        }
        args += "]}";
        calls.push_back({turn + 1, &catalog_.SetTool(SetOp::kUnion), std::move(args),
                         ListJson(executor_.Names(sets[n])), ""});
        ready[n] = turn + 1;
      }
      continue;
    }
    int turn = 0;
    for (int c : node.children) turn = std::max(turn, ready[c]);
    ++turn;
    std::string args;
    const Tool* tool;
    if (node.op == QueryOp::kNegate) {
      tool = &catalog_.SetTool(SetOp::kNegation);
      args = "{\"entities\":" + ListJson(executor_.Names(sets[node.children[1]])) +
             ",\"within\":" + ListJson(executor_.Names(sets[node.children[0]])) + "}";
    } else {
      tool = &catalog_.SetTool(node.op == QueryOp::kIntersect ? SetOp::kIntersection
                                                               : SetOp::kUnion);
      args = "{\"sets\":[";
      for (size_t k = 0; k < node.children.size(); ++k) {
        if (k > 0) args += ',';
        args += ListJson(executor_.Names(sets[node.children[k]]));
      }
      args += "]}";
    }
    calls.push_back({turn, tool, std::move(args), ListJson(executor_.Names(sets[n])), ""});
    ready[n] = turn;
  }
  std::stable_sort(calls.begin(), calls.end(),
                   [](const PlannedCall& a, const PlannedCall& b) { return a.turn < b.turn; });

  Record r;
  r.id = "s" + std::to_string(seed) + "-" + std::to_string(index);
  r.kg_name = kg_.name;
  r.kg_checksum = kg_.checksum;
  r.pattern = std::string(PatternName(q.pattern));
  r.split = std::string(split);
  for (kg::EntityId a : q.anchors) {
    r.anchors.push_back({graph_.entity(a).key, graph_.entity(a).name});
  }
  for (kg::RelationId rel : q.relations) r.relations.push_back(graph_.relation(rel).key);
  r.inverse = q.inverse;
  r.inverse.resize(q.relations.size(), 0);
  r.structure = std::string(PatternStructure(q.pattern));
  r.program = std::string(PatternProgram(q.pattern));
  r.answers = answers;
  r.seed = seed;
  r.index = index;
  r.templates.question = question.frame;

  // Tools: the needed ones plus distractors, shuffled.
  std::vector<const Tool*> listed;
  std::unordered_set<const Tool*> seen;
  for (const PlannedCall& c : calls) {
    if (seen.insert(c.tool).second) listed.push_back(c.tool);
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

  // Optional self-reflection on the first call (a relation call on an anchor).
  int turn_no = 0;
  std::string reflection_text;
  if (options_.reflection_share > 0 && rng.Bernoulli(options_.reflection_share)) {
    const PlannedCall& first = calls.front();
    KGF_CHECK(first.tool->kind != ToolKind::kSet && !first.input.empty()) << "turn 1 must project an anchor";
    const Tool& tool = *first.tool;
    const std::string& anchor_name = first.input;  // turn 1 always projects an anchor
    std::string kind, wrong_tool = tool.name, wrong_args;
    switch (rng.Uniform(3)) {
      case 0: {
        std::string bad = Misspell(anchor_name, rng);
        if (!bad.empty() && !graph_.FindEntityByName(bad)) {
          kind = "misspelled_entity";
          wrong_args = "{" + JsonQuote(tool.parameter) + ":" + JsonQuote(bad) + "}";
        }
        break;
      }
      case 1: {
        std::string name = "fetch_" + tool.name.substr(tool.name.rfind("get_", 0) == 0 ? 4 : 0);
        if (catalog_.Find(name) == nullptr) {
          kind = "wrong_tool";
          wrong_tool = name;
          wrong_args = first.arguments;
        }
        break;
      }
      default: {
        std::string key = tool.parameter == "name" ? "entity" : "name";
        kind = "wrong_argument";
        wrong_args = "{" + JsonQuote(key) + ":" + JsonQuote(anchor_name) + "}";
        break;
      }
    }
    if (!kind.empty()) {
      CallOutcome outcome = executor_.Execute(wrong_tool, wrong_args);
      KGF_CHECK(!outcome.ok()) << "a deliberately wrong call succeeded: " << wrong_tool;
      ++turn_no;
      std::string id = "call_" + std::to_string(turn_no) + "_0";
      r.messages.push_back({"assistant", "", {{id, wrong_tool, wrong_args}}, "", ""});
      r.messages.push_back({"tool", ObservationJson(outcome), {}, id, wrong_tool});
      auto bank = ReflectionBank();
      size_t ri = rng.Uniform(bank.size());
      std::array<std::string, 26> e;
      e['E' - 'A'] = outcome.error->message;
      reflection_text = FillTemplate(bank[ri], e);
      r.templates.reflection = kind + "." + std::to_string(ri);
    }
  }

  for (size_t i = 0; i < calls.size();) {
    size_t j = i;
    while (j < calls.size() && calls[j].turn == calls[i].turn) ++j;
    ++turn_no;
    Message assistant{"assistant", std::move(reflection_text), {}, "", ""};
    reflection_text.clear();
    for (size_t k = i; k < j; ++k) {
      assistant.tool_calls.push_back({"call_" + std::to_string(turn_no) + "_" +
                                          std::to_string(k - i),
                                      calls[k].tool->name, calls[k].arguments});
    }
    r.messages.push_back(std::move(assistant));
    const Message& just = r.messages.back();
    std::vector<Message> results;
    for (size_t k = i; k < j; ++k) {
      results.push_back({"tool", std::move(calls[k].observation), {},
                         just.tool_calls[k - i].id, calls[k].tool->name});
    }
    for (Message& m : results) r.messages.push_back(std::move(m));
    i = j;
  }

  auto abank = AnswerBank();
  size_t ai = rng.Uniform(abank.size());
  std::array<std::string, 26> l;
  l['L' - 'A'] = JoinNames(answers);
  r.messages.push_back({"assistant", FillTemplate(abank[ai], l), {}, "", ""});
  r.templates.answer = "a." + std::to_string(ai);
  return r;
}

}  // namespace kgf::synth
