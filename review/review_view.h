// How a review item is shown, and the review session: an interactive terminal view when stdin
// and stdout are terminals, plain printing otherwise.
//
// The view of one item: the dialogue (synth/record_printer.h), the automatic checks' trail
// (which check kept or dropped it and why), the record's provenance in the graph (anchor keys
// and names; for each call its supporting triples "head key --relation--> tail key", looked up
// in the graph store), and the reviewer's decision if there is one.
//
// Keys of the interactive view: n / → next, p / ← previous, a accept, r reject (asks for a
// reason: required; Esc then Enter cancels), c comment (a note on a decision), u next unreviewed, / search (id or text), f filter (pattern=..,
// split=.., tool=.., reason=..), s new random sample, q quit. Decisions are saved as they are
// made (review/decision_store.h).
#ifndef KGF_REVIEW_REVIEW_VIEW_H_
#define KGF_REVIEW_REVIEW_VIEW_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kg/graph.h"
#include "review/decision_store.h"
#include "review/review_items.h"
#include "synth/tool_catalog.h"

namespace kgf::review {

// The graph behind the records, for provenance. REQUIRES: both outlive the view.
struct GraphContext {
  const kg::Graph* graph = nullptr;
  const synth::ToolCatalog* catalog = nullptr;
};

// Provenance lines of a record: anchors, then per call its supporting triples (or why there
// are none: a set operation, an error result, an entity the graph does not hold).
std::vector<std::string> Provenance(const synth::Record& record, const GraphContext& graph);

// The full text of one item. `position` like "3/50".
std::string FormatItem(const ReviewItem& item, const std::optional<Decision>& decision,
                       const GraphContext* graph, const std::string& position, bool color);

struct ReviewOptions {
  std::string in;         // LoadReviewItems path
  std::string db;         // default: <in>/review.sqlite (<dir of in>/review.sqlite for a file)
  std::string kg;         // graph store for provenance (optional)
  std::string reviewer;   // default: $USER
  Selection selection;
  bool plain = false;     // never interactive
  bool color = false;     // bold and colours (AnsiAllowed() on a terminal)
  bool clear_screen = true;  // the interactive view redraws with ANSI clear-screen codes
};

// Runs a session: interactive when `interactive`, else prints the selected items (with their
// decisions) to stdout and returns. Returns the number of items shown (0: none matched).
// Errors: from loading the items, the store or the graph; InvalidArgument for a selection
// CheckSelection refuses (an unknown pattern or split, a negative sample).
Result<int64_t> RunReview(const ReviewOptions& options, bool interactive);

// What the reviewer typed at a prompt of the interactive view (reason, note, search, filter),
// as the terminal's line editor delivered it: nullopt when it holds a lone Esc (the prompt is
// cancelled; "Esc Enter" arrives as "\x1b"); otherwise the text without escape sequences (arrow
// keys) or any other control character, tabs as spaces, trimmed.
std::optional<std::string> CleanPromptLine(std::string_view typed);

// OK when decisions on the records of `in` may be stored in `db`. Nothing reads a store inside
// a corpus folder (a corpus is rebuilt from the filter outputs it was built from; marks are
// honoured by a review_decisions filter step on those), so that is refused. Errors:
// FailedPrecondition naming the filter outputs the corpus was built from and what to do.
Status CheckStoreLocation(const std::string& in, const std::string& db);

// False when the environment asks for no ANSI escape codes: NO_COLOR set and not empty
// (no-color.org), or TERM=dumb.
bool AnsiAllowed();

// The default store path for `in`.
std::string DefaultDbPath(const std::string& in);

}  // namespace kgf::review

#endif  // KGF_REVIEW_REVIEW_VIEW_H_
