// Graph: Boost.Graph compressed-sparse-row storage for the forward and the reverse adjacency.
// Edges of a vertex are sorted by (relation, other), so the (vertex, relation) group is one
// contiguous range, found through a per-vertex directory of its relations.
#include "kg/graph.h"

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "base/string_id_index.h"

namespace kgf::kg {
namespace {


// Boost CSR with vertices = entities; the edge property is the relation id.
using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, uint32_t,
                                               boost::no_property, uint32_t, uint32_t>;

// Per-vertex directory of relation groups: the (vertex, relation) range is found among the
// vertex's distinct relations only (a linear scan up to 8 groups, else binary search), so the
// cost is bounded by the number of relations, never by the graph's size. Compact and
// cache-friendly: two arrays over the groups, one over the vertices.
class GroupIndex {
 public:
  // edges: (E) sorted by relation within each vertex; row_begin: (V + 1) offsets into edges.
  void Build(std::span<const Edge> edges, std::span<const uint32_t> row_begin) {
    const size_t V = row_begin.size() - 1;
    vertex_groups_.assign(V + 1, 0);
    group_relation_.clear();
    group_begin_.clear();
    for (size_t v = 0; v < V; ++v) {
      vertex_groups_[v] = static_cast<uint32_t>(group_relation_.size());
      for (uint32_t i = row_begin[v]; i < row_begin[v + 1]; ++i) {
        if (i == row_begin[v] || edges[i].relation != edges[i - 1].relation) {
          group_relation_.push_back(edges[i].relation.value());
          group_begin_.push_back(i);
        }
      }
    }
    vertex_groups_[V] = static_cast<uint32_t>(group_relation_.size());
    group_begin_.push_back(row_begin[V]);  // sentinel: group g ends where g + 1 begins
  }

  // Returns [begin, end) or {0, 0} when the group is absent.
  std::pair<uint32_t, uint32_t> Find(uint32_t vertex, uint32_t relation) const {
    const uint32_t* first = group_relation_.data() + vertex_groups_[vertex];
    const uint32_t* last = group_relation_.data() + vertex_groups_[vertex + 1];
    const uint32_t* it;
    if (last - first <= 8) {
      it = first;
      while (it != last && *it < relation) ++it;
    } else {
      it = std::lower_bound(first, last, relation);
    }
    if (it == last || *it != relation) return {0, 0};
    const size_t g = static_cast<size_t>(it - group_relation_.data());
    return {group_begin_[g], group_begin_[g + 1]};
  }

 private:
  std::vector<uint32_t> vertex_groups_;   // (V + 1) first group of each vertex
  std::vector<uint32_t> group_relation_;  // (G) relation of each group, sorted per vertex
  std::vector<uint32_t> group_begin_;     // (G + 1) first edge of each group, then E
};

// One direction of the adjacency: the Boost CSR (kept for Boost.Graph algorithms and degree
// queries) plus flat arrays in the same edge order that back the spans we hand out.
struct Adjacency {
  Csr csr;
  std::vector<uint32_t> row_begin;  // (V + 1) first edge index of each vertex
  std::vector<Edge> edges;          // (E) (relation, other), sorted within each vertex
  std::vector<EntityId> others;     // (E) the same `other` ids, contiguous for spans
  GroupIndex groups;

  // Counting sort by source (O(E)), then a sort of each vertex's packed (relation, other) keys
  // and removal of duplicates. `source`/`relation`/`other`: (E) parallel arrays.
  void Build(std::span<const uint32_t> source, std::span<const uint32_t> relation,
             std::span<const uint32_t> other, size_t num_vertices) {
    const size_t E = source.size();
    std::vector<uint32_t> start(num_vertices + 1, 0);
    for (uint32_t s : source) ++start[s + 1];
    for (size_t v = 0; v < num_vertices; ++v) start[v + 1] += start[v];
    std::vector<uint64_t> packed(E);  // (E) relation << 32 | other, grouped by source
    {
      std::vector<uint32_t> cursor(start.begin(), start.end() - 1);
      for (size_t i = 0; i < E; ++i) {
        packed[cursor[source[i]]++] = (uint64_t{relation[i]} << 32) | other[i];
      }
    }
    row_begin.assign(num_vertices + 1, 0);
    size_t out = 0;
    for (size_t v = 0; v < num_vertices; ++v) {
      row_begin[v] = static_cast<uint32_t>(out);
      auto first = packed.begin() + start[v], last = packed.begin() + start[v + 1];
      std::sort(first, last);
      for (auto it = first; it != last; ++it) {
        if (it != first && *it == *(it - 1)) continue;  // duplicate triple: kept once
        packed[out++] = *it;
      }
    }
    row_begin[num_vertices] = static_cast<uint32_t>(out);
    packed.resize(out);
    edges.resize(out);
    others.resize(out);
    std::vector<std::pair<uint32_t, uint32_t>> pairs(out);  // (E) (source, target) for Boost
    std::vector<uint32_t> props(out);                       // (E) relation ids for Boost
    for (size_t v = 0; v < num_vertices; ++v) {
      for (uint32_t i = row_begin[v]; i < row_begin[v + 1]; ++i) {
        const uint32_t rel = static_cast<uint32_t>(packed[i] >> 32), oth = static_cast<uint32_t>(packed[i]);
        edges[i] = Edge{RelationId(rel), EntityId(oth)};
        others[i] = EntityId(oth);
        pairs[i] = {static_cast<uint32_t>(v), oth};
        props[i] = rel;
      }
    }
    // Sorted input keeps its order in the CSR, so Boost's edge i is our edge i.
    csr = Csr(boost::edges_are_sorted, pairs.begin(), pairs.end(), props.begin(), num_vertices);
    groups.Build(edges, row_begin);
  }

  size_t Degree(EntityId v) const { return boost::out_degree(v.value(), csr); }
  std::span<const Edge> Of(EntityId v) const {
    return {edges.data() + row_begin[v.value()], edges.data() + row_begin[v.value() + 1]};
  }
  std::span<const EntityId> Group(EntityId v, RelationId r) const {
    auto [b, e] = groups.Find(v.value(), r.value());
    return {others.data() + b, others.data() + e};
  }
};

}  // namespace

struct Graph::Impl {
  std::vector<EntityInfo> entities;
  std::vector<RelationInfo> relations;
  StringIdIndex entity_by_name, entity_by_key, relation_by_name, relation_by_key;
  Adjacency out, in;
  std::vector<size_t> relation_size;
};

Result<Graph> Graph::Build(std::vector<EntityInfo> entities, std::vector<RelationInfo> relations,
                           std::vector<Triple> triples) {
  if (entities.size() >= std::numeric_limits<uint32_t>::max() ||
      triples.size() >= std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError("graph too large: at most 2^32-1 entities and triples");
  }
  auto impl = std::make_unique<Impl>();
  impl->entities = std::move(entities);
  impl->relations = std::move(relations);
  const size_t V = impl->entities.size(), R = impl->relations.size();
  for (const Triple& t : triples) {
    if (t.head.value() >= V || t.tail.value() >= V || t.relation.value() >= R) {
      return InvalidArgumentError("triple (" + std::to_string(t.head.value()) + ", " +
                                  std::to_string(t.relation.value()) + ", " +
                                  std::to_string(t.tail.value()) + ") has an id out of range (" +
                                  std::to_string(V) + " entities, " + std::to_string(R) +
                                  " relations)");
    }
  }
  std::vector<uint32_t> heads(triples.size()), rels(triples.size()), tails(triples.size());
  for (size_t i = 0; i < triples.size(); ++i) {
    heads[i] = triples[i].head.value();
    rels[i] = triples[i].relation.value();
    tails[i] = triples[i].tail.value();
  }
  std::vector<Triple>().swap(triples);
  // Name and key maps (views into the vectors, which are never resized after this point).
  auto build_maps = [&impl]() -> Status {
    const std::vector<EntityInfo>& es = impl->entities;
    const std::vector<RelationInfo>& rs = impl->relations;
    auto entity_name = [&](uint32_t k) -> std::string_view { return es[k].name; };
    auto entity_key = [&](uint32_t k) -> std::string_view { return es[k].key; };
    auto relation_name = [&](uint32_t k) -> std::string_view { return rs[k].name; };
    auto relation_key = [&](uint32_t k) -> std::string_view { return rs[k].key; };
    impl->entity_by_name.Reserve(es.size());
    impl->entity_by_key.Reserve(es.size());
    for (uint32_t k = 0; k < es.size(); ++k) {
      if (auto [first, added] = impl->entity_by_name.FindOrInsert(es[k].name, k, entity_name); !added) {
        return InvalidArgumentError("duplicate entity name '" + es[k].name + "' (entity keys '" +
                                    es[first].key + "' and '" + es[k].key +
                                    "'): display names must be unique");
      }
      if (!impl->entity_by_key.FindOrInsert(es[k].key, k, entity_key).second) {
        return InvalidArgumentError("duplicate entity key '" + es[k].key + "'");
      }
    }
    for (uint32_t k = 0; k < rs.size(); ++k) {
      if (!impl->relation_by_key.FindOrInsert(rs[k].key, k, relation_key).second) {
        return InvalidArgumentError("duplicate relation key '" + rs[k].key + "'");
      }
      if (!impl->relation_by_name.FindOrInsert(rs[k].name, k, relation_name).second) {
        return InvalidArgumentError("duplicate relation name '" + rs[k].name + "'");
      }
    }
    return Status::Ok();
  };
  // The maps and the two directions are independent: build them side by side (same result on
  // any thread count; each is serial inside).
  Status maps_status;
  tbb::parallel_invoke([&] { maps_status = build_maps(); },
                       [&] { impl->out.Build(heads, rels, tails, V); },
                       [&] { impl->in.Build(tails, rels, heads, V); });
  KGF_RETURN_IF_ERROR(maps_status);
  impl->relation_size.assign(R, 0);
  for (const Edge& e : impl->out.edges) ++impl->relation_size[e.relation.value()];
  return Graph(std::move(impl));
}

Graph::Graph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;
Graph::~Graph() = default;

size_t Graph::num_entities() const { return impl_->entities.size(); }
size_t Graph::num_relations() const { return impl_->relations.size(); }
size_t Graph::num_triples() const { return impl_->out.edges.size(); }

const EntityInfo& Graph::entity(EntityId id) const {
  KGF_CHECK(id.value() < impl_->entities.size()) << "entity id " << id.value() << " out of range";
  return impl_->entities[id.value()];
}
const RelationInfo& Graph::relation(RelationId id) const {
  KGF_CHECK(id.value() < impl_->relations.size()) << "relation id " << id.value() << " out of range";
  return impl_->relations[id.value()];
}

std::optional<EntityId> Graph::FindEntityByName(std::string_view name) const {
  const auto id = impl_->entity_by_name.Find(
      name, [this](uint32_t k) -> std::string_view { return impl_->entities[k].name; });
  return id ? std::optional<EntityId>(EntityId(*id)) : std::nullopt;
}
std::optional<EntityId> Graph::FindEntityByKey(std::string_view key) const {
  const auto id = impl_->entity_by_key.Find(
      key, [this](uint32_t k) -> std::string_view { return impl_->entities[k].key; });
  return id ? std::optional<EntityId>(EntityId(*id)) : std::nullopt;
}
std::optional<RelationId> Graph::FindRelationByKey(std::string_view key) const {
  const auto id = impl_->relation_by_key.Find(
      key, [this](uint32_t k) -> std::string_view { return impl_->relations[k].key; });
  return id ? std::optional<RelationId>(RelationId(*id)) : std::nullopt;
}
std::optional<RelationId> Graph::FindRelationByName(std::string_view name) const {
  const auto id = impl_->relation_by_name.Find(
      name, [this](uint32_t k) -> std::string_view { return impl_->relations[k].name; });
  return id ? std::optional<RelationId>(RelationId(*id)) : std::nullopt;
}

std::span<const EntityId> Graph::Tails(EntityId head, RelationId r) const {
  if (head.value() >= num_entities()) return {};
  return impl_->out.Group(head, r);
}
std::span<const EntityId> Graph::Heads(RelationId r, EntityId tail) const {
  if (tail.value() >= num_entities()) return {};
  return impl_->in.Group(tail, r);
}
std::span<const Edge> Graph::OutEdges(EntityId e) const {
  KGF_CHECK(e.value() < num_entities()) << "entity id " << e.value() << " out of range";
  return impl_->out.Of(e);
}
std::span<const Edge> Graph::InEdges(EntityId e) const {
  KGF_CHECK(e.value() < num_entities()) << "entity id " << e.value() << " out of range";
  return impl_->in.Of(e);
}
size_t Graph::OutDegree(EntityId e) const {
  KGF_CHECK(e.value() < num_entities()) << "entity id " << e.value() << " out of range";
  return impl_->out.Degree(e);
}
size_t Graph::InDegree(EntityId e) const {
  KGF_CHECK(e.value() < num_entities()) << "entity id " << e.value() << " out of range";
  return impl_->in.Degree(e);
}
size_t Graph::RelationSize(RelationId r) const {
  KGF_CHECK(r.value() < num_relations()) << "relation id " << r.value() << " out of range";
  return impl_->relation_size[r.value()];
}

std::vector<Triple> Graph::AllTriples() const {
  std::vector<Triple> out;
  out.reserve(num_triples());
  const Adjacency& a = impl_->out;
  for (uint32_t v = 0; v + 1 < a.row_begin.size(); ++v) {
    for (uint32_t i = a.row_begin[v]; i < a.row_begin[v + 1]; ++i) {
      out.push_back(Triple{EntityId(v), a.edges[i].relation, a.edges[i].other});
    }
  }
  return out;
}

}  // namespace kgf::kg
