// Exact and MinHash dedup; see the header.
#include "filters/dedup_filters.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <memory>
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

struct PairHash {
  size_t operator()(const std::pair<uint64_t, uint64_t>& p) const { return p.first; }
};

// An unordered_map node: the value, the next pointer and the cached hash, plus a bucket slot.
template <typename Map>
int64_t MapBytes(const Map& m) {
  return static_cast<int64_t>(m.size() * (sizeof(typename Map::value_type) + 2 * sizeof(void*)) +
                              m.bucket_count() * sizeof(void*));
}

// The first record of every distinct key: its key -> its "where", in one arena.
struct ExactDedupState : Filter::State {
  std::unordered_map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint32_t>, PairHash> first;
  std::string wheres;  // the kept records' "where"s, back to back
  int64_t MemoryBytes() const override {
    return MapBytes(first) + static_cast<int64_t>(wheres.capacity());
  }
};

// Union-find over the run's records with a signature (ordinals in input order), with path
// halving; the smaller ordinal is always the root, so a cluster's root is its earliest record.
// Band buckets point at the first record with that band key; the cluster roots that are still
// roots keep their "where" and a signature of 32-bit hashes (the Jaccard estimate's input).
struct MinHashDedupState : Filter::State {
  std::vector<uint64_t> parent;
  std::unordered_map<uint64_t, uint64_t> bucket;  // Mix(band, band key) -> ordinal
  struct Root {
    std::string where;
    std::vector<uint32_t> signature;
    bool has_duplicates = false;
  };
  std::unordered_map<uint64_t, Root> roots;
  int64_t root_bytes = 0;

  uint64_t Find(uint64_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  int64_t MemoryBytes() const override {
    return static_cast<int64_t>(parent.capacity() * sizeof(uint64_t)) + MapBytes(bucket) +
           MapBytes(roots) + root_bytes;
  }
};

// One bucket table for all bands: a band key salted with its band.
uint64_t BandSlot(uint64_t band_key, int band) {
  return band_key ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(band + 1));
}

// The share of equal positions between a signature and a root's 32-bit one (EstimateJaccard on
// the low 32 bits of each hash; two different 64-bit hashes agree there with p = 2^-32).
double EstimateJaccard32(std::span<const uint64_t> a, const std::vector<uint32_t>& b) {
  if (a.empty() || a.size() != b.size()) return 0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += static_cast<uint32_t>(a[i]) == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

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

std::unique_ptr<Filter::State> ExactDedupFilter::NewState() const {
  return std::make_unique<ExactDedupState>();
}

void ExactDedupFilter::Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                           Progress* progress, State* state) const {
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
  auto& st = *static_cast<ExactDedupState*>(state);
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!keys[i].ok) continue;
    const std::string& where = samples[i]->where();
    auto [it, inserted] = st.first.try_emplace(
        {keys[i].a, keys[i].b}, st.wheres.size(), static_cast<uint32_t>(where.size()));
    if (inserted) {
      st.wheres += where;
      continue;
    }
    verdicts[i] = Verdict::Drop(
        "duplicate", "same key as " + st.wheres.substr(it->second.first, it->second.second));
    verdicts[i].counts.emplace_back("duplicates", 1);
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

std::unique_ptr<Filter::State> MinHashDedupFilter::NewState() const {
  return std::make_unique<MinHashDedupState>();
}

void MinHashDedupFilter::Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
                             Progress* progress, State* state) const {
  const size_t n = samples.size();
  std::vector<std::vector<uint64_t>> sigs(n);  // (n, bands * rows); empty: no signature
  const int bands = options_.params.bands;
  std::vector<uint64_t> band_keys(n * bands);  // (n, bands): Mix(band, band key)
  tbb::parallel_for(size_t{0}, n, [&](size_t i) {
    Result<std::string> text = DedupText(*samples[i], options_.source, /*normalize=*/false);
    if (!text.ok()) {
      verdicts[i] = Verdict::Drop("missing_field", text.status().message());
      return;
    }
    if (hasher_.Signature(*text, &sigs[i])) {
      for (int b = 0; b < bands; ++b) {
        band_keys[i * bands + b] = BandSlot(hasher_.BandKey(sigs[i], b), b);
      }
    }
    if (progress != nullptr) progress->Add(1);
  });
  // Serial, in input order: each record against every earlier one through the buckets.
  auto& st = *static_cast<MinHashDedupState*>(state);
  std::vector<uint64_t> hits;
  for (size_t i = 0; i < n; ++i) {
    if (sigs[i].empty()) continue;
    const uint64_t self = st.parent.size();
    st.parent.push_back(self);
    hits.clear();
    for (int b = 0; b < bands; ++b) {
      auto [it, inserted] = st.bucket.try_emplace(band_keys[i * bands + b], self);
      if (!inserted) hits.push_back(st.Find(it->second));
    }
    if (hits.empty()) {
      MinHashDedupState::Root& root = st.roots[self];
      root.where = samples[i]->where();
      root.signature.assign(sigs[i].begin(), sigs[i].end());
      st.root_bytes += static_cast<int64_t>(root.where.capacity() +
                                            root.signature.capacity() * sizeof(uint32_t));
      continue;
    }
    const uint64_t first = *std::min_element(hits.begin(), hits.end());
    st.parent[self] = first;
    for (uint64_t r : hits) {  // clusters this record links merge into the earliest one
      if (r == first || st.parent[r] == first) continue;
      st.parent[r] = first;
      auto gone = st.roots.find(r);
      if (gone != st.roots.end()) {
        st.root_bytes -= static_cast<int64_t>(gone->second.where.capacity() +
                                              gone->second.signature.capacity() * sizeof(uint32_t));
        st.roots.erase(gone);
      }
    }
    MinHashDedupState::Root& root = st.roots.at(first);
    verdicts[i] = Verdict::Drop(
        "near_duplicate", "cluster=" + root.where + " jaccard_estimate=" +
                              std::to_string(EstimateJaccard32(sigs[i], root.signature)));
    if (!root.has_duplicates) {
      root.has_duplicates = true;
      verdicts[i].counts.emplace_back("clusters", 1);
    }
    verdicts[i].counts.emplace_back("duplicates", 1);
  }
}

}  // namespace kgf::filters
