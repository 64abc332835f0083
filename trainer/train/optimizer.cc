#include "trainer/train/optimizer.h"

#include <immintrin.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <charconv>
#include <cmath>

#include "base/enum_names.h"
#include "base/file_util.h"

namespace kgf::trainer {
namespace {

// Elements per task: fixed chunks so per-chunk partial sums (and so the total) do not depend on
// how TBB schedules them.
constexpr int64_t kChunk = 1 << 15;

struct Chunk {
  int param;
  int64_t begin, end;
};

std::vector<Chunk> Chunks(const ParameterList& params) {
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t n = params[i]->numel();
    for (int64_t b = 0; b < n; b += kChunk) {
      chunks.push_back({static_cast<int>(i), b, std::min(n, b + kChunk)});
    }
  }
  return chunks;
}

}  // namespace

namespace {
constexpr EnumNames<OptimizerKind, 2> kOptimizerNames({"adamw", "sgd"});
}  // namespace

Result<OptimizerKind> ParseOptimizerKind(std::string_view name) {
  if (auto kind = kOptimizerNames.Find(name)) return *kind;
  return InvalidArgumentError("unknown optimizer '" + std::string(name) + "' (known: " +
                              kOptimizerNames.Joined() + ")");
}

std::string_view OptimizerKindName(OptimizerKind kind) { return kOptimizerNames.Name(kind); }

namespace {

// One AdamW update of n values, 8 at a time (AVX2 + FMA: the x86-64-v3 baseline), then the rest;
// the memory-bound step is the largest non-matmul cost of a training step. Elementwise, so the
// result never depends on how the values are chunked across threads.
void AdamWUpdate(float* __restrict p, const float* __restrict g, float* __restrict m,
                 float* __restrict v, int64_t n, float grad_scale, float decay, float b1, float b2,
                 float step_size, float inv_sqrt_bias2, float eps) {
  const __m256 vscale = _mm256_set1_ps(grad_scale);
  const __m256 vdecay = _mm256_set1_ps(decay), vb1 = _mm256_set1_ps(b1),
               vb1c = _mm256_set1_ps(1.0f - b1), vb2 = _mm256_set1_ps(b2),
               vb2c = _mm256_set1_ps(1.0f - b2), vstep = _mm256_set1_ps(step_size),
               vinv = _mm256_set1_ps(inv_sqrt_bias2), veps = _mm256_set1_ps(eps);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), vscale);
    const __m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vb1c, gi));
    const __m256 vi =
        _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(vb2c, gi), gi));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    const __m256 denom = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), vinv, veps);
    const __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vdecay);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(vstep, mi), denom)));
  }
  for (; i < n; ++i) {
    const float gi = g[i] * grad_scale;
    m[i] = std::fma(b1, m[i], (1.0f - b1) * gi);
    v[i] = std::fma(b2, v[i], (1.0f - b2) * gi * gi);
    const float denom = std::fma(std::sqrt(v[i]), inv_sqrt_bias2, eps);
    p[i] = p[i] * decay - step_size * m[i] / denom;
  }
}

// Sum of squares in double, four lanes then the tail; a fixed order for a given n.
double SumSquares(const float* x, int64_t n) {
  __m256d acc = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d d = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    acc = _mm256_fmadd_pd(d, d, acc);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, acc);
  double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

}  // namespace

double GlobalGradNorm(const ParameterList& params) {
  const std::vector<Chunk> chunks = Chunks(params);
  std::vector<double> partial(chunks.size(), 0.0);
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    const Chunk& ch = chunks[c];
    partial[c] = SumSquares(params[ch.param]->grad.data() + ch.begin, ch.end - ch.begin);
  });
  double total = 0;
  for (double s : partial) total += s;
  return std::sqrt(total);
}

float GradClipScale(double norm, double max_norm) {
  if (max_norm > 0 && std::isfinite(norm) && norm > max_norm) {
    return static_cast<float>(max_norm / (norm + 1e-6));
  }
  return 1.0f;
}

double ClipGradNorm(const ParameterList& params, double max_norm) {
  const double norm = GlobalGradNorm(params);
  const float scale = GradClipScale(norm, max_norm);
  if (scale != 1.0f) {
    // In equal chunks, not one task per tensor: the embedding and the head are most of it.
    const std::vector<Chunk> chunks = Chunks(params);
    tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
      float* g = params[chunks[c].param]->grad.data();
      for (int64_t i = chunks[c].begin; i < chunks[c].end; ++i) g[i] *= scale;
    });
  }
  return norm;
}

void ZeroGradients(const ParameterList& params) {
  // ~90 MB on the `small` preset: one thread alone was a serial pass in every step.
  const std::vector<Chunk> chunks = Chunks(params);
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    float* g = params[chunks[c].param]->grad.data();
    std::fill(g + chunks[c].begin, g + chunks[c].end, 0.0f);
  });
}

bool GradientsFinite(const ParameterList& params) {
  for (const Parameter* p : params) {
    for (float g : p->grad) {
      if (!std::isfinite(g)) return false;
    }
  }
  return true;
}

Optimizer::Optimizer(ParameterList params, OptimizerOptions options)
    : params_(std::move(params)), options_(options) {
  if (options_.kind == OptimizerKind::kAdamW) {
    for (const Parameter* p : params_) {
      m_.emplace_back(p->numel(), 0.0f);
      v_.emplace_back(p->numel(), 0.0f);
    }
  }
}

void Optimizer::Step(double lr, float grad_scale) {
  ++step_count_;
  const std::vector<Chunk> chunks = Chunks(params_);
  if (options_.kind == OptimizerKind::kSgd) {
    const float flr = static_cast<float>(lr);
    tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
      const Chunk& ch = chunks[c];
      Parameter& p = *params_[ch.param];
      for (int64_t i = ch.begin; i < ch.end; ++i) p.value[i] -= flr * (p.grad[i] * grad_scale);
    });
    return;
  }
  const double t = static_cast<double>(step_count_);
  const float b1 = static_cast<float>(options_.beta1);
  const float b2 = static_cast<float>(options_.beta2);
  const double bias1 = 1.0 - std::pow(options_.beta1, t);
  const double bias2 = 1.0 - std::pow(options_.beta2, t);
  // PyTorch's AdamW (foreach=False): step_size = lr / bias1, denom = sqrt(v) / sqrt(bias2) + eps.
  const float step_size = static_cast<float>(lr / bias1);
  const float inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(bias2));
  const float eps = static_cast<float>(options_.eps);
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t c) {
    const Chunk& ch = chunks[c];
    Parameter& p = *params_[ch.param];
    float* m = m_[ch.param].data();
    float* v = v_[ch.param].data();
    const float decay =
        p.weight_decay ? static_cast<float>(1.0 - lr * options_.weight_decay) : 1.0f;
    AdamWUpdate(p.value.data() + ch.begin, p.grad.data() + ch.begin, m + ch.begin, v + ch.begin,
                ch.end - ch.begin, grad_scale, decay, b1, b2, step_size, inv_sqrt_bias2, eps);
  });
}

Status Optimizer::Save(const std::string& path) const {
  return WriteFileAtomic(path, Encode());
}

std::string Optimizer::Encode() const {
  std::vector<std::string> names;
  std::vector<TensorRef> refs;
  names.reserve(2 * params_.size());
  for (size_t i = 0; i < m_.size(); ++i) {
    names.push_back(params_[i]->name + ".exp_avg");
    names.push_back(params_[i]->name + ".exp_avg_sq");
  }
  for (size_t i = 0; i < m_.size(); ++i) {
    refs.push_back({names[2 * i], params_[i]->shape, m_[i]});
    refs.push_back({names[2 * i + 1], params_[i]->shape, v_[i]});
  }
  return EncodeSafetensors(refs,
                           {{"optimizer", std::string(OptimizerKindName(options_.kind))},
                           {"step_count", std::to_string(step_count_)}});
}

Status Optimizer::Load(const SafetensorsFile& file, std::string_view where) {
  const std::string w(where);
  auto kind = file.metadata().find("optimizer");
  auto steps = file.metadata().find("step_count");
  if (kind == file.metadata().end() || steps == file.metadata().end()) {
    return FailedPreconditionError(w + ": __metadata__ lacks optimizer / step_count");
  }
  if (kind->second != OptimizerKindName(options_.kind)) {
    return FailedPreconditionError(w + ": optimizer state is for '" + kind->second +
                                   "' but training uses '" +
                                   std::string(OptimizerKindName(options_.kind)) + "'");
  }
  int64_t step_count = 0;
  const std::string& sc = steps->second;
  auto [ptr, ec] = std::from_chars(sc.data(), sc.data() + sc.size(), step_count);
  if (ec != std::errc() || ptr != sc.data() + sc.size() || step_count < 0) {
    return FailedPreconditionError(w + ": bad step_count '" + sc + "'");
  }
  std::vector<const SafetensorsFile::Entry*> entries;
  for (size_t i = 0; i < m_.size(); ++i) {
    for (const char* suffix : {".exp_avg", ".exp_avg_sq"}) {
      const std::string name = params_[i]->name + suffix;
      const SafetensorsFile::Entry* e = file.Find(name);
      if (e == nullptr) return FailedPreconditionError(w + ": tensor '" + name + "' missing");
      if (e->shape != params_[i]->shape) {
        return FailedPreconditionError(w + ": " + name + ": shape " + ShapeString(e->shape) +
                                       " but the model has " + ShapeString(params_[i]->shape));
      }
      entries.push_back(e);
    }
  }
  if (file.entries().size() != entries.size()) {
    return FailedPreconditionError(w + ": " + std::to_string(file.entries().size()) +
                                   " tensors but the model needs " +
                                   std::to_string(entries.size()));
  }
  for (size_t i = 0; i < m_.size(); ++i) {
    file.CopyValues(*entries[2 * i], m_[i]);
    file.CopyValues(*entries[2 * i + 1], v_[i]);
  }
  step_count_ = step_count;
  return Status::Ok();
}

}  // namespace kgf::trainer
