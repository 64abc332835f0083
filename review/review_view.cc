// Review view and session (review_view.h).
#include "review/review_view.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>

#include "base/file_util.h"
#include "base/json.h"
#include "kg/graph_store.h"
#include "synth/executor.h"
#include "synth/record_printer.h"

namespace kgf::review {
namespace {

constexpr size_t kMaxTriplesPerCall = 6;

std::string Bold(const std::string& s, bool color) {
  return color ? "\x1b[1m" + s + "\x1b[0m" : s;
}

// The result names of a tool message, or nullopt for an error object / non-list.
std::optional<std::vector<std::string>> ResultNames(const std::string& content) {
  auto doc = ParseJson(content, "result");
  if (!doc.ok() || !doc->IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const JsonValue& v : doc->GetArray()) {
    if (v.IsString()) out.push_back(v.GetString());
  }
  return out;
}

// `earlier`: the results of the record's calls before this one, in order (a hop may name one,
// "#k": its input is then every entity of that result).
std::vector<std::string> CallProvenance(const synth::ToolCall& call, const std::string& result,
                                        std::span<const std::string> earlier,
                                        const GraphContext& g) {
  const std::string head = "  " + call.name + "(" + call.arguments + ")";
  const synth::Tool* tool = g.catalog->Find(call.name);
  if (tool == nullptr) return {head + ": not a tool of this graph"};
  if (tool->kind == synth::ToolKind::kSet) {
    return {"  " + call.name + "(...): a set operation over earlier results"};
  }
  auto names = ResultNames(result);
  if (!names) return {head + ": returned an error (" + result.substr(0, 80) + ")"};
  auto args = ParseJson(call.arguments, "arguments");
  std::string arg;
  if (args.ok() && args->IsObject()) {
    auto it = args->FindMember(tool->parameter.c_str());
    if (it != args->MemberEnd() && it->value.IsString()) arg = it->value.GetString();
  }
  std::vector<kg::EntityId> inputs;
  if (const std::optional<kg::EntityId> e = g.graph->FindEntityByName(arg)) {
    inputs.push_back(*e);
  } else if (const int k = synth::ResultRefNumber(arg);
             k > 0 && static_cast<size_t>(k) <= earlier.size()) {
    auto from = ResultNames(earlier[static_cast<size_t>(k) - 1]);
    if (!from) return {head + ": " + arg + " is an error result, not a list"};
    for (const std::string& n : *from) {
      if (auto x = g.graph->FindEntityByName(n)) inputs.push_back(*x);
    }
  } else {
    return {head + ": '" + arg + "' is not an entity of the graph"};
  }
  const kg::RelationId r = tool->relation;
  const std::string& rel = g.graph->relation(r).key;
  std::vector<std::string> out = {head + ": " + std::to_string(names->size()) +
                                  " result(s), supported by"};
  size_t shown = 0, missing = 0;
  for (const std::string& n : *names) {
    const std::optional<kg::EntityId> other = g.graph->FindEntityByName(n);
    const bool inverse = tool->kind == synth::ToolKind::kInverse;
    // The first input with a triple to this result (one input unless the hop names a result).
    std::optional<kg::EntityId> e;
    for (kg::EntityId x : inputs) {
      std::span<const kg::EntityId> ends = inverse ? g.graph->Heads(r, x) : g.graph->Tails(x, r);
      if (other && std::find(ends.begin(), ends.end(), *other) != ends.end()) {
        e = x;
        break;
      }
    }
    if (!e) {
      ++missing;
      out.push_back("    (no triple for '" + n + "')");
      continue;
    }
    if (shown++ >= kMaxTriplesPerCall) continue;
    const std::string& a = g.graph->entity(inverse ? *other : *e).key;
    const std::string& b = g.graph->entity(inverse ? *e : *other).key;
    out.push_back("    " + a + " --" + rel + "--> " + b);
  }
  if (shown > kMaxTriplesPerCall) {
    out.push_back("    ... and " + std::to_string(shown - kMaxTriplesPerCall) + " more");
  }
  if (missing > 0) out[0] += " (" + std::to_string(missing) + " without a triple!)";
  return out;
}

}  // namespace

std::vector<std::string> Provenance(const synth::Record& record, const GraphContext& g) {
  std::vector<std::string> out;
  std::string anchors = "anchors:";
  for (const synth::AnchorRef& a : record.anchors) anchors += " " + a.name + " [" + a.key + "]";
  out.push_back(anchors);
  std::map<std::string, std::string> results;  // tool_call_id -> content
  for (const synth::Message& m : record.messages) {
    if (m.role == "tool") results[m.tool_call_id] = m.content;
  }
  std::vector<std::string> earlier;  // results in call order, for hops that name one ("#k")
  for (const synth::Message& m : record.messages) {
    for (const synth::ToolCall& c : m.tool_calls) {
      for (std::string& line : CallProvenance(c, results[c.id], earlier, g)) {
        out.push_back(std::move(line));
      }
      earlier.push_back(results[c.id]);
    }
  }
  return out;
}

std::string FormatItem(const ReviewItem& item, const std::optional<Decision>& decision,
                       const GraphContext* graph, const std::string& position, bool color) {
  const synth::Record& r = item.record;
  std::string out = Bold("[" + position + "] " + r.id, color) + "  pattern " + r.pattern +
                    ", split " + r.split + ", template " + r.templates.system + " / " +
                    r.templates.question + (r.templates.reflection.empty() ? "" : ", reflection " +
                                            r.templates.reflection) +
                    (r.outcome.empty() ? "" : ", outcome " + r.outcome) + "\n  from " + item.where +
                    "\n";
  out += synth::FormatRecord(r, /*full_system=*/false, color);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += Bold("checks:", color) + " " + item.automatic;
  if (item.dropped_by_review) {
    out += "; dropped by a reviewer's decision (" + item.reason + ")";
  } else if (!item.reason.empty()) {
    out += " (" + item.reason + ")";
  }
  out += "\n";
  for (const TrailStep& t : item.trail) {
    out += "  " + std::string(t.passed ? "ok   " : "DROP ") + t.check;
    if (!t.passed) out += ": " + t.reason + (t.detail.empty() ? "" : " - " + t.detail);
    out += "\n";
  }
  if (graph != nullptr && graph->graph != nullptr) {
    out += Bold("provenance:", color) + "\n";
    for (const std::string& line : Provenance(r, *graph)) out += "  " + line + "\n";
  }
  if (decision) {
    out += Bold("decision: " + decision->decision, color);
    if (!decision->reason.empty()) out += " (" + decision->reason + ")";
    if (!decision->note.empty()) out += ", note: " + decision->note;
    out += " by " + decision->reviewer + " at " + decision->time + "\n";
  } else {
    out += Bold("decision: none", color) + "\n";
  }
  return out;
}

std::optional<std::string> CleanPromptLine(std::string_view typed) {
  std::string out;
  for (size_t i = 0; i < typed.size(); ++i) {
    const auto c = static_cast<unsigned char>(typed[i]);
    if (c == 0x1b) {
      const char next = i + 1 < typed.size() ? typed[i + 1] : '\0';
      if (next == '[') {  // CSI: an arrow or function key; up to its final byte
        i += 2;
        while (i < typed.size() && !(typed[i] >= 0x40 && typed[i] <= 0x7e)) ++i;
        continue;
      }
      if (next == 'O') {  // SS3: an arrow key in application mode
        i += 2;
        continue;
      }
      return std::nullopt;  // a lone Esc: cancel
    }
    if (c == '\t') {
      out += ' ';
      continue;
    }
    if (c < 0x20 || c == 0x7f) continue;
    if (c == 0xc2 && i + 1 < typed.size() && static_cast<unsigned char>(typed[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(typed[i + 1]) <= 0x9f) {
      ++i;  // a C1 control character
      continue;
    }
    out += static_cast<char>(c);
  }
  const size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return std::string();
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

Status CheckStoreLocation(const std::string& in, const std::string& db) {
  if (!IsCorpusFolder(in)) return Status::Ok();
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path corpus = fs::weakly_canonical(in, ec);
  const fs::path store = fs::weakly_canonical(db, ec).parent_path();
  // Outside the corpus folder when the relative path climbs out of it ("../x"; not "..x").
  const fs::path rel = store.lexically_relative(corpus);
  if (!ec && !rel.empty() && *rel.begin() == "..") return Status::Ok();
  std::string sources, example;
  if (Result<std::vector<std::string>> from = CorpusRecordSources(in); from.ok()) {
    for (const std::string& f : *from) sources += (sources.empty() ? "" : ", ") + f;
    if (!from->empty()) example = from->front();
  }
  if (example.empty()) example = "FILTER_OUTPUT";
  return FailedPreconditionError(
      in + " is a corpus folder: decisions stored there (" + db + ") are never read, and a "
      "rebuild replaces the folder. Decide on the filter output the corpus was built from" +
      (sources.empty() ? std::string() : " (" + sources + ")") + ": kgforge review " + example +
      ", or here with --db " + JoinPath(example, "review.sqlite") +
      " (the record ids are the same); a review_decisions step in the filter config then drops the rejected records and the "
      "next corpus build leaves them out. Printing with --plain needs no store");
}

bool AnsiAllowed() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return !(no_color != nullptr && no_color[0] != '\0') &&
         !(term != nullptr && std::string_view(term) == "dumb");
}

std::string DefaultDbPath(const std::string& in) {
  if (IsDirectory(in)) return JoinPath(in, "review.sqlite");
  const std::string dir = Dirname(in);
  return JoinPath(dir.empty() ? "." : dir, "review.sqlite");
}

namespace {

// Raw single-key input on a terminal; restored on destruction.
class RawTerminal {
 public:
  RawTerminal() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() { Restore(); }
  void Restore() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  void Resume() {
    if (!active_) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

// One key; arrows map to 'n' / 'p'. -1 at end of input.
int ReadKey() {
  unsigned char c = 0;
  if (::read(STDIN_FILENO, &c, 1) != 1) return -1;
  if (c != 0x1b) return c;
  unsigned char seq[2] = {0, 0};
  if (::read(STDIN_FILENO, &seq[0], 1) != 1 || ::read(STDIN_FILENO, &seq[1], 1) != 1) return 0x1b;
  if (seq[0] == '[' && seq[1] == 'C') return 'n';
  if (seq[0] == '[' && seq[1] == 'D') return 'p';
  return 0;
}

// A line typed at a prompt (the terminal's line editor on), cleaned by CleanPromptLine;
// nullopt when the reviewer pressed Esc or input ended.
std::optional<std::string> ReadLine(RawTerminal& term, const std::string& prompt) {
  term.Restore();
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  std::string line;
  int c;
  while ((c = std::fgetc(stdin)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  term.Resume();
  if (c == EOF && line.empty()) return std::nullopt;
  return CleanPromptLine(line);
}

}  // namespace

namespace {

// What one `kgforge review` works on: the items, the decisions (a store, when there is one),
// the graph for the triples behind a record, and the current selection.
struct ReviewSession {
  const ReviewOptions& options;
  std::vector<ReviewItem> items;
  std::string db_path;
  std::optional<DecisionStore> store;
  std::optional<kg::OpenedGraph> opened;
  std::optional<synth::ToolCatalog> catalog;
  GraphContext graph;
  std::string reviewer;
  Selection sel;
  std::vector<size_t> order;  // indices into items, as selected

  explicit ReviewSession(const ReviewOptions& o) : options(o) {}
  ReviewSession(const ReviewSession&) = delete;  // graph points into opened / catalog

  // Recomputes the selection (the reviewed set first: "unreviewed" filters depend on it).
  Status Select() {
    sel.reviewed.clear();
    if (store) {
      KGF_ASSIGN_OR_RETURN(std::vector<Decision> all, store->All());
      for (const Decision& d : all) sel.reviewed.insert(d.record_id);
    }
    order = SelectItems(items, sel);
    return Status::Ok();
  }
  Result<std::optional<Decision>> DecisionOf(const std::string& id) const {
    if (!store) return std::optional<Decision>();
    return store->Get(id);
  }
  // The k-th selected item as text, with its decision and (given a graph) its triples.
  Result<std::string> Show(size_t k) const {
    const ReviewItem& item = items[order[k]];
    KGF_ASSIGN_OR_RETURN(std::optional<Decision> d, DecisionOf(item.record.id));
    return FormatItem(item, d, options.kg.empty() ? nullptr : &graph,
                      std::to_string(k + 1) + "/" + std::to_string(order.size()), options.color);
  }
  // Records a decision (or, with decision "", a note on the existing one) for the k-th item.
  // Returns what it replaced, as a line for the reviewer ("" for a first decision).
  Result<std::string> Decide(size_t k, const std::string& decision, const std::string& reason,
                             const std::string& note) {
    const ReviewItem& item = items[order[k]];
    Decision d;
    KGF_ASSIGN_OR_RETURN(std::optional<Decision> old, store->Get(item.record.id));
    if (old) d = *old;
    d.record_id = item.record.id;
    d.decision = decision.empty() ? d.decision : decision;
    // A note alone keeps the stored reason, cleaned (a row from before control characters
    // were refused must not block it).
    d.reason = decision.empty() ? WithoutControlCharacters(d.reason) : reason;
    d.note = note;  // empty: Mark keeps the earlier one
    d.reviewer = reviewer;
    d.time.clear();
    d.pattern = item.record.pattern;
    d.template_id = item.record.templates.system;
    d.tools = item.tools();
    d.automatic = item.automatic;
    if (d.decision.empty()) return InvalidArgumentError("accept or reject before adding a note");
    KGF_ASSIGN_OR_RETURN(std::optional<Decision> was, store->Mark(d));
    if (!was || decision.empty()) return std::string();
    if (d.note.empty()) d.note = WithoutControlCharacters(was->note);  // as Mark kept it
    return DescribeChange(*was, d);
  }
};

// Printing only reads decisions: no store is created beside the data, and read-only data
// works; the interactive view creates the store on first use.
Status OpenSession(bool interactive, ReviewSession* s) {
  KGF_ASSIGN_OR_RETURN(s->items, LoadReviewItems(s->options.in));
  s->db_path = s->options.db.empty() ? DefaultDbPath(s->options.in) : s->options.db;
  if (interactive) {
    KGF_RETURN_IF_ERROR(CheckStoreLocation(s->options.in, s->db_path));
    KGF_ASSIGN_OR_RETURN(DecisionStore st, DecisionStore::Open(s->db_path));
    s->store.emplace(std::move(st));
  } else if (FileExists(s->db_path)) {
    KGF_ASSIGN_OR_RETURN(DecisionStore st, DecisionStore::OpenReadOnly(s->db_path));
    s->store.emplace(std::move(st));
  }
  if (!s->options.kg.empty()) {
    KGF_ASSIGN_OR_RETURN(kg::OpenedGraph g, kg::OpenGraph(s->options.kg));
    s->opened = std::move(g);
    KGF_ASSIGN_OR_RETURN(synth::ToolCatalog c, synth::ToolCatalog::Build(s->opened->graph));
    s->catalog = std::move(c);
    s->graph = {&s->opened->graph, &*s->catalog};
  }
  s->reviewer = s->options.reviewer;
  if (s->reviewer.empty()) s->reviewer = std::getenv("USER") ? std::getenv("USER") : "reviewer";
  s->sel = s->options.selection;
  KGF_RETURN_IF_ERROR(CheckSelection(s->items, s->sel));
  return s->Select();
}

// a / r / c on the k-th selected record: accept, reject (asks for a reason; Esc cancels, an
// empty one is refused), or a note on an existing decision. Returns the message to show; moves
// *k on to the next record after a decision. Errors: the store failing.
Result<std::string> DecideByKey(ReviewSession& s, RawTerminal& term, int key, size_t* k) {
  std::string decision, reason, note;
  if (key == 'a') decision = "accept";
  if (key == 'r') {
    const std::optional<std::string> typed = ReadLine(term, "reason (Esc Enter cancels): ");
    if (!typed) return std::string("reject cancelled; nothing saved");
    if (typed->empty()) return std::string("a reject needs a reason; nothing saved (r to try again)");
    decision = "reject";
    reason = *typed;
  }
  if (key == 'c') {
    // Asked before the note is typed, so no note is thrown away.
    KGF_ASSIGN_OR_RETURN(std::optional<Decision> d, s.DecisionOf(s.items[s.order[*k]].record.id));
    if (!d) return std::string("accept (a) or reject (r) this record before adding a note");
    const std::optional<std::string> typed = ReadLine(term, "note (Esc Enter cancels): ");
    if (!typed) return std::string("note cancelled");
    if (typed->empty()) return std::string("empty note; nothing saved");
    note = *typed;
  }
  Result<std::string> change = s.Decide(*k, decision, reason, note);
  if (!change.ok()) {
    if (change.status().code() != StatusCode::kInvalidArgument) return change.status();
    return change.status().message();
  }
  if (key == 'c') return std::string("note saved");
  const std::string saved = "saved " + s.items[s.order[*k]].record.id +
                            (change->empty() ? "" : ": " + *change);
  *k = std::min(*k + 1, s.order.size() - 1);
  return saved;
}

// The terminal view: one record at a time, keys to move, decide, search, filter and sample.
Result<int64_t> RunInteractive(ReviewSession& s) {
  RawTerminal term;
  size_t k = 0;
  int64_t shown = 0;
  std::string message;
  while (true) {
    std::string screen = s.options.clear_screen ? "\x1b[2J\x1b[H" : "\n----\n";
    if (s.order.empty()) {
      screen += "no record matches (f: change the filter, /: search, q: quit)\n";
    } else {
      KGF_ASSIGN_OR_RETURN(std::string text, s.Show(k));
      screen += text;
      ++shown;
    }
    screen += "\n" + message + "\n[n]ext [p]rev [a]ccept [r]eject [c]omment [u]nreviewed "
              "[/]search [f]ilter [s]ample [q]uit  (store: " + s.db_path + ")\n";
    std::fputs(screen.c_str(), stdout);
    std::fflush(stdout);
    message.clear();
    const int key = ReadKey();
    if (key == 'q' || key == -1) break;
    if (key == '/' || key == 'f' || key == 's') {
      if (key == '/') {
        const std::optional<std::string> text = ReadLine(term, "search (id or text, empty = all): ");
        if (!text) continue;
        s.sel.search = *text;
      }
      if (key == 'f') {
        const std::optional<std::string> text =
            ReadLine(term, "filter (pattern=.. split=.. tool=.. reason=..): ");
        if (!text) continue;
        if (Status st = ParseFilterLine(*text, s.items, &s.sel); !st.ok()) {
          message = st.message() + "; selection unchanged";
          continue;
        }
      }
      if (key == 's') {
        const std::optional<std::string> n = ReadLine(term, "sample size (0 = all): ");
        if (!n) continue;
        Result<int64_t> size = ParseSampleSize(*n);
        if (!size.ok()) {
          message = size.status().message() + "; selection unchanged";
          continue;
        }
        s.sel.sample = *size;
        ++s.sel.seed;
      }
      KGF_RETURN_IF_ERROR(s.Select());
      k = 0;
      message = s.order.empty() ? std::string("0 records match")
                                : std::to_string(s.order.size()) + " record(s) selected";
      continue;
    }
    if (s.order.empty()) continue;
    if (key == 'n' || key == ' ') k = std::min(k + 1, s.order.size() - 1);
    if (key == 'p') k = k > 0 ? k - 1 : 0;
    if (key == 'u') {  // the next record without a decision, wrapping around
      bool found = false;
      for (size_t step = 1; step <= s.order.size() && !found; ++step) {
        const size_t j = (k + step) % s.order.size();
        KGF_ASSIGN_OR_RETURN(std::optional<Decision> d, s.DecisionOf(s.items[s.order[j]].record.id));
        if (!d) {
          k = j;
          found = true;
        }
      }
      if (!found) message = "every selected record has a decision";
    }
    if (key == 'a' || key == 'r' || key == 'c') {
      KGF_ASSIGN_OR_RETURN(message, DecideByKey(s, term, key, &k));
    }
  }
  std::fputs("\n", stdout);
  return shown;
}

}  // namespace

Result<int64_t> RunReview(const ReviewOptions& options, bool interactive) {
  ReviewSession s(options);
  KGF_RETURN_IF_ERROR(OpenSession(interactive, &s));
  if (interactive) return RunInteractive(s);
  for (size_t k = 0; k < s.order.size(); ++k) {
    KGF_ASSIGN_OR_RETURN(std::string text, s.Show(k));
    std::fputs((text + "\n").c_str(), stdout);
  }
  return static_cast<int64_t>(s.order.size());
}

}  // namespace kgf::review
