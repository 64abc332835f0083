// Corpus-level dedup filters. Both judge each record against the records before it in input
// order and keep the first member of every duplicate group, so results depend neither on the
// thread count nor on how the pipeline cuts a run into chunks. What they remember of earlier
// records is compact (Filter::State): exact dedup a 128-bit key and the first record's "where"
// per distinct key (~100 bytes); MinHash the band keys (~50 bytes per band per distinct key),
// 8 bytes of union-find per record, and per kept record its "where" and a 32-bit-per-hash
// signature (4 x bands x rows bytes) for the Jaccard estimate in the detail. Past
// "spill_after_mib" (default 1 GiB) of such state a filter moves it to a temporary SQLite file
// (spill_table.h); MinHash's union-find (8 bytes per record) stays in memory.
//  - ExactDedupFilter ("exact_dedup"): 128-bit xxh3 of a key; later records with the same key
//    are dropped ("duplicate", detail names the kept record). Keys: source "field" = the text
//    field (normalised: lower-case words joined by one space, unless normalize=false);
//    "question" = the first user message of a tool-use record (normalised);
//    "record" = normalised question + every call's tool name and canonical arguments
//    (issue 4 "Dedup: exact (normalised question + calls)").
//  - MinHashDedupFilter ("minhash_dedup"): MinHash signatures (minhash.h) computed in parallel,
//    LSH banding, union-find over candidate pairs (Tarjan 1975) in input order: a record that
//    shares a band with an earlier record (kept or dropped) joins that record's cluster and is
//    dropped, with reason "near_duplicate" and "cluster=<file:line of the cluster's first
//    record> jaccard_estimate=<x>". A record that collides with no earlier record is kept, even
//    when a later record links it to an earlier cluster (the streaming reading of union-find:
//    a decision never waits for the future). Counts: "clusters" (kept records that got at least
//    one near-duplicate), "duplicates". Texts without words are never near-duplicates. Source
//    "field" or "question".
// Records lacking the source are dropped with reason "missing_field".
#ifndef KGF_FILTERS_DEDUP_FILTERS_H_
#define KGF_FILTERS_DEDUP_FILTERS_H_

#include <functional>
#include <string>

#include "filters/filter.h"
#include "filters/minhash.h"
#include "filters/option_reader.h"

namespace kgf::filters {

// The key of a tool-use record for sources "question" (its first user message) and "record"
// (question + every call), given by the record layer (filters/records/); normalize: lower-case
// words joined by one space.
using RecordKeyFn = std::function<Result<std::string>(Sample&, bool normalize, bool with_calls)>;

struct DedupSourceOptions {
  std::string source = "field";  // field | question | record (exact only)
  std::string field = "text";
  RecordKeyFn record_key;        // needed by question / record (set by the factory)
};

// Option "spill_after_mib": MiB of state a dedup filter keeps in memory before it moves it to a
// temporary file (filters/spill_table.h; -1 never, 0 after every record, for tests).
inline constexpr int64_t kDefaultSpillAfterMib = 1024;

// Lower-case words joined by one space (the dedup normalisation).
std::string NormalizeDedupText(std::string_view text);

// The dedup text of a sample for `source`; error when the field/record is missing.
Result<std::string> DedupText(Sample& sample, const DedupSourceOptions& source, bool normalize);

struct ExactDedupOptions {
  DedupSourceOptions source;
  bool normalize = true;
  int64_t spill_after_mib = kDefaultSpillAfterMib;
  Status Read(OptionReader& reader);
};

class ExactDedupFilter : public Filter {
 public:
  ExactDedupFilter(std::string name, ExactDedupOptions options)
      : Filter(std::move(name), "exact_dedup"), options_(std::move(options)) {}
  std::unique_ptr<State> NewState() const override;
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts, Progress* progress,
           State* state) const override;

 private:
  ExactDedupOptions options_;
};

struct MinHashDedupOptions {
  DedupSourceOptions source;
  MinHashParams params;
  int64_t spill_after_mib = kDefaultSpillAfterMib;
  Status Read(OptionReader& reader);
};

class MinHashDedupFilter : public Filter {
 public:
  MinHashDedupFilter(std::string name, MinHashDedupOptions options)
      : Filter(std::move(name), "minhash_dedup"), options_(options), hasher_(options.params) {}
  std::unique_ptr<State> NewState() const override;
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts, Progress* progress,
           State* state) const override;

 private:
  MinHashDedupOptions options_;
  MinHasher hasher_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_DEDUP_FILTERS_H_
