#include "corpus/corpus_builder.h"
#include "corpus/inspect.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/line_writer.h"
#include "corpus/corpus_reader.h"
#include "tests/corpus/corpus_test_util.h"
#include "tests/testing/temp_dir.h"

namespace kgf::corpus {
namespace {

using kgf::testing::ListFilesRecursive;
using kgf::testing::TempDir;
using testing::GenerateText;
using testing::SmallTokenizer;

std::string ToolRecord(int i) {
  const std::string country = "Country" + std::to_string(i);
  return std::string(R"({"tools":[{"type":"function","function":{"name":"get_capital_of_country"}}],)") +
         R"("messages":[{"role":"system","content":"Use the tools."},)" +
         R"({"role":"user","content":"What is the capital of )" + country + R"(?"},)" +
         R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":)" +
         R"({"name":"get_capital_of_country","arguments":"{\"country\":\")" + country + R"(\"}"}}]},)" +
         R"({"role":"tool","tool_call_id":"c1","content":"[\"City)" + std::to_string(i) + R"(\"]"},)" +
         R"({"role":"assistant","content":"The capital is City)" + std::to_string(i) + R"(."}]})";
}

// Record i with a "split" field written as `split` (raw JSON, "" for none), spaced and escaped
// unlike canonical JSON so that byte-for-byte copying is visible.
std::string SplitRecord(int i, const std::string& split) {
  std::string head = "{\"id\": \"r" + std::to_string(i) + "\",  \"note\": \"caf\\u00e9\", ";
  if (!split.empty()) head += "\"split\" : " + split + ", ";
  return head + ToolRecord(i).substr(1);
}

// The split of record i in the split fixture: no field (train) for i % 5 == 0, valid for 3,
// test for 4, "train" otherwise.
std::string SplitOf(int i) {
  switch (i % 5) {
    case 0: return "";
    case 3: return "\"valid\"";
    case 4: return "\"test\"";
    default: return "\"train\"";
  }
}

// Inputs: 40 text documents (.jsonl), 30 tool-use records (.jsonl.zst in a folder), tokenizer.
class CorpusBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      JsonDoc d;
      d.SetObject();
      const std::string body = GenerateText(1000 + i, 3 + i % 7);
      d.AddMember("text", JsonValue(body.c_str(), d.GetAllocator()), d.GetAllocator());
      text += JsonToString(d) + "\n";
    }
    text += "{\"text\":\"\"}\n";  // empty: skipped and counted
    dir_.Write("brown.jsonl", text);
    ASSERT_TRUE(CreateDirectories(dir_.File("synth")).ok());
    auto w = LineWriter::Open(dir_.File("synth/shard-00000.jsonl.zst"));
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 30; ++i) ASSERT_TRUE((*w)->WriteLine(ToolRecord(i)).ok());
    ASSERT_TRUE((*w)->Close().ok());
    dir_.Write("tok.model", SmallTokenizer().serialized());
  }

  std::string Config(const std::string& extra, const std::string& sources = "") {
    const std::string s = sources.empty()
        ? R"([{"name":"brown","kind":"text","paths":["brown.jsonl"]},
             {"name":"tools","kind":"tool_use","paths":["synth"]}])"
        : sources;
    return dir_.Write("mix" + std::to_string(configs_++) + ".json", R"({"seed":7,"tokenizer":"tok.model",)" + extra +
                                      R"("sources":)" + s + "}");
  }

  // synth_split/: records 0-19 in shard-00000.jsonl.zst, 20-29 in shard-00001.jsonl (read in
  // that order), splits by SplitOf(). Returns the expected eval files' bytes.
  struct EvalBytes {
    std::string valid, test;
  };
  EvalBytes WriteSplitInputs() {
    EvalBytes expected;
    EXPECT_TRUE(CreateDirectories(dir_.File("synth_split")).ok());
    auto w = LineWriter::Open(dir_.File("synth_split/shard-00000.jsonl.zst"));
    EXPECT_TRUE(w.ok());
    std::string plain;
    for (int i = 0; i < 30; ++i) {
      const std::string line = SplitRecord(i, SplitOf(i));
      if (i < 20) EXPECT_TRUE((*w)->WriteLine(line).ok());
      else plain += line + "\n";
      if (i % 5 == 3) expected.valid += line + "\n";
      if (i % 5 == 4) expected.test += line + "\n";
    }
    EXPECT_TRUE((*w)->Close().ok());
    dir_.Write("synth_split/shard-00001.jsonl", plain);
    return expected;
  }
  std::string SplitConfig(const std::string& extra = "") {
    return Config(extra, R"([{"name":"brown","kind":"text","paths":["brown.jsonl"]},
                            {"name":"tools","kind":"tool_use","paths":["synth_split"]}])");
  }

  Result<BuildSummary> Build(const std::string& config, const std::string& out, int threads = 0) {
    CorpusBuildOptions options;
    options.config = config;
    options.out = dir_.File(out);
    options.threads = threads;
    return BuildCorpus(options);
  }

  TempDir dir_;
  int configs_ = 0;
};

// The record numbers (Country<i>) of the SFT samples of the corpus at `dir`, sorted, with
// repeats; decoded from the shards' tokens.
std::vector<int> SftRecordIds(const std::string& dir) {
  auto corpus = Corpus::Open(dir);
  EXPECT_TRUE(corpus.ok()) << corpus.status().ToString();
  std::vector<int> ids;
  const CorpusDataset* sft = corpus.ok() ? corpus->dataset("sft") : nullptr;
  Document doc;
  for (int64_t i = 0; sft && i < sft->num_documents(); ++i) {
    sft->Get(i, &doc);
    const std::string text = *SmallTokenizer().Decode(doc.tokens);
    const std::string key = "capital of Country";
    const size_t at = text.find(key);
    EXPECT_NE(at, std::string::npos) << text;
    if (at != std::string::npos) ids.push_back(std::stoi(text.substr(at + key.size())));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int> RecordsWhere(bool (*keep)(int)) {
  std::vector<int> ids;
  for (int i = 0; i < 30; ++i) {
    if (keep(i)) ids.push_back(i);
  }
  return ids;
}

TEST_F(CorpusBuilderTest, BuildsShardsManifestCatalogAndReadsBack) {
  auto summary = Build(Config(""), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(ListFilesRecursive(dir_.File("out")),
            "catalog.sqlite\nmanifest.json\npretrain_00000.bin\npretrain_00000.idx\n"
            "sft_00000.bin\nsft_00000.idx\nsft_00000_mask.bin\nsft_00000_mask.idx\n"
            "tokenizer.model\n");
  const Manifest& m = summary->manifest;
  EXPECT_EQ(m.tokenizer_checksum, SmallTokenizer().checksum());
  EXPECT_EQ(m.dtype, "uint16");
  ASSERT_EQ(m.sources.size(), 2u);
  EXPECT_EQ(m.sources[0].records, 40);
  EXPECT_EQ(m.sources[0].empty_skipped, 1);
  EXPECT_EQ(m.sources[0].documents, 40);
  EXPECT_EQ(m.sources[1].documents, 30);
  EXPECT_EQ(m.files.size(), 7u);

  auto corpus = Corpus::Open(dir_.File("out"), {.verify_checksums = true, .expected_tokenizer_checksum = ""});
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  const CorpusDataset* pre = corpus->dataset("pretrain");
  const CorpusDataset* sft = corpus->dataset("sft");
  ASSERT_TRUE(pre && sft);
  EXPECT_EQ(pre->num_tokens(), m.sources[0].tokens);
  // Every pre-training document decodes to one of the input texts plus <|end_of_text|>.
  Document doc;
  int matched = 0;
  for (int64_t i = 0; i < pre->num_documents(); ++i) {
    pre->Get(i, &doc);
    std::string text = *SmallTokenizer().Decode(doc.tokens);
    for (int k = 0; k < 40; ++k) matched += text == GenerateText(1000 + k, 3 + k % 7) + "<|end_of_text|>";
  }
  EXPECT_EQ(matched, 40);
  // SFT: masks select exactly the assistant output.
  for (int64_t i = 0; i < sft->num_documents(); ++i) {
    sft->Get(i, &doc);
    ASSERT_EQ(doc.mask.size(), doc.tokens.size());
    std::vector<int32_t> trained;
    for (size_t k = 0; k < doc.tokens.size(); ++k) if (doc.mask[k]) trained.push_back(doc.tokens[k]);
    std::string t = *SmallTokenizer().Decode(trained);
    EXPECT_EQ(t.rfind("<tool_call>{\"name\":\"get_capital_of_country\"", 0), 0u) << t;
    EXPECT_NE(t.find("The capital is City"), std::string::npos);
  }
  auto verify = VerifyCorpus(dir_.File("out"));
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_NE(verify->find("dataset sft: 30 documents"), std::string::npos) << *verify;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir_.File("out/catalog.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT sum(documents) FROM shard_sources WHERE source='tools'", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 30);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM shards WHERE kind='mask'", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 1);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT documents FROM sources WHERE name='brown'", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 40);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(CorpusBuilderTest, ByteIdenticalForAnyThreadCount) {
  const std::string config = Config(R"("max_shard_tokens":900,"max_document_tokens":200,)");
  ASSERT_TRUE(Build(config, "t1", 1).ok());
  ASSERT_TRUE(Build(config, "t2", 2).ok());
  ASSERT_TRUE(Build(config, "t8", 8).ok());
  const std::string files = ListFilesRecursive(dir_.File("t1"));
  EXPECT_EQ(files, ListFilesRecursive(dir_.File("t2")));
  const std::vector<std::string> names = *ListDirectory(dir_.File("t1"));
  for (const char* other : {"t2", "t8"}) {
    for (const auto& f : names) {
      if (f == "catalog.sqlite") continue;
      EXPECT_EQ(*ReadFileToString(dir_.File("t1/" + f)),
                *ReadFileToString(dir_.File(std::string(other) + "/" + f))) << f;
    }
  }
  // A different seed changes the order (same multiset of documents).
  std::string text = *ReadFileToString(config);
  text.replace(text.find("\"seed\":7"), 8, "\"seed\":8");
  ASSERT_TRUE(Build(dir_.Write("mix8.json", text), "s8", 1).ok());
  EXPECT_NE(*ReadFileToString(dir_.File("t1/pretrain_00000.bin")),
            *ReadFileToString(dir_.File("s8/pretrain_00000.bin")));
}

// Sources longer than one pipeline chunk: the shards, manifest and catalog rows are the same
// for any thread count, and errors are those of reading everything first, then processing in
// input order, whichever chunk they fall in.
TEST_F(CorpusBuilderTest, ChunkedPipelineIsThreadCountIndependentAcrossChunks) {
  const int64_t n = 4 * kBuildChunkLines + 5;
  std::vector<std::string> lines;
  for (int64_t i = 0; i < n; ++i) {
    JsonDoc d;
    d.SetObject();
    const std::string body = i % 17 == 0 ? "" : GenerateText(2000 + i, 1 + i % 5);
    d.AddMember("text", JsonValue(body.c_str(), d.GetAllocator()), d.GetAllocator());
    lines.push_back(JsonToString(d));
  }
  auto write = [&](const std::string& name, const std::vector<std::string>& ls) {
    std::string text;
    for (const std::string& l : ls) text += l + "\n";
    dir_.Write(name, text);
    return Config(R"("max_shard_tokens":3000,"max_document_tokens":40,)",
                  R"([{"name":"long","kind":"text","paths":[")" + name + R"("]},)"
                  R"({"name":"tools","kind":"tool_use","paths":["synth"]}])");
  };
  const std::string config = write("long.jsonl", lines);
  ASSERT_TRUE(Build(config, "c1", 1).ok());
  ASSERT_TRUE(Build(config, "c2", 2).ok());
  ASSERT_TRUE(Build(config, "c8", 8).ok());
  const std::vector<std::string> names = *ListDirectory(dir_.File("c1"));
  EXPECT_GT(names.size(), 6u) << "several shards";
  for (const char* other : {"c2", "c8"}) {
    EXPECT_EQ(ListFilesRecursive(dir_.File("c1")), ListFilesRecursive(dir_.File(other)));
    for (const auto& f : names) {
      if (f == "catalog.sqlite") continue;
      EXPECT_EQ(*ReadFileToString(dir_.File("c1/" + f)),
                *ReadFileToString(dir_.File(std::string(other) + "/" + f))) << f;
    }
  }
  auto built = Corpus::Open(dir_.File("c1"));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto summary = Build(config, "c1", 2);  // reused: the manifest as written
  ASSERT_TRUE(summary.ok());
  const SourceBuildStats& st = summary->manifest.sources[0];
  EXPECT_EQ(st.empty_skipped, (n + 16) / 17);
  EXPECT_EQ(st.records, n - st.empty_skipped);
  EXPECT_GT(st.split, 0);

  // Processing errors (a line without "text") in the second and fourth chunks: the second's
  // wins for any thread count.
  std::vector<std::string> bad = lines;
  bad[kBuildChunkLines + 3] = R"({"title":"no text"})";
  bad[3 * kBuildChunkLines + 1] = R"({"title":"no text either"})";
  const std::string bad_config = write("bad.jsonl", bad);
  const std::string first = "bad.jsonl:" + std::to_string(kBuildChunkLines + 4) + ":";
  for (int threads : {1, 2, 8}) {
    auto r = Build(bad_config, "bad" + std::to_string(threads), threads);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(first), std::string::npos) << r.status().message();
    EXPECT_FALSE(FileExists(dir_.File("bad" + std::to_string(threads))));
  }
  // A blank line in the last chunk (a read error) wins over those processing errors.
  bad.back() = "  ";
  const std::string blank_config = write("blank.jsonl", bad);
  for (int threads : {1, 2, 8}) {
    auto r = Build(blank_config, "blank" + std::to_string(threads), threads);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("blank.jsonl:" + std::to_string(n) + ": blank line"),
              std::string::npos) << r.status().message();
  }
}

TEST_F(CorpusBuilderTest, ShardSizeLimitSplitsShards) {
  auto summary = Build(Config(R"("max_shard_tokens":900,"max_document_tokens":200,)"), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  for (const auto& d : summary->manifest.datasets) {
    EXPECT_GT(d.shards.size(), 1u) << d.name;
    int64_t docs = 0;
    for (const auto& s : d.shards) {
      EXPECT_LE(s.tokens, 900);
      docs += s.documents;
    }
    EXPECT_EQ(docs, d.documents);
  }
  // Long text documents were split into pieces of at most 200 tokens.
  EXPECT_GT(summary->manifest.sources[0].split, 0);
  auto corpus = Corpus::Open(dir_.File("out"));
  ASSERT_TRUE(corpus.ok());
  const CorpusDataset* pre = corpus->dataset("pretrain");
  for (int64_t i = 0; i < pre->num_documents(); ++i) EXPECT_LE(pre->length(i), 200);
}

TEST_F(CorpusBuilderTest, EpochsAndWeightsControlTheMix) {
  auto epochs = Build(Config("", R"([{"name":"brown","kind":"text","paths":["brown.jsonl"],"epochs":2.5},
                                    {"name":"tools","kind":"tool_use","paths":["synth"],"epochs":0.5}])"),
                      "e");
  ASSERT_TRUE(epochs.ok()) << epochs.status().ToString();
  EXPECT_EQ(epochs->manifest.sources[0].documents, 100);  // 2 x 40 + 20
  EXPECT_EQ(epochs->manifest.sources[1].documents, 15);

  // Two text sources with weights 3:1 -> token shares 3:1 (up to whole documents).
  const std::string brown = *ReadFileToString(dir_.File("brown.jsonl"));
  dir_.Write("brown2.jsonl", brown);
  auto weighted = Build(Config("", R"([{"name":"a","kind":"text","paths":["brown.jsonl"],"weight":3},
                                      {"name":"b","kind":"text","paths":["brown2.jsonl"],"weight":1}])"),
                        "w");
  ASSERT_TRUE(weighted.ok()) << weighted.status().ToString();
  const auto& s = weighted->manifest.sources;
  EXPECT_DOUBLE_EQ(s[0].epochs, 1.5);
  EXPECT_DOUBLE_EQ(s[1].epochs, 0.5);
  const double share = static_cast<double>(s[0].tokens) / (s[0].tokens + s[1].tokens);
  EXPECT_NEAR(share, 0.75, 0.05);
}

TEST_F(CorpusBuilderTest, SftTruncationDropsSamplesWithoutTrainedTokens) {
  // The prompt of every record is longer than 20 tokens: truncation leaves no trained token.
  auto summary = Build(Config(R"("max_document_tokens":20,)"), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->manifest.sources[1].dropped_no_trained_tokens, 30);
  EXPECT_EQ(summary->manifest.sources[1].documents, 0);
  // Long enough to keep part of the answer: truncated, kept, at least one trained token each.
  auto kept = Build(Config(R"("max_document_tokens":75,)"), "kept");
  ASSERT_TRUE(kept.ok());
  const auto& tools = kept->manifest.sources[1];
  EXPECT_EQ(tools.truncated + tools.dropped_no_trained_tokens > 0, true);
  auto corpus = Corpus::Open(dir_.File("kept"));
  const CorpusDataset* sft = corpus->dataset("sft");
  Document doc;
  for (int64_t i = 0; sft && i < sft->num_documents(); ++i) {
    sft->Get(i, &doc);
    EXPECT_LE(doc.tokens.size(), 75u);
    EXPECT_GT(std::count(doc.mask.begin(), doc.mask.end(), 1), 0);
  }
}

// Issue 13: one 20 MB line cost a minute and gigabytes. Text past max_document_bytes is cut
// (at a UTF-8 boundary) and counted; a tool_use record that long is an error.
TEST_F(CorpusBuilderTest, DocumentsOverTheByteCapAreCutAndCounted) {
  std::string big = "{\"text\":\"";
  for (int i = 0; i < 5000; ++i) big += "caf\u00e9 olive ";  // 2-byte characters throughout
  big += "\"}\n";
  dir_.Write("big.jsonl", big + "{\"text\":\"short one\"}\n");
  auto r = Build(Config(R"("max_document_bytes":1001,)",
                        R"([{"name":"big","kind":"text","paths":["big.jsonl"]}])"),
                 "capped");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->manifest.sources[0].cut, 1);
  EXPECT_EQ(r->manifest.sources[0].records, 2);
  EXPECT_NE(r->manifest.Summary().find("cut big: 1 document(s)"), std::string::npos);
  auto parsed = Manifest::Parse(*ReadFileToString(dir_.File("capped/manifest.json")), "m");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sources[0].cut, 1);
  // The cut document decodes to valid UTF-8 of at most the cap.
  auto corpus = Corpus::Open(dir_.File("capped"));
  ASSERT_TRUE(corpus.ok());
  Document doc;
  size_t longest = 0;
  for (int64_t i = 0; i < corpus->dataset("pretrain")->num_documents(); ++i) {
    corpus->dataset("pretrain")->Get(i, &doc);
    const std::string text = *SmallTokenizer().Decode(doc.tokens);
    longest = std::max(longest, text.size());
  }
  EXPECT_LE(longest, 1001u + 20u) << "the cap plus the end-of-text token's text";
  auto rec = Build(Config(R"("max_document_bytes":100,)",
                          R"([{"name":"t","kind":"tool_use","paths":["synth"]}])"),
                   "recs");
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("more than max_document_bytes 100"), std::string::npos)
      << rec.status().message();
}

TEST_F(CorpusBuilderTest, BadInputsFailCleanlyAndLeaveNothing) {
  const std::string before = ListFilesRecursive(dir_.path());
  struct Case {
    std::string config;
    StatusCode code;
    std::string expect;
  } cases[] = {
      {Config(R"("split_long_documents":false,"max_document_tokens":30,)"),
       StatusCode::kInvalidArgument, "brown.jsonl:1: document has"},
      {Config(R"("truncate_sft":false,"max_document_tokens":4000,"max_shard_tokens":4000,)",
              R"([{"name":"t","kind":"tool_use","paths":["synth"]}])"),
       StatusCode::kOk, ""},
      {Config(R"("truncate_sft":false,"split_long_documents":true,"max_document_tokens":30,)",
              R"([{"name":"t","kind":"tool_use","paths":["synth"]}])"),
       StatusCode::kInvalidArgument, "shard-00000.jsonl.zst:1: sample has"},
      {Config("", R"([{"name":"x","kind":"text","paths":["nope.jsonl"]}])"), StatusCode::kNotFound,
       "nope.jsonl does not exist"},
      {Config("", R"([{"name":"x","kind":"txt","paths":["a"]}])"), StatusCode::kInvalidArgument,
       "sources[0].kind 'txt'"},
      {Config("", R"([{"name":"x","kind":"text","paths":["bad.jsonl"]}])"),
       StatusCode::kInvalidArgument, "bad.jsonl:2"},
      // Issue 13: a blank line was skipped silently.
      {Config("", R"([{"name":"x","kind":"text","paths":["blank.jsonl"]}])"),
       StatusCode::kInvalidArgument, "blank.jsonl:2: blank line"},
  };
  dir_.Write("bad.jsonl", "{\"text\":\"fine\"}\n{\"title\":\"no text\"}\n");
  dir_.Write("blank.jsonl", "{\"text\":\"fine\"}\n  \n{\"text\":\"also fine\"}\n");
  int n = 0;
  for (const auto& c : cases) {
    const std::string out = "bad" + std::to_string(n++);
    auto r = Build(c.config, out);
    if (c.code == StatusCode::kOk) {
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_FALSE(FileExists(dir_.File(out))) << out;
  }
  // No temporary folders anywhere.
  EXPECT_EQ(ListFilesRecursive(dir_.path()).find(".tmp-"), std::string::npos);

  // Missing tokenizer.
  auto missing = Build(dir_.Write("m.json", R"({"tokenizer":"none.model","sources":[{"name":"b","kind":"text","paths":["brown.jsonl"]}]})"), "m");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("none.model"), std::string::npos);
  // Output folder already holds a corpus built from another config, or other files.
  ASSERT_TRUE(Build(Config(""), "taken").ok());
  EXPECT_EQ(Build(Config(R"("max_document_tokens":2048,)"), "taken").status().code(),
            StatusCode::kAlreadyExists);
  dir_.Write("other/notes.txt", "mine");
  EXPECT_EQ(Build(Config(""), "other").status().code(), StatusCode::kAlreadyExists);
}

// Issue 13: a rerun with the same config, inputs, tokenizer and binary reuses the finished
// corpus; a changed input is refused unless --force, which rebuilds it in place.
TEST_F(CorpusBuilderTest, RerunReusesAFinishedCorpusUntilAnInputChanges) {
  auto first = Build(Config(""), "c");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->reused);
  EXPECT_EQ(first->manifest.fingerprint.rfind("xxh3:", 0), 0u) << first->manifest.fingerprint;
  const std::string manifest = *ReadFileToString(dir_.File("c/manifest.json"));
  auto again = Build(Config(""), "c");  // same bytes in another config file
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->manifest.ToJson(), manifest);
  // One more text line: another fingerprint.
  dir_.Write("brown.jsonl", *ReadFileToString(dir_.File("brown.jsonl")) +
                                "{\"text\":\"One more line of text for the corpus.\"}\n");
  auto changed = Build(Config(""), "c");
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(changed.status().message().find("--force"), std::string::npos);
  CorpusBuildOptions force;
  force.config = Config("");
  force.out = dir_.File("c");
  force.force = true;
  auto rebuilt = BuildCorpus(force);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_FALSE(rebuilt->reused);
  EXPECT_NE(rebuilt->manifest.fingerprint, first->manifest.fingerprint);
  EXPECT_TRUE(Build(Config(""), "c")->reused);
  // A --force build killed over this finished corpus left its temp folder: the reuse removes it.
  {
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    ASSERT_GT(dead, 0);
    int status = 0;
    waitpid(dead, &status, 0);
    const std::string tmp = dir_.File("c.tmp-" + std::to_string(dead));
    dir_.Write("c.tmp-" + std::to_string(dead) + "/manifest.json", "{");
    auto reused = Build(Config(""), "c");
    ASSERT_TRUE(reused.ok()) << reused.status().ToString();
    EXPECT_TRUE(reused->reused);
    EXPECT_FALSE(FileExists(tmp));
  }
  // A damaged corpus (a shard cut short) is not reused.
  for (const ManifestFile& f : rebuilt->manifest.files) {
    if (f.path.find(".bin") == std::string::npos) continue;
    std::filesystem::resize_file(dir_.File("c/" + f.path), f.bytes / 2);
    break;
  }
  EXPECT_EQ(Build(Config(""), "c").status().code(), StatusCode::kAlreadyExists);
}

TEST_F(CorpusBuilderTest, TrainsTokenizerFromTheMixSources) {
  TokenizerTrainJob job;
  job.config = Config("");
  job.out = dir_.File("trained/tok.model");
  job.train.vocab_size = 400;
  auto checksum = TrainTokenizerJob(job);
  ASSERT_TRUE(checksum.ok()) << checksum.status().ToString();
  auto tokenizer = Tokenizer::Load(job.out);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  EXPECT_EQ(tokenizer->checksum(), *checksum);
  // Tool-use text was part of the training data: the tool name takes fewer pieces than with
  // a tokenizer trained on the plain text alone.
  EXPECT_LT(tokenizer->Encode("get_capital_of_country")->size(),
            SmallTokenizer().Encode("get_capital_of_country")->size());
  EXPECT_EQ(TrainTokenizerJob(TokenizerTrainJob{}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CorpusBuilderTest, HeldOutSplitsGoToEvalFilesNeverToSft) {
  const EvalBytes expected = WriteSplitInputs();
  auto summary = Build(SplitConfig(), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const std::string out = dir_.File("out");
  EXPECT_EQ(ListFilesRecursive(out),
            "catalog.sqlite\neval/test.jsonl\neval/valid.jsonl\nmanifest.json\n"
            "pretrain_00000.bin\npretrain_00000.idx\nsft_00000.bin\nsft_00000.idx\n"
            "sft_00000_mask.bin\nsft_00000_mask.idx\ntokenizer.model\n");
  // Eval files: the original lines, byte for byte, in input order (file 00000 before 00001).
  EXPECT_EQ(*ReadFileToString(out + "/eval/valid.jsonl"), expected.valid);
  EXPECT_EQ(*ReadFileToString(out + "/eval/test.jsonl"), expected.test);
  // SFT: every train record (with "train" or no split field) exactly once, nothing else.
  EXPECT_EQ(SftRecordIds(out), RecordsWhere([](int i) { return i % 5 < 3; }));

  const Manifest& m = summary->manifest;
  const SourceBuildStats& tools = m.sources[1];
  EXPECT_EQ(tools.records, 30);
  EXPECT_EQ(tools.train_records, 18);
  EXPECT_EQ(tools.valid_records, 6);
  EXPECT_EQ(tools.test_records, 6);
  EXPECT_FALSE(tools.valid_trained);
  EXPECT_EQ(tools.unique_documents, 18);
  EXPECT_EQ(tools.documents, 18);
  EXPECT_FALSE(m.train_on_valid);
  ASSERT_EQ(m.eval.size(), 2u);
  for (const ManifestEvalFile& e : m.eval) {
    EXPECT_EQ(e.path, "eval/" + e.split + ".jsonl");
    EXPECT_EQ(e.records, 6);
    EXPECT_FALSE(e.trained);
    EXPECT_EQ(e.bytes, *FileSize(out + "/" + e.path));
    EXPECT_EQ(e.checksum, *FileChecksum(out + "/" + e.path));
  }
  EXPECT_EQ(m.eval[0].split, "valid");
  EXPECT_EQ(m.eval[1].split, "test");
  // The manifest on disk says the same, and corpus verify checks the eval files.
  auto parsed = Manifest::Parse(*ReadFileToString(out + "/manifest.json"), "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ToJson(), m.ToJson());
  EXPECT_EQ(parsed->sources[1].test_records, 6);
  auto verify = VerifyCorpus(out);
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_NE(verify->find("OK: 9 files"), std::string::npos) << *verify;
  EXPECT_NE(summary->manifest.Summary().find(
                "splits tools: train 18 (trained), valid 6 (held out), test 6 (held out)"),
            std::string::npos)
      << summary->manifest.Summary();

  auto info = ReadCorpusInfo(out);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->tokenizer_path, out + "/tokenizer.model");
  EXPECT_EQ(info->tokenizer_checksum, SmallTokenizer().checksum());
  ASSERT_EQ(info->eval_files.size(), 2u);
  EXPECT_EQ(info->eval_files.at("test").path, out + "/eval/test.jsonl");
  EXPECT_EQ(info->eval_files.at("valid").records, 6);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((out + "/catalog.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT train_records, valid_records, test_records FROM sources "
                                   "WHERE name='tools'", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 18);
  EXPECT_EQ(sqlite3_column_int64(st, 1), 6);
  EXPECT_EQ(sqlite3_column_int64(st, 2), 6);
  sqlite3_finalize(st);
  // Provenance: every sequence has a documents row naming its record; the record's id matches
  // the record the tokens decode to.
  auto corpus = Corpus::Open(out);
  ASSERT_TRUE(corpus.ok());
  const CorpusDataset* sft = corpus->dataset("sft");
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT seq, record_id, input, tokens FROM documents WHERE "
                                   "shard='sft_00000' ORDER BY seq", -1, &st, nullptr), SQLITE_OK);
  int64_t rows = 0;
  Document doc;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const int64_t seq = sqlite3_column_int64(st, 0);
    const std::string id = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    const std::string input = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    sft->Get(seq, &doc);
    EXPECT_EQ(sqlite3_column_int64(st, 3), static_cast<int64_t>(doc.tokens.size()));
    const std::string text = *SmallTokenizer().Decode(doc.tokens);
    EXPECT_NE(text.find("capital of Country" + id.substr(1) + "?"), std::string::npos) << id;
    EXPECT_NE(input.find("synth_split/shard-0000"), std::string::npos) << input;
    ++rows;
  }
  sqlite3_finalize(st);
  EXPECT_EQ(rows, 18);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*), COUNT(record_id) FROM documents WHERE "
                                   "dataset='pretrain'", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_GT(sqlite3_column_int64(st, 0), 0);
  EXPECT_EQ(sqlite3_column_int64(st, 1), 0) << "text documents have no record id";
  sqlite3_finalize(st);
  sqlite3_close(db);
  // `corpus inspect` names the origin.
  auto shown = InspectShard({.shard = out + "/sft_00000", .doc = 0});
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_NE(shown->find("from source 'tools', record r"), std::string::npos) << *shown;

  // Same bytes with any thread count.
  ASSERT_TRUE(Build(SplitConfig(), "out1", 1).ok());
  for (const char* f : {"eval/valid.jsonl", "eval/test.jsonl", "manifest.json", "sft_00000.bin"}) {
    EXPECT_EQ(*ReadFileToString(out + "/" + f), *ReadFileToString(dir_.File("out1/") + f)) << f;
  }
}

TEST_F(CorpusBuilderTest, TrainOnValidAddsValidButNeverTest) {
  const EvalBytes expected = WriteSplitInputs();
  auto summary = Build(SplitConfig(R"("train_on_valid":true,)"), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  const std::string out = dir_.File("out");
  EXPECT_EQ(SftRecordIds(out), RecordsWhere([](int i) { return i % 5 != 4; }));
  // The valid records are still written for evaluation, marked as trained on.
  EXPECT_EQ(*ReadFileToString(out + "/eval/valid.jsonl"), expected.valid);
  EXPECT_EQ(*ReadFileToString(out + "/eval/test.jsonl"), expected.test);
  const Manifest& m = summary->manifest;
  EXPECT_TRUE(m.train_on_valid);
  EXPECT_TRUE(m.sources[1].valid_trained);
  EXPECT_EQ(m.sources[1].documents, 24);
  ASSERT_EQ(m.eval.size(), 2u);
  EXPECT_TRUE(m.eval[0].trained);   // valid
  EXPECT_FALSE(m.eval[1].trained);  // test: never
  auto info = ReadCorpusInfo(out);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->train_on_valid);
  EXPECT_TRUE(info->eval_files.at("valid").trained);
  EXPECT_FALSE(info->eval_files.at("test").trained);
}

TEST_F(CorpusBuilderTest, RecordsWithoutHeldOutSplitsWriteNoEvalFiles) {
  auto summary = Build(Config(""), "out");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->manifest.eval.empty());
  EXPECT_EQ(summary->manifest.sources[1].train_records, 30);
  EXPECT_FALSE(FileExists(dir_.File("out/eval")));
  auto info = ReadCorpusInfo(dir_.File("out"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->eval_files.empty());
}

TEST_F(CorpusBuilderTest, InvalidSplitIsAnInputErrorAndLeavesNothing) {
  ASSERT_TRUE(CreateDirectories(dir_.File("bad_split")).ok());
  struct Case {
    std::string split;
    std::string expect;
  } cases[] = {{"\"dev\"", "field 'split' is \"dev\""},
               {"\"Test\"", "field 'split' is \"Test\""},
               {"1", "field 'split' is 1"},
               {"null", "field 'split' is null"}};
  int n = 0;
  for (const auto& c : cases) {
    // Line 3 is the bad one; a valid and a test record come before it.
    const std::string name = "bad_split/" + std::to_string(n) + ".jsonl";
    dir_.Write(name, SplitRecord(0, "\"valid\"") + "\n" + SplitRecord(1, "\"test\"") + "\n" +
                         SplitRecord(2, c.split) + "\n" + SplitRecord(3, "") + "\n");
    const std::string out = "bad" + std::to_string(n++);
    auto r = Build(Config("", R"([{"name":"t","kind":"tool_use","paths":[")" + name + R"("]}])"), out);
    ASSERT_FALSE(r.ok()) << c.split;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(name + ":3: " + c.expect), std::string::npos)
        << r.status().message();
    EXPECT_FALSE(FileExists(dir_.File(out))) << out;
  }
  EXPECT_EQ(ListFilesRecursive(dir_.path()).find(".tmp-"), std::string::npos);
  EXPECT_EQ(ListFilesRecursive(dir_.path()).find("eval/"), std::string::npos);
}

TEST_F(CorpusBuilderTest, ChatTemplateOptionsRenderEverySampleAndAreRecorded) {
  auto plain = Build(Config(""), "plain");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto compact = Build(Config(R"("chat_template":{"compact_prompts":true,"train_on_failed_calls":true},)"),
                       "compact");
  ASSERT_TRUE(compact.ok()) << compact.status().ToString();
  const ChatTemplateOptions& o = compact->manifest.chat_template;
  EXPECT_TRUE(o.compact_prompts);
  EXPECT_TRUE(o.train_on_failed_calls);
  EXPECT_FALSE(o.always_render_tools);
  EXPECT_FALSE(plain->manifest.chat_template.compact_prompts);
  const std::string json = *ReadFileToString(dir_.File("compact/manifest.json"));
  EXPECT_NE(json.find("\"compact_prompts\": true"), std::string::npos) << json;
  EXPECT_NE(compact->manifest.Summary().find("chat template: compact_prompts true"), std::string::npos);
  // The options were used: compact prompts replace the record's system prompt.
  for (const char* out : {"plain", "compact"}) {
    auto corpus = Corpus::Open(dir_.File(out));
    ASSERT_TRUE(corpus.ok());
    Document doc;
    corpus->dataset("sft")->Get(0, &doc);
    const std::string text = *SmallTokenizer().Decode(doc.tokens);
    EXPECT_EQ(text.find("<|system|>Use the tools.") != std::string::npos,
              std::string(out) == "plain") << out << ": " << text;
  }
  auto info = ReadCorpusInfo(dir_.File("compact"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->chat_template.compact_prompts);
  EXPECT_TRUE(info->chat_template.train_on_failed_calls);
  EXPECT_FALSE(info->chat_template.always_render_tools);
  EXPECT_EQ(info->max_document_tokens, 4096);

  auto bad = Build(Config(R"("chat_template":{"compact":true},)"), "bad");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("chat_template: unknown field 'compact'"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(FileExists(dir_.File("bad")));
}

TEST_F(CorpusBuilderTest, TokenizerTrainingLeavesHeldOutRecordsOut) {
  // Every tool-use record is a test record: the tokenizer sees the text source alone.
  ASSERT_TRUE(CreateDirectories(dir_.File("all_test")).ok());
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += SplitRecord(i, "\"test\"") + "\n";
  dir_.Write("all_test/shard-00000.jsonl", lines);
  auto train = [&](const std::string& config) {
    TokenizerTrainJob job;
    job.config = config;
    job.out = dir_.File("tok" + std::to_string(configs_) + ".model");
    job.train.vocab_size = 400;
    return TrainTokenizerJob(job);
  };
  auto text_only = train(Config("", R"([{"name":"brown","kind":"text","paths":["brown.jsonl"]}])"));
  auto held_out = train(Config("", R"([{"name":"brown","kind":"text","paths":["brown.jsonl"]},
                                      {"name":"t","kind":"tool_use","paths":["all_test"]}])"));
  auto with_tools = train(Config(""));
  ASSERT_TRUE(text_only.ok() && held_out.ok() && with_tools.ok());
  EXPECT_EQ(*held_out, *text_only);
  EXPECT_NE(*with_tools, *text_only);
}

class BuiltCorpusTest : public CorpusBuilderTest {
 protected:
  void SetUp() override {
    CorpusBuilderTest::SetUp();
    ASSERT_TRUE(Build(Config(""), "out").ok());
    out_ = dir_.File("out");
  }
  std::string out_;
};

class SplitCorpusTest : public CorpusBuilderTest {
 protected:
  void SetUp() override {
    CorpusBuilderTest::SetUp();
    WriteSplitInputs();
    ASSERT_TRUE(Build(SplitConfig(), "out").ok());
    out_ = dir_.File("out");
    ASSERT_TRUE(VerifyCorpus(out_).ok());
  }
  std::string out_;
};

TEST_F(SplitCorpusTest, VerifyCatchesAModifiedEvalFile) {
  std::string test = *ReadFileToString(out_ + "/eval/test.jsonl");
  test[test.find("Country")] = 'c';  // same size: only the checksum tells
  ASSERT_TRUE(WriteFileAtomic(out_ + "/eval/test.jsonl", test).ok());
  EXPECT_TRUE(ReadCorpusInfo(out_).ok());
  auto v = VerifyCorpus(out_);
  EXPECT_EQ(v.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status().message().find("eval/test.jsonl: checksum"), std::string::npos)
      << v.status().message();
}

TEST_F(SplitCorpusTest, TruncatedOrMissingEvalFileIsRejected) {
  const std::string valid = *ReadFileToString(out_ + "/eval/valid.jsonl");
  ASSERT_TRUE(WriteFileAtomic(out_ + "/eval/valid.jsonl", valid.substr(0, valid.size() - 1)).ok());
  EXPECT_EQ(ReadCorpusInfo(out_).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Corpus::Open(out_).status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(RemoveFile(out_ + "/eval/valid.jsonl").ok());
  auto info = ReadCorpusInfo(out_);
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_NE(info.status().message().find("eval/valid.jsonl"), std::string::npos);
  EXPECT_EQ(VerifyCorpus(out_).status().code(), StatusCode::kNotFound);
}

TEST_F(SplitCorpusTest, ManifestEvalEntryMustMatchItsFileEntry) {
  std::string json = *ReadFileToString(out_ + "/manifest.json");
  const Manifest m = *Manifest::Parse(json, "m");
  const std::string checksum = m.eval[1].checksum;
  // Edit the checksum in the eval entry only (its first occurrence is in "eval").
  json.replace(json.find(checksum), checksum.size(), "xxh3:0000000000000000");
  auto r = Manifest::Parse(json, "m");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("eval[1]: eval/test.jsonl is not listed"), std::string::npos)
      << r.status().message();
}

TEST_F(BuiltCorpusTest, MismatchedTokenizerIsRejected) {
  auto other = TrainTokenizer(std::vector<std::string>{GenerateText(99, 300)}, {.vocab_size = 330});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WriteFileAtomic(out_ + "/tokenizer.model", *other).ok());
  auto r = Corpus::Open(out_);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("tokenizer was replaced"), std::string::npos);
}

TEST_F(BuiltCorpusTest, CallerTokenizerMustMatch) {
  EXPECT_TRUE(Corpus::Open(out_, {.expected_tokenizer_checksum = SmallTokenizer().checksum()}).ok());
  auto r = Corpus::Open(out_, {.expected_tokenizer_checksum = "xxh3:0000000000000000"});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(BuiltCorpusTest, MissingTokenizerIsRejected) {
  ASSERT_TRUE(RemoveFile(out_ + "/tokenizer.model").ok());
  EXPECT_EQ(Corpus::Open(out_).status().code(), StatusCode::kNotFound);
}

TEST_F(BuiltCorpusTest, TruncatedShardIsRejected) {
  const std::string bin = *ReadFileToString(out_ + "/pretrain_00000.bin");
  ASSERT_TRUE(WriteFileAtomic(out_ + "/pretrain_00000.bin", bin.substr(0, bin.size() - 2)).ok());
  auto r = Corpus::Open(out_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("pretrain_00000.bin"), std::string::npos);
}

TEST_F(BuiltCorpusTest, CorruptedByteIsFoundByChecksum) {
  std::string bin = *ReadFileToString(out_ + "/sft_00000.bin");
  bin[5] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(out_ + "/sft_00000.bin", bin).ok());
  EXPECT_TRUE(Corpus::Open(out_).ok());  // sizes still match
  auto v = VerifyCorpus(out_);
  EXPECT_EQ(v.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(v.status().message().find("checksum"), std::string::npos);
}

TEST_F(BuiltCorpusTest, MaskAndTokenShardsOfDifferentLengthsAreRejected) {
  // Rewrite the mask dataset with the same total size but the first two lengths swapped.
  auto tokens = IndexedDataset::Open(out_ + "/sft_00000");
  ASSERT_TRUE(tokens.ok());
  std::vector<std::vector<int32_t>> masks;
  int64_t i0 = -1, i1 = -1;
  for (int64_t i = 0; i < tokens->num_sequences(); ++i) {
    masks.push_back(std::vector<int32_t>(tokens->length(i), 1));
    if (i0 < 0) i0 = i;
    else if (i1 < 0 && tokens->length(i) != tokens->length(i0)) i1 = i;
  }
  ASSERT_GE(i1, 0);
  std::swap(masks[i0], masks[i1]);
  auto w = IndexedDatasetWriter::Open(out_ + "/sft_00000_mask", {.dtype = DType::kUint8});
  for (const auto& m : masks) ASSERT_TRUE((*w)->AddDocument(m).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto r = Corpus::Open(out_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("mask and token shards differ"), std::string::npos)
      << r.status().message();
}

TEST_F(BuiltCorpusTest, WrongMagicInAShardIsRejected) {
  std::string idx = *ReadFileToString(out_ + "/pretrain_00000.idx");
  idx[1] = 'X';
  ASSERT_TRUE(WriteFileAtomic(out_ + "/pretrain_00000.idx", idx).ok());
  EXPECT_EQ(Corpus::Open(out_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(BuiltCorpusTest, SplitPackingCoversTheConcatenation) {
  auto corpus = Corpus::Open(out_);
  const CorpusDataset* pre = corpus->dataset("pretrain");
  auto packer = SequencePacker::Create(*pre, {.sequence_length = 64, .seed = 3});
  ASSERT_TRUE(packer.ok()) << packer.status().ToString();
  EXPECT_EQ(packer->num_sequences(), pre->num_tokens() / 64);
  // Concatenating all sequences equals the concatenation of documents in some order: check
  // the multiset of tokens and that document starts land on real starts.
  std::vector<int32_t> all;
  PackedSequence seq;
  int64_t starts = 0;
  for (int64_t k = 0; k < packer->num_sequences(); ++k) {
    packer->Get(k, &seq);
    ASSERT_EQ(seq.tokens.size(), 64u);
    ASSERT_EQ(seq.mask.size(), 64u);
    all.insert(all.end(), seq.tokens.begin(), seq.tokens.end());
    starts += static_cast<int64_t>(seq.document_starts.size());
    for (int32_t s : seq.document_starts) {
      if (s > 0) {
        EXPECT_EQ(seq.tokens[s - 1], SpecialId(Special::kEndOfText));
      }
    }
  }
  EXPECT_GE(starts, pre->num_documents() - 1);
  // Random access equals sequential access.
  PackedSequence again;
  packer->Get(3, &again);
  packer->Get(3, &seq);
  EXPECT_EQ(again.tokens, seq.tokens);
}

TEST_F(BuiltCorpusTest, WholeDocumentPackingPadsAndKeepsMasks) {
  auto corpus = Corpus::Open(out_);
  const CorpusDataset* sft = corpus->dataset("sft");
  // Room for three of the longest samples (their length depends on the chat template).
  int64_t longest = 0;
  for (int64_t i = 0; i < sft->num_documents(); ++i) longest = std::max<int64_t>(longest, sft->length(i));
  const int64_t L = 3 * longest;
  auto packer = SequencePacker::Create(*sft, {.sequence_length = L, .seed = 1,
                                              .split_documents = false});
  ASSERT_TRUE(packer.ok());
  int64_t docs = 0, trained = 0, expected_trained = 0;
  Document doc;
  for (int64_t i = 0; i < sft->num_documents(); ++i) {
    sft->Get(i, &doc);
    expected_trained += std::count(doc.mask.begin(), doc.mask.end(), 1);
  }
  PackedSequence seq;
  for (int64_t k = 0; k < packer->num_sequences(); ++k) {
    packer->Get(k, &seq);
    ASSERT_EQ(static_cast<int64_t>(seq.tokens.size()), L);
    docs += static_cast<int64_t>(seq.document_starts.size());
    trained += std::count(seq.mask.begin(), seq.mask.end(), 1);
    EXPECT_EQ(seq.document_starts[0], 0);
    for (size_t p = 0; p < seq.tokens.size(); ++p) {
      if (seq.tokens[p] == SpecialId(Special::kPad)) {
        EXPECT_EQ(seq.mask[p], 0);
      }
    }
  }
  EXPECT_EQ(docs, sft->num_documents());
  EXPECT_EQ(trained, expected_trained);
  EXPECT_LT(packer->num_sequences(), sft->num_documents());  // several per sequence
}

}  // namespace
}  // namespace kgf::corpus
