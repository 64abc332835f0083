// Knowledge-graph facts verbalised into sentences for the pre-training corpus: one document per
// head entity, one sentence per (head, relation), built from the relation's question phrase
// ("the capital of {}" -> "The capital of France is Paris.") or, without one, from its name
// ("France borders Belgium, Germany and Spain.").
#ifndef KGF_CORPUS_KG_FACTS_H_
#define KGF_CORPUS_KG_FACTS_H_

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "kg/types.h"

namespace kgf::corpus {

// Documents in head-id order; sentences in relation-id order, tails in id order. Entities
// without out-edges give no document. REQUIRES: every id in `triples` is in range.
std::vector<std::string> VerbaliseTriples(std::span<const kg::EntityInfo> entities,
                                          std::span<const kg::RelationInfo> relations,
                                          std::span<const kg::Triple> triples);

// Opens the kg store at `path` read-only and verbalises all its triples.
// Errors: whatever the store reports (missing file, wrong schema), naming the path.
Result<std::vector<std::string>> VerbaliseStore(const std::string& path);

}  // namespace kgf::corpus

#endif  // KGF_CORPUS_KG_FACTS_H_
