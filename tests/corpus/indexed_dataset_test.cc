#include "corpus/indexed_dataset.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "base/file_util.h"
#include "base/rng.h"
#include "tests/testing/temp_dir.h"

namespace kgf::corpus {
namespace {

using kgf::testing::ListFilesRecursive;
using kgf::testing::TempDir;

// The slow obvious twin: parses an .idx exactly as SPEC §3 words it, field by field, with no
// code shared with corpus/indexed_dataset.cc.
struct TwinIdx {
  std::string magic;
  uint64_t version = 0;
  uint8_t dtype = 0;
  uint64_t sequences = 0, doc_count = 0;
  std::vector<int32_t> lengths;
  std::vector<int64_t> pointers, doc_index;
};

TwinIdx TwinParse(const std::string& bytes) {
  TwinIdx t;
  size_t pos = 0;
  auto take = [&](size_t n) {
    EXPECT_LE(pos + n, bytes.size());
    std::string s = bytes.substr(pos, n);
    pos += n;
    return s;
  };
  auto u = [&](size_t n) {  // little-endian unsigned of n bytes
    std::string s = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
    return v;
  };
  t.magic = take(9);
  t.version = u(8);
  t.dtype = static_cast<uint8_t>(u(1));
  t.sequences = u(8);
  t.doc_count = u(8);
  for (uint64_t i = 0; i < t.sequences; ++i) t.lengths.push_back(static_cast<int32_t>(u(4)));
  for (uint64_t i = 0; i < t.sequences; ++i) t.pointers.push_back(static_cast<int64_t>(u(8)));
  for (uint64_t i = 0; i < t.doc_count; ++i) t.doc_index.push_back(static_cast<int64_t>(u(8)));
  EXPECT_EQ(pos, bytes.size()) << "trailing bytes";
  return t;
}

Status WriteDataset(const std::string& prefix, const std::vector<std::vector<int32_t>>& docs,
                    IndexedDatasetWriterOptions options = {}) {
  KGF_ASSIGN_OR_RETURN(auto w, IndexedDatasetWriter::Open(prefix, options));
  for (const auto& d : docs) KGF_RETURN_IF_ERROR(w->AddDocument(d));
  return w->Finish();
}

TEST(IndexedDatasetTest, GoldenTwoDocumentsOfThreeAndTwoUint16Tokens) {
  TempDir dir;
  const std::string prefix = dir.File("golden");
  ASSERT_TRUE(WriteDataset(prefix, {{1, 2, 3}, {65535, 258}}).ok());
  const std::string bin = *ReadFileToString(BinPath(prefix));
  const std::string idx = *ReadFileToString(IdxPath(prefix));
  ASSERT_EQ(bin.size(), 10u);
  ASSERT_EQ(idx.size(), 82u);
  const unsigned char expected_bin[10] = {1, 0, 2, 0, 3, 0, 0xFF, 0xFF, 2, 1};
  EXPECT_EQ(0, std::memcmp(bin.data(), expected_bin, 10));
  const unsigned char expected_idx[82] = {
      'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0,  // magic
      1, 0, 0, 0, 0, 0, 0, 0,                   // version 1
      8,                                        // dtype uint16
      2, 0, 0, 0, 0, 0, 0, 0,                   // 2 sequences
      3, 0, 0, 0, 0, 0, 0, 0,                   // 2 documents + 1
      3, 0, 0, 0, 2, 0, 0, 0,                   // lengths
      0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,  // byte pointers
      0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};  // doc index
  EXPECT_EQ(0, std::memcmp(idx.data(), expected_idx, 82));
}

TEST(IndexedDatasetTest, TwinParserAgreesWithReaderOnRandomCorpora) {
  TempDir dir;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Rng rng(seed);
    const DType dtype = seed % 3 == 0 ? DType::kInt32 : seed % 3 == 1 ? DType::kUint16 : DType::kUint8;
    const int64_t hi = dtype == DType::kInt32 ? 200000 : dtype == DType::kUint16 ? 65535 : 255;
    std::vector<std::vector<int32_t>> docs(rng.Uniform(30));
    for (auto& d : docs) {
      d.resize(rng.Uniform(50));  // empty documents included
      for (auto& v : d) v = static_cast<int32_t>(rng.UniformInt(0, hi));
    }
    const std::string prefix = dir.File("r" + std::to_string(seed));
    IndexedDatasetWriterOptions options;
    options.dtype = dtype;
    ASSERT_TRUE(WriteDataset(prefix, docs, options).ok());

    TwinIdx twin = TwinParse(*ReadFileToString(IdxPath(prefix)));
    EXPECT_EQ(twin.magic, std::string("MMIDIDX\0\0", 9));
    EXPECT_EQ(twin.version, 1u);
    EXPECT_EQ(twin.dtype, static_cast<uint8_t>(dtype));
    ASSERT_EQ(twin.sequences, docs.size());
    ASSERT_EQ(twin.doc_count, docs.size() + 1);
    int64_t ptr = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      EXPECT_EQ(twin.lengths[i], static_cast<int32_t>(docs[i].size()));
      EXPECT_EQ(twin.pointers[i], ptr);
      ptr += static_cast<int64_t>(docs[i].size()) * DTypeSize(dtype);
    }
    for (size_t d = 0; d <= docs.size(); ++d) EXPECT_EQ(twin.doc_index[d], static_cast<int64_t>(d));
    EXPECT_EQ(*FileSize(BinPath(prefix)), static_cast<uint64_t>(ptr));

    auto ds = IndexedDataset::Open(prefix);
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    ASSERT_EQ(ds->num_sequences(), static_cast<int64_t>(docs.size()));
    EXPECT_EQ(ds->num_documents(), static_cast<int64_t>(docs.size()));
    EXPECT_EQ(ds->dtype(), dtype);
    // Random access in a shuffled order.
    std::vector<size_t> order(docs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.Shuffle(std::span<size_t>(order));
    for (size_t i : order) EXPECT_EQ(ds->Sequence(static_cast<int64_t>(i)), docs[i]);
  }
}

TEST(IndexedDatasetTest, DtypeFollowsVocabSize) {
  EXPECT_EQ(TokenDTypeForVocab(32000), DType::kUint16);
  EXPECT_EQ(TokenDTypeForVocab(65499), DType::kUint16);
  EXPECT_EQ(TokenDTypeForVocab(65500), DType::kInt32);
  EXPECT_EQ(TokenDTypeForVocab(126464), DType::kInt32);
}

TEST(IndexedDatasetTest, DocumentLongerThanLimitFailsAndLeavesNothing) {
  TempDir dir;
  IndexedDatasetWriterOptions options;
  options.max_sequence_length = 4;
  Status s = WriteDataset(dir.File("x"), {{1, 2}, {1, 2, 3, 4, 5}}, options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("document 1 has 5 tokens, more than the limit 4"), std::string::npos)
      << s.message();
  EXPECT_EQ(ListFilesRecursive(dir.path()), "");
}

TEST(IndexedDatasetTest, ValueOutOfDtypeRangeFailsAndLeavesNothing) {
  TempDir dir;
  Status s = WriteDataset(dir.File("x"), {{1, 70000}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("position 1"), std::string::npos);
  EXPECT_EQ(ListFilesRecursive(dir.path()), "");
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = dir_.File("d");
    ASSERT_TRUE(WriteDataset(prefix_, {{1, 2, 3}, {4, 5}}).ok());
    idx_ = *ReadFileToString(IdxPath(prefix_));
    bin_ = *ReadFileToString(BinPath(prefix_));
  }
  Status Reopen(const std::string& idx, const std::string& bin) {
    EXPECT_TRUE(WriteFileAtomic(IdxPath(prefix_), idx).ok());
    EXPECT_TRUE(WriteFileAtomic(BinPath(prefix_), bin).ok());
    return IndexedDataset::Open(prefix_).status();
  }
  TempDir dir_;
  std::string prefix_, idx_, bin_;
};

TEST_F(CorruptionTest, TruncatedBin) {
  Status s = Reopen(idx_, bin_.substr(0, 9));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("d.bin"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
}

TEST_F(CorruptionTest, TruncatedIdx) {
  for (size_t n : {0, 5, 20, 81}) {
    Status s = Reopen(idx_.substr(0, n), bin_);
    EXPECT_FALSE(s.ok()) << n;
    EXPECT_NE(s.message().find("d.idx"), std::string::npos) << s.message();
  }
  EXPECT_EQ(Reopen(idx_.substr(0, 81), bin_).code(), StatusCode::kDataLoss);
}

TEST_F(CorruptionTest, WrongMagic) {
  std::string idx = idx_;
  idx[0] = 'X';
  Status s = Reopen(idx, bin_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("wrong magic"), std::string::npos);
}

TEST_F(CorruptionTest, WrongVersion) {
  std::string idx = idx_;
  idx[9] = 2;
  Status s = Reopen(idx, bin_);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("version 2"), std::string::npos);
}

TEST_F(CorruptionTest, BadDtypeAndDocumentIndex) {
  std::string idx = idx_;
  idx[17] = 9;
  EXPECT_EQ(Reopen(idx, bin_).code(), StatusCode::kDataLoss);
  idx = idx_;
  idx[82 - 8] = 7;  // last document index entry must equal S
  Status s = Reopen(idx, bin_);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("document index"), std::string::npos);
}

TEST_F(CorruptionTest, MissingFiles) {
  ASSERT_TRUE(RemoveFile(BinPath(prefix_)).ok());
  EXPECT_EQ(IndexedDataset::Open(prefix_).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kgf::corpus
