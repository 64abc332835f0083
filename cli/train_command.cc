// `kgforge train`: trains the bundled MoE model (data parallel when started by mpirun). Flags map 1:1 onto trainer::TrainOptions
// (defaults from TrainOptions{}); all logic lives in trainer/trainer.h.
#include <cstdio>
#include <memory>

#include "base/file_util.h"
#include "base/json.h"
#include "base/progress.h"
#include "base/logging.h"
#include "cli/command.h"
#include "corpus/manifest.h"
#include "eval/evaluator.h"
#include "trainer/model/bf16_gemm.h"
#include "trainer/io/state_json.h"
#include "trainer/train/trainer.h"

namespace kgf::cli {
namespace {

struct TrainFlags {
  trainer::TrainOptions options;
  bool json = false;
  // Evaluation during training: `kgforge eval` on a checkpoint every eval_every updates.
  std::string eval_kg;       // graph store the records come from
  std::string eval_records;  // default: the corpus's eval/valid.jsonl
  int64_t eval_per_pattern = 10;
};

// The trainer's evaluate hook: the valid records (or --eval-records) played by the checkpoint,
// scored on the graph; the report's JSON goes into metrics.jsonl.
void WireEvaluation(TrainFlags* f) {
  if (f->options.eval_every <= 0) return;
  const TrainFlags flags = *f;
  f->options.evaluate = [flags](const std::string& checkpoint, int64_t) -> Result<std::string> {
    eval::EvalOptions e;
    e.checkpoint = checkpoint;
    e.kg = flags.eval_kg;
    e.corpus = flags.options.data;
    e.split = "valid";
    if (!flags.eval_records.empty()) e.inputs = {flags.eval_records};
    e.per_pattern = flags.eval_per_pattern;
    KGF_ASSIGN_OR_RETURN(eval::EvalReport report, eval::RunEval(e));
    KGF_LOG(INFO) << "eval after step: valid calls " << report.model.all.valid_call_rate()
                  << ", chain exact " << report.model.all.chain_exact << ", exec answer "
                  << report.model.all.executed_answer << ", F1 " << report.model.all.f1;
    return report.ToJson();
  };
}

std::string SummaryJson(const trainer::TrainSummary& s) {
  std::string out;
  JsonAppender w(&out);
  w.StartObject();
  w.Key("out"); w.String(s.out);
  w.Key("resumed"); w.Bool(s.resumed);
  w.Key("start_step"); w.Int64(s.start_step);
  w.Key("end_step"); w.Int64(s.end_step);
  w.Key("losses"); w.StartArray();
  for (double loss : s.losses) w.Double(loss);
  w.EndArray();
  w.Key("spike_events"); w.Int64(s.spike_events);
  w.Key("tokens"); w.Int64(s.tokens);
  w.Key("seconds"); w.Double(s.seconds);
  w.Key("tokens_per_s"); w.Double(s.tokens_per_s);
  w.Key("model_flops_per_s"); w.Double(s.model_flops_per_s);
  w.Key("precision"); w.String(s.precision);
  w.Key("parameters"); w.Int64(s.num_parameters);
  w.Key("active_parameters"); w.Int64(s.num_active_parameters);
  w.Key("last_checkpoint"); w.String(s.last_checkpoint);
  w.EndObject();
  return out + "\n";
}

// The model: a preset or config, its vocabulary, routing warmup, a checkpoint to start from.
void AddModelOptions(CLI::App* c, trainer::TrainOptions& o) {
  c->add_option("--config", o.config, "model config.json (Ling HF keys); overrides --preset");
  c->add_option("--preset", o.preset, "tiny | small | small-dense | ling-lite-shape")->capture_default_str();
  c->add_option_function<std::string>(
       "--vocab-size",
       [opts = &o](const std::string& v) {
         opts->vocab_size = v == "corpus" ? trainer::TrainOptions::kVocabFromCorpus : std::stoll(v);
       },
       "override the model's vocab_size: a number, or 'corpus' for the size the corpus "
       "manifest records (a preset on a corpus folder takes it by default)")
      ->check([](const std::string& v) -> std::string {
        if (v == "corpus") return "";
        if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos ||
            std::stoll(v) > 2147483647) {
          return "must be a number in [0, 2147483647] or 'corpus'";
        }
        return "";
      });
  c->add_option_function<std::string>(
       "--tie-embeddings",
       [opts = &o](const std::string& v) { opts->tie_word_embeddings = v == "yes" ? 1 : 0; },
       "yes: the LM head is the embedding table (helps a small model copy names it never wrote); "
       "no: a head of its own; default: as the config or preset says")
      ->check(CLI::IsMember({"yes", "no"}));
  c->add_option_function<std::string>(
       "--norm-head",
       [opts = &o](const std::string& v) { opts->norm_head = v == "yes" ? 1 : 0; },
       "yes: NormHead (Ling; the head's columns normalised over the vocabulary); no: a plain head, "
       "which a small model fine-tuned on a corpus using a fraction of its vocabulary learns "
       "much faster with (trainer/README.md); default: as the config or preset says")
      ->check(CLI::IsMember({"yes", "no"}));
  c->add_option("--routing-warmup-steps", o.routing_warmup_steps,
                "Stochastic Routing Warmup length W (-1: = --warmup-steps for a fresh MoE model; 0: off)")
      ->capture_default_str();
  c->add_option("--init-checkpoint,--init", o.init_checkpoint,
                "start from this checkpoint's (or run dir's newest) weights: fine-tuning, "
                "fresh optimizer, step 0");
}

// The data and the batch.
void AddDataOptions(CLI::App* c, trainer::TrainOptions& o) {
  c->add_option("--data", o.data, "corpus folder (kgforge corpus build) or raw int32 token file")->required();
  c->add_option("--dataset", o.dataset, "pretrain (all tokens) | sft (mask 1 only)")->capture_default_str();
  c->add_option("--seq-len", o.seq_len, "positions per sequence")->capture_default_str();
  c->add_option("--attention", o.attention,
                "document: tokens attend only within their own packed document | causal: the "
                "whole sequence | auto: document for sft, causal for pretrain")
      ->capture_default_str();
  c->add_option("--out", o.out, "run directory (checkpoints, metrics.jsonl)")->required();
  c->add_option("--steps", o.steps, "total updates (the schedule's length)")->capture_default_str();
  c->add_option("--batch-size", o.batch_size, "sequences per update")->capture_default_str();
  c->add_option("--micro-batch-size", o.micro_batch_size,
                "sequences per forward/backward (gradient accumulation); 0 = whole batch")->capture_default_str();
  c->add_option("--batch-warmup-start", o.batch_warmup_start, "batch-size warmup start (0 = off)")->capture_default_str();
  c->add_option("--batch-warmup-steps", o.batch_warmup_steps, "updates to reach --batch-size")->capture_default_str();
}

// Optimizer, LR schedule and loss-spike handling (SPEC §5).
void AddOptimizerOptions(CLI::App* c, trainer::TrainOptions& o) {
  c->add_option("--optimizer", o.optimizer, "adamw | sgd")->capture_default_str();
  c->add_option("--lr", o.lr, "peak learning rate")->capture_default_str();
  c->add_option("--beta1", o.beta1, "AdamW beta1")->capture_default_str();
  c->add_option("--beta2", o.beta2, "AdamW beta2")->capture_default_str();
  c->add_option("--eps", o.eps, "AdamW epsilon")->capture_default_str();
  c->add_option("--weight-decay", o.weight_decay, "decoupled weight decay (not on norms)")->capture_default_str();
  c->add_option("--clip-grad-norm", o.clip_grad_norm, "global gradient norm clip (<= 0: off)")->capture_default_str();
  c->add_option("--schedule", o.schedule, "wsd | cosine | constant")->capture_default_str();
  c->add_option("--warmup-steps", o.warmup_steps, "linear LR warmup")->capture_default_str();
  c->add_option("--final-lr-fraction", o.final_lr_fraction, "final LR / peak")->capture_default_str();
  c->add_option("--halve-at", o.halve_at_fraction, "WSD: LR halves at this share of steps")->capture_default_str();
  c->add_option("--anneal-start", o.anneal_start_fraction,
                "WSD: inverse-sqrt anneal from this share of steps")->capture_default_str();
  c->add_flag("--spike-detection,!--no-spike-detection", o.spike_detection,
              "skip / re-inject / LR-cut loss spikes (SPEC §5; default on)");
  c->add_option("--spike-sigma", o.spike_sigma, "spike: loss > EMA + this x sigma")->capture_default_str();
  c->add_option("--spike-warmup-steps", o.spike_warmup_steps, "updates before detection starts")->capture_default_str();
  c->add_option("--spike-ema-alpha", o.spike_ema_alpha, "loss EMA alpha")->capture_default_str();
  c->add_option("--reinject-after", o.reinject_after_steps,
                "a spiking batch is re-injected this many updates later")->capture_default_str();
}

// Checkpoints, resume, early stop, seed.
void AddCheckpointOptions(CLI::App* c, trainer::TrainOptions& o) {
  c->add_option("--checkpoint-every", o.checkpoint_every, "updates between checkpoints (0: only at the end)")->capture_default_str();
  c->add_option("--keep-checkpoints", o.keep_checkpoints, "newest checkpoints kept")->capture_default_str();
  c->add_flag("--resume,!--no-resume", o.resume,
              "continue from the newest valid checkpoint in --out (default on)");
  c->add_option("--stop-after", o.stop_after_steps, "stop (with a checkpoint) after this many updates (0: --steps)")->capture_default_str();
  c->add_option("--seed", o.seed, "model init, data order, routing noise")->capture_default_str();
}

// Distributed training the Ling way (trainer/train/local_sgd.h) and its watchdogs.
void AddDistributedOptions(CLI::App* c, trainer::TrainOptions& o) {
  c->add_option("--sync", o.sync, "dp (gradients every update) | local-sgd (EDiT)")
      ->check(CLI::IsMember({"dp", "local-sgd"}))
      ->capture_default_str();
  c->add_option("--sync-every", o.local_sgd.sync_every, "local-sgd: updates between syncs")->capture_default_str();
  c->add_option("--sync-seconds", o.local_sgd.sync_seconds,
                "local-sgd: sync every S seconds instead (fast ranks take more local updates)")
      ->capture_default_str();
  c->add_option("--local-sgd-warmup", o.local_sgd_warmup_steps,
                "local-sgd: first updates averaged as dp")->capture_default_str();
  c->add_option("--outer-lr", o.local_sgd.outer_lr, "local-sgd: outer Nesterov SGD learning rate")->capture_default_str();
  c->add_option("--outer-momentum", o.local_sgd.outer_momentum, "local-sgd: outer momentum")->capture_default_str();
  c->add_flag("--penalty,!--no-penalty", o.local_sgd.penalty,
              "local-sgd: EDiT pseudo-gradient penalty (exclusion + norm weighting; default on)");
  c->add_option("--penalty-warmup", o.local_sgd.anomaly_warmup_syncs,
                "local-sgd: syncs before anomalous workers are excluded")->capture_default_str();
  c->add_option("--penalty-z", o.local_sgd.z_threshold, "local-sgd: exclusion z-score")->capture_default_str();
  c->add_option("--penalty-temperature", o.local_sgd.temperature,
                "local-sgd: T of the softmax(-norm / T) weights")->capture_default_str();
  c->add_option("--delta-clip", o.local_sgd.clip_norm,
                "local-sgd: clip the averaged pseudo-gradient to this norm (0: off)")->capture_default_str();
  c->add_option("--straggler-factor", o.straggler_factor,
                "flag a rank slower than this x the median ...")->capture_default_str();
  c->add_option("--straggler-steps", o.straggler_steps, "... for this many updates in a row")->capture_default_str();
  c->add_option("--hang-seconds", o.hang_seconds,
                "a rank without progress this long exits with status 75 (0: off)")->capture_default_str();
  // Test hooks (hidden): a slow rank.
  c->add_option("--test-slow-rank", o.test_slow_rank)->group("");
  c->add_option("--test-slow-ms", o.test_slow_ms)->group("");
}

// Threads, precision, logging and the summary format.
void AddRunOptions(CLI::App* c, trainer::TrainOptions& o, bool* json) {
  c->add_option("--threads", o.threads, "TBB threads (0 = all cores)")->capture_default_str();
  o.precision = "auto";
  c->add_option("--precision", o.precision,
                "matrix products in fp32, bf16 (fp32 accumulation and master weights) or auto "
                "(bf16 where it beats fp32 here: AMX, or AVX-512 BF16 on AMD)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  c->add_option("--log-every", o.log_every, "log a line every N updates (0: never)")->capture_default_str();
  c->add_flag("--progress,!--no-progress", o.progress, "progress line on a TTY (default on)");
  c->add_flag("--json", *json, "print the summary as JSON");
}

// Evaluation during training: `kgforge eval` on a checkpoint every N updates.
void AddEvalOptions(CLI::App* c, TrainFlags* f) {
  c->add_option("--eval-every", f->options.eval_every,
                "every N updates, run `kgforge eval` on the checkpoint (needs --eval-kg); scores "
                "go into metrics.jsonl")->capture_default_str();
  c->add_option("--eval-kg", f->eval_kg, "graph store for --eval-every");
  c->add_option("--eval-records", f->eval_records,
                "records for --eval-every (default: the corpus's eval/valid.jsonl)");
  c->add_option("--eval-per-pattern", f->eval_per_pattern, "records per pattern for --eval-every")
      ->capture_default_str();
}

// What --eval-every needs, checked before training rather than after eval_every updates.
Status CheckEvaluation(const TrainFlags& f) {
  if (f.options.eval_every <= 0) return Status::Ok();
  if (f.eval_kg.empty()) {
    return InvalidArgumentError("--eval-every needs --eval-kg, the graph store the records "
                                "were made from");
  }
  if (!FileExists(f.eval_kg)) return NotFoundError("--eval-kg " + f.eval_kg + " does not exist");
  KGF_ASSIGN_OR_RETURN(corpus::CorpusInfo info, corpus::ReadCorpusInfo(f.options.data));
  if (f.eval_records.empty() && info.eval_files.count("valid") == 0) {
    return NotFoundError("--eval-every: " + f.options.data + " holds no valid records "
                         "(eval/valid.jsonl); build the corpus from records with a valid "
                         "split or pass --eval-records");
  }
  return Status::Ok();
}

// The summary on stdout (rank 0): a headline, the loss curve, the last checkpoint.
void PrintSummary(const trainer::TrainSummary& s, bool json) {
  if (json) {
    std::fputs(SummaryJson(s).c_str(), stdout);
    return;
  }
  std::string head = (s.resumed ? "resumed at step " + std::to_string(s.start_step) + ", "
                                : std::string()) +
                     "trained to step " + std::to_string(s.end_step) + " in " +
                     HumanDuration(s.seconds) + ": " + HumanCount(s.tokens_per_s) +
                     " tokens/s, " + HumanCount(s.model_flops_per_s / 1e9) + " model GFLOP/s (" +
                     s.precision + " products; cpu " + std::string(trainer::Bf16Hardware()) + "), " +
                     std::to_string(s.spike_events) + " spike events\n";
  std::fputs(head.c_str(), stdout);
  std::fputs(trainer::LossCurveSummary(s).c_str(), stdout);
  std::fputs(("checkpoint: " + s.last_checkpoint + "\n").c_str(), stdout);
}

void RunTrain(TrainFlags* f) {
  if (Status ready = CheckEvaluation(*f); !ready.ok()) {
    ReportError(ready);
    return;
  }
  WireEvaluation(f);
  // Data parallel under mpirun (every rank trains its share of each batch), else one process.
  dist::Communicator& comm = World();
  auto t = trainer::Trainer::Create(f->options, &comm);
  if (!t.ok()) {
    ReportError(t.status());
    return;
  }
  auto summary = (*t)->Run();
  if (!summary.ok()) {
    ReportError(summary.status());
    return;
  }
  if (comm.rank() == 0) PrintSummary(*summary, f->json);
  SetExitCode(0);
}

void SetupTrainCommand(CLI::App& root) {
  auto f = std::make_shared<TrainFlags>();
  trainer::TrainOptions& o = f->options;
  auto* c = root.add_subcommand("train", "train the bundled Ling-style MoE model on token shards");
  AddModelOptions(c, o);
  AddDataOptions(c, o);
  AddOptimizerOptions(c, o);
  AddCheckpointOptions(c, o);
  AddDistributedOptions(c, o);
  AddRunOptions(c, o, &f->json);
  AddEvalOptions(c, f.get());
  c->callback([f] { RunTrain(f.get()); });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(train, kgf::cli::SetupTrainCommand);
