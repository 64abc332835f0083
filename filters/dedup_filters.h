// Corpus-level dedup filters. Both see the whole batch in input order and keep the first
// member of every duplicate group, so results do not depend on the thread count.
//  - ExactDedupFilter ("exact_dedup"): 128-bit xxh3 of a key; later records with the same key
//    are dropped ("duplicate", detail names the kept record). Keys: source "field" = the text
//    field (normalised: lower-case words joined by one space, unless normalize=false);
//    "question" = the first user message of a tool-use record (normalised);
//    "record" = normalised question + every call's tool name and canonical arguments
//    (issue 4 "Dedup: exact (normalised question + calls)").
//  - MinHashDedupFilter ("minhash_dedup"): MinHash signatures (minhash.h) computed in parallel,
//    LSH banding, union-find over candidate pairs (Tarjan 1975), one record kept per cluster
//    (the earliest); dropped records get reason "near_duplicate" with "cluster=<file:line of
//    the kept record>" (the cluster id). Counts: "clusters" (groups with > 1 member), "duplicates".
//    Texts without words are never near-duplicates. Source "field" or "question".
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

// Lower-case words joined by one space (the dedup normalisation).
std::string NormalizeDedupText(std::string_view text);

// The dedup text of a sample for `source`; error when the field/record is missing.
Result<std::string> DedupText(Sample& sample, const DedupSourceOptions& source, bool normalize);

struct ExactDedupOptions {
  DedupSourceOptions source;
  bool normalize = true;
  Status Read(OptionReader& reader);
};

class ExactDedupFilter : public Filter {
 public:
  ExactDedupFilter(std::string name, ExactDedupOptions options)
      : Filter(std::move(name), "exact_dedup"), options_(std::move(options)) {}
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
           Progress* progress) const override;

 private:
  ExactDedupOptions options_;
};

struct MinHashDedupOptions {
  DedupSourceOptions source;
  MinHashParams params;
  Status Read(OptionReader& reader);
};

class MinHashDedupFilter : public Filter {
 public:
  MinHashDedupFilter(std::string name, MinHashDedupOptions options)
      : Filter(std::move(name), "minhash_dedup"), options_(options), hasher_(options.params) {}
  void Run(std::span<Sample* const> samples, std::span<Verdict> verdicts,
           Progress* progress) const override;

 private:
  MinHashDedupOptions options_;
  MinHasher hasher_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_DEDUP_FILTERS_H_
