// Exact and MinHash dedup; see the header.
#include "filters/dedup_filters.h"

#include <tbb/parallel_for.h>

#include <numeric>
#include <unordered_map>

#include "base/hash.h"
#include "filters/text/text_util.h"

namespace kgf::filters {

std::string NormalizeDedupText(std::string_view text) {
  std::vector<std::string> words;
  NormalizedWords(text, &words);
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

namespace {

Status ReadSource(OptionReader& r, DedupSourceOptions* s, bool allow_record) {
  std::vector<std::string> allowed = {"field", "question"};
  if (allow_record) allowed.push_back("record");
  KGF_RETURN_IF_ERROR(r.Enum("source", &s->source, allowed));
  KGF_RETURN_IF_ERROR(r.String("field", &s->field));
  if (s->source != "field" && !s->record_key) {
    return InvalidArgumentError(r.where() + ": source '" + s->source +
                                "' reads tool-use records, which this pipeline was built "
                                "without (the record layer, filters/records/)");
  }
  return Status::Ok();
}

// Union-find with path halving; the smaller index is always the root, so a cluster's root is
// its earliest record.
struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t Find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Union(size_t a, size_t b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return;
    if (a < b) std::swap(a, b);
    parent[a] = b;
  }
};

}  // namespace

Result<std::string> DedupText(Sample& sample, const DedupSourceOptions& source, bool normalize) {
  if (source.source == "field") {
    KGF_ASSIGN_OR_RETURN(std::string_view text, sample.GetString(source.field));
    return normalize ? NormalizeDedupText(text) : std::string(text);
  }
  return source.record_key(sample, normalize, source.source == "record");
}

Status ExactDedupOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(ReadSource(r, &source, true));
  KGF_RETURN_IF_ERROR(r.Bool("normalize", &normalize));
  return Status::Ok();
}

void ExactDedupFilter::Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                           Progress* progress) const {
  struct Key {
    uint64_t a = 0, b = 0;
    bool ok = false;
  };
  std::vector<Key> keys(samples.size());
  tbb::parallel_for(size_t{0}, samples.size(), [&](size_t i) {
    Result<std::string> text = DedupText(*samples[i], options_.source, options_.normalize);
    if (!text.ok()) {
      verdicts[i] = Verdict::Drop("missing_field", text.status().message());
      return;
    }
    keys[i] = {Hash64(*text, 1), Hash64(*text, 2), true};
    if (progress != nullptr) progress->Add(1);
  });
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const { return p.first; }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, size_t, PairHash> first;
  first.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!keys[i].ok) continue;
    auto [it, inserted] = first.try_emplace({keys[i].a, keys[i].b}, i);
    if (!inserted) {
      verdicts[i] = Verdict::Drop("duplicate", "same key as " + samples[it->second]->where());
      verdicts[i].counts.emplace_back("duplicates", 1);
    }
  }
}

Status MinHashDedupOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(ReadSource(r, &source, false));
  KGF_RETURN_IF_ERROR(r.Int("ngram", &params.ngram, 1, 100));
  KGF_RETURN_IF_ERROR(r.Int("bands", &params.bands, 1, 1000));
  KGF_RETURN_IF_ERROR(r.Int("rows", &params.rows, 1, 1000));
  int64_t seed = static_cast<int64_t>(params.seed);
  KGF_RETURN_IF_ERROR(r.Int("seed", &seed, 0, INT64_MAX));
  params.seed = static_cast<uint64_t>(seed);
  return Status::Ok();
}

void MinHashDedupFilter::Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                             Progress* progress) const {
  const size_t n = samples.size();
  std::vector<std::vector<uint64_t>> sigs(n);  // (n, bands * rows); empty: no signature
  tbb::parallel_for(size_t{0}, n, [&](size_t i) {
    Result<std::string> text = DedupText(*samples[i], options_.source, /*normalize=*/false);
    if (!text.ok()) {
      verdicts[i] = Verdict::Drop("missing_field", text.status().message());
      return;
    }
    hasher_.Signature(*text, &sigs[i]);
    if (progress != nullptr) progress->Add(1);
  });
  // Band keys in parallel too; the bucket maps are filled serially in input order.
  const int bands = options_.params.bands;
  std::vector<uint64_t> band_keys(n * bands);  // (n, bands)
  tbb::parallel_for(size_t{0}, n, [&](size_t i) {
    if (sigs[i].empty()) return;
    for (int b = 0; b < bands; ++b) band_keys[i * bands + b] = hasher_.BandKey(sigs[i], b);
  });
  UnionFind uf(n);
  for (int b = 0; b < bands; ++b) {
    std::unordered_map<uint64_t, size_t> bucket;
    bucket.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (sigs[i].empty()) continue;
      auto [it, inserted] = bucket.try_emplace(band_keys[i * bands + b], i);
      if (!inserted) uf.Union(i, it->second);
    }
  }
  std::vector<bool> multi(n, false);
  for (size_t i = 0; i < n; ++i) {
    size_t root = uf.Find(i);
    if (root == i) continue;
    if (!multi[root]) {
      multi[root] = true;
      verdicts[root].counts.emplace_back("clusters", 1);
    }
    verdicts[i] = Verdict::Drop(
        "near_duplicate", "cluster=" + samples[root]->where() +
                              " jaccard_estimate=" +
                              std::to_string(EstimateJaccard(sigs[i], sigs[root])));
    verdicts[i].counts.emplace_back("duplicates", 1);
  }
}

}  // namespace kgf::filters
