#include "trainer/io/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/file_util.h"
#include "base/rng.h"
#include "tests/testing/temp_dir.h"

namespace kgf::trainer {
namespace {

using kgf::testing::TempDir;

std::string Le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string Floats(std::initializer_list<float> values) {
  std::string s;
  for (float f : values) s.append(reinterpret_cast<const char*>(&f), 4);
  return s;
}

TEST(SafetensorsTest, TinyFileIsByteExact) {
  // Golden: what huggingface/safetensors accepts; written out by hand.
  const std::vector<int64_t> shape_a = {2};
  const std::vector<float> a = {1.0f, -2.5f};
  const std::vector<int64_t> shape_b = {1, 3};
  const std::vector<float> b = {0.5f, 0.25f, 3.0f};
  const TensorRef refs[] = {{"a", shape_a, a}, {"b.weight", shape_b, b}};
  const std::string bytes = EncodeSafetensors(refs, {{"format", "pt"}});

  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[8,20]}})";
  ASSERT_EQ(header.size(), 148u);
  header += std::string(4, ' ');  // 8 + 152 = 160, a multiple of 8
  const std::string expected =
      Le64(152) + header + Floats({1.0f, -2.5f}) + Floats({0.5f, 0.25f, 3.0f});
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(bytes.size(), 180u);
}

TEST(SafetensorsTest, RoundTripsTensorsAndMetadata) {
  TempDir dir;
  Rng rng(3);
  std::vector<std::vector<int64_t>> shapes = {{4, 5}, {7}, {2, 3, 2}, {0}};
  std::vector<std::vector<float>> data;
  for (const auto& s : shapes) {
    int64_t n = 1;
    for (auto d : s) n *= d;
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(rng.Normal());
    data.push_back(v);
  }
  std::vector<std::string> names = {"model.norm.weight", "x", "lm_head.weight", "empty"};
  std::vector<TensorRef> refs;
  for (size_t i = 0; i < shapes.size(); ++i) refs.push_back({names[i], shapes[i], data[i]});
  const std::string path = dir.File("t.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, refs, {{"step", "12"}, {"k", "v"}}).ok());

  auto file = SafetensorsFile::Read(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->metadata().at("step"), "12");
  EXPECT_EQ(file->metadata().at("k"), "v");
  ASSERT_EQ(file->entries().size(), 4u);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto* e = file->Find(names[i]);
    ASSERT_NE(e, nullptr) << names[i];
    EXPECT_EQ(e->shape, shapes[i]);
    EXPECT_EQ(file->Values(*e), data[i]);
  }
  EXPECT_EQ(file->Find("nope"), nullptr);
  // The byte buffer starts 8-byte aligned.
  auto bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  uint64_t n = 0;
  std::memcpy(&n, bytes->data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u);
}

class SafetensorsCorruptionTest : public ::testing::Test {
 protected:
  std::string Good() {
    static const std::vector<int64_t> shape = {2, 2};
    static const std::vector<float> v = {1, 2, 3, 4};
    const TensorRef refs[] = {{"w", shape, v}, {"u", shape, v}};
    return EncodeSafetensors(refs);
  }
  Status Parse(std::string bytes) {
    return SafetensorsFile::Parse(std::move(bytes), "f.safetensors").status();
  }
};

TEST_F(SafetensorsCorruptionTest, EveryTruncationIsDataLoss) {
  const std::string good = Good();
  ASSERT_TRUE(Parse(good).ok());
  for (size_t len = 0; len < good.size(); ++len) {
    Status s = Parse(good.substr(0, len));
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "length " << len << ": " << s.ToString();
    EXPECT_NE(s.message().find("f.safetensors"), std::string::npos) << s.message();
  }
}

TEST_F(SafetensorsCorruptionTest, TrailingBytesAreDataLoss) {
  Status s = Parse(Good() + "xxxx");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("trailing"), std::string::npos) << s.message();
}

TEST_F(SafetensorsCorruptionTest, HugeHeaderLengthIsDataLoss) {
  std::string bad = Good();
  bad.replace(0, 8, Le64(uint64_t{1} << 40));
  EXPECT_EQ(Parse(bad).code(), StatusCode::kDataLoss);
}

TEST_F(SafetensorsCorruptionTest, BadHeaderJsonIsDataLoss) {
  std::string bad = Good();
  bad[8 + 5] = '#';
  EXPECT_EQ(Parse(bad).code(), StatusCode::kDataLoss);
  std::string notobj = Good();
  notobj[8] = '[';
  EXPECT_EQ(Parse(notobj).code(), StatusCode::kDataLoss);
}

std::string WithHeader(const std::string& header, size_t data_bytes) {
  return Le64(header.size()) + header + std::string(data_bytes, '\0');
}

TEST_F(SafetensorsCorruptionTest, InconsistentOffsetsAreDataLoss) {
  // Overlap.
  EXPECT_EQ(Parse(WithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             12))
                .code(),
            StatusCode::kDataLoss);
  // Gap.
  EXPECT_EQ(Parse(WithHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)).code(),
            StatusCode::kDataLoss);
  // Size disagrees with shape.
  Status s = Parse(WithHeader(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("'a'"), std::string::npos) << s.message();
  // Missing field.
  EXPECT_EQ(Parse(WithHeader(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8)).code(),
            StatusCode::kDataLoss);
}

// A shape whose element count overflows int64 (issue 13: signed overflow under UBSan) is
// DataLoss like any other mismatch.
TEST_F(SafetensorsCorruptionTest, OverflowingShapeIsDataLoss) {
  for (const char* shape : {"[4611686018427387904,4]", "[9223372036854775807,2]",
                            "[3037000500,3037000500]", "[0,9223372036854775807,2]"}) {
    Status s = Parse(WithHeader(std::string(R"({"a":{"dtype":"F32","shape":)") + shape +
                                    R"(,"data_offsets":[0,8]}})",
                                8));
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << shape << ": " << s.ToString();
  }
}

TEST_F(SafetensorsCorruptionTest, UnsupportedDtypeIsInvalidArgument) {
  Status s = Parse(WithHeader(R"({"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("I64"), std::string::npos);
  EXPECT_NE(s.message().find("BF16"), std::string::npos) << "names what is supported";
}

TEST_F(SafetensorsCorruptionTest, Bf16SizeIsTwoBytesPerElement) {
  // 2 BF16 elements are 4 bytes; 8 bytes (the F32 size) is a size mismatch.
  EXPECT_TRUE(Parse(WithHeader(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", 4)).ok());
  EXPECT_EQ(Parse(WithHeader(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}})", 8)).code(),
            StatusCode::kDataLoss);
}

std::string Halves(std::initializer_list<uint16_t> values) {
  std::string s;
  for (uint16_t v : values) {
    s.push_back(static_cast<char>(v & 0xff));
    s.push_back(static_cast<char>(v >> 8));
  }
  return s;
}

TEST(SafetensorsTest, Bf16FileIsByteExact) {
  // Golden: bf16 is the top half of the float's bits, rounded to nearest even.
  //   1.0f = 0x3F800000 -> 0x3F80;  -2.5f = 0xC0200000 -> 0xC020
  //   1.00390625f = 0x3F808000 (a tie, lower half 0x8000) -> even 0x3F80
  //   1.01171875f = 0x3F818000 (a tie) -> even 0x3F82;  0x3F800001 (below half) -> 0x3F80
  const std::vector<int64_t> shape = {5};
  const std::vector<float> v = {1.0f, -2.5f, 1.00390625f, 1.01171875f,
                                std::bit_cast<float>(0x3F800001u)};
  const TensorRef refs[] = {{"w", shape, v, SafetensorsDtype::kBF16}};
  const std::string bytes = EncodeSafetensors(refs);
  std::string header = R"({"w":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]}})";
  ASSERT_EQ(header.size(), 56u);  // 8 + 56 = 64: no padding
  EXPECT_EQ(bytes, Le64(56) + header + Halves({0x3F80, 0xC020, 0x3F80, 0x3F82, 0x3F80}));
  auto file = SafetensorsFile::Parse(bytes, "w.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->entries()[0].dtype, SafetensorsDtype::kBF16);
  EXPECT_EQ(file->Values(file->entries()[0]),
            (std::vector<float>{1.0f, -2.5f, 1.0f, 1.015625f, 1.0f}));
}

TEST(SafetensorsTest, Bf16RoundTripIsWithinHalfAnUlpAndKeepsNan) {
  Rng rng(11);
  std::vector<float> v(4096);
  for (float& x : v) x = static_cast<float>(rng.Normal() * 3);
  v[7] = std::numeric_limits<float>::quiet_NaN();
  v[8] = std::numeric_limits<float>::infinity();
  const std::vector<int64_t> shape = {4096};
  const TensorRef refs[] = {{"w", shape, v, SafetensorsDtype::kBF16}};
  auto file = SafetensorsFile::Parse(EncodeSafetensors(refs), "w");
  ASSERT_TRUE(file.ok());
  const std::vector<float> back = file->Values(file->entries()[0]);
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 7) {
      EXPECT_TRUE(std::isnan(back[i]));
    } else if (i == 8) {
      EXPECT_EQ(back[i], v[i]);
    } else {
      // 8 significant bits: the error is at most half an ulp, 2^-8 relative.
      EXPECT_LE(std::fabs(back[i] - v[i]), std::fabs(v[i]) * 0x1p-8f) << i;
    }
  }
}

TEST(SafetensorsTest, F16IsReadExactly) {
  // 1.0 = 0x3C00, -2.0 = 0xC000, 65504 (max) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001,
  // -0.0 = 0x8000, inf = 0x7C00.
  const std::string header = R"({"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]}})";
  std::string padded = header;
  while ((8 + padded.size()) % 8) padded.push_back(' ');
  const std::string bytes =
      Le64(padded.size()) + padded + Halves({0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00});
  auto file = SafetensorsFile::Parse(bytes, "h");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const std::vector<float> v = file->Values(file->entries()[0]);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], 65504.0f);
  EXPECT_EQ(v[3], 0x1p-24f);
  EXPECT_TRUE(v[4] == 0.0f && std::signbit(v[4]));
  EXPECT_TRUE(std::isinf(v[5]));
}

TEST(SafetensorsTest, ShardsLoadAsOneSetAndRefuseATensorTwice) {
  const std::vector<int64_t> s2 = {2}, s3 = {3};
  const std::vector<float> a = {1, 2}, b = {3, 4, 5};
  const TensorRef first[] = {{"a", s2, a}};
  const TensorRef second[] = {{"b", s3, b, SafetensorsDtype::kBF16}};
  SafetensorsShards shards;
  ASSERT_TRUE(shards.Add(*SafetensorsFile::Parse(EncodeSafetensors(first), "1"), "1").ok());
  ASSERT_TRUE(shards.Add(*SafetensorsFile::Parse(EncodeSafetensors(second), "2"), "2").ok());
  EXPECT_EQ(shards.num_files(), 2u);
  Parameter pa{"a", s2, std::vector<float>(2), {}}, pb{"b", s3, std::vector<float>(3), {}};
  ASSERT_TRUE(LoadParameters(shards, {&pa, &pb}, ParameterField::kValue, "set").ok());
  EXPECT_EQ(pa.value, a);
  EXPECT_EQ(pb.value, b);
  Status dup = shards.Add(*SafetensorsFile::Parse(EncodeSafetensors(first), "3"), "3.safetensors");
  EXPECT_EQ(dup.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(dup.message().find("'a'"), std::string::npos);
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_EQ(SafetensorsFile::Read(dir.File("absent.safetensors")).status().code(),
            StatusCode::kNotFound);
}

TEST(SafetensorsTest, LoadParametersChecksNamesAndShapes) {
  TempDir dir;
  Parameter a{"w", {2, 3}, std::vector<float>(6, 1.5f), std::vector<float>(6, 0.f)};
  Parameter b{"n", {3}, {1, 2, 3}, {0, 0, 0}};
  ParameterList params = {&a, &b};
  const std::string path = dir.File("p.safetensors");
  ASSERT_TRUE(WriteParameters(path, params, ParameterField::kValue).ok());
  auto file = SafetensorsFile::Read(path);
  ASSERT_TRUE(file.ok());

  Parameter a2{"w", {2, 3}, std::vector<float>(6, 0.f), std::vector<float>(6, 0.f)};
  Parameter b2{"n", {3}, {0, 0, 0}, {0, 0, 0}};
  ASSERT_TRUE(LoadParameters(*file, {&a2, &b2}, ParameterField::kValue, path).ok());
  EXPECT_EQ(a2.value, a.value);
  EXPECT_EQ(b2.value, b.value);

  Parameter wrong{"w", {3, 2}, std::vector<float>(6, 7.f), std::vector<float>(6, 0.f)};
  Status s = LoadParameters(*file, {&wrong, &b2}, ParameterField::kValue, path);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("[2, 3]"), std::string::npos) << s.message();
  EXPECT_EQ(wrong.value, std::vector<float>(6, 7.f)) << "nothing modified on error";
  EXPECT_EQ(LoadParameters(*file, {&a2}, ParameterField::kValue, path).code(),
            StatusCode::kFailedPrecondition);
  Parameter extra{"z", {1}, {0}, {0}};
  EXPECT_EQ(LoadParameters(*file, {&a2, &b2, &extra}, ParameterField::kValue, path).code(),
            StatusCode::kFailedPrecondition);

}

}  // namespace
}  // namespace kgf::trainer
