// EDiT local SGD (Ling §5 / SPEC §5; Cheng et al., "EDiT: A Local-SGD-Based Efficient
// Distributed Training Method for Large Language Models", arXiv 2412.07210), over a
// dist::Communicator.
//
// Workers take local optimizer steps on their own data; every `sync_every` steps they
// synchronise:
//   delta_k = synced - local_k                     the pseudo-gradient of worker k
//   penalty: each worker's ||delta_k|| is tracked as an EWMA (mean and variance, alpha); after
//            `anomaly_warmup_syncs` syncs a worker with z = (||delta_k|| - mean_k) / std_k >
//            z_threshold is excluded from this sync (a bad or diverging worker)
//   weights: w_k = softmax(-||delta_k|| / temperature) over the included workers
//   delta    = sum_k w_k delta_k, clipped to `clip_norm` (when > 0)
//   outer    = SGD with Nesterov momentum: m = mu m + delta; synced -= outer_lr (delta + mu m)
//   every worker's parameters become `synced`.
// Without the penalty the weights are uniform; with one worker, outer_lr 1 and momentum 0 a sync
// is the identity. Inner optimizer state (Adam moments) stays local to each worker, as in EDiT
// and DiLoCo. Deterministic: every rank computes the same weights from the same gathered norms
// and the all-reduce sums in rank order, so the ranks hold bit-identical parameters after a sync.
#ifndef KGF_TRAINER_TRAIN_LOCAL_SGD_H_
#define KGF_TRAINER_TRAIN_LOCAL_SGD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "dist/communicator.h"
#include "trainer/io/safetensors.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

struct LocalSgdOptions {
  int64_t sync_every = 8;        // local steps between synchronisations
  // > 0: time-based instead: each worker steps on its own until this many seconds passed since
  // the last sync, so fast workers take more local steps and stragglers fewer (EDiT's
  // asynchronous variant). Not bit-reproducible: step counts depend on timing.
  double sync_seconds = 0;
  double outer_lr = 0.7;         // DiLoCo's outer Nesterov settings
  double outer_momentum = 0.9;
  bool penalty = true;           // EDiT's pseudo-gradient penalty (exclusion + weighting)
  double ewma_alpha = 0.02;
  int64_t anomaly_warmup_syncs = 100;
  double z_threshold = 3.0;
  double temperature = 1.0;      // of the softmax(-norm / T) weights
  double clip_norm = 0;          // of the averaged pseudo-gradient; <= 0: no clipping
  // Test hook: from sync test_bad_from_sync on, rank test_bad_rank's pseudo-gradient is
  // multiplied by test_bad_scale (a diverging worker).
  int test_bad_rank = -1;
  double test_bad_scale = 1.0;
  int64_t test_bad_from_sync = 0;
  Status Validate() const;       // InvalidArgument naming the option
};

// What one synchronisation decided (written to metrics.jsonl).
struct SyncReport {
  int64_t sync = 0;               // 1-based count
  std::vector<double> norms;      // ||delta_k|| per rank
  std::vector<double> z;          // z-scores (0 before the anomaly warmup)
  std::vector<int> excluded;      // ranks left out of this sync
  std::vector<double> weights;    // per rank, summing to 1
  double delta_norm = 0;          // of the averaged pseudo-gradient, before clipping
  bool clipped = false;
  std::string ToJson() const;
};

class LocalSgd {
 public:
  // Snapshots `params` as the synced point. REQUIRES: params identical on every rank; they and
  // `comm` outlive this object.
  LocalSgd(LocalSgdOptions options, ParameterList params, dist::Communicator* comm);

  // Collective: every rank calls it after the same number of local steps.
  Result<SyncReport> Sync();
  // Re-snapshots the synced point (after parameters changed outside local steps).
  void Reset();

  int64_t syncs() const { return syncs_; }
  // Outer momentum ("<param>.outer_momentum") and the penalty's statistics (metadata) for a
  // checkpoint; Restore accepts another rank count (the statistics then restart, with their
  // warmup). Errors: FailedPrecondition naming `where` for a missing tensor or a wrong shape.
  std::string Encode() const;
  Status Restore(const SafetensorsFile& file, std::string_view where);

 private:
  LocalSgdOptions o_;
  ParameterList params_;
  dist::Communicator* comm_;
  std::vector<std::vector<float>> synced_, momentum_;  // (numel) per parameter
  std::vector<double> ewma_mean_, ewma_var_;            // per rank
  int64_t syncs_ = 0;
};

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_LOCAL_SGD_H_
