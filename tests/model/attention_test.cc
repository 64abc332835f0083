#include "trainer/model/attention.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "tests/model/grad_check.h"

namespace kgf::trainer {
namespace {

using testing::CheckGradient;
using testing::Dot;
using testing::RandomVector;

TEST(AttentionTest, FastForwardMatchesNaive) {
  AttentionShape s{2, 9, 4, 2, 6};
  s.block = 4;  // three causal row blocks, the last partial
  const auto qkv_d = RandomVector(size_t(s.B) * s.T * s.row(), 1);
  const std::vector<float> qkv(qkv_d.begin(), qkv_d.end());
  std::vector<float> out(size_t(s.B) * s.T * s.H * s.d), ref(out.size());
  std::vector<float> lse(size_t(s.B) * s.H * s.T), lse_ref(lse.size());
  AttentionForward(s, qkv.data(), out.data(), lse.data());
  AttentionForwardNaive(s, qkv.data(), ref.data(), lse_ref.data());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-5) << i;
  for (size_t i = 0; i < lse.size(); ++i) ASSERT_NEAR(lse[i], lse_ref[i], 1e-5) << i;
}

TEST(AttentionTest, IsCausal) {
  // Changing the last position's q, k, v leaves every earlier output unchanged.
  const AttentionShape s{1, 5, 2, 1, 4};
  auto qkv = RandomVector(size_t(s.T) * s.row(), 2);
  std::vector<double> out(size_t(s.T) * s.H * s.d), out2(out.size()), lse(s.H * s.T);
  AttentionForward(s, qkv.data(), out.data(), lse.data());
  for (int c = 0; c < s.row(); ++c) qkv[size_t(s.T - 1) * s.row() + c] += 1.0;
  AttentionForward(s, qkv.data(), out2.data(), lse.data());
  for (int i = 0; i < (s.T - 1) * s.H * s.d; ++i) EXPECT_EQ(out[i], out2[i]);
  EXPECT_NE(out[out.size() - 1], out2[out2.size() - 1]);
}

// Central-difference check of AttentionBackward against the naive forward, every entry.
void CheckBackward(const AttentionShape& s, uint64_t seed) {
  auto qkv = RandomVector(size_t(s.B) * s.T * s.row(), seed);
  const auto R = RandomVector(size_t(s.B) * s.T * s.H * s.d, seed + 1);
  auto loss = [&] {
    std::vector<double> out(R.size()), lse(size_t(s.B) * s.H * s.T);
    AttentionForwardNaive(s, qkv.data(), out.data(), lse.data());
    return Dot(out, R);
  };
  std::vector<double> out(R.size()), lse(size_t(s.B) * s.H * s.T), dqkv(qkv.size());
  AttentionForward(s, qkv.data(), out.data(), lse.data());
  AttentionBackward(s, qkv.data(), out.data(), lse.data(), R.data(), dqkv.data());
  CheckGradient(qkv, dqkv, loss, "dqkv", 1e-5, /*max_checks=*/qkv.size());
}

TEST(AttentionTest, BackwardMatchesCentralDifference) {
  // Grouped heads (H = 4 share KV = 2) so dK, dV accumulate over a group.
  AttentionShape s{2, 5, 4, 2, 4};
  s.block = 2;  // several causal row blocks accumulate into dK, dV
  CheckBackward(s, 3);
}

TEST(AttentionTest, BlockSizeDoesNotChangeTheResult) {
  AttentionShape s{1, 11, 2, 1, 4};
  const auto qkv = RandomVector(size_t(s.T) * s.row(), 9);
  const auto dout = RandomVector(size_t(s.T) * s.H * s.d, 10);
  std::vector<double> ref_out, ref_d;
  for (int block : {128, 1, 3, 11}) {
    s.block = block;
    std::vector<double> out(dout.size()), lse(s.H * s.T), dq(qkv.size());
    AttentionForward(s, qkv.data(), out.data(), lse.data());
    AttentionBackward(s, qkv.data(), out.data(), lse.data(), dout.data(), dq.data());
    if (ref_out.empty()) {
      ref_out = out;
      ref_d = dq;
      continue;
    }
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], ref_out[i], 1e-12) << block;
    for (size_t i = 0; i < dq.size(); ++i) EXPECT_NEAR(dq[i], ref_d[i], 1e-12) << block;
  }
}

// doc_start (B, T) of sequences whose documents begin at the given positions.
std::vector<int32_t> DocStarts(int T, const std::vector<std::vector<int>>& starts) {
  std::vector<int32_t> out;
  for (const auto& seq : starts) {
    int current = 0;
    size_t next = 0;
    for (int t = 0; t < T; ++t) {
      while (next < seq.size() && seq[next] <= t) current = seq[next++];
      out.push_back(current);
    }
  }
  return out;
}

TEST(AttentionTest, DocumentsAttendOnlyWithinThemselves) {
  // Two sequences of 11 positions: documents [0, 4), [4, 9), [9, 11) and [0, 6), [6, 11);
  // blocks of 3 rows straddle the boundaries. Every document's rows equal the attention of
  // that document alone, the naive kernel agrees, and the block size does not matter.
  AttentionShape s{2, 11, 4, 2, 4};
  const std::vector<int32_t> starts = DocStarts(s.T, {{0, 4, 9}, {0, 6}});
  s.doc_start = starts.data();
  const auto qkv = RandomVector(size_t(s.B) * s.T * s.row(), 11);
  const int OD = s.H * s.d;
  std::vector<double> ref(size_t(s.B) * s.T * OD), lse_ref(size_t(s.B) * s.H * s.T);
  AttentionForwardNaive(s, qkv.data(), ref.data(), lse_ref.data());
  for (int block : {128, 3, 1}) {
    s.block = block;
    std::vector<double> out(ref.size()), lse(lse_ref.size());
    AttentionForward(s, qkv.data(), out.data(), lse.data());
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref[i], 1e-12) << block << " " << i;
    for (size_t i = 0; i < lse.size(); ++i) ASSERT_NEAR(lse[i], lse_ref[i], 1e-12) << i;
  }
  const std::vector<std::array<int, 3>> docs = {{0, 0, 4}, {0, 4, 9}, {0, 9, 11}, {1, 0, 6}, {1, 6, 11}};
  for (const auto& [b, lo, hi] : docs) {
    const AttentionShape alone{1, hi - lo, s.H, s.KV, s.d};
    const double* first = qkv.data() + (size_t(b) * s.T + lo) * s.row();
    const std::vector<double> sub(first, first + size_t(hi - lo) * s.row());
    std::vector<double> out(size_t(hi - lo) * OD), lse(size_t(s.H) * (hi - lo));
    AttentionForward(alone, sub.data(), out.data(), lse.data());
    for (int t = lo; t < hi; ++t)
      for (int c = 0; c < OD; ++c)
        ASSERT_NEAR(out[size_t(t - lo) * OD + c], ref[(size_t(b) * s.T + t) * OD + c], 1e-12)
            << "sequence " << b << " position " << t;
  }
  // Without doc_start the later documents see the earlier ones.
  AttentionShape whole{2, 11, 4, 2, 4};
  std::vector<double> out(ref.size()), lse(lse_ref.size());
  AttentionForward(whole, qkv.data(), out.data(), lse.data());
  EXPECT_GT(std::abs(out[size_t(5) * OD] - ref[size_t(5) * OD]), 1e-6);
}

TEST(AttentionTest, DocumentBackwardMatchesCentralDifference) {
  AttentionShape s{2, 7, 4, 2, 4};
  const std::vector<int32_t> starts = DocStarts(s.T, {{0, 2, 5}, {0, 3}});
  s.doc_start = starts.data();
  for (int block : {3, 128}) {  // blocks straddling documents, and one block for all rows
    s.block = block;
    CheckBackward(s, 12);
  }
}

TEST(AttentionTest, DecodeMatchesLastRowOfFullAttention) {
  const AttentionShape s{1, 6, 4, 2, 4};
  const auto qkv = RandomVector(size_t(s.T) * s.row(), 5);
  std::vector<double> out(size_t(s.T) * s.H * s.d), lse(s.H * s.T);
  AttentionForward(s, qkv.data(), out.data(), lse.data());
  std::vector<double> kc, vc;
  for (int t = 0; t < s.T; ++t) {
    const double* row = qkv.data() + size_t(t) * s.row();
    kc.insert(kc.end(), row + s.H * s.d, row + (s.H + s.KV) * s.d);
    vc.insert(vc.end(), row + (s.H + s.KV) * s.d, row + s.row());
  }
  std::vector<double> o(s.H * s.d);
  AttentionDecode(s.H, s.KV, s.d, qkv.data() + size_t(s.T - 1) * s.row(), kc.data(), vc.data(),
                  s.T, o.data());
  for (int i = 0; i < s.H * s.d; ++i) EXPECT_NEAR(o[i], out[size_t(s.T - 1) * s.H * s.d + i], 1e-12);
}

}  // namespace
}  // namespace kgf::trainer
