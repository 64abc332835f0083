// DecisionStore: a reviewer's accept / reject decisions on records, in a SQLite file beside the
// data (default <data>/review.sqlite), queryable with the sqlite3 CLI:
//
//   CREATE TABLE decisions(record_id TEXT PRIMARY KEY,
//                          decision TEXT NOT NULL CHECK(decision IN ('accept','reject')),
//                          reason TEXT NOT NULL, note TEXT NOT NULL, reviewer TEXT NOT NULL,
//                          time TEXT NOT NULL,            -- UTC, ISO 8601
//                          pattern TEXT NOT NULL, template TEXT NOT NULL, tools TEXT NOT NULL,
//                          automatic TEXT NOT NULL);      -- 'kept' | 'rejected' | 'unfiltered'
//
// The record's pattern, system template, tools (comma-separated) and the automatic checks'
// outcome are stored with the decision, so statistics need only this file. A later decision on
// the same record replaces the earlier one (Mark returns it, so the reviewer is told). Each Put commits: a killed session loses nothing
// decided. Not thread-safe (one reviewer, one process).
#ifndef KGF_REVIEW_DECISION_STORE_H_
#define KGF_REVIEW_DECISION_STORE_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct sqlite3;

namespace kgf::review {

struct Decision {
  std::string record_id;
  std::string decision;  // "accept" | "reject"
  std::string reason;    // why rejected (free text, e.g. "unnatural question"); "" for accept
  std::string note;
  std::string reviewer;
  std::string time;      // filled by Put when empty
  std::string pattern, template_id, tools, automatic;
};

class DecisionStore {
 public:
  // Opens (creating when absent) the store. Errors: IoError naming the path; FailedPrecondition
  // for a SQLite file without a decisions table of this shape.
  static Result<DecisionStore> Open(const std::string& path);
  // Opens an existing store read-only (the filter step). Errors: NotFound naming the path.
  static Result<DecisionStore> OpenReadOnly(const std::string& path);
  DecisionStore(DecisionStore&&) noexcept;
  DecisionStore& operator=(DecisionStore&&) noexcept;
  ~DecisionStore();

  // Errors: InvalidArgument for a decision other than accept/reject, an empty id, a reject
  // without a reason, or a control character in the reason, note or reviewer
  // (CheckDecisionText); IoError. Nothing is written on error.
  Status Put(Decision d);
  // A reviewer's (re-)decision: Put, except that an empty d.note keeps the note of the decision
  // it replaces. Returns that earlier decision (nullopt when there was none), so the caller can
  // say what changed (DescribeChange). Errors: those of Put and Get.
  Result<std::optional<Decision>> Mark(Decision d);
  // Errors: IoError naming the store when SQLite fails (busy, corrupt): never a partial list.
  Result<std::optional<Decision>> Get(const std::string& record_id) const;
  Result<std::vector<Decision>> All() const;  // by record id
  Result<std::set<std::string>> RejectedIds() const;
  const std::string& path() const { return path_; }

 private:
  DecisionStore() = default;
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db_{nullptr, nullptr};
  std::string path_;
};

// OK when `text` (a reason, note or name) holds no control character (C0, DEL, C1: an Esc
// typed at a prompt would otherwise be stored as a raw byte). Errors: InvalidArgument naming
// `field`, the byte and its position.
Status CheckDecisionText(std::string_view field, std::string_view text);
// `text` without the characters CheckDecisionText refuses.
std::string WithoutControlCharacters(std::string_view text);

// One line on a re-decision: "was reject (thought leaks) by alice at 2026-11-29T21:07:30Z; now
// accept" (with the new reason for a reject, and "note kept: ..." when the earlier note stays).
std::string DescribeChange(const Decision& was, const Decision& now);

// Current UTC time as "2026-11-29T21:07:30Z".
std::string UtcNow();

}  // namespace kgf::review

#endif  // KGF_REVIEW_DECISION_STORE_H_
