// Pipeline: config errors, bad input, outputs and their order, rejected records with reasons,
// the report, and byte-identical output for 1 and many threads.
#include "filters/pipeline.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/json.h"
#include "base/line_reader.h"
#include "base/line_writer.h"
#include "base/rng.h"
#include "tests/testing/temp_dir.h"

namespace kgf::filters {
namespace {

using ::kgf::testing::ListFilesRecursive;
using ::kgf::testing::TempDir;

constexpr char kAllTextRules[] = R"({"text_field": "text", "filters": [
  {"type": "script"},
  {"type": "pii"},
  {"type": "c4"},
  {"type": "gopher_quality", "min_words": 20},
  {"type": "gopher_repetition"},
  {"type": "fineweb"},
  {"type": "exact_dedup"},
  {"type": "minhash_dedup"}]})";

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  auto reader = LineReader::Open(path);
  KGF_CHECK(reader.ok()) << reader.status().ToString();
  std::string line;
  while ((*reader)->Next(&line)) lines.push_back(line);
  return lines;
}

// A document of `sentences` sentences of common English words (passes the text rules).
std::string Prose(Rng& rng, int sentences) {
  static const char* kWords[] = {
      "river", "garden", "village", "morning", "teacher", "letter", "market", "winter",
      "window", "history", "council", "evening", "machine", "student", "country", "summer",
      "doctor", "journey", "picture", "station", "kitchen", "harbour", "meeting", "question"};
  static const char* kGlue[] = {"the", "and", "of", "with", "to", "that", "a", "in"};
  std::string text;
  for (int s = 0; s < sentences; ++s) {
    std::string sent = "The";
    int n = 8 + static_cast<int>(rng.Uniform(6));
    for (int k = 0; k < n; ++k) {
      sent += ' ';
      sent += (k % 2 == 0) ? kWords[rng.Uniform(24)] : kGlue[rng.Uniform(8)];
    }
    sent += " " + std::to_string(rng.Uniform(100000)) + " times.";
    text += (s > 0 ? (s % 4 == 0 ? "\n" : " ") : "") + sent;
  }
  return text;
}

// A mixed corpus: good prose, exact and near duplicates, junk, PII, foreign script.
std::string MixedCorpus(uint64_t seed, int n) {
  Rng rng(seed);
  std::vector<std::string> docs;
  for (int i = 0; i < n; ++i) {
    std::string text;
    switch (rng.Uniform(10)) {
      case 0:
        text = docs.empty() ? Prose(rng, 8) : docs[rng.Uniform(docs.size())];  // exact dup
        break;
      case 1:
        text = "buy now\nbuy now\nbuy now\nbuy now";  // junk
        break;
      case 2:
        text = Prose(rng, 8) + " Mail bob@example.com or call 555-123-4567 today.";
        break;
      case 3:
        text = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 " + Prose(rng, 1);
        break;
      case 4: {  // the same paragraph three times
        std::string p = Prose(rng, 5);
        text = p + "\n\n" + p + "\n\n" + p;
        break;
      }
      case 5:  // a near duplicate: an earlier document with its first word changed
        text = docs.empty() ? Prose(rng, 8) : [&] {
          const std::string& d = docs[rng.Uniform(docs.size())];
          return "Another" + d.substr(d.find(' '));
        }();
        break;
      default:
        text = Prose(rng, 6 + static_cast<int>(rng.Uniform(10)));
    }
    docs.push_back(text);
  }
  std::string out;
  for (size_t i = 0; i < docs.size(); ++i) {
    out += "{\"id\":" + std::to_string(i) + ",\"text\":" + JsonQuote(docs[i]) + "}\n";
  }
  return out;
}

Result<PipelineReport> RunWith(const TempDir& dir, const std::string& config,
                               const std::vector<std::string>& inputs, const std::string& out,
                               const std::string& rejected, int threads) {
  std::string cfg = dir.Write("config.json", config);
  KGF_ASSIGN_OR_RETURN(Pipeline p, Pipeline::FromFile(cfg));
  return p.Run(inputs, out, rejected, threads);
}

TEST(PipelineTest, ParallelEqualsSerialByteForByte) {
  TempDir dir;
  std::string a = dir.Write("a.jsonl", MixedCorpus(1, 300));
  std::string b = dir.Write("b.jsonl", MixedCorpus(2, 200));
  Result<PipelineReport> serial =
      RunWith(dir, kAllTextRules, {a, b}, dir.File("out1"), dir.File("rej1"), 1);
  ASSERT_TRUE(serial.ok()) << serial.status().ToString();
  Result<PipelineReport> parallel =
      RunWith(dir, kAllTextRules, {a, b}, dir.File("out4"), dir.File("rej4"), 4);
  ASSERT_TRUE(parallel.ok()) << parallel.status().ToString();
  for (const char* f : {"a.jsonl", "b.jsonl"}) {
    EXPECT_EQ(*ReadFileToString(JoinPath(dir.File("out1"), f)),
              *ReadFileToString(JoinPath(dir.File("out4"), f)))
        << f;
  }
  // The reports differ only in the output paths they list.
  auto normalized_report = [&](const char* out, const char* rej) {
    std::string s = *ReadFileToString(JoinPath(dir.File(out), "filter_report.json"));
    for (const char* name : {out, rej}) {
      for (size_t p = s.find(name); p != std::string::npos; p = s.find(name, p)) {
        s.replace(p, 4, "DIR_");
      }
    }
    return s;
  };
  EXPECT_EQ(normalized_report("out1", "rej1"), normalized_report("out4", "rej4"));
  for (const char* f : {"a.jsonl", "b.jsonl"}) {
    EXPECT_EQ(*ReadFileToString(JoinPath(dir.File("rej1"), f)),
              *ReadFileToString(JoinPath(dir.File("rej4"), f)))
        << f;
  }
  // The corpus has something for most rules to do.
  EXPECT_GT(serial->kept, 100);
  EXPECT_GT(serial->dropped, 100);
}

Result<PipelineReport> RunChunked(const TempDir& dir, const std::string& config,
                                   const std::vector<std::string>& inputs, const std::string& out,
                                   const std::string& rejected, int64_t chunk_bytes) {
  std::string cfg = dir.Write("config.json", config);
  KGF_ASSIGN_OR_RETURN(Pipeline p, Pipeline::FromFile(cfg));
  p.set_chunk_bytes(chunk_bytes);
  return p.Run(inputs, out, rejected, 2);
}

TEST(PipelineTest, AnyChunkSizeGivesTheSameBytes) {
  TempDir dir;
  std::string a = dir.Write("a.jsonl", MixedCorpus(3, 300));
  std::string b = dir.Write("b.jsonl", MixedCorpus(4, 200));
  // One line per chunk, a few kilobytes (chunks end mid-file and across files), one chunk.
  const std::vector<int64_t> sizes = {1, 5000, Pipeline::kDefaultChunkBytes};
  std::vector<std::string> kept, rejected, reports;
  for (int64_t size : sizes) {
    const std::string tag = std::to_string(size);
    Result<PipelineReport> r = RunChunked(dir, kAllTextRules, {a, b}, dir.File("out" + tag),
                                          dir.File("rej" + tag), size);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->records, 500);
    std::string k, j;
    for (const char* f : {"a.jsonl", "b.jsonl"}) {
      k += *ReadFileToString(JoinPath(dir.File("out" + tag), f));
      j += *ReadFileToString(JoinPath(dir.File("rej" + tag), f));
    }
    kept.push_back(k);
    rejected.push_back(j);
    PipelineReport copy = *r;
    copy.outputs.clear();
    reports.push_back(copy.ToJson());
  }
  for (size_t i = 1; i < sizes.size(); ++i) {
    EXPECT_EQ(kept[0], kept[i]) << "chunk " << sizes[i];
    EXPECT_EQ(rejected[0], rejected[i]) << "chunk " << sizes[i];
    EXPECT_EQ(reports[0], reports[i]) << "chunk " << sizes[i];
  }
  // Dedup across the chunk and file boundaries is what is being compared.
  EXPECT_NE(rejected[0].find("exact_dedup.duplicate"), std::string::npos);
  EXPECT_NE(rejected[0].find("minhash_dedup.near_duplicate"), std::string::npos);
}

TEST(PipelineTest, DedupStateHoldsKeysNotRecords) {
  TempDir dir;
  // 200 distinct documents of ~12 KB (a Brown text's size): 2.5 MB of input.
  Rng rng(11);
  std::string docs;
  for (int i = 0; i < 200; ++i) {
    docs += "{\"text\":" + JsonQuote(Prose(rng, 160)) + "}\n";
  }
  std::string in = dir.Write("big.jsonl", docs);
  Result<PipelineReport> r = RunChunked(dir, R"({"filters": [{"type": "exact_dedup"},
      {"type": "minhash_dedup"}]})", {in}, dir.File("out"), "", 64 << 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kept, 200);
  EXPECT_GT(r->state_bytes, 0);
  // Per kept record: a key and a "where" (exact), 14 band keys, a 448-byte signature (MinHash).
  EXPECT_LT(r->state_bytes, 200 * 2500) << "the states hold " << r->state_bytes << " bytes";
  EXPECT_LT(r->state_bytes * 4, r->input_bytes) << "the states must not hold the records";
}

TEST(PipelineTest, MinHashJudgesEachRecordAgainstTheEarlierOnes) {
  TempDir dir;
  const std::string a = "alpha bravo charlie delta echo foxtrot golf hotel india juliet";
  const std::string c = "kilo lima mike november oscar papa quebec romeo sierra tango";
  // b shares half its words with a and half with c: it links the two clusters.
  std::string in = dir.Write("in.jsonl", "{\"text\":\"" + a + "\"}\n{\"text\":\"" + c +
                                             "\"}\n{\"text\":\"" + a + " " + c +
                                             "\"}\n{\"text\":\"" + c + "\"}\n");
  Result<PipelineReport> r = RunChunked(
      dir, R"({"filters": [{"type": "minhash_dedup", "ngram": 1, "bands": 24, "rows": 1}]})",
      {in}, dir.File("out"), dir.File("rej"), 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> kept = ReadLines(dir.File("out/in.jsonl"));
  std::vector<std::string> rej = ReadLines(dir.File("rej/in.jsonl"));
  ASSERT_EQ(kept.size(), 2u) << "a, and c: c collided with nothing before it";
  EXPECT_NE(kept[1].find("kilo"), std::string::npos);
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_NE(rej[0].find("in.jsonl:3"), std::string::npos) << rej[0];
  EXPECT_NE(rej[0].find("cluster=" + dir.File("in.jsonl") + ":1"), std::string::npos) << rej[0];
  // b merged c's cluster into a's: the copy of c is a's cluster now.
  EXPECT_NE(rej[1].find("in.jsonl:4"), std::string::npos) << rej[1];
  EXPECT_NE(rej[1].find("cluster=" + dir.File("in.jsonl") + ":1 jaccard_estimate=0.0"),
            std::string::npos)
      << rej[1];
  EXPECT_EQ(r->filters[0].counts.at("clusters"), 1);
  EXPECT_EQ(r->filters[0].counts.at("duplicates"), 2);
}

TEST(PipelineTest, SpilledDedupGivesTheSameBytes) {
  TempDir dir;
  std::string a = dir.Write("a.jsonl", MixedCorpus(6, 300));
  std::string b = dir.Write("b.jsonl", MixedCorpus(7, 200));
  auto run = [&](const std::string& spill, const std::string& out) {
    std::string config = kAllTextRules;
    for (const char* type : {"exact_dedup\"", "minhash_dedup\""}) {
      config.replace(config.find(type), std::strlen(type),
                     std::string(type) + ", \"spill_after_mib\": " + spill);
    }
    Result<PipelineReport> r = RunChunked(dir, config, {a, b}, dir.File(out), dir.File(out + "_rej"), 4000);
    KGF_CHECK(r.ok()) << r.status().ToString();
    std::string bytes;
    for (const char* f : {"a.jsonl", "b.jsonl"}) {
      bytes += *ReadFileToString(JoinPath(dir.File(out), f));
      bytes += *ReadFileToString(JoinPath(dir.File(out + "_rej"), f));
    }
    return std::make_pair(bytes, r->state_bytes);
  };
  // 0: every entry goes to the temporary file as soon as it is written; -1: never.
  auto [spilled, spilled_bytes] = run("0", "spilled");
  auto [held, held_bytes] = run("-1", "held");
  EXPECT_EQ(spilled, held);
  EXPECT_NE(held.find("minhash_dedup.near_duplicate"), std::string::npos);
  EXPECT_NE(held.find("exact_dedup.duplicate"), std::string::npos);
  EXPECT_LT(spilled_bytes * 4, held_bytes) << "spilled state stays on disk";
}

TEST(PipelineTest, ABadLineInALaterChunkLeavesNothingBehind) {
  TempDir dir;
  std::string good = MixedCorpus(5, 100);
  std::string in = dir.Write("in.jsonl", good + "{\"text\": broken\n");
  Result<PipelineReport> r =
      RunChunked(dir, kAllTextRules, {in}, dir.File("out"), dir.File("rej"), 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("in.jsonl:101"), std::string::npos)
      << r.status().ToString();
  EXPECT_FALSE(FileExists(dir.File("out"))) << "earlier chunks' outputs were temp files";
  EXPECT_FALSE(FileExists(dir.File("rej")));
}

TEST(PipelineTest, KeptRecordsKeepInputOrderAndRejectedCarryReasons) {
  TempDir dir;
  std::string in = dir.Write("in.jsonl", MixedCorpus(3, 200));
  auto report = RunWith(dir, kAllTextRules, {in}, dir.File("out"), dir.File("rej"), 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::vector<std::string> kept = ReadLines(dir.File("out/in.jsonl"));
  std::vector<std::string> rejected = ReadLines(dir.File("rej/in.jsonl"));
  EXPECT_EQ(static_cast<int64_t>(kept.size()), report->kept);
  EXPECT_EQ(static_cast<int64_t>(rejected.size()), report->dropped);
  EXPECT_EQ(report->kept + report->dropped, 200);
  int64_t last_id = -1;
  for (const auto& line : kept) {
    auto doc = ParseJson(line, "kept");
    ASSERT_TRUE(doc.ok());
    int64_t id = (*doc)["id"].GetInt64();
    EXPECT_GT(id, last_id);
    last_id = id;
    // PII never survives.
    std::string text = (*doc)["text"].GetString();
    EXPECT_EQ(text.find("bob@example.com"), std::string::npos);
    EXPECT_EQ(text.find("555-123-4567"), std::string::npos);
  }
  std::map<std::string, int64_t> reasons;
  for (const auto& line : rejected) {
    auto doc = ParseJson(line, "rejected");
    ASSERT_TRUE(doc.ok());
    ASSERT_TRUE(doc->HasMember("record"));
    std::string reason = (*doc)["reason"].GetString();
    EXPECT_EQ(reason.find((*doc)["filter"].GetString()), 0u) << reason;
    EXPECT_NE(std::string((*doc)["where"].GetString()).find("in.jsonl:"), std::string::npos);
    ++reasons[reason];
  }
  EXPECT_GT(reasons["exact_dedup.duplicate"], 0);
  EXPECT_GT(reasons["script.script_share"], 0);
  EXPECT_GT(reasons["minhash_dedup.near_duplicate"], 0);
  EXPECT_GT(reasons["gopher_repetition.dup_lines"], 0);
  // Per-filter stats add up and agree with the rejected file.
  int64_t dropped = 0;
  for (const FilterStats& f : report->filters) {
    EXPECT_EQ(f.input, f.kept + f.dropped) << f.name;
    int64_t by_reason = 0;
    for (const auto& [r, n] : f.reasons) {
      by_reason += n;
      EXPECT_EQ(reasons[f.name + "." + r], n) << f.name << "." << r;
    }
    EXPECT_EQ(by_reason, f.dropped);
    dropped += f.dropped;
  }
  EXPECT_EQ(dropped, report->dropped);
  EXPECT_GT(report->filters[1].counts["email"], 0);  // pii
  EXPECT_TRUE(FileExists(dir.File("out/filter_report.json")));
}

TEST(PipelineTest, ZstdInputGivesZstdOutput) {
  TempDir dir;
  {
    auto w = LineWriter::Open(dir.File("in.jsonl.zst"));
    ASSERT_TRUE(w.ok());
    std::string corpus = MixedCorpus(4, 50);
    size_t start = 0;
    while (start < corpus.size()) {
      size_t nl = corpus.find('\n', start);
      ASSERT_TRUE((*w)->WriteLine(corpus.substr(start, nl - start)).ok());
      start = nl + 1;
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto report = RunWith(dir, kAllTextRules, {dir.File("in.jsonl.zst")}, dir.File("out"), "", 2);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 50);
  EXPECT_EQ(static_cast<int64_t>(ReadLines(dir.File("out/in.jsonl.zst")).size()), report->kept);
}

TEST(PipelineTest, NonUtf8LineIsAnErrorNamingFileAndLineAndWritesNothing) {
  TempDir dir;
  std::string in = dir.Write("in.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"bad \xff\"}\n");
  auto report = RunWith(dir, kAllTextRules, {in}, dir.File("out"), dir.File("rej"), 0);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("in.jsonl:2"), std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("UTF-8"), std::string::npos);
  EXPECT_EQ(ListFilesRecursive(dir.path()), "config.json\nin.jsonl\n");
}

TEST(PipelineTest, NonJsonLineIsAnErrorNamingFileAndLine) {
  TempDir dir;
  std::string in = dir.Write("in.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"ok\"}\nnot json\n");
  auto report = RunWith(dir, kAllTextRules, {in}, dir.File("out"), "", 0);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("in.jsonl:3"), std::string::npos)
      << report.status().message();
  EXPECT_FALSE(FileExists(dir.File("out")));
}

TEST(PipelineTest, EveryKindOfBadLineIsAnErrorNamingFileAndLine) {
  struct Case {
    const char* line;
    const char* message;
  };
  const Case cases[] = {
      {"{\"text\":\"cut \xe2\x80\"}", "UTF-8"},              // truncated sequence
      {"{\"text\":\"over \xc0\xaf\"}", "UTF-8"},             // overlong encoding
      {"{\"text\":\"lone \\ud800 x\"}", "invalid JSON"},    // escaped lone surrogate
      {"{\"text\":\"ok\"", "invalid JSON"},                    // unterminated object
      {"", "invalid JSON"},                                      // blank line
      {"\"just a string\"", "JSON object"},                     // not an object
  };
  for (const Case& c : cases) {
    TempDir dir;
    std::string in = dir.Write("in.jsonl", std::string("{\"text\":\"ok\"}\n") + c.line + "\n");
    auto report = RunWith(dir, kAllTextRules, {in}, dir.File("out"), dir.File("rej"), 0);
    ASSERT_FALSE(report.ok()) << c.line;
    EXPECT_NE(report.status().message().find("in.jsonl:2"), std::string::npos)
        << c.line << ": " << report.status().message();
    EXPECT_NE(report.status().message().find(c.message), std::string::npos)
        << c.line << ": " << report.status().message();
    EXPECT_EQ(ListFilesRecursive(dir.path()), "config.json\nin.jsonl\n") << c.line;
  }
}

TEST(PipelineTest, BadLinesCanBeCountedDrops) {
  TempDir dir;
  std::string in = dir.Write(
      "in.jsonl", "{\"text\":\"a\"}\nnot json\n[1,2]\n{\"text\":\"bad \xff\"}\n{\"other\":1}\n");
  std::string cfg = R"({"bad_lines": "drop", "filters": [{"type": "script"}]})";
  auto report = RunWith(dir, cfg, {in}, dir.File("out"), dir.File("rej"), 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 5);
  EXPECT_EQ(report->kept, 1);
  EXPECT_EQ(report->input_errors.at("invalid_json"), 2);
  EXPECT_EQ(report->input_errors.at("invalid_utf8"), 1);
  EXPECT_EQ(report->filters[0].reasons.at("missing_field"), 1);
  std::vector<std::string> rejected = ReadLines(dir.File("rej/in.jsonl"));
  ASSERT_EQ(rejected.size(), 4u);
  EXPECT_NE(rejected[0].find("\"reason\":\"input.invalid_json\""), std::string::npos);
  EXPECT_NE(rejected[0].find("in.jsonl:2"), std::string::npos);
  EXPECT_NE(rejected[2].find("\"reason\":\"input.invalid_utf8\""), std::string::npos);
  EXPECT_TRUE(ParseJson(rejected[2], "rejected").ok()) << "bad bytes are replaced by U+FFFD";
  EXPECT_NE(rejected[3].find("\"reason\":\"script.missing_field\""), std::string::npos);
}

TEST(PipelineTest, MissingOrNonStringFieldIsACountedDropNamingFileAndLine) {
  TempDir dir;
  std::string in = dir.Write("in.jsonl",
                             "{\"id\":1}\n{\"text\":5}\n{\"text\":null}\n{\"text\":\"Fine.\"}\n");
  // Default bad_lines ("error"): a well-formed record without the field is not a bad line but
  // a documented drop, counted under the first filter that needs the field.
  auto report = RunWith(dir, R"({"filters": [{"type": "pii"}, {"type": "script"}]})", {in},
                        dir.File("out"), dir.File("rej"), 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 4);
  EXPECT_EQ(report->kept, 1);
  EXPECT_EQ(report->filters[0].reasons.at("missing_field"), 3);
  EXPECT_TRUE(report->filters[1].reasons.empty());
  std::vector<std::string> rejected = ReadLines(dir.File("rej/in.jsonl"));
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_NE(rejected[0].find("in.jsonl:1: field 'text' missing"), std::string::npos)
      << rejected[0];
  EXPECT_NE(rejected[1].find("in.jsonl:2: field 'text' must be a string"), std::string::npos)
      << rejected[1];
  EXPECT_NE(rejected[2].find("in.jsonl:3: field 'text' must be a string"), std::string::npos)
      << rejected[2];
  EXPECT_EQ(ReadLines(dir.File("out/in.jsonl")), std::vector<std::string>{"{\"text\":\"Fine.\"}"});
}

TEST(PipelineTest, MissingConfigOrInputIsAnErrorNamingThePath) {
  TempDir dir;
  Result<Pipeline> p = Pipeline::FromFile(dir.File("nope.json"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("nope.json"), std::string::npos) << p.status().message();
  auto report = RunWith(dir, kAllTextRules, {dir.File("missing.jsonl")}, dir.File("out"), "", 0);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("missing.jsonl"), std::string::npos)
      << report.status().message();
  EXPECT_FALSE(FileExists(dir.File("out")));
}

TEST(PipelineTest, EmptyFileGivesEmptyOutputAndZeroCounts) {
  TempDir dir;
  std::string in = dir.Write("empty.jsonl", "");
  auto report = RunWith(dir, kAllTextRules, {in}, dir.File("out"), "", 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 0);
  EXPECT_EQ(*ReadFileToString(dir.File("out/empty.jsonl")), "");
}

TEST(PipelineTest, InputsWithTheSameNameAreRejected) {
  TempDir dir;
  std::string a = dir.Write("x/in.jsonl", "{\"text\":\"a\"}\n");
  std::string b = dir.Write("y/in.jsonl", "{\"text\":\"a\"}\n");
  auto report = RunWith(dir, kAllTextRules, {a, b}, dir.File("out"), "", 0);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("share the file name"), std::string::npos)
      << report.status().message();
}

struct ConfigCase {
  const char* config;
  const char* message;  // must occur in the error
};

TEST(PipelineTest, BadConfigsGiveClearErrors) {
  const ConfigCase cases[] = {
      {R"({"filters": [{"type": "gopher"}]})", "filters[0]: unknown filter type 'gopher'"},
      {R"({"filters": [{"type": "fineweb"}, {"type": "gopher_quality", "max_bullet_lines": 1.5}]})",
       "filters[1] (gopher_quality): 'max_bullet_lines' must be in [0, 1], got 1.5"},
      {R"({"filters": [{"type": "fineweb", "min_line_punt": 0.1}]})",
       "unknown option 'min_line_punt'"},
      {R"({"filters": [{"type": "minhash_dedup", "bands": 0}]})", "'bands' must be in [1, 1000]"},
      {R"({"filters": [{"type": "pii", "email": "yes"}]})", "'email' must be true or false"},
      {R"({"filters": [{"type": "script", "scripts": ["klingon"]}]})", "unknown script 'klingon'"},
      {R"({"filters": []})", "'filters' is empty"},
      {R"({"filters": [{"type": "pii"}, {"type": "pii"}]})", "filter name 'pii' is used twice"},
      {R"({"filter": []})", "unknown option 'filter'"},
      {R"({"bad_lines": "skip", "filters": [{"type": "pii"}]})", "'bad_lines' must be one of"},
      {R"({"filters": [{"type": "c4", "bad_words_file": "nope.txt"}]})", "nope.txt"},
      // The core pipeline knows no record types (they are the record layer's plugin).
      {R"({"filters": [{"type": "record_execution"}]})", "unknown filter type 'record_execution'"},
      {R"({"filters": [{"type": "exact_dedup", "source": "question"}]})",
       "source 'question' reads tool-use records, which this pipeline was built without"},
      {R"({"filters": [{"name": "x"}]})", "field 'type' missing"},
      {"{\"filters\": [", "invalid JSON"},
      {"", "invalid JSON"},
      {"[1]", "must be a JSON object"},
      {R"({"filters": [{"type": "gopher_quality", "min_words": "fifty"}]})",
       "filters[0] (gopher_quality): 'min_words' must be an integer"},
      {R"({"filters": [{"type": "gopher_quality", "min_words": 2.5}]})",
       "'min_words' must be an integer"},
      {R"({"filters": [{"type": "gopher_quality", "min_words": -3}]})",
       "'min_words' must be in [0, "},
      {R"({"filters": [{"type": "gopher_repetition", "max_top_2gram_chars": -0.1}]})",
       "'max_top_2gram_chars' must be in [0, 1], got -0.1"},
      {R"({"filters": [{"type": "c4", "min_sentences": "3"}]})", "'min_sentences' must be"},
      {R"({"filters": [{"type": "minhash_dedup", "rows": 0}]})", "'rows' must be in [1, "},
      {R"({"filters": ["pii"]})", "filters[0]"},
  };
  for (const ConfigCase& c : cases) {
    TempDir dir;
    std::string path = dir.Write("cfg.json", c.config);
    Result<Pipeline> p = Pipeline::FromFile(path);
    ASSERT_FALSE(p.ok()) << c.config;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos)
        << "config " << c.config << "\nerror " << p.status().message();
    EXPECT_NE(p.status().message().find("cfg.json"), std::string::npos) << p.status().message();
  }
}

TEST(PipelineTest, RewritesAreWrittenAndCounted) {
  TempDir dir;
  std::string in = dir.Write("in.jsonl", "{\"id\":1,\"text\":\"Mail x@y.com now.\",\"meta\":[1]}\n"
                                         "{\"id\":2,\"text\":\"No secrets.\"}\n");
  auto report = RunWith(dir, R"({"filters": [{"type": "pii"}]})", {in}, dir.File("out"), "", 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(*ReadFileToString(dir.File("out/in.jsonl")),
            "{\"id\":1,\"text\":\"Mail <EMAIL> now.\",\"meta\":[1]}\n"
            "{\"id\":2,\"text\":\"No secrets.\"}\n");
  EXPECT_EQ(report->filters[0].modified, 1);
  EXPECT_EQ(report->filters[0].counts.at("email"), 1);
}

}  // namespace
}  // namespace kgf::filters
