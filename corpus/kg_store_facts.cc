// VerbaliseStore: the kg_facts source's bridge to the kg store.
#include "corpus/kg_facts.h"

#include "kg/graph_store.h"

namespace kgf::corpus {

Result<std::vector<std::string>> VerbaliseStore(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(kg::OpenedGraph opened, kg::OpenGraph(path));
  const kg::Graph& graph = opened.graph;
  std::vector<kg::EntityInfo> entities;
  std::vector<kg::RelationInfo> relations;
  entities.reserve(graph.num_entities());
  for (uint32_t i = 0; i < graph.num_entities(); ++i) entities.push_back(graph.entity(kg::EntityId(i)));
  for (uint32_t i = 0; i < graph.num_relations(); ++i) relations.push_back(graph.relation(kg::RelationId(i)));
  const std::vector<kg::Triple> triples = graph.AllTriples();
  return VerbaliseTriples(entities, relations, triples);
}

}  // namespace kgf::corpus
