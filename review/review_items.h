// What a reviewer looks at: the records of a synth output, of a filter output (kept and
// rejected together, with the verdict trail of every check), or of one .jsonl[.zst] file; and
// how to pick from them (by pattern, split, rejection reason, tool, id or entity, a seeded
// random sample, the unreviewed first).
//
//   auto items = LoadReviewItems("data/synth_kept");   // reads filter_report.json's outputs
//   std::vector<size_t> pick = SelectItems(*items, {.pattern = "2i", .sample = 50, .seed = 1});
#ifndef KGF_REVIEW_REVIEW_ITEMS_H_
#define KGF_REVIEW_REVIEW_ITEMS_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "synth/record.h"

namespace kgf::review {

// One check's verdict on a record, in pipeline order.
struct TrailStep {
  std::string check;   // filter name ("record_execution")
  bool passed = true;
  std::string reason;  // when not passed: "record_execution.result_mismatch"
  std::string detail;
};

struct ReviewItem {
  synth::Record record;
  std::string where;      // "file:line"
  // The automatic checks' outcome: "kept" | "rejected" | "unfiltered" (a synth output). A drop
  // by a review_decisions step (a reviewer's reject) is not theirs: such a record is "kept"
  // with dropped_by_review set (review stats must not count it as agreement).
  std::string automatic;
  bool dropped_by_review = false;
  std::string reason;     // the rejection reason, when dropped ("review.rejected" for a review step)
  std::vector<TrailStep> trail;  // empty for unfiltered records
  std::string tools() const;     // tools called, in order, comma-separated, each once
};

// `path`: a directory holding filter_report.json (its kept and rejected outputs are read), a
// corpus folder (its sft documents' records, found through the catalog's documents table; where
// says "sft_00000#12 <- file:line"), a synth output directory (shard-*.jsonl.zst), or one
// .jsonl / .jsonl.zst file of records or of
// rejected lines ({"where","filter","reason","detail","record"}). Lines that are not records
// (a rejected input line with no record) are skipped. Errors: NotFound; InvalidArgument /
// DataLoss naming file:line for a malformed record.
Result<std::vector<ReviewItem>> LoadReviewItems(const std::string& path);

// True when `path` is a corpus folder (`kgforge corpus build`'s output: it holds catalog.sqlite).
bool IsCorpusFolder(const std::string& path);
// The folders holding the records behind a corpus folder's documents (the filter outputs it
// was built from, found through the catalog's documents table), sorted. Errors: NotFound /
// FailedPrecondition naming the catalog.
Result<std::vector<std::string>> CorpusRecordSources(const std::string& dir);

// Where an output a filter report lists lies now. `report_dir`: the folder holding
// filter_report.json; `listed_report`: the report's own entry in its outputs list; `listed`: the
// output's entry. Reports list outputs relative to their own folder ("shard-00000.jsonl.zst",
// "../rejected/shard-00000.jsonl.zst"); older ones as the filter run named them (relative to
// the directory it ran in, or absolute). Either way the output is taken relative to the listed
// report and re-anchored at report_dir, so a report read from any directory, and a moved or
// copied output folder, reads its own files; failing that, the path as listed. Errors: NotFound
// naming the report and every place looked at.
Result<std::string> ResolveReportOutput(const std::string& report_dir,
                                        const std::string& listed_report,
                                        const std::string& listed);

struct Selection {
  std::string pattern, split, reason, tool;  // "" = any; reason matches a prefix
  std::string search;   // an id, or text found in the question, an anchor or an answer
  int64_t sample = 0;   // > 0: a random sample of this many (seeded), else all in order
  uint64_t seed = 1;
  std::set<std::string> reviewed;  // ids with a decision: listed after the unreviewed ones
};

// The names a selection may use: the 14 query patterns and the splits train / valid / test,
// each with any other a record of `items` carries.
std::vector<std::string> KnownPatterns(const std::vector<ReviewItem>& items);
std::vector<std::string> KnownSplits(const std::vector<ReviewItem>& items);

// Errors: InvalidArgument for a pattern or split not among the known ones (the message lists
// them) or a negative sample size. A valid selection may still match nothing.
Status CheckSelection(const std::vector<ReviewItem>& items, const Selection& selection);

// Parses the interactive filter line "pattern=2i split=test tool=get_x reason=record_semantic"
// into `selection` (fields not named are cleared; "" clears all). Errors: InvalidArgument for a
// part without '=', an unknown key (the message lists the keys) or a value CheckSelection
// refuses; `selection` is then unchanged.
Status ParseFilterLine(std::string_view line, const std::vector<ReviewItem>& items,
                       Selection* selection);

// A sample size typed by the reviewer: a whole number >= 0. Errors: InvalidArgument quoting it.
Result<int64_t> ParseSampleSize(std::string_view text);

// Indices of the matching items: the seeded sample (or all) in input order, unreviewed first.
std::vector<size_t> SelectItems(const std::vector<ReviewItem>& items, const Selection& selection);

}  // namespace kgf::review

#endif  // KGF_REVIEW_REVIEW_ITEMS_H_
