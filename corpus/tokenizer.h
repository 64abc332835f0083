// Tokenizer: a sentencepiece BPE model with byte fallback and the chat template's reserved
// special tokens. TrainTokenizer() trains one deterministically from in-memory text;
// Tokenizer wraps sentencepiece_processor.h for encode/decode.
#ifndef KGF_CORPUS_TOKENIZER_H_
#define KGF_CORPUS_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace kgf::corpus {

// Reserved tokens of the chat template (corpus/chat_template.h). They are sentencepiece
// control symbols: plain text never encodes to them, so a user message containing the literal
// string "<|user|>" cannot forge a turn. Ids are fixed: unk = 0, then these in order from 1.
enum class Special : int {
  kBeginOfText = 0,
  kEndOfText,
  kSystem,
  kUser,
  kAssistant,
  kToolCallOpen,
  kToolCallClose,
  kToolResultOpen,
  kToolResultClose,
  kPad,
};
inline constexpr int kNumSpecials = 10;
inline constexpr std::array<std::string_view, kNumSpecials> kSpecialPieces = {
    "<|begin_of_text|>", "<|end_of_text|>", "<|system|>",    "<|user|>",         "<|assistant|>",
    "<tool_call>",       "</tool_call>",    "<tool_result>", "</tool_result>",   "<|pad|>"};
// Id of a special token in every model TrainTokenizer produces.
inline constexpr int32_t SpecialId(Special s) { return 1 + static_cast<int32_t>(s); }

// Reads user symbols from a text file (.zst ok): one per line, blank lines and duplicates
// skipped; lines holding a comma (sentencepiece cannot take them) or shorter than 3 bytes (they
// would be cut out of ordinary words) skipped and counted in *skipped.
Result<std::vector<std::string>> ReadUserSymbols(const std::string& path, int64_t* skipped);

struct TokenizerTrainOptions {
  int vocab_size = 32000;
  // Training uses at most this many sentences (lines), sampled deterministically by seed.
  int64_t max_sentences = 1'000'000;
  // Lines longer than this are cut (sentencepiece's max_sentence_length).
  int max_sentence_bytes = 4192;
  double character_coverage = 0.9995;  // the rest falls back to bytes
  uint64_t seed = 1;
  // Pieces kept whole wherever they occur (sentencepiece's user-defined symbols), e.g. a
  // graph's entity names, so a model copies a name as one token instead of many. Each counts
  // towards vocab_size. Empty strings and repeats are ignored; a symbol holding a comma
  // (sentencepiece's list separator) or a special token's text is an error.
  std::vector<std::string> user_symbols;
};

// Trains a BPE model with byte fallback, identity normalisation, no dummy prefix (so
// Decode(Encode(s)) == s for any UTF-8 s and segments concatenate exactly), split digits, and
// the special tokens above. Splits each text into lines; empty lines are skipped.
// Same texts + options -> byte-identical model. Returns the serialized model proto.
// Training runs on one thread (sentencepiece records the thread count in the model, and BPE
// merges are serial anyway). Errors: InvalidArgument (no text, vocab too small for the text,
// any sentencepiece training failure, message included).
Result<std::string> TrainTokenizer(std::span<const std::string> texts,
                                   const TokenizerTrainOptions& options);

// A loaded model. Encode/Decode are const and thread-safe. Move-only.
class Tokenizer {
 public:
  // Errors: NotFound (missing file), FailedPrecondition (not a model, or a model without the
  // kgforge special tokens at their fixed ids, e.g. trained by something else).
  static Result<Tokenizer> Load(const std::string& path);
  static Result<Tokenizer> FromSerialized(std::string serialized, std::string_view where);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Encodes text into ids (never special ids). Errors only on sentencepiece failure.
  Result<std::vector<int32_t>> Encode(std::string_view text) const;
  // Appends the ids of `text` to *ids.
  Status EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const;
  // Decodes ids; special tokens decode to their piece text ("<|user|>"). Ids out of range are
  // an InvalidArgument error naming the position.
  Result<std::string> Decode(std::span<const int32_t> ids) const;
  int vocab_size() const;
  // sentencepiece's own bos / eos / pad ids: SpecialId(kBeginOfText / kEndOfText / kPad), or -1
  // in models trained by kgforge before it set them (Hugging Face and Megatron read these).
  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t pad_id() const;
  bool IsSpecial(int32_t id) const { return id >= 1 && id <= kNumSpecials; }
  // "xxh3:<hex>" of the serialized model.
  const std::string& checksum() const { return checksum_; }
  const std::string& serialized() const { return serialized_; }

 private:
  Tokenizer();
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string serialized_;
  std::string checksum_;
};

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_TOKENIZER_H_
