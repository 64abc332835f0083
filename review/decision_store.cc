// DecisionStore over SQLite (decision_store.h).
#include "review/decision_store.h"

#include <sqlite3.h>

#include <cstdio>
#include <ctime>

#include "base/file_util.h"

namespace kgf::review {
namespace {

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS decisions(record_id TEXT PRIMARY KEY,"
    " decision TEXT NOT NULL CHECK(decision IN ('accept','reject')),"
    " reason TEXT NOT NULL, note TEXT NOT NULL, reviewer TEXT NOT NULL, time TEXT NOT NULL,"
    " pattern TEXT NOT NULL, template TEXT NOT NULL, tools TEXT NOT NULL,"
    " automatic TEXT NOT NULL);";

std::string Column(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

Decision Row(sqlite3_stmt* st) {
  Decision d;
  d.record_id = Column(st, 0);
  d.decision = Column(st, 1);
  d.reason = Column(st, 2);
  d.note = Column(st, 3);
  d.reviewer = Column(st, 4);
  d.time = Column(st, 5);
  d.pattern = Column(st, 6);
  d.template_id = Column(st, 7);
  d.tools = Column(st, 8);
  d.automatic = Column(st, 9);
  return d;
}

constexpr char kSelect[] =
    "SELECT record_id, decision, reason, note, reviewer, time, pattern, template, tools,"
    " automatic FROM decisions";

Status OpenWith(const std::string& path, int flags,
                std::unique_ptr<sqlite3, int (*)(sqlite3*)>* out) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError(path + ": cannot open the review store: " + msg);
  }
  *out = std::unique_ptr<sqlite3, int (*)(sqlite3*)>(db, sqlite3_close);
  sqlite3_busy_timeout(db, 5000);
  return Status::Ok();
}

}  // namespace

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

DecisionStore::DecisionStore(DecisionStore&&) noexcept = default;
DecisionStore& DecisionStore::operator=(DecisionStore&&) noexcept = default;
DecisionStore::~DecisionStore() = default;

Result<DecisionStore> DecisionStore::Open(const std::string& path) {
  DecisionStore s;
  s.path_ = path;
  KGF_RETURN_IF_ERROR(OpenWith(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s.db_));
  char* err = nullptr;
  if (sqlite3_exec(s.db_.get(), kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "sqlite error";
    sqlite3_free(err);
    return FailedPreconditionError(path + ": not a review store (" + msg + ")");
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(s.db_.get(), (std::string(kSelect) + " LIMIT 0").c_str(), -1, &st,
                         nullptr) != SQLITE_OK) {
    return FailedPreconditionError(path + ": its decisions table has another shape (" +
                                   sqlite3_errmsg(s.db_.get()) + "); use another --db");
  }
  sqlite3_finalize(st);
  return s;
}

Result<DecisionStore> DecisionStore::OpenReadOnly(const std::string& path) {
  if (!FileExists(path)) {
    return NotFoundError(path + ": no review store (the first decision creates it: `kgforge "
                                "review mark DATA ...`, or a or r in the interactive `kgforge "
                                "review DATA` on a terminal)");
  }
  DecisionStore s;
  s.path_ = path;
  KGF_RETURN_IF_ERROR(OpenWith(path, SQLITE_OPEN_READONLY, &s.db_));
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(s.db_.get(), (std::string(kSelect) + " LIMIT 0").c_str(), -1, &st,
                         nullptr) != SQLITE_OK) {
    return FailedPreconditionError(path + ": not a review store (" +
                                   sqlite3_errmsg(s.db_.get()) + ")");
  }
  sqlite3_finalize(st);
  return s;
}

Status CheckDecisionText(std::string_view field, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() &&
                    static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;  // U+0080..U+009F
    if (c < 0x20 || c == 0x7f || c1) {
      char code[8];
      std::snprintf(code, sizeof(code), "0x%02x", c1 ? static_cast<unsigned char>(text[i + 1]) : c);
      return InvalidArgumentError("review: the " + std::string(field) +
                                  " holds a control character (" + code + " at byte " +
                                  std::to_string(i) + "); write it as plain text");
    }
  }
  return Status::Ok();
}

Status DecisionStore::Put(Decision d) {
  if (d.record_id.empty()) return InvalidArgumentError("review: a decision needs a record id");
  if (d.decision != "accept" && d.decision != "reject") {
    return InvalidArgumentError("review: decision '" + d.decision + "' is not accept or reject");
  }
  if (d.decision == "reject" && d.reason.find_first_not_of(" ") == std::string::npos) {
    return InvalidArgumentError("review: rejecting " + d.record_id +
                                " needs a reason (what is wrong with it); nothing saved");
  }
  KGF_RETURN_IF_ERROR(CheckDecisionText("reason", d.reason));
  KGF_RETURN_IF_ERROR(CheckDecisionText("note", d.note));
  KGF_RETURN_IF_ERROR(CheckDecisionText("reviewer name", d.reviewer));
  if (d.time.empty()) d.time = UtcNow();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "INSERT OR REPLACE INTO decisions VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &st,
                         nullptr) != SQLITE_OK) {
    return IoError(path_ + ": " + sqlite3_errmsg(db_.get()));
  }
  const std::string* fields[] = {&d.record_id, &d.decision, &d.reason,      &d.note,
                                 &d.reviewer,  &d.time,     &d.pattern,     &d.template_id,
                                 &d.tools,     &d.automatic};
  for (int i = 0; i < 10; ++i) sqlite3_bind_text(st, i + 1, fields[i]->c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    return IoError(path_ + ": saving the decision on " + d.record_id + " failed: " +
                   sqlite3_errmsg(db_.get()));
  }
  return Status::Ok();
}

std::string WithoutControlCharacters(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      ++i;  // U+0080..U+009F
      continue;
    }
    if (c < 0x20 || c == 0x7f) continue;
    out += text[i];
  }
  return out;
}

Result<std::optional<Decision>> DecisionStore::Mark(Decision d) {
  KGF_ASSIGN_OR_RETURN(std::optional<Decision> was, Get(d.record_id));
  // Text carried over from a decision stored before control characters were refused is
  // cleaned, so an old row never blocks a new decision.
  if (was && d.note.empty()) d.note = WithoutControlCharacters(was->note);
  KGF_RETURN_IF_ERROR(Put(std::move(d)));
  return was;
}

std::string DescribeChange(const Decision& was, const Decision& now) {
  auto said = [](const Decision& d) {
    return d.decision + (d.reason.empty() ? "" : " (" + d.reason + ")");
  };
  std::string out = "was " + said(was) + " by " + (was.reviewer.empty() ? "?" : was.reviewer);
  if (!was.time.empty()) out += " at " + was.time;
  out += "; now " + said(now);
  if (!was.note.empty() && now.note == was.note) out += "; note kept: " + was.note;
  return out;
}

Result<std::optional<Decision>> DecisionStore::Get(const std::string& record_id) const {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_.get(), (std::string(kSelect) + " WHERE record_id=?").c_str(), -1,
                         &st, nullptr) != SQLITE_OK) {
    return IoError(path_ + ": " + sqlite3_errmsg(db_.get()));
  }
  sqlite3_bind_text(st, 1, record_id.c_str(), -1, SQLITE_TRANSIENT);
  std::optional<Decision> out;
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) out = Row(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return IoError(path_ + ": reading the decision on " + record_id + " failed: " +
                   sqlite3_errmsg(db_.get()));
  }
  return out;
}

Result<std::vector<Decision>> DecisionStore::All() const {
  std::vector<Decision> out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_.get(), (std::string(kSelect) + " ORDER BY record_id").c_str(), -1,
                         &st, nullptr) != SQLITE_OK) {
    return IoError(path_ + ": " + sqlite3_errmsg(db_.get()));
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(Row(st));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    return IoError(path_ + ": reading decisions failed: " + sqlite3_errmsg(db_.get()));
  }
  return out;
}

Result<std::set<std::string>> DecisionStore::RejectedIds() const {
  KGF_ASSIGN_OR_RETURN(std::vector<Decision> all, All());
  std::set<std::string> out;
  for (const Decision& d : all) {
    if (d.decision == "reject") out.insert(d.record_id);
  }
  return out;
}

}  // namespace kgf::review
