// `kgforge review`: sample, read and judge records of a synth or filter output
// (review/review_view.h); `review mark` records a decision from a script; `review stats`
// reports acceptance and agreement with the automatic checks (review/review_stats.h).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "review/decision_store.h"
#include "review/review_items.h"
#include "review/review_stats.h"
#include "review/review_view.h"

namespace kgf::cli {
namespace {

void AddSelection(CLI::App* c, review::Selection& s) {
  // Checked on the text: CLI11 would take an out-of-range number silently.
  c->add_option("--sample", s.sample, "a random sample of this many records (0: all)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            Result<int64_t> n = review::ParseSampleSize(text);
            return n.ok() ? "" : n.status().message();
          },
          "N>=0"))
      ->capture_default_str();
  c->add_option("--seed", s.seed, "seed of the sample")->capture_default_str();
  c->add_option("--pattern", s.pattern, "only this pattern (1p, 2i, ...)");
  c->add_option("--split", s.split, "only this split (train, valid, test)");
  c->add_option("--reason", s.reason, "only records rejected with a reason starting so");
  c->add_option("--tool", s.tool, "only records calling this tool");
  c->add_option("--search", s.search, "a record id, or text of the question, an anchor or answer");
}

// `review --db x mark ...`: options given to `review` before a subcommand. --db (and --reviewer
// for mark) carry over when the subcommand has none of its own; two different values, or any
// option only the viewer uses, is a usage error naming it (never silently ignored). Returns the
// message, "" when fine.
std::string ParentOptions(CLI::App* parent, const std::string& sub,
                          const std::vector<std::pair<std::string, std::string*>>& carried,
                          const review::ReviewOptions& o) {
  for (const CLI::Option* opt : parent->get_options()) {
    if (opt->count() == 0) continue;
    const std::string name = opt->get_name();
    const auto it = std::find_if(carried.begin(), carried.end(),
                                 [&](const auto& c) { return c.first == name; });
    if (it == carried.end()) {
      return "kgforge review " + sub + ": " +
             (name == "in" ? "the data '" + o.in + "' is given before `" + sub +
                                 "`; give it after: kgforge review " + sub + " DIR ..."
                           : name + " (given before `" + sub + "`) is an option of the viewer "
                                    "(kgforge review DIR ...), not of `review " + sub + "`");
    }
    const std::string& given = name == "--db" ? o.db : o.reviewer;
    std::string& own = *it->second;
    if (own.empty()) {
      own = given;
    } else if (own != given) {
      return "kgforge review " + sub + ": " + name + " is given twice, '" + given + "' before `" +
             sub + "` and '" + own + "' after it; give it once";
    }
  }
  return "";
}

void SetupReviewCommand(CLI::App& root) {
  auto o = std::make_shared<review::ReviewOptions>();
  CLI::App* c = root.add_subcommand(
      "review", "Review records: question, calls, check trail and graph provenance; accept or "
                "reject them (interactive on a terminal, plain text otherwise)");
  // Not required by the parser: `review mark` / `review stats` take their own (a required
  // positional here would swallow the subcommand's name).
  c->add_option("in", o->in, "synth output dir, filter output dir (kept + rejected), or a .jsonl[.zst]");
  c->add_option("--db", o->db, "review store (default: review.sqlite beside the data)");
  c->add_option("--kg", o->kg, "graph store, to show each call's supporting triples");
  c->add_option("--reviewer", o->reviewer, "name stored with decisions (default: $USER)");
  c->add_flag("--plain", o->plain, "print instead of the interactive view");
  AddSelection(c, o->selection);

  auto mark = std::make_shared<review::Decision>();
  auto mark_db = std::make_shared<std::string>();
  auto mark_in = std::make_shared<std::string>();
  CLI::App* m = c->add_subcommand("mark", "record a decision without the interactive view");
  m->add_option("in", *mark_in, "the reviewed data (synth or filter output)")->required();
  m->add_option("--id", mark->record_id, "record id")->required();
  m->add_option("--decision", mark->decision, "accept or reject")
      ->check(CLI::IsMember({"accept", "reject"}))
      ->required();
  m->add_option("--reason", mark->reason, "why (for reject)");
  m->add_option("--note", mark->note, "a note");
  m->add_option("--reviewer", mark->reviewer, "name (default: $USER)");
  m->add_option("--db", *mark_db, "review store (default: review.sqlite beside the data)");
  m->callback([mark, mark_db, mark_in, o, c] {
    if (std::string misuse = ParentOptions(
            c, "mark", {{"--db", mark_db.get()}, {"--reviewer", &mark->reviewer}}, *o);
        !misuse.empty()) {
      std::fputs((misuse + "\n").c_str(), stderr);
      SetExitCode(2);
      return;
    }
    if (mark->decision == "reject" && mark->reason.find_first_not_of(' ') == std::string::npos) {
      ReportError(InvalidArgumentError(
          "review mark: a reject needs a reason; pass --reason \"what is wrong with it\""));
      return;
    }
    const std::string db = mark_db->empty() ? review::DefaultDbPath(*mark_in) : *mark_db;
    if (Status st = review::CheckStoreLocation(*mark_in, db); !st.ok()) {
      ReportError(st);
      return;
    }
    auto items = review::LoadReviewItems(*mark_in);
    if (!items.ok()) {
      ReportError(items.status());
      return;
    }
    const review::ReviewItem* item = nullptr;
    for (const review::ReviewItem& i : *items) {
      if (i.record.id == mark->record_id) item = &i;
    }
    if (item == nullptr) {
      ReportError(NotFoundError("review mark: no record '" + mark->record_id + "' in " + *mark_in));
      return;
    }
    auto store = review::DecisionStore::Open(db);
    if (!store.ok()) {
      ReportError(store.status());
      return;
    }
    review::Decision d = *mark;
    if (d.reviewer.empty()) d.reviewer = std::getenv("USER") ? std::getenv("USER") : "reviewer";
    d.pattern = item->record.pattern;
    d.template_id = item->record.templates.system;
    d.tools = item->tools();
    d.automatic = item->automatic;
    auto was = store->Mark(d);
    if (!was.ok()) {
      ReportError(was.status());
      return;
    }
    std::printf("%s %s (%s) in %s\n", d.decision == "accept" ? "accepted" : "rejected",
                d.record_id.c_str(), item->automatic.c_str(), db.c_str());
    if (*was) {
      if (d.note.empty()) d.note = (*was)->note;  // as Mark stored it
      std::printf("  %s\n", review::DescribeChange(**was, d).c_str());
    }
    SetExitCode(0);
  });

  auto stats_in = std::make_shared<std::string>();
  auto stats_db = std::make_shared<std::string>();
  auto stats_json = std::make_shared<bool>(false);
  CLI::App* s = c->add_subcommand("stats", "acceptance by pattern, prompt style and tool; agreement with the checks");
  s->add_option("in", *stats_in, "the reviewed data (for the default store path)")->required();
  s->add_option("--db", *stats_db, "review store (default: review.sqlite beside the data)");
  s->add_flag("--json", *stats_json, "print as JSON");
  s->callback([stats_in, stats_db, stats_json, o, c] {
    if (std::string misuse = ParentOptions(c, "stats", {{"--db", stats_db.get()}}, *o);
        !misuse.empty()) {
      std::fputs((misuse + "\n").c_str(), stderr);
      SetExitCode(2);
      return;
    }
    const std::string db = stats_db->empty() ? review::DefaultDbPath(*stats_in) : *stats_db;
    auto store = review::DecisionStore::OpenReadOnly(db);
    if (!store.ok()) {
      ReportError(store.status());
      return;
    }
    auto all = store->All();
    if (!all.ok()) {
      ReportError(all.status());
      return;
    }
    const review::ReviewStats st = review::ComputeReviewStats(*all);
    std::fputs(*stats_json ? (st.ToJson() + "\n").c_str() : st.ToText().c_str(), stdout);
    SetExitCode(0);
  });

  c->callback([o, c] {
    if (!c->get_subcommands().empty()) return;  // mark / stats ran
    if (o->in.empty()) {
      std::fputs("kgforge review: give the data to review (a synth or filter output directory, "
                 "or a .jsonl[.zst] file)\n", stderr);
      SetExitCode(2);
      return;
    }
    const bool tty = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    o->color = ::isatty(STDOUT_FILENO) && review::AnsiAllowed();
    o->clear_screen = review::AnsiAllowed();
    const bool interactive = tty && !o->plain;
    auto r = review::RunReview(*o, interactive);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    if (!interactive && *r == 0) std::fputs("kgforge review: 0 records match\n", stderr);
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(review, kgf::cli::SetupReviewCommand);
