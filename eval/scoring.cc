// Dialogue scores against the gold program (see scoring.h).
#include "eval/scoring.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/hash.h"
#include "base/json.h"
#include "synth/executor.h"

namespace kgf::eval {
namespace {

void SortKeys(JsonValue& v) {
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) SortKeys(it->value);
    std::sort(v.MemberBegin(), v.MemberEnd(), [](const auto& a, const auto& b) {
      return std::string_view(a.name.GetString(), a.name.GetStringLength()) <
             std::string_view(b.name.GetString(), b.name.GetStringLength());
    });
  } else if (v.IsArray()) {
    for (auto& x : v.GetArray()) SortKeys(x);
  }
}

bool MatchesSchema(const JsonValue& v, const JsonValue& schema);

// One JSON Schema type name against a value (arrays: their items; objects: their properties).
bool MatchesType(std::string_view t, const JsonValue& v, const JsonValue& schema) {
  if (t == "string") return v.IsString();
  if (t == "array") {
    if (!v.IsArray()) return false;
    auto items = schema.FindMember("items");
    if (items == schema.MemberEnd()) return true;
    for (const auto& x : v.GetArray()) {
      if (!MatchesSchema(x, items->value)) return false;
    }
    return true;
  }
  if (t == "object") {
    if (!v.IsObject()) return false;
    auto props = schema.FindMember("properties");
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      if (props == schema.MemberEnd() || !props->value.IsObject()) return false;
      auto p = props->value.FindMember(it->name);
      if (p == props->value.MemberEnd() || !MatchesSchema(it->value, p->value)) return false;
    }
    auto req = schema.FindMember("required");
    if (req != schema.MemberEnd() && req->value.IsArray()) {
      for (const auto& k : req->value.GetArray()) {
        if (!k.IsString() || !v.HasMember(k)) return false;
      }
    }
    return true;
  }
  return true;
}

// JSON Schema subset used by tool catalogs: type string / array (items) / object (properties,
// required, no unknown keys), or a list of those ("type":["array","string"]: a list of names or
// a result reference).
bool MatchesSchema(const JsonValue& v, const JsonValue& schema) {
  if (!schema.IsObject()) return true;
  auto type = schema.FindMember("type");
  if (type == schema.MemberEnd()) return true;
  if (type->value.IsString()) {
    return MatchesType({type->value.GetString(), type->value.GetStringLength()}, v, schema);
  }
  if (!type->value.IsArray()) return true;
  for (const auto& t : type->value.GetArray()) {
    if (t.IsString() && MatchesType({t.GetString(), t.GetStringLength()}, v, schema)) return true;
  }
  return false;
}

std::vector<std::string> NamesOf(const std::string& observation) {
  std::vector<std::string> out;
  auto doc = ParseJson(observation, "observation");
  if (!doc.ok() || !doc->IsArray()) return out;
  for (const auto& x : doc->GetArray()) {
    if (x.IsString()) out.emplace_back(x.GetString(), x.GetStringLength());
  }
  return out;
}

bool WordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Replaces each whole-word occurrence of `name` in *text (exact case: names are proper names,
// "Answer" the word is not the entity "answer") by spaces; true if there was one.
bool BlankWords(std::string* text, std::string_view name) {
  bool found = false;
  std::string& t = *text;
  for (size_t i = 0; i + name.size() <= t.size(); ++i) {
    bool match = true;
    for (size_t k = 0; k < name.size() && match; ++k) match = t[i + k] == name[k];
    if (!match) continue;
    const bool left = i == 0 || !WordByte(t[i - 1]) || !WordByte(name.front());
    const size_t end = i + name.size();
    const bool right = end == t.size() || !WordByte(t[end]) || !WordByte(name.back());
    if (!left || !right) continue;
    std::fill(t.begin() + i, t.begin() + end, ' ');
    found = true;
  }
  return found;
}

bool IsError(const std::string& observation) {
  auto doc = ParseJson(observation, "observation");
  return !doc.ok() || !doc->IsArray();
}

}  // namespace

std::string CanonicalArguments(std::string_view json, std::span<const std::string> earlier) {
  rapidjson::Document doc;
  if (!ParseJsonDepthLimited(json, &doc) || doc.HasParseError() || !doc.IsObject()) return "";
  // Result references stand where a list or a hop's input does: an item of "sets", or a
  // top-level argument ("entities", "within", a relation tool's parameter), never deeper. (A
  // graph with an entity named like "#2" would see its name scored as the reference; the
  // executor looks such a name up first.)
  auto resolve = [&](JsonValue& v) {
    if (!v.IsString()) return;
    const int k = synth::ResultRefNumber({v.GetString(), v.GetStringLength()});
    if (k > 0 && static_cast<size_t>(k) <= earlier.size()) {
      const std::string& call = earlier[static_cast<size_t>(k) - 1];
      v.SetString(call.data(), static_cast<rapidjson::SizeType>(call.size()), doc.GetAllocator());
    }
  };
  synth::ForEachReferenceSlot(doc, resolve);
  SortKeys(doc);
  return JsonToString(doc);
}

std::string CanonicalCall(std::string_view name, std::string_view arguments,
                          std::span<const std::string> earlier) {
  // A fixed-size stand-in (the hash of the full form): a chain of references to references
  // would otherwise double in length with every link.
  return std::string(name) + "#" + Hex64(Hash64(CanonicalArguments(arguments, earlier)));
}

bool IsMistake(const synth::Record& r) { return synth::MistakeTurn(r) > 0; }

std::vector<std::vector<std::pair<std::string, std::string>>> GoldProgram(const synth::Record& r) {
  std::vector<std::vector<std::pair<std::string, std::string>>> turns;
  const int mistake = synth::MistakeTurn(r);
  int turn_no = 0;
  std::vector<std::string> earlier;  // every call so far, the wrong one too (it has a number)
  for (const synth::Message& m : r.messages) {
    if (m.role != "assistant" || m.tool_calls.empty()) continue;
    if (++turn_no == mistake) {  // the deliberate wrong call of a self-reflection sample
      for (const synth::ToolCall& c : m.tool_calls) {
        earlier.push_back(CanonicalCall(c.name, c.arguments, earlier));
      }
      continue;
    }
    std::vector<std::pair<std::string, std::string>> turn;
    for (const synth::ToolCall& c : m.tool_calls) {
      turn.emplace_back(c.name, CanonicalArguments(c.arguments, earlier));
    }
    for (const synth::ToolCall& c : m.tool_calls) {
      earlier.push_back(CanonicalCall(c.name, c.arguments, earlier));
    }
    std::sort(turn.begin(), turn.end());
    turns.push_back(std::move(turn));
  }
  return turns;
}

bool CallIsValid(const AgentCall& call, const synth::Record& record) {
  if (!call.parsed) return false;
  for (const synth::FunctionSpec& f : record.tools) {
    if (f.name != call.name) continue;
    auto schema = ParseJson(f.parameters, "parameters");
    auto args = ParseJson(call.arguments, "arguments");
    return schema.ok() && args.ok() && MatchesSchema(*args, *schema);
  }
  return false;  // not a listed tool
}

namespace {

// Every string value of a JSON value, at any depth.
void CollectStrings(const JsonValue& v, std::set<std::string>* out) {
  if (v.IsString()) {
    out->emplace(v.GetString(), v.GetStringLength());
  } else if (v.IsArray()) {
    for (const auto& x : v.GetArray()) CollectStrings(x, out);
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) CollectStrings(it->value, out);
  }
}

// The first-turn anchor counts of DialogueScore (scoring.h).
void ScoreFirstTurnAnchors(const synth::Record& record, const Dialogue& d, DialogueScore* s) {
  std::string question;
  for (const synth::Message& m : record.messages) {
    if (m.role == "user") {
      question = m.content;
      break;
    }
  }
  std::set<std::string> named;
  for (const AgentTurn& t : d.turns) {
    if (t.calls.empty()) continue;
    for (const AgentCall& c : t.calls) {
      if (!c.parsed) continue;
      JsonDoc doc;
      if (ParseJsonDepthLimited(c.arguments, &doc) && !doc.HasParseError()) {
        CollectStrings(doc, &named);
      }
    }
    break;
  }
  std::set<std::string> counted;
  for (const synth::AnchorRef& a : record.anchors) {
    if (a.name.empty() || question.find(a.name) == std::string::npos) continue;
    if (!counted.insert(a.name).second) continue;
    ++s->anchors;
    s->anchors_copied += named.count(a.name) > 0;
  }
}

}  // namespace

DialogueScore ScoreDialogue(const synth::Record& record, const Dialogue& d) {
  DialogueScore s;
  ScoreFirstTurnAnchors(record, d, &s);
  s.turns = static_cast<int>(d.turns.size());
  s.tokens = d.generated_tokens;
  std::vector<std::vector<std::pair<std::string, std::string>>> got;
  std::string last_result;
  bool last_turn_empty = false;  // a call of the last call turn returned []
  size_t call_turn = 0;
  // Candidate mentions: the gold answers and every name a call returned; an anchor repeated
  // from the question ("The capital of France is Paris") is not an answer given.
  std::set<std::string> seen_names(record.answers.begin(), record.answers.end());
  std::set<std::string> last_turn_names;  // what the last call turn returned
  std::vector<std::string> earlier;  // canonical form of every call so far (result references)
  for (const AgentTurn& t : d.turns) {
    if (t.calls.empty()) continue;
    std::vector<std::pair<std::string, std::string>> turn;
    last_turn_empty = false;
    last_turn_names.clear();
    for (size_t k = 0; k < t.calls.size(); ++k) {
      const AgentCall& c = t.calls[k];
      ++s.calls;
      s.valid_calls += CallIsValid(c, record);
      turn.emplace_back(c.name, c.parsed ? CanonicalArguments(c.arguments, earlier) : c.raw);
      if (call_turn < d.observations.size() && k < d.observations[call_turn].size()) {
        const std::string& obs = d.observations[call_turn][k];
        if (!IsError(obs)) {
          last_result = obs;
          std::vector<std::string> found = NamesOf(obs);
          last_turn_empty = last_turn_empty || found.empty();
          last_turn_names.insert(found.begin(), found.end());
          for (std::string& n : found) seen_names.insert(std::move(n));
        }
      }
    }
    for (const AgentCall& c : t.calls) {
      earlier.push_back(c.parsed ? CanonicalCall(c.name, c.arguments, earlier) : c.raw);
    }
    std::sort(turn.begin(), turn.end());
    got.push_back(std::move(turn));
    ++call_turn;
  }
  for (const synth::AnchorRef& a : record.anchors) {
    if (std::find(record.answers.begin(), record.answers.end(), a.name) == record.answers.end()) {
      seen_names.erase(a.name);
    }
  }
  s.chain_exact = got == GoldProgram(record);
  if (record.outcome == "no_tool") {
    s.executed_answer = s.calls == 0;  // the right move is not to call
  } else if (!record.outcome.empty()) {
    // no_answer / empty_step: the dialogue ends at a call turn that came back empty.
    s.executed_answer = last_turn_empty;
  } else if (!last_result.empty()) {
    std::vector<std::string> names = NamesOf(last_result);
    std::sort(names.begin(), names.end());
    std::vector<std::string> gold = record.answers;
    std::sort(gold.begin(), gold.end());
    s.executed_answer = names == gold;
  }
  // Names in the final message, longest first, each occurrence blanked once counted: "Congo"
  // inside "Republic of the Congo" is not a mention of its own.
  std::vector<std::string> names(seen_names.begin(), seen_names.end());
  std::stable_sort(names.begin(), names.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string text = d.final_text;
  std::vector<std::string> kept;
  for (const std::string& n : names) {
    if (!n.empty() && BlankWords(&text, n)) kept.push_back(n);
  }
  const std::set<std::string> gold(record.answers.begin(), record.answers.end());
  int hit = 0;
  for (const std::string& n : kept) hit += gold.count(n) > 0;
  if (gold.empty()) {
    // No answer is the right answer: full marks unless the final message offers what the last
    // call turn returned as answers. Names from earlier turns may explain the stop ("The graph
    // has no entry for the capital of Paris").
    const bool claims = std::any_of(kept.begin(), kept.end(), [&](const std::string& n) {
      return last_turn_names.count(n) > 0;
    });
    s.precision = s.recall = s.f1 = claims ? 0.0 : 1.0;
    return s;
  }
  s.precision = kept.empty() ? 0.0 : double(hit) / kept.size();
  s.recall = double(hit) / gold.size();
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

void ScoreRow::Add(const DialogueScore& s) {
  ++dialogues;
  calls += s.calls;
  valid_calls += s.valid_calls;
  chain_exact += s.chain_exact;
  executed_answer += s.executed_answer;
  precision += s.precision;
  recall += s.recall;
  f1 += s.f1;
  turns += s.turns;
  tokens += static_cast<double>(s.tokens);
  anchors += s.anchors;
  anchors_copied += s.anchors_copied;
}

void ScoreRow::Finish() {
  if (dialogues == 0) return;
  for (double* v : {&chain_exact, &executed_answer, &precision, &recall, &f1, &turns, &tokens}) {
    *v /= dialogues;
  }
}

}  // namespace kgf::eval
