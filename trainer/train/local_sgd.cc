// EDiT local SGD synchronisation (local_sgd.h).
#include "trainer/train/local_sgd.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/json.h"

namespace kgf::trainer {

Status LocalSgdOptions::Validate() const {
  auto bad = [](const char* what, const std::string& why) {
    return InvalidArgumentError(std::string("local SGD: ") + what + " " + why);
  };
  if (sync_every < 1) return bad("sync interval", "must be >= 1 step");
  if (!(sync_seconds >= 0)) return bad("sync time", "must be >= 0 seconds");
  if (!(outer_lr > 0)) return bad("outer learning rate", "must be positive");
  if (!(outer_momentum >= 0 && outer_momentum < 1)) return bad("outer momentum", "must be in [0, 1)");
  if (!(ewma_alpha > 0 && ewma_alpha <= 1)) return bad("penalty EWMA alpha", "must be in (0, 1]");
  if (anomaly_warmup_syncs < 0) return bad("penalty warmup", "must be >= 0 syncs");
  if (!(z_threshold > 0)) return bad("penalty z threshold", "must be positive");
  if (!(temperature > 0)) return bad("weighting temperature", "must be positive");
  return Status::Ok();
}

std::string SyncReport::ToJson() const {
  JsonWriter w;
  w.BeginObject().Key("sync").Int(sync).Key("norms").BeginArray();
  for (double n : norms) w.Double(n);
  w.EndArray().Key("z").BeginArray();
  for (double v : z) w.Double(v);
  w.EndArray().Key("excluded").BeginArray();
  for (int r : excluded) w.Int(r);
  w.EndArray().Key("weights").BeginArray();
  for (double v : weights) w.Double(v);
  w.EndArray().Key("delta_norm").Double(delta_norm).Key("clipped").Bool(clipped).EndObject();
  return w.str();
}

LocalSgd::LocalSgd(LocalSgdOptions options, ParameterList params, dist::Communicator* comm)
    : o_(options), params_(std::move(params)), comm_(comm) {
  momentum_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) momentum_[i].assign(params_[i]->value.size(), 0.f);
  ewma_mean_.assign(comm_->size(), 0.0);
  ewma_var_.assign(comm_->size(), 0.0);
  Reset();
}

void LocalSgd::Reset() {
  synced_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) synced_[i] = params_[i]->value;
}

Result<SyncReport> LocalSgd::Sync() {
  const int R = comm_->size(), rank = comm_->rank();
  // delta_k = synced - local.
  std::vector<std::vector<float>> delta(params_.size());
  double sq = 0;
  const float bad = rank == o_.test_bad_rank && syncs_ + 1 >= o_.test_bad_from_sync
                        ? static_cast<float>(o_.test_bad_scale)
                        : 1.f;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::vector<float>& v = params_[i]->value;
    delta[i].resize(v.size());
    for (size_t j = 0; j < v.size(); ++j) {
      delta[i][j] = (synced_[i][j] - v[j]) * bad;
      sq += static_cast<double>(delta[i][j]) * delta[i][j];
    }
  }
  SyncReport rep;
  rep.sync = ++syncs_;
  rep.norms.assign(R, 0.0);
  rep.norms[rank] = std::sqrt(sq);
  KGF_RETURN_IF_ERROR(comm_->AllReduceMean(std::span<double>(rep.norms)));
  for (double& n : rep.norms) n *= R;  // only one rank contributed each slot

  // Penalty: z-scores against each worker's own EWMA, exclusion, softmax(-norm / T) weights.
  // A worker whose pseudo-gradient is not finite is always left out (0 x inf would still poison
  // the sum), penalty or not; with no finite worker the sync fails on every rank alike.
  rep.z.assign(R, 0.0);
  std::vector<bool> in(R, true);
  for (int k = 0; k < R; ++k) in[k] = std::isfinite(rep.norms[k]);
  if (std::none_of(in.begin(), in.end(), [](bool b) { return b; })) {
    return FailedPreconditionError("local SGD sync " + std::to_string(syncs_) +
                                   ": every worker's pseudo-gradient is non-finite (diverged); "
                                   "lower the learning rate or resume from an earlier checkpoint");
  }
  if (o_.penalty && syncs_ > o_.anomaly_warmup_syncs) {
    std::vector<bool> finite = in;
    for (int k = 0; k < R; ++k) {
      if (!in[k]) continue;
      const double sd = std::sqrt(ewma_var_[k]);
      rep.z[k] = sd > 0 ? (rep.norms[k] - ewma_mean_[k]) / sd : 0.0;
      if (rep.z[k] > o_.z_threshold) in[k] = false;
    }
    if (std::none_of(in.begin(), in.end(), [](bool b) { return b; })) in = finite;
  }
  for (int k = 0; k < R; ++k) {
    if (!in[k]) {
      rep.excluded.push_back(k);
      continue;
    }
    // West's incremental EWMA of mean and variance; the first sync seeds the mean.
    if (syncs_ == 1) {
      ewma_mean_[k] = rep.norms[k];
      ewma_var_[k] = 0;
    } else {
      const double d = rep.norms[k] - ewma_mean_[k];
      ewma_mean_[k] += o_.ewma_alpha * d;
      ewma_var_[k] = (1 - o_.ewma_alpha) * (ewma_var_[k] + o_.ewma_alpha * d * d);
    }
  }
  rep.weights.assign(R, 0.0);
  double lo = 1e300;
  for (int k = 0; k < R; ++k) {
    if (in[k]) lo = std::min(lo, rep.norms[k]);
  }
  double total = 0;
  for (int k = 0; k < R; ++k) {
    if (!in[k]) continue;
    rep.weights[k] = o_.penalty ? std::exp(-(rep.norms[k] - lo) / o_.temperature) : 1.0;
    total += rep.weights[k];
  }
  for (double& w : rep.weights) w /= total;

  // sum_k w_k delta_k: each rank scales its own delta by w_k * R, the mean all-reduce sums; an
  // excluded rank sends zeros (not 0 x its delta, which is NaN for an infinite one).
  const float scale = static_cast<float>(rep.weights[rank] * R);
  double avg_sq = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    for (float& x : delta[i]) x = in[rank] ? x * scale : 0.0f;
    KGF_RETURN_IF_ERROR(comm_->AllReduceMean(std::span<float>(delta[i])));
    for (float x : delta[i]) avg_sq += static_cast<double>(x) * x;
  }
  rep.delta_norm = std::sqrt(avg_sq);
  float clip = 1.f;
  if (o_.clip_norm > 0 && rep.delta_norm > o_.clip_norm) {
    clip = static_cast<float>(o_.clip_norm / rep.delta_norm);
    rep.clipped = true;
  }
  // Outer Nesterov SGD on the synced point; every worker continues from it.
  const float mu = static_cast<float>(o_.outer_momentum), lr = static_cast<float>(o_.outer_lr);
  for (size_t i = 0; i < params_.size(); ++i) {
    std::vector<float>& m = momentum_[i];
    std::vector<float>& s = synced_[i];
    for (size_t j = 0; j < s.size(); ++j) {
      const float g = delta[i][j] * clip;
      m[j] = mu * m[j] + g;
      s[j] -= lr * (g + mu * m[j]);
    }
    params_[i]->value = s;
  }
  return rep;
}

std::string LocalSgd::Encode() const {
  std::vector<std::string> names;
  names.reserve(params_.size());
  for (const Parameter* p : params_) names.push_back(p->name + ".outer_momentum");
  std::vector<TensorRef> refs;
  for (size_t i = 0; i < params_.size(); ++i) refs.push_back({names[i], params_[i]->shape, momentum_[i]});
  std::string mean, var;
  for (size_t k = 0; k < ewma_mean_.size(); ++k) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%.17g", k ? "," : "", ewma_mean_[k]);
    mean += buf;
    std::snprintf(buf, sizeof(buf), "%s%.17g", k ? "," : "", ewma_var_[k]);
    var += buf;
  }
  return EncodeSafetensors(refs, {{"syncs", std::to_string(syncs_)}, {"ewma_mean", mean},
                                  {"ewma_var", var}});
}

Status LocalSgd::Restore(const SafetensorsFile& file, std::string_view where) {
  const std::string w(where);
  for (size_t i = 0; i < params_.size(); ++i) {
    const SafetensorsFile::Entry* e = file.Find(params_[i]->name + ".outer_momentum");
    if (e == nullptr || e->shape != params_[i]->shape) {
      return FailedPreconditionError(w + ": no outer momentum of the right shape for " +
                                     params_[i]->name);
    }
    file.CopyValues(*e, momentum_[i]);
  }
  auto parse = [](const std::string& s) {
    std::vector<double> out;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find(',', pos);
      if (end == std::string::npos) end = s.size();
      out.push_back(std::strtod(s.substr(pos, end - pos).c_str(), nullptr));
      pos = end + 1;
    }
    return out;
  };
  const auto& meta = file.metadata();
  syncs_ = meta.count("syncs") ? std::atoll(meta.at("syncs").c_str()) : 0;
  std::vector<double> mean = meta.count("ewma_mean") ? parse(meta.at("ewma_mean")) : std::vector<double>{};
  std::vector<double> var = meta.count("ewma_var") ? parse(meta.at("ewma_var")) : std::vector<double>{};
  if (static_cast<int>(mean.size()) == comm_->size() && mean.size() == var.size()) {
    ewma_mean_ = std::move(mean);
    ewma_var_ = std::move(var);
  } else {
    // Another rank count: the per-worker statistics restart (with their warmup).
    ewma_mean_.assign(comm_->size(), 0.0);
    ewma_var_.assign(comm_->size(), 0.0);
    syncs_ = 0;
  }
  Reset();
  return Status::Ok();
}

}  // namespace kgf::trainer
