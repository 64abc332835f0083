#include "trainer/train/trainer.h"

#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "base/file_util.h"
#include "base/logging.h"
#include "base/memory_budget.h"
#include "base/progress.h"
#include "base/rng.h"
#include "corpus/manifest.h"
#include "trainer/io/checkpoint.h"
#include "trainer/model/bf16_gemm.h"
#include "trainer/train/data_loader.h"
#include "trainer/train/lr_schedule.h"
#include "trainer/model/model.h"
#include "trainer/model/model_config.h"
#include "trainer/train/optimizer.h"
#include "trainer/io/safetensors.h"
#include "trainer/train/spike_detector.h"
#include "trainer/io/state_json.h"

namespace kgf::trainer {
namespace {

constexpr char kMetricsFile[] = "metrics.jsonl";

Status ValidateOptions(const TrainOptions& o) {
  auto bad = [](const std::string& m) { return InvalidArgumentError(m); };
  if (o.data.empty()) return bad("--data is required (a corpus folder or an int32 token file)");
  if (o.out.empty()) return bad("--out (the run directory) is required");
  if (o.steps <= 0) return bad("--steps must be > 0");
  if (o.batch_size <= 0) return bad("--batch-size must be > 0");
  if (o.micro_batch_size < 0) return bad("--micro-batch-size must be >= 0");
  if (o.batch_warmup_start < 0 || o.batch_warmup_start > o.batch_size) {
    return bad("--batch-warmup-start must be in [0, --batch-size]");
  }
  if (o.seq_len <= 0) return bad("--seq-len must be > 0");
  if (o.attention != "auto" && o.attention != "document" && o.attention != "causal") {
    return bad("--attention must be auto, document or causal, not '" + o.attention + "'");
  }
  if (!(o.lr > 0)) return bad("--lr must be > 0");
  if (o.beta1 < 0 || o.beta1 >= 1 || o.beta2 < 0 || o.beta2 >= 1) return bad("betas must be in [0, 1)");
  if (o.weight_decay < 0) return bad("--weight-decay must be >= 0");
  if (o.checkpoint_every < 0) return bad("--checkpoint-every must be >= 0");
  if (o.eval_every < 0) return bad("--eval-every must be >= 0");
  if (o.stop_after_steps < 0) return bad("--stop-after must be >= 0");
  if (o.threads < 0) return bad("--threads must be >= 0");
  if (Result<MatmulPrecision> p = ResolveMatmulPrecision(o.precision); !p.ok()) {
    return p.status();
  }
  if ((o.vocab_size < 0 && o.vocab_size != TrainOptions::kVocabFromCorpus) ||
      o.vocab_size > (int64_t{1} << 31) - 1) {
    return bad("--vocab-size must be >= 0 or 'corpus'");
  }
  if (!(o.spike_sigma > 0) || !(o.spike_ema_alpha > 0 && o.spike_ema_alpha <= 1)) {
    return bad("--spike-sigma must be > 0 and --spike-ema-alpha in (0, 1]");
  }
  KGF_RETURN_IF_ERROR(ParseOptimizerKind(o.optimizer));
  KGF_RETURN_IF_ERROR(ParseLrScheduleKind(o.schedule));
  if (o.sync != "dp" && o.sync != "local-sgd") return bad("--sync must be dp or local-sgd");
  if (o.sync == "local-sgd") KGF_RETURN_IF_ERROR(o.local_sgd.Validate());
  if (o.local_sgd_warmup_steps < 0) return bad("--local-sgd-warmup must be >= 0");
  if (!(o.straggler_factor > 1) || o.straggler_steps < 1) {
    return bad("--straggler-factor must be > 1 and --straggler-steps >= 1");
  }
  if (!(o.hang_seconds >= 0)) return bad("--hang-seconds must be >= 0");
  return Status::Ok();
}

// Gathers every rank's op times into m->rank_seconds and flags stragglers: a rank whose data +
// compute + optimizer time exceeds factor x the ranks' median for `steps` updates in a row.
Status RecordRankTimes(dist::Communicator& comm, const std::array<double, 4>& mine,
                       const TrainOptions& o, int64_t step, bool lead,
                       std::vector<int64_t>* streak, StepMetrics* m) {
  const int R = comm.size(), rank = comm.rank();
  std::vector<double> all(4 * static_cast<size_t>(R), 0.0);
  for (int k = 0; k < 4; ++k) all[4 * rank + k] = mine[k];
  if (R > 1) KGF_RETURN_IF_ERROR(comm.AllReduceMean(std::span<double>(all)));
  m->rank_seconds.resize(R);
  std::vector<double> busy(R);
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < 4; ++k) m->rank_seconds[r][k] = all[4 * r + k] * R;
    busy[r] = m->rank_seconds[r][0] + m->rank_seconds[r][1] + m->rank_seconds[r][3];
  }
  if (R < 2) return Status::Ok();
  std::vector<double> sorted = busy;
  std::sort(sorted.begin(), sorted.end());
  const double median = R % 2 ? sorted[R / 2] : 0.5 * (sorted[R / 2 - 1] + sorted[R / 2]);
  for (int r = 0; r < R; ++r) {
    (*streak)[r] = busy[r] > o.straggler_factor * median ? (*streak)[r] + 1 : 0;
    if ((*streak)[r] != o.straggler_steps) continue;
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "{\"kind\":\"straggler\",\"rank\":%d,\"seconds\":%.4f,\"median\":%.4f,"
                  "\"steps\":%lld}",
                  r, busy[r], median, static_cast<long long>(o.straggler_steps));
    m->system.push_back(buf);
    if (lead) {
      KGF_LOG(WARNING) << "step " << step << ": rank " << r << " is a straggler: " << busy[r]
                       << " s of work per update against a median of " << median << " s, "
                       << o.straggler_steps << " updates in a row";
    }
  }
  return Status::Ok();
}

}  // namespace

// After a time-based sync: the ranks agree on the step (the most local updates any rank took)
// and on the data consumed (the phase's positions up to the furthest rank's stride), and the
// local-update counts per rank go to metrics (a straggler takes fewer).
struct TimedPhase {
  int64_t* base;
  int64_t* taken;
  int64_t* steps;
  int64_t* data_position;
  std::chrono::steady_clock::time_point* last_sync;
};

Result<int64_t> AgreeAfterTimedSync(dist::Communicator& comm, int64_t my_step, TimedPhase p,
                                    bool lead, StepMetrics* m) {
  const int R = comm.size(), rank = comm.rank();
  std::vector<double> v(3 * static_cast<size_t>(R), 0.0);
  v[3 * rank] = static_cast<double>(my_step);
  v[3 * rank + 1] = static_cast<double>(*p.taken);
  v[3 * rank + 2] = static_cast<double>(*p.steps);
  if (R > 1) KGF_RETURN_IF_ERROR(comm.AllReduceMean(std::span<double>(v)));
  int64_t step = 0, taken = 0;
  std::string counts;
  for (int r = 0; r < R; ++r) {
    step = std::max<int64_t>(step, std::llround(v[3 * r] * R));
    taken = std::max<int64_t>(taken, std::llround(v[3 * r + 1] * R));
    counts += (r ? "," : "") + std::to_string(std::llround(v[3 * r + 2] * R));
  }
  *p.data_position = *p.base + R * taken;
  *p.base = *p.data_position;
  *p.taken = *p.steps = 0;
  *p.last_sync = std::chrono::steady_clock::now();
  m->system.push_back("{\"kind\":\"local_steps\",\"per_rank\":[" + counts + "]}");
  if (lead) {
    KGF_LOG(INFO) << "local-sgd timed sync: local updates per rank [" << counts << "]";
  }
  return step;
}

namespace {

// A rank that stops making progress (a hung collective, a stuck disk) reports where it is and
// exits, so the launcher can restart the job instead of waiting forever.
class Watchdog {
 public:
  Watchdog(int rank, double seconds) : rank_(rank), seconds_(seconds) {
    if (seconds_ <= 0) return;
    Beat("start", 0);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const double idle = Now() - last_.load();
        if (!paused_.load() && idle > seconds_) {
          std::fprintf(stderr,
                       "kgforge train: rank %d made no progress for %.1f s (in %s, step %lld); "
                       "exiting with status 75 so the launcher can restart the job\n",
                       rank_, idle, op_.load(), static_cast<long long>(step_.load()));
          std::fflush(stderr);
          std::_Exit(75);
        }
      }
    });
  }
  ~Watchdog() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void Beat(const char* op, int64_t step) {
    op_ = op;
    step_ = step;
    last_ = Now();
  }
  // While paused (a checkpoint write, an evaluation: long, and not a hang) nothing fires.
  void Pause() { paused_ = true; }
  void Resume(const char* op, int64_t step) {
    Beat(op, step);
    paused_ = false;
  }

 private:
  static double Now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  int rank_;
  double seconds_;
  std::atomic<bool> stop_{false}, paused_{false};
  std::atomic<double> last_{0};
  std::atomic<const char*> op_{"start"};
  std::atomic<int64_t> step_{0};
  std::thread thread_;
};

// The run directory must exist (or be creatable) and accept files.
Status CheckWritable(const std::string& dir) {
  Status s = CreateDirectories(dir);
  if (!s.ok()) {
    return FailedPreconditionError("run directory " + dir + " cannot be created (" + s.message() +
                                   "); choose a writable --out");
  }
  const std::string probe = JoinPath(dir, ".write-test-" + std::to_string(::getpid()));
  s = WriteFileAtomic(probe, "ok");
  if (!s.ok()) {
    return FailedPreconditionError("run directory " + dir + " is not writable (" + s.message() +
                                   "); choose a writable --out");
  }
  return RemoveFile(probe);
}

// The first line where two configs' JSON differ, for "another shape" errors.
std::string ConfigDifference(const ModelConfig& a, const ModelConfig& b) {
  std::istringstream sa(a.ToJson()), sb(b.ToJson());
  std::string la, lb;
  while (std::getline(sa, la) && std::getline(sb, lb)) {
    if (la != lb) return "checkpoint has " + la + " but the model has " + lb;
  }
  return "configs differ";
}

// "auto" resolves to document attention for SFT corpora (whole dialogues packed together).
bool DocumentAttention(const TrainOptions& o) {
  if (o.attention == "auto") return o.dataset == "sft" && IsDirectory(o.data);
  return o.attention == "document";
}

std::string OptionsJson(const TrainOptions& o) {
  return "{\"preset\":" + JsonQuote(o.preset) + ",\"config\":" + JsonQuote(o.config) +
         ",\"vocab_size\":" + std::to_string(o.vocab_size) +
         ",\"routing_warmup_steps\":" + std::to_string(o.routing_warmup_steps) +
         ",\"data\":" + JsonQuote(o.data) + ",\"dataset\":" + JsonQuote(o.dataset) +
         ",\"seq_len\":" + std::to_string(o.seq_len) +
         ",\"attention\":" + JsonQuote(DocumentAttention(o) ? "document" : "causal") +
         ",\"steps\":" + std::to_string(o.steps) +
         ",\"batch_size\":" + std::to_string(o.batch_size) +
         ",\"micro_batch_size\":" + std::to_string(o.micro_batch_size) +
         ",\"optimizer\":" + JsonQuote(o.optimizer) + ",\"lr\":" + JsonDouble(o.lr) +
         ",\"schedule\":" + JsonQuote(o.schedule) +
         ",\"warmup_steps\":" + std::to_string(o.warmup_steps) +
         ",\"seed\":" + std::to_string(o.seed) + "}";
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

struct Trainer::State {
  TrainOptions options;
  dist::Communicator* comm = nullptr;
  dist::LocalCommunicator local;
  ModelConfig config;
  std::optional<Model> model;
  ParameterList params;
  std::optional<Optimizer> optimizer;
  std::optional<DataLoader> loader;
  LrScheduleOptions lr;
  BatchSizeSchedule batch;
  SpikeDetector spike;
  TrainerState ts;
  Rng rng{1};
  bool resumed = false;
  std::string resumed_from;
  // Local SGD (--sync local-sgd): created at the first local update; state from a checkpoint.
  std::optional<LocalSgd> local_sgd;
  std::optional<SafetensorsFile> local_sgd_state;
  int64_t local_since_sync = 0;
  std::vector<int64_t> slow_streak;  // per rank: updates in a row over the straggler factor
  // Time-based local SGD: this phase's data base (-1: none yet), sequences this rank has taken
  // from its stride of it, local updates since the sync, and when the last sync ended.
  int64_t timed_base = -1, timed_taken = 0, timed_steps = 0;
  int64_t timed_sync_step = 0;  // the step the ranks agreed on at the last sync
  std::chrono::steady_clock::time_point last_sync;
};

Trainer::Trainer(std::unique_ptr<State> state) : s_(std::move(state)) {}
Trainer::~Trainer() = default;
Model& Trainer::model() { return *s_->model; }
int64_t Trainer::step() const { return s_->ts.step; }

Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainOptions& options,
                                                 dist::Communicator* comm) {
  KGF_RETURN_IF_ERROR(ValidateOptions(options));
  auto st = std::make_unique<State>();
  State& s = *st;
  s.options = options;
  s.comm = comm ? comm : &s.local;

  // Model configuration.
  std::optional<Checkpoint> init;
  if (!options.init_checkpoint.empty()) {
    KGF_ASSIGN_OR_RETURN(Checkpoint c, ReadCheckpointOrLatest(options.init_checkpoint));
    init = std::move(c);
  }
  if (!options.config.empty()) {
    KGF_ASSIGN_OR_RETURN(std::string text, ReadFileToString(options.config));
    KGF_ASSIGN_OR_RETURN(s.config, ModelConfig::FromJson(text, options.config));
  } else if (init) {
    KGF_ASSIGN_OR_RETURN(s.config, ModelConfig::FromJson(init->config_json,
                                                         JoinPath(init->dir, kConfigFile)));
  } else {
    KGF_ASSIGN_OR_RETURN(s.config, ModelConfig::Preset(options.preset));
  }
  if (options.vocab_size > 0) s.config.vocab_size = static_cast<int>(options.vocab_size);
  if (options.vocab_size == 0 && options.config.empty() && !init) {
    // A preset trained on a corpus folder: embedding and head fit the corpus tokenizer.
    if (Result<corpus::CorpusInfo> info = corpus::ReadCorpusInfo(options.data); info.ok()) {
      KGF_LOG(INFO) << "vocab_size " << info->vocab_size << " from " << options.data
                    << "/manifest.json (the preset has " << s.config.vocab_size << ")";
      s.config.vocab_size = static_cast<int>(info->vocab_size);
    }
  }
  if (options.vocab_size == TrainOptions::kVocabFromCorpus) {
    Result<corpus::CorpusInfo> info = corpus::ReadCorpusInfo(options.data);
    if (!info.ok()) {
      return InvalidArgumentError("vocab_size 'corpus' takes the size from the corpus manifest, "
                                  "but " + options.data + " is not a corpus folder (" +
                                  info.status().message() + "); give a number");
    }
    s.config.vocab_size = static_cast<int>(info->vocab_size);
  }
  // A fresh model takes the asked head layout; a checkpoint keeps its own (asking otherwise
  // names both).
  auto head_option = [&](int asked, bool* field, const std::string& key,
                         const std::string& why) -> Status {
    if (asked < 0) return Status::Ok();
    const bool want = asked == 1;
    if (init && want != *field) {
      return InvalidArgumentError(key + " " + (want ? "true" : "false") + " asked for, but " +
                                  init->dir + " was trained with " + (want ? "false" : "true") +
                                  "; " + why + " (leave the option out)");
    }
    *field = want;
    return Status::Ok();
  };
  KGF_RETURN_IF_ERROR(head_option(options.tie_word_embeddings, &s.config.tie_word_embeddings,
                                  "tie_word_embeddings", "a checkpoint keeps its layout"));
  KGF_RETURN_IF_ERROR(head_option(options.norm_head, &s.config.norm_head, "norm_head",
                                  "its weights compute other logits under the other head"));
  if (options.routing_warmup_steps >= 0) {
    s.config.routing_warmup_steps = options.routing_warmup_steps;
  } else if (!init && s.config.routing_warmup_steps == 0 && s.config.NumMoeLayers() > 0) {
    s.config.routing_warmup_steps = options.warmup_steps;  // SPEC §4: W = LR warmup length
  }
  KGF_RETURN_IF_ERROR(s.config.Validate());
  if (options.seq_len > s.config.max_position_embeddings) {
    return InvalidArgumentError("--seq-len " + std::to_string(options.seq_len) +
                                " exceeds the model's max_position_embeddings " +
                                std::to_string(s.config.max_position_embeddings));
  }

  // Data, and its vocabulary against the model's.
  DataLoaderOptions dl;
  dl.data = options.data;
  dl.dataset = options.dataset;
  dl.seq_len = options.seq_len;
  dl.seed = options.seed;
  dl.document_attention = DocumentAttention(options);
  if (dl.document_attention && !IsDirectory(options.data)) {
    return InvalidArgumentError("--attention document needs a corpus folder (its document "
                                "boundaries); " + options.data + " is a token file");
  }
  KGF_ASSIGN_OR_RETURN(DataLoader loader, DataLoader::Open(dl));
  if (loader.corpus_vocab_size() > s.config.vocab_size) {
    return FailedPreconditionError(
        options.data + ": the corpus tokenizer has " + std::to_string(loader.corpus_vocab_size()) +
        " tokens but the model's vocab_size is " + std::to_string(s.config.vocab_size) +
        "; pass --vocab-size " + std::to_string(loader.corpus_vocab_size()) +
        " or use a config with a larger vocab_size");
  }
  const int32_t max_id = loader.MaxTokenId();
  if (max_id >= s.config.vocab_size) {
    return FailedPreconditionError(options.data + ": token id " + std::to_string(max_id) +
                                   " >= the model's vocab_size " +
                                   std::to_string(s.config.vocab_size) +
                                   "; pass --vocab-size " + std::to_string(max_id + 1) +
                                   " (or more) or use a config with a larger vocab_size");
  }
  s.loader = std::move(loader);

  KGF_RETURN_IF_ERROR(CheckWritable(options.out));

  // Model, optimizer, schedules. Weights, gradients and AdamW's two moments: 16 bytes a
  // parameter, refused up front when the machine cannot hold them.
  KGF_RETURN_IF_ERROR(CheckMemoryBudget(
      16.0 * static_cast<double>(s.config.NumParameters()),
      "training this model (" + std::to_string(s.config.NumParameters()) +
          " parameters: fp32 weights, gradients and optimizer state)",
      "use a smaller config or preset"));
  KGF_ASSIGN_OR_RETURN(Model model, Model::Create(s.config, options.seed));
  s.model = std::move(model);
  s.params = s.model->parameters();
  OptimizerOptions oo;
  oo.kind = *ParseOptimizerKind(options.optimizer);
  oo.beta1 = options.beta1;
  oo.beta2 = options.beta2;
  oo.eps = options.eps;
  oo.weight_decay = options.weight_decay;
  s.optimizer.emplace(s.params, oo);
  s.lr.kind = *ParseLrScheduleKind(options.schedule);
  s.lr.peak_lr = options.lr;
  s.lr.warmup_steps = options.warmup_steps;
  s.lr.total_steps = options.steps;
  s.lr.final_lr_fraction = options.final_lr_fraction;
  s.lr.halve_at_fraction = options.halve_at_fraction;
  s.lr.anneal_start_fraction = options.anneal_start_fraction;
  KGF_RETURN_IF_ERROR(ValidateLrSchedule(s.lr));
  const int64_t micro = options.micro_batch_size > 0 ? options.micro_batch_size : options.batch_size;
  s.batch.start = options.batch_warmup_start;
  s.batch.end = options.batch_size;
  s.batch.warmup_steps = options.batch_warmup_steps;
  s.batch.multiple = std::min<int64_t>(options.batch_size, micro * s.comm->size());
  SpikeOptions so;
  so.enabled = options.spike_detection;
  so.threshold_sigma = options.spike_sigma;
  so.warmup_steps = options.spike_warmup_steps;
  so.ema_alpha = options.spike_ema_alpha;
  so.reinject_after_steps = options.reinject_after_steps;
  s.spike = SpikeDetector(so);
  s.rng = Rng(Mix64(options.seed ^ 0x747261696e6572ULL));
  s.ts.options = OptionsJson(options);

  if (init) {
    ModelConfig init_config;
    KGF_ASSIGN_OR_RETURN(init_config, ModelConfig::FromJson(init->config_json, init->dir));
    if (!(init_config == s.config)) {
      return FailedPreconditionError("--init-checkpoint " + init->dir + " is of another shape: " +
                                     ConfigDifference(init_config, s.config));
    }
    KGF_RETURN_IF_ERROR(LoadParameters(init->model, s.params, ParameterField::kValue,
                                       JoinPath(init->dir, kModelFile)));
  }

  // Resume from the run directory. Without --resume, old checkpoints there would later be
  // mistaken for this run's, so they are an error.
  if (!options.resume) {
    auto existing = ListCheckpoints(options.out);
    if (!existing.empty()) {
      return FailedPreconditionError("--no-resume but " + options.out + " already holds checkpoints (" +
                                     existing.back().second +
                                     "); use a fresh --out or remove them");
    }
  }
  if (options.resume) {
    std::vector<std::string> skipped;
    std::optional<Checkpoint> ck = ReadLatestCheckpoint(options.out, &skipped);
    if (!ck && !skipped.empty()) {
      return DataLossError(options.out + " holds checkpoints but none is valid (" + skipped[0] +
                           "); move them away or pass --no-resume with a fresh --out");
    }
    if (ck) {
      auto ck_config = ModelConfig::FromJson(ck->config_json, JoinPath(ck->dir, kConfigFile));
      if (!ck_config.ok()) return ck_config.status();
      if (!(*ck_config == s.config)) {
        return FailedPreconditionError("checkpoint " + ck->dir +
                                       " is of another shape than the configured model: " +
                                       ConfigDifference(*ck_config, s.config) +
                                       "; use its config or another --out");
      }
      // The attention mask is part of the run: a resume must not switch it (checkpoints
      // written before --attention existed were trained causal).
      std::string ck_attention = "causal";
      if (auto ck_opts = ParseJson(ck->state.options, ck->dir); ck_opts.ok() && ck_opts->IsObject()) {
        if (auto a = JsonGetString(*ck_opts, "attention", ck->dir); a.ok()) ck_attention = *a;
      }
      const std::string attention = DocumentAttention(options) ? "document" : "causal";
      if (ck_attention != attention) {
        return FailedPreconditionError("checkpoint " + ck->dir + " was trained with --attention " +
                                       ck_attention + "; this run would use " + attention +
                                       ": pass --attention " + ck_attention +
                                       " to continue it, or another --out");
      }
      KGF_RETURN_IF_ERROR(LoadParameters(ck->model, s.params, ParameterField::kValue,
                                         JoinPath(ck->dir, kModelFile)));
      KGF_RETURN_IF_ERROR(s.optimizer->Load(ck->optimizer, JoinPath(ck->dir, kOptimizerFile)));
      KGF_RETURN_IF_ERROR(s.model->SetRouterState(ck->state.router_state));
      auto spike_doc = ParseJson(ck->state.spike_detector, ck->dir);
      if (!spike_doc.ok()) return spike_doc.status();
      KGF_RETURN_IF_ERROR(s.spike.RestoreState(*spike_doc, JoinPath(ck->dir, kTrainerStateFile)));
      s.rng.set_state(ck->state.rng_state);
      if (ck->local_sgd) s.local_sgd_state = std::move(*ck->local_sgd);
      const std::string opts = s.ts.options;
      s.ts = ck->state;
      s.ts.options = opts;
      s.resumed = true;
      s.resumed_from = ck->dir;
      KGF_LOG(INFO) << "resuming from " << ck->dir << " (step " << ck->step << ")";
    }
  }
  if (s.ts.step > options.steps) {
    return FailedPreconditionError("checkpoint " + s.resumed_from + " is at step " +
                                   std::to_string(s.ts.step) + ", past --steps " +
                                   std::to_string(options.steps));
  }
  return std::unique_ptr<Trainer>(new Trainer(std::move(st)));
}

namespace {

// What the phases of one Trainer::Run share.
struct RunContext {
  RunContext(Trainer::State& state, const TrainOptions& options, int rank_, int ranks_)
      : s(state), o(options), rank(rank_), ranks(ranks_), lead(rank_ == 0),
        watchdog(rank_, options.hang_seconds) {}
  Trainer::State& s;
  const TrainOptions& o;
  int rank, ranks;
  bool lead;
  int64_t end = 0, micro = 0;
  Watchdog watchdog;
  TrainSummary sum;
  std::optional<MetricsWriter> metrics;
  Status metrics_error;  // rank 0's first metrics.jsonl failure, shared at the next checkpoint
};

// Collective: an error any rank hit becomes every rank's, so none waits in a collective the
// failed rank never reaches (rank 0 alone writes checkpoints and metrics).
Status ShareOutcome(RunContext& c, Status mine) {
  if (c.ranks == 1) return mine;
  std::vector<double> failed = {mine.ok() ? 0.0 : 1.0};
  KGF_RETURN_IF_ERROR(c.s.comm->AllReduceMean(std::span<double>(failed)));
  if (!mine.ok()) return mine;
  if (failed[0] > 0) return InternalError("train: another rank failed (see its error); stopping");
  return Status::Ok();
}

// Seconds spent per phase of an update: data, compute, comm, optimizer.
struct Laps {
  std::array<double, 4> secs{};
  std::chrono::steady_clock::time_point clock = std::chrono::steady_clock::now();
  void operator()(int slot) {
    const auto now = std::chrono::steady_clock::now();
    secs[slot] += Seconds(clock, now);
    clock = now;
  }
};

// The routing-warmup statistics are averaged over the ranks, so every rank routes alike.
Status ReduceRouterState(RunContext& c) {
  if (c.ranks == 1) return Status::Ok();
  std::vector<float> rs = c.s.model->RouterState();
  if (rs.empty()) return Status::Ok();
  KGF_RETURN_IF_ERROR(c.s.comm->AllReduceMean(std::span<float>(rs)));
  return c.s.model->SetRouterState(rs);
}

// Local SGD: one synchronisation (collective); its report for metrics.jsonl.
Result<std::string> SyncLocal(RunContext& c, int64_t step) {
  c.watchdog.Beat("local-sgd sync", step);
  KGF_ASSIGN_OR_RETURN(SyncReport rep, c.s.local_sgd->Sync());
  KGF_RETURN_IF_ERROR(ReduceRouterState(c));
  c.s.local_since_sync = 0;
  if (c.lead && (!rep.excluded.empty() || rep.clipped)) {
    std::string ex;
    for (int r : rep.excluded) ex += (ex.empty() ? "" : ",") + std::to_string(r);
    KGF_LOG(WARNING) << "step " << step << ": local-sgd sync " << rep.sync
                     << (ex.empty() ? "" : ": excluded rank(s) " + ex + " (pseudo-gradient norm z > " +
                                              std::to_string(c.o.local_sgd.z_threshold) + ")")
                     << (rep.clipped ? ": averaged pseudo-gradient norm " +
                                           std::to_string(rep.delta_norm) + " clipped" : "");
  }
  return rep.ToJson();
}

// Collective; rank 0 writes. Ranks hold the same parameters only right after a sync, so a
// local-SGD checkpoint is one.
Status SaveNow(RunContext& c) {
  Trainer::State& s = c.s;
  if (s.local_sgd && s.local_since_sync > 0) KGF_RETURN_IF_ERROR(SyncLocal(c, s.ts.step));
  s.ts.router_state = s.model->RouterState();
  s.ts.spike_detector = s.spike.StateJson();
  s.ts.rng_state = s.rng.state();
  if (!c.lead) return Status::Ok();
  std::vector<TensorRef> refs;
  for (const Parameter* p : s.params) refs.push_back({p->name, p->shape, p->value});
  CheckpointContents cc;
  cc.step = s.ts.step;
  cc.config_json = s.config.ToJson();
  cc.model_safetensors = EncodeSafetensors(refs, {{"format", "pt"}});
  cc.optimizer_safetensors = s.optimizer->Encode();
  if (s.local_sgd) cc.local_sgd_safetensors = s.local_sgd->Encode();
  cc.state = s.ts;
  KGF_ASSIGN_OR_RETURN(c.sum.last_checkpoint, SaveCheckpoint(c.o.out, cc, c.o.keep_checkpoints));
  return Status::Ok();
}

// Starts the local-SGD phase when `step` enters it: the EDiT state (restored from the
// checkpoint resumed from) and, time-based, the phase's data base and clock.
Status EnterLocalPhase(RunContext& c, bool local_phase, bool timed) {
  Trainer::State& s = c.s;
  if (timed && s.timed_base < 0) {
    s.timed_base = s.ts.data_position;
    s.timed_sync_step = s.ts.step;
    s.timed_taken = s.timed_steps = 0;
    s.last_sync = std::chrono::steady_clock::now();
  }
  if (local_phase && !s.local_sgd) {
    s.local_sgd.emplace(c.o.local_sgd, s.params, s.comm);
    if (s.local_sgd_state) KGF_RETURN_IF_ERROR(s.local_sgd->Restore(*s.local_sgd_state, kLocalSgdFile));
  }
  return Status::Ok();
}

// The sequences of this rank's next attempt at update `step` (`all`: every rank's, for the
// metrics) and the ids to hold back should a spike skip it.
void NextSequences(RunContext& c, int64_t step, bool timed, bool first_attempt, StepMetrics& m,
                   std::vector<int64_t>* ids, std::vector<int64_t>* all, std::vector<int64_t>* mine) {
  Trainer::State& s = c.s;
  // The global batch: the next sequences in data order, plus any re-injected spike batches.
  const int64_t global = s.batch.At(step);
  ids->assign(global, 0);
  if (timed) {
    // This rank's stride of the phase's data: positions base + rank + ranks * k.
    const int64_t per = std::max<int64_t>(1, global / c.ranks);
    ids->resize(per);
    for (int64_t k = 0; k < per; ++k) {
      (*ids)[k] = s.loader->SequenceAt(s.timed_base + c.rank + c.ranks * (s.timed_taken + k));
    }
    s.timed_taken += per;
  } else {
    for (int64_t i = 0; i < global; ++i) (*ids)[i] = s.loader->SequenceAt(s.ts.data_position + i);
    s.ts.data_position += global;
  }
  *all = *ids;
  if (first_attempt && !timed) {
    for (SavedBatch& b : s.spike.TakeDue(step)) {
      SpikeEvent e{step, "reinjected", 0, s.spike.ema(), 0, 1.0, b.from_step};
      KGF_LOG(WARNING) << "step " << step << ": re-injecting the batch held back at step "
                       << b.from_step << " (" << b.sequences.size() << " sequences)";
      m.events.push_back(e);
      all->insert(all->end(), b.sequences.begin(), b.sequences.end());
    }
  }
  mine->clear();
  if (timed) {
    *mine = *all;
  } else {
    for (size_t i = c.rank; i < all->size(); i += c.ranks) mine->push_back((*all)[i]);
  }
}

struct Totals {
  double loss = 0, lm = 0, bal = 0, z = 0;
  int64_t targets = 0, micro_batches = 0;
  std::vector<std::vector<int64_t>> load;  // (MoE layers, E)
};

// Forward and backward over this rank's sequences in micro-batches; each gradient is weighted by
// its share of the trained tokens, so the accumulated gradient is that of the mean loss over the
// whole batch.
Totals ComputeGradients(RunContext& c, int64_t step, const std::vector<int64_t>& mine, Laps& lap) {
  Trainer::State& s = c.s;
  std::vector<Batch> batches;
  double total_targets = 0;
  for (size_t b = 0; b < mine.size(); b += c.micro) {
    const size_t n = std::min<size_t>(c.micro, mine.size() - b);
    batches.push_back(s.loader->MakeBatch(std::span<const int64_t>(mine).subspan(b, n)));
    for (float x : batches.back().loss_mask) total_targets += x;
  }
  lap(0);
  c.watchdog.Beat("forward/backward", step);
  if (c.rank == c.o.test_slow_rank && c.o.test_slow_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(c.o.test_slow_ms));
  }
  ZeroGradients(s.params);
  Totals t;
  t.micro_batches = static_cast<int64_t>(batches.size());
  for (const Batch& batch : batches) {
    double n = 0;
    for (float x : batch.loss_mask) n += x;
    const double w = total_targets > 0 ? n / total_targets : 1.0 / batches.size();
    LossParts p = s.model->ForwardBackward(batch, step, static_cast<float>(w));
    t.loss += w * p.loss;
    t.lm += w * p.lm_loss;
    t.bal += w * p.balance_loss;
    t.z += w * p.z_loss;
    t.targets += p.target_tokens;
    if (t.load.empty()) {
      t.load = std::move(p.expert_load);
    } else {
      for (size_t l = 0; l < t.load.size() && l < p.expert_load.size(); ++l) {
        for (size_t e = 0; e < t.load[l].size() && e < p.expert_load[l].size(); ++e) {
          t.load[l][e] += p.expert_load[l][e];
        }
      }
    }
  }
  lap(1);
  return t;
}

// Gradients (data parallel) or losses (local SGD, except time-based) averaged over the ranks;
// the clipping factor. The gradients are not scaled here: Optimizer::Step applies clip_scale as
// it reads them (one pass over ~90 MB fewer a step on `small`).
struct Reduced {
  double grad_norm = 0;    // before clipping (averaged over the ranks in a local step)
  float clip_scale = 1.0f; // GradClipScale of this rank's own norm
};
Result<Reduced> ReduceAndClip(RunContext& c, int64_t step, bool local_phase, bool timed,
                              Totals& t, Laps& lap) {
  Trainer::State& s = c.s;
  c.watchdog.Beat("all-reduce", step);
  Reduced r;
  if (!local_phase) {
    KGF_RETURN_IF_ERROR(AllReduceGradients(*s.comm, s.params));
    if (c.ranks > 1) {
      double scalars[4] = {t.loss, t.lm, t.bal, t.z};
      KGF_RETURN_IF_ERROR(s.comm->AllReduceMean(std::span<double>(scalars)));
      t.loss = scalars[0], t.lm = scalars[1], t.bal = scalars[2], t.z = scalars[3];
    }
    lap(2);
    r.grad_norm = GlobalGradNorm(s.params);
    r.clip_scale = GradClipScale(r.grad_norm, c.o.clip_grad_norm);
    return r;
  }
  // Local step: this rank's own gradient; the losses and gradient norm are averaged so that
  // every rank takes the same spike decisions (time-based: each rank decides for itself).
  r.grad_norm = GlobalGradNorm(s.params);
  r.clip_scale = GradClipScale(r.grad_norm, c.o.clip_grad_norm);
  lap(3);
  if (c.ranks > 1 && !timed) {
    double scalars[5] = {t.loss, t.lm, t.bal, t.z, r.grad_norm};
    KGF_RETURN_IF_ERROR(s.comm->AllReduceMean(std::span<double>(scalars)));
    t.loss = scalars[0], t.lm = scalars[1], t.bal = scalars[2], t.z = scalars[3];
    r.grad_norm = scalars[4];
  }
  lap(2);
  return r;
}

// One applied update at `step`: batches, gradients, reduction, the spike detector's decision
// (a skipped batch is retried with the next one), the optimizer. Fills m.
Status ApplyUpdate(RunContext& c, int64_t step, bool local_phase, bool timed, StepMetrics& m,
                   Laps& lap) {
  Trainer::State& s = c.s;
  bool first_attempt = true;
  std::vector<int64_t> ids, all, mine;
  for (;;) {
    c.watchdog.Beat("data", step);
    NextSequences(c, step, timed, first_attempt, m, &ids, &all, &mine);
    first_attempt = false;
    Totals t = ComputeGradients(c, step, mine, lap);
    KGF_ASSIGN_OR_RETURN(const Reduced reduced, ReduceAndClip(c, step, local_phase, timed, t, lap));
    const double grad_norm = reduced.grad_norm;
    const SpikeDecision d = s.spike.Observe(step, t.loss, grad_norm);
    if (d.has_event) {
      KGF_LOG(WARNING) << "step " << step << ": " << d.event.kind << " (loss " << t.loss
                       << ", EMA " << d.event.ema << ", sigma " << d.event.sigma
                       << ", grad norm " << grad_norm << ")";
      m.events.push_back(d.event);
      ++c.sum.spike_events;
    }
    if (d.action == SpikeAction::kSkipNonFinite) {
      if (s.spike.Diverged()) {
        return FailedPreconditionError(
            "training diverged at step " + std::to_string(step) +
            ": too many non-finite losses or gradients in a row; lower --lr or resume from " +
            "an earlier checkpoint");
      }
      continue;  // retry on the next batch
    }
    if (d.action == SpikeAction::kSkipAndRetry) {
      s.spike.SaveBatch(step, ids);
      continue;
    }
    const double lr = LearningRate(s.lr, step) * d.lr_factor;
    c.watchdog.Beat("optimizer", step);
    s.optimizer->Step(lr, reduced.clip_scale);
    lap(3);
    m.loss = t.loss;
    m.lm_loss = t.lm;
    m.balance_loss = t.bal;
    m.z_loss = t.z;
    m.grad_norm = grad_norm;
    m.lr = lr;
    m.sequences = static_cast<int64_t>(all.size());
    m.micro_batches = t.micro_batches;
    m.tokens = m.sequences * c.o.seq_len;
    m.target_tokens = t.targets;
    m.expert_load = std::move(t.load);
    s.ts.last_lr = lr;
    return Status::Ok();
  }
}

// After an update: local-SGD syncs (by count, or time-based by this rank's clock, where the
// ranks then agree on step and data), router statistics, per-rank times. Returns the step the
// run is at now; *synced says whether a time-based sync happened.
Result<int64_t> FinishUpdate(RunContext& c, int64_t step, bool local_phase, bool timed,
                             StepMetrics& m, Laps& lap, bool* synced) {
  Trainer::State& s = c.s;
  *synced = false;
  if (timed) {
    ++s.local_since_sync;
    ++s.timed_steps;
    m.rank_seconds = {lap.secs};  // this rank's own: no per-update collective in this mode
    const bool due = Seconds(s.last_sync, std::chrono::steady_clock::now()) >=
                         c.o.local_sgd.sync_seconds || step + 1 >= c.end;
    if (!due) return step + 1;
    KGF_ASSIGN_OR_RETURN(m.sync, SyncLocal(c, step));
    *synced = true;
    return AgreeAfterTimedSync(*s.comm, step + 1,
                               {&s.timed_base, &s.timed_taken, &s.timed_steps,
                                &s.ts.data_position, &s.last_sync},
                               c.lead, &m);
  }
  if (local_phase) {
    if (++s.local_since_sync >= c.o.local_sgd.sync_every) {
      KGF_ASSIGN_OR_RETURN(m.sync, SyncLocal(c, step));
    }
  } else {
    KGF_RETURN_IF_ERROR(ReduceRouterState(c));
  }
  lap(2);
  KGF_RETURN_IF_ERROR(RecordRankTimes(*s.comm, lap.secs, c.o, step, c.lead, &s.slow_streak, &m));
  return step + 1;
}

// Checkpoints and evaluations (collective). `aligned`: the ranks agree on the step (always,
// except between time-based syncs); a boundary counts once it is crossed since `prev_step`.
Status CheckpointAndEvaluate(RunContext& c, int64_t prev_step, bool aligned) {
  Trainer::State& s = c.s;
  const TrainOptions& o = c.o;
  auto crossed = [&](int64_t every) {
    return every > 0 && (s.ts.step / every) > (prev_step / every);
  };
  const bool periodic = aligned && crossed(o.checkpoint_every);
  const bool eval_now = aligned && o.eval_every > 0 && o.evaluate &&
                        (crossed(o.eval_every) || s.ts.step >= c.end);
  if (periodic || eval_now || (aligned && s.ts.step >= c.end)) {
    // Writing (rank 0) and waiting for it (the others) is not a hang.
    c.watchdog.Pause();
    Status saved = SaveNow(c);
    if (saved.ok()) saved = c.metrics_error;
    KGF_RETURN_IF_ERROR(ShareOutcome(c, saved));
    c.watchdog.Resume("checkpoint", s.ts.step);
  }
  if (!eval_now) return Status::Ok();
  // The lead rank evaluates; every rank learns whether it failed, so none waits forever in the
  // next all-reduce.
  c.watchdog.Pause();
  Status evaluated;
  if (c.lead) {
    Result<std::string> scores = o.evaluate(c.sum.last_checkpoint, s.ts.step);
    evaluated = scores.ok() && c.metrics ? c.metrics->WriteEval(s.ts.step, *scores)
                                         : scores.status();
  }
  KGF_RETURN_IF_ERROR(ShareOutcome(c, evaluated));
  c.watchdog.Resume("evaluation", s.ts.step);
  return Status::Ok();
}

}  // namespace

Result<TrainSummary> Trainer::Run(const StepCallback& on_step) {
  State& s = *s_;
  const TrainOptions& o = s.options;
  std::optional<tbb::global_control> threads;
  if (o.threads > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, o.threads);
  KGF_ASSIGN_OR_RETURN(const MatmulPrecision precision, ResolveMatmulPrecision(o.precision));
  ScopedMatmulPrecision scoped_precision(precision);

  RunContext c(s, o, s.comm->rank(), s.comm->size());
  c.end = o.stop_after_steps > 0 ? std::min(o.steps, o.stop_after_steps) : o.steps;
  c.micro = o.micro_batch_size > 0 ? o.micro_batch_size : o.batch_size;
  const double flops_per_token = s.config.TrainingFlopsPerToken(o.seq_len);
  TrainSummary& sum = c.sum;
  sum.out = o.out;
  sum.precision = std::string(MatmulPrecisionName(precision));
  sum.resumed = s.resumed;
  sum.start_step = s.ts.step;
  sum.num_parameters = s.config.NumParameters();
  sum.num_active_parameters = s.config.NumActiveParameters();
  Status opened;
  if (c.lead) {
    Result<MetricsWriter> w = MetricsWriter::Open(JoinPath(o.out, kMetricsFile), s.ts.step);
    opened = w.status();
    if (w.ok()) c.metrics.emplace(std::move(w).value());
  }
  KGF_RETURN_IF_ERROR(ShareOutcome(c, opened));
  std::optional<Progress> progress;
  if (o.progress && c.lead) {
    progress.emplace("train", static_cast<uint64_t>(std::max<int64_t>(c.end - s.ts.step, 0)), "steps");
  }
  if (c.ranks > 1) s.slow_streak.assign(c.ranks, 0);

  const auto run_start = std::chrono::steady_clock::now();
  while (s.ts.step < c.end) {
    const int64_t step = s.ts.step;
    const auto step_start = std::chrono::steady_clock::now();
    StepMetrics m;
    m.step = step;
    const bool local_phase = o.sync == "local-sgd" && step >= o.local_sgd_warmup_steps;
    // Time-based local SGD: no collective until this rank's sync is due (its own clock).
    const bool timed = local_phase && o.local_sgd.sync_seconds > 0;
    KGF_RETURN_IF_ERROR(EnterLocalPhase(c, local_phase, timed));
    Laps lap;
    KGF_RETURN_IF_ERROR(ApplyUpdate(c, step, local_phase, timed, m, lap));
    bool synced = false;
    KGF_ASSIGN_OR_RETURN(const int64_t next, FinishUpdate(c, step, local_phase, timed, m, lap, &synced));
    const double secs = Seconds(step_start, std::chrono::steady_clock::now());
    m.step_seconds = secs;
    m.tokens_per_s = secs > 0 ? m.tokens / secs : 0;
    m.model_flops_per_s = m.tokens_per_s * flops_per_token;
    // Checkpoint boundaries are measured from the last agreed step when time-based.
    const int64_t prev_step = timed ? s.timed_sync_step : step;
    if (synced) s.timed_sync_step = next;
    s.ts.step = next;
    s.ts.tokens_seen += m.tokens;
    s.ts.elapsed_seconds += secs;
    sum.losses.push_back(m.loss);
    sum.tokens += m.tokens;
    if (c.metrics && c.metrics_error.ok()) c.metrics_error = c.metrics->Write(m);
    if (on_step) on_step(m);
    if (o.log_every > 0 && (s.ts.step % o.log_every == 0 || s.ts.step == c.end) && c.lead) {
      KGF_LOG(INFO) << "step " << s.ts.step << "/" << o.steps << " loss " << m.loss << " lm "
                    << m.lm_loss << " lr " << m.lr << " grad_norm " << m.grad_norm << " "
                    << HumanCount(m.tokens_per_s) << " tok/s";
    }
    if (progress) progress->Add(1);
    KGF_RETURN_IF_ERROR(CheckpointAndEvaluate(c, prev_step, !timed || synced));
  }
  if (progress) progress->Finish();
  sum.end_step = s.ts.step;
  sum.seconds = Seconds(run_start, std::chrono::steady_clock::now());
  sum.tokens_per_s = sum.seconds > 0 ? sum.tokens / sum.seconds : 0;
  sum.model_flops_per_s = sum.tokens_per_s * flops_per_token;
  if (sum.last_checkpoint.empty() && c.lead) {
    auto all = ListCheckpoints(o.out);
    if (!all.empty()) sum.last_checkpoint = all.back().second;
  }
  return sum;
}

Result<TrainSummary> Train(const TrainOptions& options, const StepCallback& on_step) {
  KGF_ASSIGN_OR_RETURN(std::unique_ptr<Trainer> trainer, Trainer::Create(options));
  return trainer->Run(on_step);
}

std::string LossCurveSummary(const TrainSummary& s, int points) {
  if (s.losses.empty()) return "no updates run\n";
  const int64_t n = static_cast<int64_t>(s.losses.size());
  char buf[160];
  std::string out;
  size_t argmin = 0;
  for (size_t i = 1; i < s.losses.size(); ++i) {
    if (s.losses[i] < s.losses[argmin]) argmin = i;
  }
  std::snprintf(buf, sizeof(buf), "loss: first %.4f (step %lld), last %.4f (step %lld), min %.4f (step %lld)\n",
                s.losses.front(), static_cast<long long>(s.start_step), s.losses.back(),
                static_cast<long long>(s.start_step + n - 1), s.losses[argmin],
                static_cast<long long>(s.start_step + argmin));
  out += buf;
  const int64_t windows = std::min<int64_t>(std::max(points, 1), n);
  for (int64_t w = 0; w < windows; ++w) {
    const int64_t a = w * n / windows, b = (w + 1) * n / windows;
    double mean = 0;
    for (int64_t i = a; i < b; ++i) mean += s.losses[i];
    mean /= static_cast<double>(b - a);
    std::snprintf(buf, sizeof(buf), "  steps %6lld-%-6lld %8.4f\n",
                  static_cast<long long>(s.start_step + a),
                  static_cast<long long>(s.start_step + b - 1), mean);
    out += buf;
  }
  return out;
}

}  // namespace kgf::trainer
