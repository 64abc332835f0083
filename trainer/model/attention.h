// Causal grouped-query self-attention (GQA) over a fused qkv buffer, forward and backward.
// B sequences, T positions, H query heads, KV key/value heads (H % KV == 0, query head h uses
// kv head h / (H / KV)), d = head_dim. The fused buffer qkv (B, T, R), R = (H + 2 KV) d, holds
// [H query heads, KV key heads, KV value heads] x d per position (Ling's query_key_value split),
// with RoPE already applied to the query and key heads.
// Packed sequences: with doc_start set, position t of sequence b attends only to keys
// [doc_start[b T + t], t], its own document (LLaMA-Factory's neat_packing, Megatron's
// reset_attention_mask), so dialogues packed into one sequence do not see each other. RoPE is
// relative, so positions need no reset: a document scores as it would alone at position 0.
// The fast kernels use BLAS per (sequence, head) over causal row blocks (keys beyond a block are
// skipped) and keep only the row logsumexp for backward (the probabilities are recomputed, as
// FlashAttention does); the naive kernel is the spec.
#ifndef KGF_TRAINER_MODEL_ATTENTION_H_
#define KGF_TRAINER_MODEL_ATTENTION_H_

#include <cstdint>

namespace kgf::trainer {

struct AttentionShape {
  int B = 0, T = 0, H = 0, KV = 0, d = 0;
  int block = 128;  // query rows per causal block (fast kernels only; a shape, not a tuning knob
                    // of the thread count, so results stay thread-independent)
  // (B, T) first position of each token's document, or null (the whole sequence is one
  // document). REQUIRES: 0 <= doc_start[b T + t] <= t, non-decreasing in t.
  const int32_t* doc_start = nullptr;
  int start(int b, int t) const { return doc_start == nullptr ? 0 : doc_start[int64_t{b} * T + t]; }
  int row() const { return (H + 2 * KV) * d; }  // R
};

// out (B, T, H d) = softmax(q k^T / sqrt(d) + causal (and document) mask) v; lse (B, H, T) saved.
template <typename S>
void AttentionForward(const AttentionShape& shape, const S* qkv, S* out, S* lse);
// dqkv (B, T, R) = gradient w.r.t. the (rotated) qkv buffer (overwritten), from dout (B, T, H d).
template <typename S>
void AttentionBackward(const AttentionShape& shape, const S* qkv, const S* out, const S* lse,
                       const S* dout, S* dqkv);
// Reference: loops, double accumulation. Same contract as AttentionForward (lse too).
template <typename S>
void AttentionForwardNaive(const AttentionShape& shape, const S* qkv, S* out, S* lse);

// One decoding position against a KV cache: q (H d) attends to keys/values of positions
// [0, len): k_cache, v_cache (len, KV d). out (H d).
template <typename S>
void AttentionDecode(int H, int KV, int d, const S* q, const S* k_cache, const S* v_cache,
                     int len, S* out);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_MODEL_ATTENTION_H_
