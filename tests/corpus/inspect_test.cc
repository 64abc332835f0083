#include "corpus/inspect.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "corpus/indexed_dataset.h"
#include "tests/corpus/corpus_test_util.h"
#include "tests/testing/temp_dir.h"

namespace kgf::corpus {
namespace {

using kgf::testing::TempDir;
using testing::SmallTokenizer;

constexpr char kRecord[] =
    R"({"messages":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris."}]})";

TEST(InspectTest, RenderRecordFromJsonlLineWithTokenCounts) {
  TempDir dir;
  const std::string file = dir.Write("r.jsonl", std::string("{\"messages\":[]}\n") + kRecord + "\n");
  const std::string tok = dir.Write("t.model", SmallTokenizer().serialized());
  auto out = RenderRecord({.record = file, .line = 2, .tokenizer = tok});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->substr(0, out->find('\n')),
            "<|begin_of_text|><|user|>Capital of France?<|assistant|>⟦Paris.<|end_of_text|>⟧");
  EXPECT_NE(out->find(" trained"), std::string::npos);
  auto bad = RenderRecord({.record = file, .line = 1});
  EXPECT_NE(bad.status().message().find("r.jsonl:1"), std::string::npos);
  EXPECT_EQ(RenderRecord({.record = file, .line = 9}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderRecord({.record = dir.File("none.jsonl")}).status().code(), StatusCode::kNotFound);
}

TEST(InspectTest, InspectDecodesDocumentsAndHighlightsMasks) {
  TempDir dir;
  dir.Write("tokenizer.model", SmallTokenizer().serialized());
  std::vector<int32_t> tokens = *SmallTokenizer().Encode("The capital is Paris.");
  std::vector<int32_t> mask(tokens.size(), 0);
  for (size_t k = tokens.size() / 2; k < tokens.size(); ++k) mask[k] = 1;
  auto w = IndexedDatasetWriter::Open(dir.File("sft_00000"), {});
  ASSERT_TRUE((*w)->AddDocument(tokens).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto m = IndexedDatasetWriter::Open(dir.File("sft_00000_mask"), {.dtype = DType::kUint8});
  ASSERT_TRUE((*m)->AddDocument(mask).ok());
  ASSERT_TRUE((*m)->Finish().ok());

  auto summary = InspectShard({.shard = dir.File("sft_00000.bin")});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_NE(summary->find("dtype uint16, 1 sequences, 1 documents"), std::string::npos) << *summary;
  EXPECT_NE(summary->find("loss masks"), std::string::npos);
  auto doc = InspectShard({.shard = dir.File("sft_00000"), .doc = 0});
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  // The text decodes whole; the trained half is marked.
  std::string plain = *doc;
  for (const char* marker : {"⟦", "⟧"}) {
    size_t p = plain.find(marker);
    ASSERT_NE(p, std::string::npos);
    plain.erase(p, std::string(marker).size());
  }
  EXPECT_NE(plain.find("The capital is Paris."), std::string::npos) << *doc;
  EXPECT_EQ(InspectShard({.shard = dir.File("sft_00000"), .doc = 5}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kgf::corpus
