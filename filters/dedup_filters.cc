// Exact and MinHash dedup; see the header.
#include "filters/dedup_filters.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <memory>
#include <unordered_map>

#include "base/hash.h"
#include "filters/spill_table.h"
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

// The first record of every distinct key: its key -> its "where".
struct ExactDedupState : Filter::State {
  explicit ExactDedupState(int64_t budget) : first(budget) {}
  SpillTable first;
  int64_t MemoryBytes() const override { return first.MemoryBytes(); }
  Status status() const override { return first.status(); }
};

// Union-find over the run's records with a signature (ordinals in input order), with path
// halving; the smaller ordinal is always the root, so a cluster's root is its earliest record.
// In `table`: band buckets, (slot, 0) -> the ordinal of the first record with that band key
// (8 bytes); cluster roots that are still roots, (ordinal, 1) -> a has-duplicates byte, the
// signature as 32-bit hashes (the Jaccard estimate's input) and the root's "where".
struct MinHashDedupState : Filter::State {
  explicit MinHashDedupState(int64_t budget) : table(budget) {}
  std::vector<uint64_t> parent;
  SpillTable table;

  uint64_t Find(uint64_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  int64_t MemoryBytes() const override {
    return static_cast<int64_t>(parent.capacity() * sizeof(uint64_t)) + table.MemoryBytes();
  }
  Status status() const override { return table.status(); }
};

int64_t SpillBudget(int64_t mib) { return mib < 0 ? -1 : mib << 20; }

// One bucket table for all bands: a band key salted with its band.
uint64_t BandSlot(uint64_t band_key, int band) {
  return band_key ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(band + 1));
}

std::string EncodeOrdinal(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
uint64_t DecodeOrdinal(const std::string& s) {
  uint64_t v = 0;
  std::memcpy(&v, s.data(), std::min<size_t>(8, s.size()));
  return v;
}

// A cluster root: [has duplicates][signature, 32 bits per hash][where].
std::string EncodeRoot(bool has_duplicates, const std::vector<uint64_t>& sig,
                       std::string_view where) {
  std::string out(1 + 4 * sig.size(), '\0');
  out[0] = has_duplicates ? 1 : 0;
  for (size_t k = 0; k < sig.size(); ++k) {
    const auto h = static_cast<uint32_t>(sig[k]);
    std::memcpy(out.data() + 1 + 4 * k, &h, 4);
  }
  out += where;
  return out;
}
struct RootView {
  bool has_duplicates = false;
  std::vector<uint32_t> signature;
  std::string_view where;
};
RootView DecodeRoot(const std::string& s, size_t hashes) {
  RootView v;
  v.has_duplicates = s[0] != 0;
  v.signature.resize(hashes);
  std::memcpy(v.signature.data(), s.data() + 1, 4 * hashes);
  v.where = std::string_view(s).substr(1 + 4 * hashes);
  return v;
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
  KGF_RETURN_IF_ERROR(r.Int("spill_after_mib", &spill_after_mib, -1, int64_t{1} << 30));
  return Status::Ok();
}

std::unique_ptr<Filter::State> ExactDedupFilter::NewState() const {
  return std::make_unique<ExactDedupState>(SpillBudget(options_.spill_after_mib));
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
    const SpillTable::Key key{keys[i].a, keys[i].b};
    std::optional<std::string> first = st.first.Find(key);
    if (!first) {
      st.first.Put(key, samples[i]->where());
      continue;
    }
    verdicts[i] = Verdict::Drop("duplicate", "same key as " + *first);
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
  KGF_RETURN_IF_ERROR(r.Int("spill_after_mib", &spill_after_mib, -1, int64_t{1} << 30));
  return Status::Ok();
}

std::unique_ptr<Filter::State> MinHashDedupFilter::NewState() const {
  return std::make_unique<MinHashDedupState>(SpillBudget(options_.spill_after_mib));
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
      const SpillTable::Key slot{band_keys[i * bands + b], 0};
      if (std::optional<std::string> first = st.table.Find(slot)) {
        hits.push_back(st.Find(DecodeOrdinal(*first)));
      } else {
        st.table.Put(slot, EncodeOrdinal(self));
      }
    }
    if (hits.empty()) {
      st.table.Put({self, 1}, EncodeRoot(false, sigs[i], samples[i]->where()));
      continue;
    }
    const uint64_t first = *std::min_element(hits.begin(), hits.end());
    st.parent[self] = first;
    for (uint64_t r : hits) {  // clusters this record links merge into the earliest one
      if (r == first || st.parent[r] == first) continue;
      st.parent[r] = first;
      st.table.Erase({r, 1});
    }
    std::optional<std::string> root = st.table.Find({first, 1});
    if (!root) continue;  // a disk error (the pipeline reports state->status())
    const RootView view = DecodeRoot(*root, sigs[i].size());
    verdicts[i] = Verdict::Drop(
        "near_duplicate", "cluster=" + std::string(view.where) + " jaccard_estimate=" +
                              std::to_string(EstimateJaccard32(sigs[i], view.signature)));
    if (!view.has_duplicates) {
      (*root)[0] = 1;
      st.table.Put({first, 1}, *root);
      verdicts[i].counts.emplace_back("clusters", 1);
    }
    verdicts[i].counts.emplace_back("duplicates", 1);
  }
}

}  // namespace kgf::filters
