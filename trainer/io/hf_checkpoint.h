// Hugging Face model directories, both ways (SPEC §4, §5).
//
//   ExportHf: a kgforge checkpoint -> a directory that transformers'
//   `AutoModelForCausalLM.from_pretrained(dir, trust_remote_code=True)` reads as Ling's
//   BailingMoeForCausalLM (its modeling code fetched from the Hub through `auto_map`) and
//   `AutoTokenizer.from_pretrained(dir)` reads with our chat template:
//     config.json                   every key BailingMoeConfig reads, auto_map, torch_dtype,
//                                   bos/eos/pad ids of our tokenizer, dropouts 0
//     generation_config.json        bos/eos/pad; generation stops at <|end_of_text|> and at
//                                   <tool_result> (where a caller runs the calls)
//     model.safetensors             or model-00001-of-0000N.safetensors + an index
//                                   (model.safetensors.index.json) above the shard size
//     tokenizer.model               the sentencepiece model, unchanged
//     tokenizer_config.json         LlamaTokenizer (sentencepiece), the special tokens, and a
//                                   Jinja chat_template reproducing corpus/chat_template.h
//     special_tokens_map.json
//   The directory is written under a temporary name and renamed: all or nothing.
//
//   ReadHfModelDir: config.json + model.safetensors (or a sharded index), F32 / BF16 / F16,
//   Ling's full config key set, no kgforge checksums -> a Checkpoint without optimizer or
//   trainer state (for generate, eval, model grads and --init-checkpoint; resuming training
//   still needs a kgforge checkpoint). Sizes, dtypes, shapes, shard membership and finiteness
//   are verified instead of checksums.
#ifndef KGF_TRAINER_IO_HF_CHECKPOINT_H_
#define KGF_TRAINER_IO_HF_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "trainer/io/checkpoint.h"

namespace kgf::trainer {

inline constexpr char kHfIndexFile[] = "model.safetensors.index.json";

struct HfExportOptions {
  std::string checkpoint;               // a checkpoint dir, or a run dir (its newest valid one)
  std::string out;                      // must not exist, or be an empty directory
  std::string dtype = "bf16";           // of the weights: "bf16" | "f32"
  int64_t shard_bytes = 2'000'000'000;  // larger weights are split into shards with an index
  // The corpus folder the model was trained on: its tokenizer.model is shipped and its chat
  // template options (compact prompts, ...) become the chat_template. Empty: the corpus folder
  // recorded in the checkpoint's trainer_state.json, when there is one.
  std::string corpus;
  // A sentencepiece model to ship instead of the corpus's (a run trained on raw token files);
  // the chat template then has the default options.
  std::string tokenizer;
  // The Hub repository whose modeling code `auto_map` points at (repo--module.Class).
  std::string hub_repo = "inclusionAI/Ling-lite";
};

struct HfExportSummary {
  std::string out;
  std::string checkpoint;  // the checkpoint directory exported
  int64_t step = 0;
  int64_t tensors = 0;
  int64_t weight_bytes = 0;
  int shards = 0;
  std::vector<std::string> files;  // written, sorted
};

// Errors: NotFound / DataLoss from reading the checkpoint, corpus or tokenizer; InvalidArgument
// for a bad dtype, a shard size <= 0, a tokenizer whose vocabulary exceeds the model's, or no
// tokenizer given or found; FailedPrecondition when `out` exists and is not empty; IoError.
Result<HfExportSummary> ExportHf(const HfExportOptions& options);

// True for a directory holding config.json and model.safetensors or kHfIndexFile, and none of
// a kgforge checkpoint's own files (checksums.xxh3, trainer_state.json, optimizer.safetensors).
bool IsHfModelDir(const std::string& dir);

// Errors (naming the file): NotFound; DataLoss for a truncated / malformed safetensors file or
// index, a tensor listed in the index but absent from its shard (or present but not listed), a
// non-finite weight; InvalidArgument for an unsupported dtype or config key.
Result<Checkpoint> ReadHfModelDir(const std::string& dir);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_IO_HF_CHECKPOINT_H_
