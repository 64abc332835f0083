// The reviewer's loop: decisions, items with their check trail, selection, provenance,
// statistics, and the filter step that honours rejections.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "corpus/corpus_builder.h"
#include "filters/records/record_filters.h"
#include "tests/corpus/corpus_test_util.h"
#include "review/decision_store.h"
#include "review/review_items.h"
#include "review/review_stats.h"
#include "review/review_view.h"
#include "synth/dialogue_renderer.h"
#include "synth/query_sampler.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::review {
namespace {

using kgf::testing::TempDir;

struct World {
  kg::Graph graph;
  synth::ToolCatalog catalog;
};

const World& TheWorld() {
  static const World* w = [] {
    kg::Graph g = synth::testing::CountryGraph();
    auto cat = synth::ToolCatalog::Build(g);
    KGF_CHECK(cat.ok());
    return new World{std::move(g), std::move(*cat)};
  }();
  return *w;
}

std::vector<synth::Record> Records(
    synth::RenderOptions options = {.distractors = 2, .reflection_share = 0.3}) {
  const World& w = TheWorld();
  auto sampler = synth::QuerySampler::Create(w.graph, {});
  synth::DialogueRenderer renderer(w.graph, w.catalog, options, {"c", "x"});
  std::vector<synth::Record> out;
  for (synth::Pattern p : {synth::Pattern::k1p, synth::Pattern::k2p, synth::Pattern::k2i}) {
    for (uint64_t i = 0; i < 400 && out.size() < 10 * (static_cast<size_t>(p) + 1); ++i) {
      Rng rng = Rng::ForItem(5, i * 16 + static_cast<uint64_t>(p));
      synth::SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      if (auto r = renderer.Render(s, "train", 5, i * 16 + static_cast<uint64_t>(p), rng)) {
        out.push_back(std::move(*r));
      }
    }
  }
  return out;
}

// Records -> <dir>/in.jsonl -> a filter run (format + a question-length rule that drops the
// long ones) into <dir>/out and <dir>/rejected. Returns the number dropped.
int64_t FilterFixture(const TempDir& dir, const std::vector<synth::Record>& records,
                      const std::string& extra_filter = "") {
  std::string lines;
  for (const synth::Record& r : records) lines += synth::RecordToJson(r) + "\n";
  dir.Write("in.jsonl", lines);
  dir.Write("checks.json", R"({"filters":[{"type":"record_format"},)"
                           R"({"type":"record_semantic","max_question_chars":60})" +
                               extra_filter + "]}");
  filters::FilterRunOptions o;
  o.config = dir.File("checks.json");
  o.inputs = {dir.File("in.jsonl")};
  o.out_dir = dir.File("out");
  o.rejected_dir = dir.File("rejected");
  o.threads = 1;
  auto report = filters::RunFilterCommand(o);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? report->dropped : -1;
}

TEST(DecisionStoreTest, PutsReplacesReopensAndRefusesBadInput) {
  TempDir dir;
  const std::string path = dir.File("review.sqlite");
  {
    auto s = DecisionStore::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE(s->Put({.record_id = "a", .decision = "accept", .reviewer = "ann"}).ok());
    ASSERT_TRUE(s->Put({.record_id = "b", .decision = "reject", .reason = "leaks", .reviewer = "ann"}).ok());
    ASSERT_TRUE(s->Put({.record_id = "a", .decision = "reject", .reason = "typo", .reviewer = "bob"}).ok());
    EXPECT_EQ(s->Put({.record_id = "c", .decision = "maybe"}).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s->Put({.record_id = "", .decision = "accept"}).code(), StatusCode::kInvalidArgument);
  }
  auto s = DecisionStore::OpenReadOnly(path);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->All()->size(), 2u);
  const auto a = *s->Get("a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->decision, "reject");
  EXPECT_EQ(a->reviewer, "bob");
  EXPECT_EQ(a->time.size(), 20u) << a->time;  // 2026-11-29T21:07:30Z
  EXPECT_EQ(*s->RejectedIds(), (std::set<std::string>{"a", "b"}));
  EXPECT_FALSE(s->Get("zzz")->has_value());
  // Queryable with plain SQL.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM decisions WHERE decision='reject'", -1,
                               &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
  // Another SQLite file, or none.
  EXPECT_EQ(DecisionStore::OpenReadOnly(dir.File("none.sqlite")).status().code(), StatusCode::kNotFound);
  ASSERT_EQ(sqlite3_open(dir.File("other.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE decisions(x INTEGER);", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(DecisionStore::Open(dir.File("other.sqlite")).status().code(),
            StatusCode::kFailedPrecondition);
}

// Audit defect 2: an Esc typed at the reason prompt was stored as a raw 0x1b; a reject could
// have no reason.
TEST(DecisionStoreTest, RefusesARejectWithoutAReasonAndControlCharacters) {
  TempDir dir;
  auto s = DecisionStore::Open(dir.File("review.sqlite"));
  ASSERT_TRUE(s.ok());
  for (const char* reason : {"", "   "}) {
    Status st = s->Put({.record_id = "a", .decision = "reject", .reason = reason, .reviewer = "ann"});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << "'" << reason << "'";
    EXPECT_NE(st.message().find("needs a reason"), std::string::npos) << st.message();
  }
  for (const char* bad : {"\x1b", "stilted\x1b[D", "a\nb", "del\x7f", "c1\xc2\x9b"}) {
    Status st = s->Put({.record_id = "a", .decision = "reject", .reason = bad, .reviewer = "ann"});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("control character"), std::string::npos) << st.message();
    EXPECT_EQ(s->Put({.record_id = "a", .decision = "accept", .note = bad, .reviewer = "ann"}).code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(s->All()->empty()) << "nothing written";
  EXPECT_TRUE(s->Put({.record_id = "a", .decision = "reject", .reason = "ÉtÉ \xe2\x80\x94 ok",
                      .reviewer = "ann"}).ok()) << "UTF-8 text is fine";
}

// Audit defect 4: a re-mark silently replaced the earlier decision, reason and note.
TEST(DecisionStoreTest, MarkReturnsWhatItReplacesAndKeepsTheNote) {
  TempDir dir;
  auto s = DecisionStore::Open(dir.File("review.sqlite"));
  ASSERT_TRUE(s.ok());
  auto first = s->Mark({.record_id = "a", .decision = "reject", .reason = "thought leaks",
                        .note = "see turn 3", .reviewer = "alice"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->has_value());
  Decision now{.record_id = "a", .decision = "accept", .reviewer = "bob"};
  auto second = s->Mark(now);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->decision, "reject");
  EXPECT_EQ((*second)->reviewer, "alice");
  const auto stored = *s->Get("a");
  EXPECT_EQ(stored->decision, "accept");
  EXPECT_EQ(stored->reason, "");
  EXPECT_EQ(stored->note, "see turn 3") << "a re-mark without a note keeps the old one";
  now.note = stored->note;
  const std::string line = DescribeChange(**second, now);
  EXPECT_EQ(line.rfind("was reject (thought leaks) by alice at ", 0), 0u) << line;
  EXPECT_NE(line.find("; now accept; note kept: see turn 3"), std::string::npos) << line;
  // A new note replaces the old one.
  ASSERT_TRUE(s->Mark({.record_id = "a", .decision = "accept", .note = "fine", .reviewer = "bob"}).ok());
  EXPECT_EQ((*s->Get("a"))->note, "fine");
  // A row stored before control characters were refused (an ESC as its note) does not block
  // a re-mark: the note it carries over is cleaned.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.File("review.sqlite").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE decisions SET note = 'old' || char(27) || 'note' WHERE record_id = 'a'",
                           nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto again = s->Mark({.record_id = "a", .decision = "reject", .reason = "no", .reviewer = "bob"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*s->Get("a"))->note, "oldnote");
  EXPECT_EQ(WithoutControlCharacters("a\x1b[1mb\xc2\x85" "c"), "a[1mbc");
}

TEST(ReviewViewTest, PromptLinesCancelOnEscAndLoseControlCharacters) {
  EXPECT_EQ(CleanPromptLine("\x1b"), std::nullopt) << "Esc, Enter";
  EXPECT_EQ(CleanPromptLine("stilted\x1b"), std::nullopt);
  EXPECT_EQ(CleanPromptLine("\x1bx"), std::nullopt);
  EXPECT_EQ(CleanPromptLine("stil\x1b[Dted\x1b[C"), "stilted") << "arrow keys";
  EXPECT_EQ(CleanPromptLine("a\x1bOCb"), "ab");
  EXPECT_EQ(CleanPromptLine("  a\tb\x01\x7f\xc2\x85" "c  "), "a bc");
  EXPECT_EQ(CleanPromptLine(""), "");
  EXPECT_EQ(CleanPromptLine("\x02 "), "");
  EXPECT_EQ(CleanPromptLine("naïve \xe2\x80\x94 fine"), "naïve \xe2\x80\x94 fine");
}

TEST(ReviewItemsTest, FilterOutputHoldsKeptAndRejectedWithTheirTrail) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  const int64_t dropped = FilterFixture(dir, records);
  ASSERT_GT(dropped, 0);
  ASSERT_LT(dropped, static_cast<int64_t>(records.size()));
  auto items = LoadReviewItems(dir.File("out"));
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), records.size()) << "kept and rejected together";
  int64_t rejected = 0;
  for (const ReviewItem& item : *items) {
    ASSERT_EQ(item.trail.size(), 2u);
    EXPECT_TRUE(item.trail[0].passed);
    if (item.automatic == "rejected") {
      ++rejected;
      EXPECT_FALSE(item.trail[1].passed);
      EXPECT_EQ(item.reason, "record_semantic.question_length");
      EXPECT_NE(item.trail[1].detail.find("outside"), std::string::npos) << item.trail[1].detail;
    } else {
      EXPECT_EQ(item.automatic, "kept");
      EXPECT_TRUE(item.trail[1].passed);
    }
    EXPECT_NE(item.where.find("in.jsonl:"), std::string::npos) << item.where;
  }
  EXPECT_EQ(rejected, dropped);
  // A plain record file: unfiltered items.
  auto plain = LoadReviewItems(dir.File("in.jsonl"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->front().automatic, "unfiltered");
  EXPECT_TRUE(plain->front().trail.empty());
  EXPECT_EQ(LoadReviewItems(dir.File("nothing")).status().code(), StatusCode::kNotFound);
}

// Runs `body` with the working directory set to `dir`, then restores it.
template <typename F>
void InDirectory(const std::string& dir, F body) {
  char saved[4096];
  ASSERT_NE(getcwd(saved, sizeof(saved)), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0) << dir;
  body();
  ASSERT_EQ(chdir(saved), 0);
}

// Audit defect 3: a filter run with relative --out / --rejected listed its outputs relative
// to the directory it ran in, so review found them only from there.
TEST(ReviewItemsTest, FilterOutputReadsFromAnyDirectoryAndAfterACopy) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  std::string lines;
  for (const synth::Record& r : records) lines += synth::RecordToJson(r) + "\n";
  dir.Write("in.jsonl", lines);
  dir.Write("checks.json", R"({"filters":[{"type":"record_format"},)"
                           R"({"type":"record_semantic","max_question_chars":60}]})");
  ASSERT_TRUE(CreateDirectories(dir.File("elsewhere")).ok());
  InDirectory(dir.path(), [&] {
    filters::FilterRunOptions o;
    o.config = "checks.json";
    o.inputs = {"in.jsonl"};
    o.out_dir = "out";
    o.rejected_dir = "rejected";
    o.threads = 1;
    auto report = filters::RunFilterCommand(o);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_GT(report->dropped, 0);
    // Listed relative to the report's own folder.
    EXPECT_EQ(report->outputs,
              (std::vector<std::string>{"in.jsonl", "../rejected/in.jsonl", "filter_report.json"}));
  });
  InDirectory(dir.File("elsewhere"), [&] {
    auto items = LoadReviewItems("../out");
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    EXPECT_EQ(items->size(), records.size()) << "kept and rejected, read from another directory";
  });
  // A report of the old form (paths as the run named them, relative to where it ran), read
  // from another directory, and one listing absolute paths of a folder since copied.
  const std::string report = *ReadFileToString(dir.File("out/filter_report.json"));
  auto rewrite = [&](const std::string& prefix_out, const std::string& prefix_rej) {
    std::string r = report;
    auto replace = [&](const std::string& from, const std::string& to) {
      const size_t at = r.find(from);
      ASSERT_NE(at, std::string::npos) << from;
      r.replace(at, from.size(), to);
    };
    replace("\"../rejected/in.jsonl\"", "\"" + prefix_rej + "in.jsonl\"");
    replace("\"in.jsonl\"", "\"" + prefix_out + "in.jsonl\"");
    replace("\"filter_report.json\"", "\"" + prefix_out + "filter_report.json\"");
    return r;
  };
  dir.Write("out/filter_report.json", rewrite("out/", "rejected/"));
  InDirectory(dir.File("elsewhere"), [&] {
    auto items = LoadReviewItems("../out");
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    EXPECT_EQ(items->size(), records.size());
  });
  // Absolute paths of the original; the copy's own shard is read (it differs: one record).
  dir.Write("out/filter_report.json", rewrite(dir.File("out") + "/", dir.File("rejected") + "/"));
  ASSERT_TRUE(CreateDirectories(dir.File("copy")).ok());
  dir.Write("copy/filter_report.json", *ReadFileToString(dir.File("out/filter_report.json")));
  dir.Write("copy/in.jsonl", synth::RecordToJson(records[0]) + "\n");
  auto items = LoadReviewItems(dir.File("copy"));
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  int64_t kept = 0, rejected = 0;
  for (const ReviewItem& item : *items) {
    if (item.automatic == "kept") {
      ++kept;
      EXPECT_NE(item.where.find("/copy/in.jsonl:1"), std::string::npos) << item.where;
    }
    rejected += item.automatic == "rejected";
  }
  EXPECT_EQ(kept, 1) << "the copy's own kept shard";
  EXPECT_GT(rejected, 0) << "the rejected folder it names still exists";
  // A shard found nowhere: the error names the report and where it looked.
  std::remove(dir.File("rejected/in.jsonl").c_str());
  auto gone = LoadReviewItems(dir.File("copy"));
  ASSERT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("copy/filter_report.json"), std::string::npos)
      << gone.status().message();
}

// The records as dir/recs/shard-00000.jsonl and the options that build them into dir/corpus.
corpus::CorpusBuildOptions RecordsCorpusOptions(const TempDir& dir,
                                                const std::vector<synth::Record>& records) {
  EXPECT_TRUE(CreateDirectories(dir.File("recs")).ok());
  std::string lines;
  for (const synth::Record& r : records) lines += synth::RecordToJson(r) + "\n";
  dir.Write("recs/shard-00000.jsonl", lines);
  dir.Write("tok.model", corpus::testing::SmallTokenizer().serialized());
  dir.Write("mix.json", R"({"seed":1,"tokenizer":"tok.model","max_document_tokens":100000,)"
                        R"("sources":[{"name":"tools","kind":"tool_use","paths":["recs"]}]})");
  corpus::CorpusBuildOptions o;
  o.config = dir.File("mix.json");
  o.out = dir.File("corpus");
  return o;
}

TEST(ReviewItemsTest, CorpusFolderOpensTheRecordsBehindItsDocuments) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  corpus::CorpusBuildOptions o = RecordsCorpusOptions(dir, records);
  auto built = corpus::BuildCorpus(o);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto items = LoadReviewItems(dir.File("corpus"));
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), records.size()) << "every record is a train document";
  std::set<std::string> ids, want;
  for (const ReviewItem& item : *items) {
    ids.insert(item.record.id);
    EXPECT_EQ(item.where.rfind("sft_00000#", 0), 0u) << item.where;
  }
  for (const synth::Record& r : records) want.insert(r.id);
  EXPECT_EQ(ids, want);
}

// Audit defect 1: marks on a corpus folder went to corpus/review.sqlite, which nothing reads,
// and `corpus build --force` deleted it with the folder.
TEST(ReviewItemsTest, DecisionsOnACorpusFolderBelongToItsFilterOutput) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  corpus::CorpusBuildOptions o = RecordsCorpusOptions(dir, records);
  ASSERT_TRUE(corpus::BuildCorpus(o).ok());
  EXPECT_TRUE(IsCorpusFolder(dir.File("corpus")));
  EXPECT_FALSE(IsCorpusFolder(dir.File("recs")));
  auto sources = CorpusRecordSources(dir.File("corpus"));
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  EXPECT_EQ(*sources, std::vector<std::string>{dir.File("recs")});
  // A store inside the corpus folder is refused, naming the filter output; one elsewhere is fine.
  Status st = CheckStoreLocation(dir.File("corpus"), DefaultDbPath(dir.File("corpus")));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("is a corpus folder"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("built from (" + dir.File("recs") + ")"), std::string::npos)
      << st.message();
  EXPECT_TRUE(CheckStoreLocation(dir.File("corpus"), dir.File("recs/review.sqlite")).ok());
  EXPECT_TRUE(CheckStoreLocation(dir.File("recs"), dir.File("recs/review.sqlite")).ok());
  // A rebuild never deletes a store found there (one made before this fix): refused, kept.
  {
    auto store = DecisionStore::Open(dir.File("corpus/review.sqlite"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->Put({.record_id = records[0].id, .decision = "reject", .reason = "x",
                            .reviewer = "ann"}).ok());
  }
  o.force = true;
  auto rebuilt = corpus::BuildCorpus(o);
  ASSERT_EQ(rebuilt.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(rebuilt.status().message().find("review.sqlite: a review store in the corpus folder"),
            std::string::npos) << rebuilt.status().message();
  auto kept = DecisionStore::OpenReadOnly(dir.File("corpus/review.sqlite"));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->All()->size(), 1u);
  EXPECT_TRUE(FileExists(dir.File("corpus/manifest.json")));
  std::remove(dir.File("corpus/review.sqlite").c_str());
  EXPECT_TRUE(corpus::BuildCorpus(o).ok()) << "moved out: the rebuild goes ahead";
}

TEST(ReviewItemsTest, SelectionIsSeededFilteredAndPutsUnreviewedFirst) {
  TempDir dir;
  FilterFixture(dir, Records());
  auto items = LoadReviewItems(dir.File("out"));
  ASSERT_TRUE(items.ok());
  Selection s{.sample = 5, .seed = 7};
  const auto a = SelectItems(*items, s), b = SelectItems(*items, s);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 5u);
  s.seed = 8;
  EXPECT_NE(SelectItems(*items, s), a);
  // Filters.
  for (size_t i : SelectItems(*items, {.pattern = "2i"})) EXPECT_EQ((*items)[i].record.pattern, "2i");
  for (size_t i : SelectItems(*items, {.reason = "record_semantic"})) {
    EXPECT_EQ((*items)[i].automatic, "rejected");
  }
  const std::string id = (*items)[3].record.id;
  const auto by_id = SelectItems(*items, {.search = id});
  ASSERT_FALSE(by_id.empty());
  EXPECT_EQ((*items)[by_id[0]].record.id, id);
  const std::string tool = (*items)[0].record.messages[2].tool_calls.at(0).name;
  for (size_t i : SelectItems(*items, {.tool = tool})) {
    EXPECT_NE((*items)[i].tools().find(tool), std::string::npos);
  }
  // Reviewed items go last.
  Selection r;
  r.reviewed = {(*items)[0].record.id, (*items)[1].record.id};
  const auto order = SelectItems(*items, r);
  ASSERT_EQ(order.size(), items->size());
  EXPECT_EQ(order[order.size() - 2], 0u);
  EXPECT_EQ(order.back(), 1u);
}

// Audit defects 8 and 9: an unknown pattern or split, or a negative sample, selected nothing
// (or everything) without a word; the interactive filter prompt ignored unknown keys.
TEST(ReviewItemsTest, BadSelectionsAreErrorsNamingTheValidValues) {
  TempDir dir;
  FilterFixture(dir, Records());
  auto items = LoadReviewItems(dir.File("out"));
  ASSERT_TRUE(items.ok());
  EXPECT_TRUE(CheckSelection(*items, {.pattern = "2i", .split = "train", .sample = 3}).ok());
  EXPECT_TRUE(CheckSelection(*items, {.reason = "nosuch", .tool = "get_nothing"}).ok())
      << "valid, matching nothing";
  Status st = CheckSelection(*items, {.pattern = "zz"});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown pattern 'zz'; patterns: 1p, 2p, 3p, 2i"), std::string::npos)
      << st.message();
  st = CheckSelection(*items, {.split = "training"});
  EXPECT_NE(st.message().find("unknown split 'training'; splits: train, valid, test"),
            std::string::npos) << st.message();
  EXPECT_EQ(CheckSelection(*items, {.sample = -1}).code(), StatusCode::kInvalidArgument);
  // The interactive filter line.
  Selection s{.pattern = "1p"};
  EXPECT_TRUE(ParseFilterLine("pattern=2i split=train", *items, &s).ok());
  EXPECT_EQ(s.pattern, "2i");
  EXPECT_EQ(s.split, "train");
  for (const char* bad : {"patern=2i", "pattern=zz", "split=training", "2i", "pattern=2i color=red"}) {
    Selection before = s;
    st = ParseFilterLine(bad, *items, &s);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.pattern, before.pattern) << bad << ": unchanged";
    EXPECT_EQ(s.split, before.split) << bad;
  }
  EXPECT_NE(ParseFilterLine("patern=2i", *items, &s).message().find(
                "unknown key 'patern'; keys: pattern, split, tool, reason"),
            std::string::npos);
  EXPECT_TRUE(ParseFilterLine("", *items, &s).ok());
  EXPECT_EQ(s.pattern, "") << "an empty line clears the filter";
  // Sample sizes.
  EXPECT_EQ(*ParseSampleSize("12"), 12);
  EXPECT_EQ(*ParseSampleSize("0"), 0);
  for (const char* bad : {"abc", "-5", "", "5x", "99999999999999999999"}) {
    auto n = ParseSampleSize(bad);
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(n.status().message().find("whole number"), std::string::npos) << bad;
  }
}

TEST(ProvenanceTest, EveryRelationCallIsBackedByTriplesOfTheGraph) {
  const World& w = TheWorld();
  GraphContext g{&w.graph, &w.catalog};
  int calls = 0;
  for (const synth::Record& r : Records()) {
    const std::vector<std::string> lines = Provenance(r, g);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].rfind("anchors:", 0), 0u);
    for (const synth::AnchorRef& a : r.anchors) {
      EXPECT_NE(lines[0].find("[" + a.key + "]"), std::string::npos) << lines[0];
    }
    for (const std::string& l : lines) {
      EXPECT_EQ(l.find("without a triple"), std::string::npos) << r.id << ": " << l;
      calls += l.find("supported by") != std::string::npos;
    }
  }
  EXPECT_GT(calls, 10);
  // A hop that names an earlier result ("#k", --hop-arguments refs) is backed by triples from
  // that result's entities.
  int hops_by_ref = 0;
  for (const synth::Record& r :
       Records({.distractors = 2, .reflection_share = 0.3, .result_refs = true, .hop_refs = true})) {
    for (const std::string& l : Provenance(r, g)) {
      EXPECT_EQ(l.find("without a triple"), std::string::npos) << r.id << ": " << l;
      EXPECT_EQ(l.find("not an entity"), std::string::npos) << r.id << ": " << l;
      hops_by_ref += l.find(":\"#") != std::string::npos && l.find("supported by") != std::string::npos;
    }
  }
  EXPECT_GT(hops_by_ref, 3);
  // A call the graph cannot back is flagged.
  synth::Record r = Records().front();
  for (synth::Message& m : r.messages) {
    if (m.role == "tool" && m.content.rfind("[", 0) == 0 && m.content != "[]") {
      m.content = "[\"Atlantis\"]";
      break;
    }
  }
  std::string all;
  for (const std::string& l : Provenance(r, g)) all += l + "\n";
  EXPECT_NE(all.find("without a triple"), std::string::npos) << all;
}

TEST(ReviewStatsTest, WilsonIntervalMatchesTheFormula) {
  Interval i = WilsonInterval(1, 2);
  EXPECT_NEAR(i.lo, 0.0945, 1e-4);
  EXPECT_NEAR(i.hi, 0.9055, 1e-4);
  i = WilsonInterval(45, 50);
  EXPECT_NEAR(i.lo, 0.7864, 1e-4);
  EXPECT_NEAR(i.hi, 0.9565, 1e-4);
  i = WilsonInterval(0, 0);
  EXPECT_EQ(i.lo, 0);
  EXPECT_EQ(i.hi, 1);
  i = WilsonInterval(10, 10);
  EXPECT_EQ(i.hi, 1);
  EXPECT_NEAR(i.lo, 0.7225, 1e-4);
}

TEST(ReviewStatsTest, GroupsAndAgreement) {
  std::vector<Decision> d = {
      {.record_id = "1", .decision = "accept", .pattern = "1p", .template_id = "react.1.2",
       .tools = "f,g", .automatic = "kept"},
      {.record_id = "2", .decision = "reject", .reason = "stilted", .pattern = "1p",
       .template_id = "hermes.3", .tools = "f", .automatic = "kept"},
      {.record_id = "3", .decision = "reject", .reason = "stilted", .pattern = "2i",
       .template_id = "react.0", .tools = "g", .automatic = "rejected"},
      {.record_id = "4", .decision = "accept", .pattern = "2i", .template_id = "react.0",
       .tools = "h", .automatic = "unfiltered"}};
  const ReviewStats s = ComputeReviewStats(d);
  EXPECT_EQ(s.all.accepted, 2);
  EXPECT_EQ(s.all.total, 4);
  EXPECT_EQ(s.by_pattern.at("1p").total, 2);
  EXPECT_EQ(s.by_style.at("react").accepted, 2);
  EXPECT_EQ(s.by_style.at("react").total, 3);
  EXPECT_EQ(s.by_tool.at("f").total, 2);
  EXPECT_EQ(s.by_tool.at("g").accepted, 1);
  EXPECT_EQ(s.accepted_kept, 1);
  EXPECT_EQ(s.rejected_kept, 1);
  EXPECT_EQ(s.rejected_rejected, 1);
  EXPECT_EQ(s.unfiltered, 1);
  EXPECT_EQ(s.reject_reasons.at("stilted"), 2);
  auto json = ParseJson(s.ToJson(), "stats");
  ASSERT_TRUE(json.ok()) << s.ToJson();
  EXPECT_EQ((*json)["all"]["total"].GetInt(), 4);
  EXPECT_NE(s.ToText().find("agreement with the automatic checks: 2 of 3"), std::string::npos)
      << s.ToText();
}

TEST(ReviewFilterTest, RejectedRecordsAreDroppedAsReviewRejected) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  {
    auto store = DecisionStore::Open(dir.File("review.sqlite"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->Put({.record_id = records[0].id, .decision = "reject",
                            .reason = "stilted question", .reviewer = "ann"}).ok());
    ASSERT_TRUE(store->Put({.record_id = records[1].id, .decision = "accept", .reviewer = "ann"}).ok());
  }
  FilterFixture(dir, records,
                R"(,{"type":"review_decisions","name":"review","db":")" + dir.File("review.sqlite") +
                    "\"}");
  auto items = LoadReviewItems(dir.File("out"));
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  int found = 0;
  for (const ReviewItem& item : *items) {
    if (item.record.id == records[1].id) {
      EXPECT_NE(item.reason, "review.rejected");
    }
    if (item.record.id != records[0].id) continue;
    ++found;
    if (item.reason == "record_semantic.question_length") continue;  // dropped earlier
    EXPECT_EQ(item.reason, "review.rejected");
    EXPECT_NE(item.trail.back().detail.find("by ann: stilted question"), std::string::npos);
  }
  EXPECT_EQ(found, 1);
  // A missing store is an error naming the step.
  dir.Write("bad.json", R"({"filters":[{"type":"review_decisions","db":"/no/such.sqlite"}]})");
  auto p = filters::Pipeline::FromFile(dir.File("bad.json"), filters::RecordFilterPlugins({}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("filters[0]"), std::string::npos) << p.status().message();
}

// Audit defect 6: a reject of a record a check had already dropped, or an accept of one, was
// in no report.
TEST(ReviewFilterTest, TheReportAccountsForEveryDecision) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  FilterFixture(dir, records);  // which records the checks drop
  auto items = LoadReviewItems(dir.File("out"));
  ASSERT_TRUE(items.ok());
  std::vector<std::string> kept, dropped;
  for (const ReviewItem& item : *items) {
    (item.automatic == "kept" ? kept : dropped).push_back(item.record.id);
  }
  ASSERT_GE(kept.size(), 3u);
  ASSERT_GE(dropped.size(), 2u);
  {
    auto store = DecisionStore::Open(dir.File("review.sqlite"));
    ASSERT_TRUE(store.ok());
    for (const std::string& id : {kept[0], kept[1], dropped[0], std::string("not-in-input")}) {
      ASSERT_TRUE(store->Put({.record_id = id, .decision = "reject", .reason = "x", .reviewer = "ann"}).ok());
    }
    for (const std::string& id : {kept[2], dropped[1]}) {
      ASSERT_TRUE(store->Put({.record_id = id, .decision = "accept", .reviewer = "ann"}).ok());
    }
  }
  dir.Write("checks.json", R"({"filters":[{"type":"record_format"},)"
                           R"({"type":"record_semantic","max_question_chars":60},)"
                           R"({"type":"review_decisions","name":"review","db":")" +
                               dir.File("review.sqlite") + "\"}]}");
  filters::FilterRunOptions o;
  o.config = dir.File("checks.json");
  o.inputs = {dir.File("in.jsonl")};
  o.out_dir = dir.File("out2");
  o.threads = 1;
  auto report = filters::RunFilterCommand(o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const filters::FilterStats& review = report->filters.back();
  ASSERT_EQ(review.type, "review_decisions");
  EXPECT_EQ(review.reasons.at("rejected"), 2);
  const std::map<std::string, int64_t> want = {
      {"rejects_in_store", 4},         {"rejects_dropped_here", 2},
      {"rejects_already_dropped", 1},  {"rejects_not_in_input", 1},
      {"accepts_in_store", 2},         {"accepts_passed_here", 1},
      {"accepts_of_dropped_records_not_applied", 1}, {"accepts_not_in_input", 0}};
  EXPECT_EQ(review.counts, want);
  // The same with the run cut into one-record chunks (the counts are kept across chunks).
  auto p = filters::Pipeline::FromFile(o.config, filters::RecordFilterPlugins({}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  p->set_chunk_bytes(1);
  auto chunked = p->Run(o.inputs, dir.File("out3"), "", 1);
  ASSERT_TRUE(chunked.ok()) << chunked.status().ToString();
  EXPECT_EQ(chunked->filters.back().counts, want);
  EXPECT_NE(report->ToText().find("#rejects_already_dropped  1"), std::string::npos)
      << report->ToText();
  // The step first: the accepted record a later check drops passed here and is counted once,
  // as passed here, and as the part of those dropped later.
  dir.Write("first.json", R"({"filters":[{"type":"review_decisions","name":"review","db":")" +
                              dir.File("review.sqlite") + R"("},{"type":"record_format"},)"
                              R"({"type":"record_semantic","max_question_chars":60}]})");
  o.config = dir.File("first.json");
  o.out_dir = dir.File("out4");
  o.rejected_dir = dir.File("rejected4");
  auto first = filters::RunFilterCommand(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::map<std::string, int64_t> want_first = {
      {"rejects_in_store", 4},      {"rejects_dropped_here", 3},
      {"rejects_not_in_input", 1},  {"accepts_in_store", 2},
      {"accepts_passed_here", 2},   {"accepts_passed_here_dropped_later", 1},
      {"accepts_not_in_input", 0}};
  EXPECT_EQ(first->filters.front().counts, want_first);
  // What the step dropped before the checks ran is not "kept by the checks".
  auto first_items = LoadReviewItems(dir.File("out4"));
  ASSERT_TRUE(first_items.ok()) << first_items.status().ToString();
  int unchecked = 0;
  for (const ReviewItem& item : *first_items) {
    if (item.reason == "review.rejected") {
      EXPECT_EQ(item.automatic, "unchecked") << item.record.id;
      ++unchecked;
    }
  }
  EXPECT_EQ(unchecked, 3);
}

// Audit defect 10: the step's "db" was taken relative to the working directory, while
// filters/README says data paths in a config are relative to the config's folder.
TEST(ReviewFilterTest, TheStoreIsFoundRelativeToTheConfigsFolder) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  ASSERT_TRUE(CreateDirectories(dir.File("cfgs/store")).ok());
  ASSERT_TRUE(CreateDirectories(dir.File("elsewhere")).ok());
  {
    auto store = DecisionStore::Open(dir.File("cfgs/store/review.sqlite"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->Put({.record_id = records[0].id, .decision = "reject", .reason = "x",
                            .reviewer = "ann"}).ok());
  }
  std::string lines;
  for (const synth::Record& r : records) lines += synth::RecordToJson(r) + "\n";
  dir.Write("in.jsonl", lines);
  const std::string config = dir.Write(
      "cfgs/checks.json",
      R"({"filters":[{"type":"review_decisions","name":"review","db":"store/review.sqlite"}]})");
  InDirectory(dir.File("elsewhere"), [&] {
    filters::FilterRunOptions o;
    o.config = config;
    o.inputs = {dir.File("in.jsonl")};
    o.out_dir = dir.File("out");
    o.threads = 1;
    auto report = filters::RunFilterCommand(o);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->dropped, 1);
  });
  // An absolute path still works; a missing store's error shows the path it resolved to.
  dir.Write("cfgs/abs.json", R"({"filters":[{"type":"review_decisions","db":")" +
                                 dir.File("cfgs/store/review.sqlite") + "\"}]}");
  EXPECT_TRUE(filters::Pipeline::FromFile(dir.File("cfgs/abs.json"),
                                          filters::RecordFilterPlugins({})).ok());
  dir.Write("cfgs/missing.json", R"({"filters":[{"type":"review_decisions","db":"nope.sqlite"}]})");
  auto p = filters::Pipeline::FromFile(dir.File("cfgs/missing.json"), filters::RecordFilterPlugins({}));
  ASSERT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find(dir.File("cfgs/nope.sqlite") + ": no review store"),
            std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("relative paths are taken from the config's folder"),
            std::string::npos) << p.status().message();
}

// Issue 13: a rerun with unchanged inputs reuses the finished outputs; a new review mark, a
// changed input or --force runs again (and the mark is honoured).
TEST(ReviewFilterTest, RerunReusesFinishedOutputsUntilAMarkOrAnInputChanges) {
  TempDir dir;
  const std::vector<synth::Record> records = Records();
  { ASSERT_TRUE(DecisionStore::Open(dir.File("review.sqlite")).ok()); }
  dir.Write("in.jsonl", [&] {
    std::string lines;
    for (const synth::Record& r : records) lines += synth::RecordToJson(r) + "\n";
    return lines;
  }());
  dir.Write("checks.json", R"({"filters":[{"type":"record_format"},)"
                           R"({"type":"review_decisions","name":"review","db":")" +
                               dir.File("review.sqlite") + "\"}]}");
  filters::FilterRunOptions o;
  o.config = dir.File("checks.json");
  o.inputs = {dir.File("in.jsonl")};
  o.out_dir = dir.File("out");
  o.rejected_dir = dir.File("rejected");
  o.threads = 1;
  auto first = filters::RunFilterCommand(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->reused);
  EXPECT_EQ(first->dropped, 0);
  const std::string kept = *ReadFileToString(dir.File("out/in.jsonl"));
  auto again = filters::RunFilterCommand(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->ToJson(), first->ToJson());  // the report reads back whole
  EXPECT_NE(again->ToText().find("up to date"), std::string::npos);
  EXPECT_EQ(*ReadFileToString(dir.File("out/in.jsonl")), kept);
  // A run killed while replacing the report of this identical run leaves its temp files; the
  // rerun that reuses the finished run removes them (kill_rerun_test.sh found it under load).
  {
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    ASSERT_GT(dead, 0);
    int status = 0;
    waitpid(dead, &status, 0);
    const std::string d = std::to_string(dead);
    dir.Write("out/filter_report.json.tmp." + d, "{");
    dir.Write("rejected/in.jsonl.tmp." + d, "partial");
    auto reused = filters::RunFilterCommand(o);
    ASSERT_TRUE(reused.ok()) << reused.status().ToString();
    EXPECT_TRUE(reused->reused);
    EXPECT_FALSE(FileExists(dir.File("out/filter_report.json.tmp." + d)));
    EXPECT_FALSE(FileExists(dir.File("rejected/in.jsonl.tmp." + d)));
  }
  {
    auto store = DecisionStore::Open(dir.File("review.sqlite"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->Put({.record_id = records[0].id, .decision = "reject", .reason = "stilted",
                            .reviewer = "ann"}).ok());
  }
  auto marked = filters::RunFilterCommand(o);
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_FALSE(marked->reused);
  EXPECT_EQ(marked->dropped, 1);
  EXPECT_TRUE(filters::RunFilterCommand(o)->reused);
  o.force = true;
  EXPECT_FALSE(filters::RunFilterCommand(o)->reused);
  o.force = false;
  dir.Write("in.jsonl", synth::RecordToJson(records[1]) + "\n");
  auto changed = filters::RunFilterCommand(o);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_FALSE(changed->reused);
  EXPECT_EQ(changed->records, 1);
  // A lost output means the run is redone, not reused.
  std::remove(dir.File("out/in.jsonl").c_str());
  auto lost = filters::RunFilterCommand(o);
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(lost->reused);
}

}  // namespace
}  // namespace kgf::review
