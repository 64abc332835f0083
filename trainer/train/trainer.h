// The training loop (SPEC §4, §5): model from a config or preset (or resumed from the run's
// newest valid checkpoint), batches from the data loader with batch-size warmup and gradient
// accumulation, gradient all-reduce through a dist::Communicator, global-norm clipping, loss-spike
// handling, AdamW with the WSD / cosine schedule, JSONL metrics and atomic checkpoints.
//
//   TrainOptions o;  o.preset = "small";  o.data = "data/corpus";  o.out = "runs/a";
//   KGF_ASSIGN_OR_RETURN(TrainSummary s, Train(o));
//
// Determinism: the losses are a function of (options, data) only; a run stopped after a
// checkpoint and resumed reproduces the uninterrupted run's losses bit for bit.
#ifndef KGF_TRAINER_TRAIN_TRAINER_H_
#define KGF_TRAINER_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "trainer/train/grad_communicator.h"
#include "trainer/train/local_sgd.h"
#include "trainer/train/metrics.h"

namespace kgf::trainer {

class Model;

struct TrainOptions {
  // Model: a config.json (Ling HF keys) or, when empty, a preset name (model_config.h).
  std::string config;
  std::string preset = "tiny";
  // Overrides the config's / preset's vocab_size when > 0 (e.g. the corpus tokenizer's size,
  // `kgforge corpus verify` prints it), so the embedding and LM head are not oversized;
  // kVocabFromCorpus: the size the corpus manifest records for its tokenizer. 0: a preset
  // trained on a corpus folder takes the corpus's size; a config or checkpoint keeps its own.
  static constexpr int64_t kVocabFromCorpus = -1;
  int64_t vocab_size = 0;
  // Stochastic Routing Warmup length W (Ling eq. 3). -1: the SPEC §4 default, W = the LR
  // warmup length, for a fresh MoE model whose config leaves it 0 (fine-tuning from
  // --init-checkpoint keeps the checkpoint's config); 0: off; > 0: this many steps.
  int64_t routing_warmup_steps = -1;
  // 1: the LM head is the embedding table (tie_word_embeddings; one [V, C] matrix, which lets a
  // small model copy names it never had to write); 0: a head of its own; -1: as the config or
  // preset says. A fresh model only: --init-checkpoint keeps the checkpoint's layout.
  int tie_word_embeddings = -1;
  // 1: NormHead (the head's columns normalised over the vocabulary, SPEC §4); 0: a plain head;
  // -1: as the config or preset says. A fresh model only: --init-checkpoint keeps the
  // checkpoint's head (the same weights compute other logits under the other head).
  int norm_head = -1;
  // Start from this checkpoint's weights (fine-tuning: fresh optimizer, step 0); a run
  // directory means its newest valid checkpoint. Its config is used (`preset` ignored) unless
  // `config` is given, which must then match it.
  std::string init_checkpoint;

  // Data (data_loader.h): a corpus folder or a raw int32 token file.
  std::string data;
  std::string dataset = "pretrain";  // "pretrain" (all tokens) | "sft" (mask 1 only)
  int seq_len = 64;                  // T, <= max_position_embeddings
  // Attention over packed sequences: "document" (a token attends only to its own document, so
  // SFT dialogues packed together do not see each other; attention.h), "causal" (the whole
  // sequence), "auto": document for "sft", causal for "pretrain" and token files.
  std::string attention = "auto";

  std::string out;  // run directory: checkpoints, metrics.jsonl

  int64_t steps = 100;               // total updates of the run (the schedule's length)
  int64_t batch_size = 8;            // sequences per update over all ranks
  int64_t micro_batch_size = 0;      // sequences per forward/backward; 0 = the whole batch
  int64_t batch_warmup_start = 0;    // batch-size warmup from this size (0 = off)
  int64_t batch_warmup_steps = 0;    // ... reaching batch_size after this many updates

  std::string optimizer = "adamw";   // "adamw" | "sgd"
  double lr = 1e-3;                  // peak learning rate
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  double weight_decay = 0.1;
  double clip_grad_norm = 1.0;       // <= 0: no clipping
  std::string schedule = "wsd";      // "wsd" | "cosine" | "constant"
  int64_t warmup_steps = 10;
  double final_lr_fraction = 1e-4;
  double halve_at_fraction = 0.6;
  double anneal_start_fraction = 0.9;

  bool spike_detection = true;
  double spike_sigma = 3.0;
  int64_t spike_warmup_steps = 100;
  double spike_ema_alpha = 0.02;
  int64_t reinject_after_steps = 50;

  int64_t checkpoint_every = 100;    // also at the end; 0 = only at the end
  int keep_checkpoints = 3;
  bool resume = true;                // continue from the newest valid checkpoint in `out`;
                                     // false: `out` must hold no checkpoints
  // Stop (after checkpointing) once this many updates are done in total; 0 = run to `steps`.
  // The schedule still spans `steps`, so a later resume continues the same run.
  int64_t stop_after_steps = 0;

  // Evaluation during training. Every eval_every updates (and at the end) the run saves a
  // checkpoint and, on the lead rank, calls `evaluate` with its directory; the JSON object it
  // returns goes into metrics.jsonl as {"step": N, "eval": {...}}. The trainer knows nothing
  // of what is evaluated: the CLI wires `kgforge eval` in (eval/evaluator.h). An error from
  // `evaluate` stops the run.
  int64_t eval_every = 0;
  std::function<Result<std::string>(const std::string& checkpoint_dir, int64_t step)> evaluate;

  // How data-parallel ranks stay together: "dp" averages gradients every update; "local-sgd"
  // is EDiT (local_sgd.h): each rank steps on its own share of every batch and the ranks
  // synchronise their parameters every local_sgd.sync_every updates (and before every
  // checkpoint). The first local_sgd_warmup_steps updates average gradients as "dp" does.
  std::string sync = "dp";
  LocalSgdOptions local_sgd;
  int64_t local_sgd_warmup_steps = 0;

  // Per-rank op timing (data, forward+backward, communication, optimizer) goes to
  // metrics.jsonl every update. A rank whose data + compute + optimizer time exceeds
  // straggler_factor x the median of the ranks for straggler_steps updates in a row is
  // reported (log and metrics). hang_seconds > 0: a rank with no progress for that long
  // reports where it is and exits with status 75, so the launcher can restart the job.
  double straggler_factor = 1.5;
  int64_t straggler_steps = 5;
  double hang_seconds = 0;
  // Test hooks: rank test_slow_rank sleeps test_slow_ms in every update's compute phase.
  int test_slow_rank = -1;
  int64_t test_slow_ms = 0;

  uint64_t seed = 1;                 // model init, data order, routing-warmup noise
  int threads = 0;                   // TBB threads; 0 = all cores
  // Matrix products: "fp32", "bf16" (operands rounded to bf16, fp32 accumulation; weights,
  // optimizer state, norms, the router softmax and losses stay fp32; every matrix product,
  // the router logits included, runs in bf16) or "auto" (bf16 where it beats fp32:
  // AMX, or AVX-512 BF16 on AMD; AutoMatmulPrecision in trainer/model/bf16_gemm.h).
  std::string precision = "fp32";
  int64_t log_every = 50;            // INFO log line every N updates (0 = never)
  bool progress = true;              // progress line on a TTY
};

struct TrainSummary {
  std::string out;
  bool resumed = false;
  int64_t start_step = 0;            // first update of this invocation
  int64_t end_step = 0;              // updates completed when it stopped
  std::vector<double> losses;        // loss of each update this invocation ran, in order
  int64_t spike_events = 0;          // skipped / LR-reduced / non-finite events
  int64_t tokens = 0;                // input tokens of applied updates this invocation
  double seconds = 0;
  double tokens_per_s = 0;
  double model_flops_per_s = 0;      // ModelConfig::TrainingFlopsPerToken * tokens/s
  std::string precision;             // of the matrix products: "fp32" | "bf16"
  std::string last_checkpoint;
  int64_t num_parameters = 0, num_active_parameters = 0;
};

// Called after every applied update (tests, CLI display). Must not throw.
using StepCallback = std::function<void(const StepMetrics&)>;

class Trainer {
 public:
  // Everything that can be wrong is checked here, before any training: option ranges, config
  // (unknown keys, impossible shapes), the data (missing, corrupt, a token id >= vocab_size,
  // seq_len > max_position_embeddings), an unwritable run directory, a checkpoint in `out` (or
  // init_checkpoint) of another shape. `comm` may be null (single process); it must outlive
  // the trainer.
  static Result<std::unique_ptr<Trainer>> Create(const TrainOptions& options,
                                                 dist::Communicator* comm = nullptr);
  ~Trainer();

  // Trains to options.steps (or stop_after_steps). Errors: I/O failures writing checkpoints or
  // metrics; divergence (too many non-finite steps in a row) as FailedPrecondition.
  Result<TrainSummary> Run(const StepCallback& on_step = nullptr);

  Model& model();
  int64_t step() const;  // updates completed

  struct State;

 private:
  explicit Trainer(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// Create + Run.
Result<TrainSummary> Train(const TrainOptions& options, const StepCallback& on_step = nullptr);

// A few lines for people: first/last/min loss and the loss averaged over `points` equal windows
// ("  steps 0-9: 4.1512").
std::string LossCurveSummary(const TrainSummary& summary, int points = 10);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_TRAINER_H_
