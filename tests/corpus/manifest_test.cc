#include "corpus/manifest.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "tests/testing/temp_dir.h"

namespace kgf::corpus {
namespace {

using kgf::testing::TempDir;

// A manifest written before chat templates, splits and eval files were recorded.
constexpr char kOldManifest[] = R"({"format":"kgforge-corpus","version":1,"seed":3,
  "tokenizer":{"file":"tokenizer.model","checksum":"xxh3:00000000000000aa","vocab_size":400},
  "dtype":"uint16","max_document_tokens":512,
  "sources":[{"name":"t","kind":"tool_use","dataset":"sft","files":1,"records":2,
    "empty_skipped":0,"split":0,"truncated":0,"dropped_no_trained_tokens":0,
    "unique_documents":2,"unique_tokens":90,"epochs":1.0,"documents":2,"tokens":90,
    "trained_tokens":30}],
  "datasets":[],"files":[]})";

Manifest Example() {
  Manifest m;
  m.seed = 9;
  m.tokenizer_checksum = "xxh3:00000000000000aa";
  m.vocab_size = 400;
  m.dtype = "uint16";
  m.max_document_tokens = 512;
  m.chat_template.compact_prompts = true;
  m.chat_template.train_on_failed_calls = true;
  m.train_on_valid = true;
  SourceBuildStats s;
  s.name = "t";
  s.kind = "tool_use";
  s.dataset = "sft";
  s.records = 10;
  s.train_records = 6;
  s.valid_records = 3;
  s.test_records = 1;
  s.valid_trained = true;
  m.sources.push_back(s);
  m.eval.push_back({"valid", "eval/valid.jsonl", 3, 300, "xxh3:0000000000000001", true});
  m.eval.push_back({"test", "eval/test.jsonl", 1, 100, "xxh3:0000000000000002", false});
  m.files.push_back({"eval/test.jsonl", 100, "xxh3:0000000000000002"});
  m.files.push_back({"eval/valid.jsonl", 300, "xxh3:0000000000000001"});
  return m;
}

TEST(ManifestTest, SplitsChatTemplateAndEvalFilesRoundTrip) {
  const Manifest m = Example();
  const std::string json = m.ToJson();
  EXPECT_NE(json.find(R"("splits": {
    "train": 6,
    "valid": 3,
    "test": 1,
    "valid_trained": true
   })"), std::string::npos) << json;
  auto parsed = Manifest::Parse(json, "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ToJson(), json);
  EXPECT_TRUE(parsed->chat_template.compact_prompts);
  EXPECT_TRUE(parsed->chat_template.train_on_failed_calls);
  EXPECT_FALSE(parsed->chat_template.always_render_tools);
  EXPECT_TRUE(parsed->train_on_valid);
  EXPECT_EQ(parsed->sources[0].test_records, 1);
  ASSERT_EQ(parsed->eval.size(), 2u);
  EXPECT_EQ(parsed->eval[1].path, "eval/test.jsonl");
  EXPECT_EQ(parsed->eval[1].records, 1);
  EXPECT_EQ(parsed->eval[1].checksum, "xxh3:0000000000000002");
  EXPECT_FALSE(parsed->eval[1].trained);
}

TEST(ManifestTest, OnlyToolUseSourcesCarrySplits) {
  Manifest m = Example();
  m.sources[0].kind = "text";
  EXPECT_EQ(m.ToJson().find("\"splits\""), std::string::npos);
}

TEST(ManifestTest, OlderManifestsParseWithWhatTheirBuildsUsed) {
  auto m = Manifest::Parse(kOldManifest, "old.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->chat_template.compact_prompts);
  EXPECT_FALSE(m->chat_template.always_render_tools);
  EXPECT_FALSE(m->chat_template.train_on_failed_calls);
  EXPECT_FALSE(m->train_on_valid);
  EXPECT_TRUE(m->eval.empty());
  EXPECT_EQ(m->sources[0].records, 2);
  EXPECT_EQ(m->sources[0].test_records, 0);
}

TEST(ManifestTest, BadEvalEntriesAreRejected) {
  struct Case {
    void (*edit)(Manifest*);
    std::string expect;
  } cases[] = {
      {[](Manifest* m) { m->eval[0].split = "train"; }, "eval[0].split 'train' is not valid or test"},
      {[](Manifest* m) { m->eval[1].split = "valid"; }, "eval[1]: split 'valid' twice"},
      {[](Manifest* m) { m->files.pop_back(); }, "eval[0]: eval/valid.jsonl is not listed in 'files'"},
      {[](Manifest* m) { m->eval[1].bytes = 101; }, "eval[1]: eval/test.jsonl is not listed"},
  };
  for (const auto& c : cases) {
    Manifest m = Example();
    c.edit(&m);
    auto r = Manifest::Parse(m.ToJson(), "manifest.json");
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("manifest.json: " + c.expect), std::string::npos)
        << r.status().message();
  }
}

TEST(ManifestTest, ReadCorpusInfoNeedsAManifestAndATokenizer) {
  TempDir dir;
  EXPECT_EQ(ReadCorpusInfo(dir.path()).status().code(), StatusCode::kNotFound);
  dir.Write("manifest.json", kOldManifest);
  auto info = ReadCorpusInfo(dir.path());
  EXPECT_EQ(info.status().code(), StatusCode::kNotFound);
  EXPECT_NE(info.status().message().find("tokenizer.model"), std::string::npos);
  dir.Write("tokenizer.model", "not checked here");
  info = ReadCorpusInfo(dir.path());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->tokenizer_path, dir.File("tokenizer.model"));
  EXPECT_EQ(info->tokenizer_checksum, "xxh3:00000000000000aa");
  EXPECT_EQ(info->max_document_tokens, 512);
  EXPECT_TRUE(info->eval_files.empty());
}

}  // namespace
}  // namespace kgf::corpus
