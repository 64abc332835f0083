// Knowledge-graph facts verbalised into sentences (a pre-training text source: `kgforge kg
// export --format sentences` writes them as JSONL the corpus reads like any text): one document
// per head entity, one sentence per (head, relation), built from the relation's question phrase
// ("the capital of {}" -> "The capital of France is Paris.") or, without one, from its name
// ("France borders Belgium, Germany and Spain."); names read as in prose ("The capital of the
// United Kingdom is London.", kg/names.h).
#ifndef KGF_KG_FACT_SENTENCES_H_
#define KGF_KG_FACT_SENTENCES_H_

#include <span>
#include <string>
#include <vector>

#include "kg/graph.h"
#include "kg/types.h"

namespace kgf::kg {

// Documents in head-id order; sentences in relation-id order, tails in id order. Entities
// without out-edges give no document. REQUIRES: every id in `triples` is in range.
std::vector<std::string> VerbaliseTriples(std::span<const EntityInfo> entities,
                                          std::span<const RelationInfo> relations,
                                          std::span<const Triple> triples);

// Every triple of the graph, verbalised.
std::vector<std::string> VerbaliseGraph(const Graph& graph);

}  // namespace kgf::kg

#endif  // KGF_KG_FACT_SENTENCES_H_
