// sentencepiece training and encoding (sentencepiece_trainer.h / sentencepiece_processor.h).
#include "corpus/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/line_reader.h"
#include "base/rng.h"

namespace kgf::corpus {
namespace {

// Feeds the sampled lines to the trainer from memory (no temporary input file).
class VectorSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentenceIterator(const std::vector<std::string_view>& lines) : lines_(lines) {
    if (!lines_.empty()) value_.assign(lines_[0]);
  }
  bool done() const override { return pos_ >= lines_.size(); }
  void Next() override {
    ++pos_;
    if (pos_ < lines_.size()) value_.assign(lines_[pos_]);
  }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string_view>& lines_;
  size_t pos_ = 0;
  std::string value_;
};

// Cuts at most max_bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

Result<std::string> TrainTokenizer(std::span<const std::string> texts,
                                   const TokenizerTrainOptions& options) {
  if (options.vocab_size < kNumSpecials + 1 + 256 + 1) {
    return InvalidArgumentError("tokenizer: vocab_size " + std::to_string(options.vocab_size) +
                                " is too small: byte fallback needs 256 pieces plus " +
                                std::to_string(kNumSpecials + 1) + " reserved; use >= 300");
  }
  std::vector<std::string_view> lines;
  for (const std::string& text : texts) {
    std::string_view rest(text);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!line.empty()) lines.push_back(CutUtf8(line, options.max_sentence_bytes));
    }
  }
  if (lines.empty()) {
    return InvalidArgumentError("tokenizer: no training text (all inputs empty); check the "
                                "sources in the mix config or --input files");
  }
  if (static_cast<int64_t>(lines.size()) > options.max_sentences) {
    // Deterministic sample: a seeded Fisher-Yates prefix, then original order.
    std::vector<size_t> order(lines.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    Rng rng(options.seed);
    rng.Shuffle(std::span<size_t>(order));
    order.resize(options.max_sentences);
    std::sort(order.begin(), order.end());
    std::vector<std::string_view> sample;
    sample.reserve(order.size());
    for (size_t i : order) sample.push_back(lines[i]);
    lines = std::move(sample);
  }
  // <|begin_of_text|>, <|end_of_text|> and <|pad|> are the model's bos / eos / pad pieces (so
  // Megatron's and Hugging Face's sentencepiece wrappers find them); the others are control
  // symbols, which sentencepiece places in the free ids in order: every special keeps
  // SpecialId().
  std::string controls;
  for (std::string_view p : kSpecialPieces) {
    if (p == kSpecialPieces[static_cast<int>(Special::kBeginOfText)] ||
        p == kSpecialPieces[static_cast<int>(Special::kEndOfText)] ||
        p == kSpecialPieces[static_cast<int>(Special::kPad)]) {
      continue;
    }
    if (!controls.empty()) controls += ",";
    controls += p;
  }
  std::string user;
  std::unordered_set<std::string_view> user_seen;  // sentencepiece rejects a repeated symbol
  for (const std::string& u : options.user_symbols) {
    if (u.empty() || !user_seen.insert(u).second) continue;
    if (u.find(',') != std::string::npos) {
      return InvalidArgumentError("tokenizer: user symbol '" + u +
                                  "' holds a comma, which sentencepiece cannot take");
    }
    for (std::string_view p : kSpecialPieces) {
      if (u == p) {
        return InvalidArgumentError("tokenizer: user symbol '" + u + "' is a special token");
      }
    }
    if (!user.empty()) user += ",";
    // sentencepiece matches user symbols on the normalised text, whose spaces are U+2581.
    for (char c : u) {
      if (c == ' ') {
        user += "\xE2\x96\x81";
      } else {
        user += c;
      }
    }
  }
  std::unordered_map<std::string, std::string> kwargs = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"byte_fallback", "true"},
      {"character_coverage", std::to_string(options.character_coverage)},
      {"normalization_rule_name", "identity"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"split_digits", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"max_sentence_length", std::to_string(options.max_sentence_bytes)},
      {"shuffle_input_sentence", "false"},
      {"input_sentence_size", "0"},
      {"hard_vocab_limit", "false"},
      {"unk_id", "0"},
      {"bos_id", std::to_string(SpecialId(Special::kBeginOfText))},
      {"eos_id", std::to_string(SpecialId(Special::kEndOfText))},
      {"pad_id", std::to_string(SpecialId(Special::kPad))},
      {"bos_piece", std::string(kSpecialPieces[static_cast<int>(Special::kBeginOfText)])},
      {"eos_piece", std::string(kSpecialPieces[static_cast<int>(Special::kEndOfText)])},
      {"pad_piece", std::string(kSpecialPieces[static_cast<int>(Special::kPad)])},
      {"control_symbols", controls},
      {"user_defined_symbols", user},
      {"num_threads", "1"},
      {"minloglevel", "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned int>(options.seed));
  VectorSentenceIterator it(lines);
  std::string model;
  auto st = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, &model);
  if (!st.ok()) {
    return InvalidArgumentError("tokenizer: sentencepiece training failed: " + st.ToString() +
                                " (small inputs need a lower --vocab-size, many distinct "
                                "characters a higher one)");
  }
  return model;
}

Result<std::vector<std::string>> ReadUserSymbols(const std::string& path, int64_t* skipped) {
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  *skipped = 0;
  std::string line;
  while (reader->Next(&line)) {
    if (line.empty() || !seen.insert(line).second) continue;
    // A comma cannot pass through sentencepiece's list; a symbol of one or two characters
    // ("US", "A") would be cut out of ordinary words wherever it occurs.
    if (line.find(',') != std::string::npos || line.size() < 3) {
      ++*skipped;
      continue;
    }
    out.push_back(line);
  }
  KGF_RETURN_IF_ERROR(reader->status());
  return out;
}

Tokenizer::Tokenizer() : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::Load(const std::string& path) {
  if (!FileExists(path)) {
    return NotFoundError(path + ": tokenizer model not found; train one with "
                                "`kgforge corpus tokenizer train`");
  }
  KGF_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return FromSerialized(std::move(bytes), path);
}

Result<Tokenizer> Tokenizer::FromSerialized(std::string serialized, std::string_view where) {
  Tokenizer t;
  auto st = t.sp_->LoadFromSerializedProto(serialized);
  if (!st.ok()) {
    return FailedPreconditionError(std::string(where) + ": not a sentencepiece model (" +
                                   st.ToString() + ")");
  }
  for (int i = 0; i < kNumSpecials; ++i) {
    const int id = t.sp_->PieceToId(kSpecialPieces[i]);
    if (id != SpecialId(static_cast<Special>(i)) || !t.sp_->IsControl(id)) {
      return FailedPreconditionError(std::string(where) + ": special token " +
                                     std::string(kSpecialPieces[i]) + " is not control id " +
                                     std::to_string(SpecialId(static_cast<Special>(i))) +
                                     "; use a model from `kgforge corpus tokenizer train`");
    }
  }
  t.checksum_ = "xxh3:" + Hex64(Hash64(serialized));
  t.serialized_ = std::move(serialized);
  return t;
}

Status Tokenizer::EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const {
  static_assert(std::is_same_v<int32_t, int>, "sentencepiece ids are int");
  if (text.empty()) return Status::Ok();
  if (ids->empty()) {
    // Straight into the caller's vector: no copy of the ids (the common case, one document).
    auto st = sp_->Encode(text, ids);
    if (!st.ok()) {
      ids->clear();
      return InternalError("tokenizer: encode failed: " + st.ToString());
    }
    return Status::Ok();
  }
  std::vector<int> out;
  auto st = sp_->Encode(text, &out);
  if (!st.ok()) return InternalError("tokenizer: encode failed: " + st.ToString());
  ids->insert(ids->end(), out.begin(), out.end());
  return Status::Ok();
}

Result<std::vector<int32_t>> Tokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  KGF_RETURN_IF_ERROR(EncodeAppend(text, &ids));
  return ids;
}

Result<std::string> Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string text;
  std::vector<int> run;
  auto flush = [&]() -> Status {
    if (run.empty()) return Status::Ok();
    std::string piece;
    auto st = sp_->Decode(run, &piece);
    if (!st.ok()) return InternalError("tokenizer: decode failed: " + st.ToString());
    text += piece;
    run.clear();
    return Status::Ok();
  };
  const int n = vocab_size();
  for (size_t k = 0; k < ids.size(); ++k) {
    const int32_t id = ids[k];
    if (id < 0 || id >= n) {
      return InvalidArgumentError("tokenizer: id " + std::to_string(id) + " at position " +
                                  std::to_string(k) + " is outside the vocabulary of " +
                                  std::to_string(n) + " (shard built with another tokenizer?)");
    }
    if (IsSpecial(id)) {
      KGF_RETURN_IF_ERROR(flush());
      text += kSpecialPieces[id - 1];
    } else {
      run.push_back(id);
    }
  }
  KGF_RETURN_IF_ERROR(flush());
  return text;
}

int32_t Tokenizer::bos_id() const { return sp_->bos_id(); }
int32_t Tokenizer::eos_id() const { return sp_->eos_id(); }
int32_t Tokenizer::pad_id() const { return sp_->pad_id(); }

int Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }

}  // namespace kgf::corpus
