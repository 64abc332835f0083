// Graph: Boost.Graph compressed-sparse-row storage for the forward and the reverse adjacency.
// Edges of a vertex are sorted by (relation, other), so the (vertex, relation) group is one
// contiguous range; a flat hash table maps (vertex, relation) to that range in O(1).
#include "kg/graph.h"

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/rng.h"

namespace kgf::kg {
namespace {

// Boost CSR with vertices = entities; the edge property is the relation id.
using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, uint32_t,
                                               boost::no_property, uint32_t, uint32_t>;

// Open-addressing map (vertex, relation) -> [begin, end) into an edge array. Keys are never
// removed; the table is at most half full. Thread-safe for reads.
class GroupIndex {
 public:
  void Build(std::span<const Edge> edges, std::span<const uint32_t> row_begin) {
    // row_begin: (V + 1) offsets into edges.
    size_t groups = 0;
    const size_t V = row_begin.size() - 1;
    for (size_t v = 0; v < V; ++v) {
      for (uint32_t i = row_begin[v]; i < row_begin[v + 1]; ++i) {
        if (i == row_begin[v] || edges[i].relation != edges[i - 1].relation) ++groups;
      }
    }
    size_t cap = 16;
    while (cap < groups * 2) cap <<= 1;
    mask_ = cap - 1;
    slots_.assign(cap, Slot{kEmpty, 0, 0});
    for (size_t v = 0; v < V; ++v) {
      uint32_t i = row_begin[v];
      while (i < row_begin[v + 1]) {
        uint32_t j = i;
        while (j < row_begin[v + 1] && edges[j].relation == edges[i].relation) ++j;
        Insert(Key(static_cast<uint32_t>(v), edges[i].relation.value()), i, j);
        i = j;
      }
    }
  }

  // Returns [begin, end) or {0, 0} when the group is absent.
  std::pair<uint32_t, uint32_t> Find(uint32_t vertex, uint32_t relation) const {
    const uint64_t key = Key(vertex, relation);
    for (size_t s = Mix64(key) & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.key == key) return {slot.begin, slot.end};
      if (slot.key == kEmpty) return {0, 0};
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key;
    uint32_t begin, end;
  };
  static uint64_t Key(uint32_t vertex, uint32_t relation) {
    return (uint64_t{vertex} << 32) | relation;
  }
  void Insert(uint64_t key, uint32_t begin, uint32_t end) {
    size_t s = Mix64(key) & mask_;
    while (slots_[s].key != kEmpty) s = (s + 1) & mask_;
    slots_[s] = Slot{key, begin, end};
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// One direction of the adjacency: the Boost CSR plus flat arrays in the CSR's edge order.
struct Adjacency {
  Csr csr;
  std::vector<uint32_t> row_begin;  // (V + 1) first edge index of each vertex
  std::vector<Edge> edges;          // (E) (relation, other) in CSR order
  std::vector<EntityId> others;     // (E) the same `other` ids, contiguous for spans
  GroupIndex groups;

  // `sorted`: (source, relation, target) sorted and unique.
  void Build(const std::vector<std::pair<uint32_t, Edge>>& sorted, size_t num_vertices) {
    std::vector<std::pair<uint32_t, uint32_t>> pairs;
    std::vector<uint32_t> props;
    pairs.reserve(sorted.size());
    props.reserve(sorted.size());
    for (const auto& [src, e] : sorted) {
      pairs.emplace_back(src, e.other.value());
      props.push_back(e.relation.value());
    }
    csr = Csr(boost::edges_are_sorted, pairs.begin(), pairs.end(), props.begin(), num_vertices);
    row_begin.assign(num_vertices + 1, 0);
    edges.resize(sorted.size());
    others.resize(sorted.size());
    // The CSR keeps sorted input in order; read it back through the Boost interface so the
    // flat arrays are exactly the CSR's edge order.
    uint32_t next = 0;
    for (uint32_t v = 0; v < num_vertices; ++v) {
      row_begin[v] = next;
      auto [begin, end] = boost::out_edges(v, csr);
      for (auto it = begin; it != end; ++it) {
        const uint32_t i = static_cast<uint32_t>(boost::get(boost::edge_index, csr, *it));
        KGF_CHECK(i == next) << "CSR edge order differs from the sorted input";
        ++next;
        edges[i] = Edge{RelationId(csr[*it]), EntityId(static_cast<uint32_t>(boost::target(*it, csr)))};
        others[i] = edges[i].other;
      }
    }
    row_begin[num_vertices] = static_cast<uint32_t>(sorted.size());
    groups.Build(edges, row_begin);
  }

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
  std::unordered_map<std::string_view, EntityId> entity_by_name, entity_by_key;
  std::unordered_map<std::string_view, RelationId> relation_by_name, relation_by_key;
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
  // Maps view the strings inside the vectors, which are never resized after this point.
  for (size_t i = 0; i < impl->entities.size(); ++i) {
    const EntityInfo& e = impl->entities[i];
    const EntityId id(static_cast<uint32_t>(i));
    if (!impl->entity_by_name.emplace(e.name, id).second) {
      return InvalidArgumentError("duplicate entity name '" + e.name + "' (entity keys '" +
                                  impl->entities[impl->entity_by_name[e.name].value()].key +
                                  "' and '" + e.key + "'): display names must be unique");
    }
    if (!impl->entity_by_key.emplace(e.key, id).second) {
      return InvalidArgumentError("duplicate entity key '" + e.key + "'");
    }
  }
  for (size_t i = 0; i < impl->relations.size(); ++i) {
    const RelationInfo& r = impl->relations[i];
    const RelationId id(static_cast<uint32_t>(i));
    if (!impl->relation_by_key.emplace(r.key, id).second) {
      return InvalidArgumentError("duplicate relation key '" + r.key + "'");
    }
    if (!impl->relation_by_name.emplace(r.name, id).second) {
      return InvalidArgumentError("duplicate relation name '" + r.name + "'");
    }
  }
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
  std::vector<std::pair<uint32_t, Edge>> adj(triples.size());
  for (size_t i = 0; i < triples.size(); ++i) {
    adj[i] = {triples[i].head.value(), Edge{triples[i].relation, triples[i].tail}};
  }
  std::sort(adj.begin(), adj.end());
  adj.erase(std::unique(adj.begin(), adj.end()), adj.end());
  impl->relation_size.assign(R, 0);
  for (const auto& [h, e] : adj) ++impl->relation_size[e.relation.value()];
  impl->out.Build(adj, V);
  for (auto& [src, e] : adj) {
    const uint32_t tail = e.other.value();
    e.other = EntityId(src);
    src = tail;
  }
  std::sort(adj.begin(), adj.end());
  impl->in.Build(adj, V);
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

namespace {
template <typename Id>
std::optional<Id> Lookup(const std::unordered_map<std::string_view, Id>& map, std::string_view k) {
  auto it = map.find(k);
  if (it == map.end()) return std::nullopt;
  return it->second;
}
}  // namespace

std::optional<EntityId> Graph::FindEntityByName(std::string_view name) const {
  return Lookup(impl_->entity_by_name, name);
}
std::optional<EntityId> Graph::FindEntityByKey(std::string_view key) const {
  return Lookup(impl_->entity_by_key, key);
}
std::optional<RelationId> Graph::FindRelationByKey(std::string_view key) const {
  return Lookup(impl_->relation_by_key, key);
}
std::optional<RelationId> Graph::FindRelationByName(std::string_view name) const {
  return Lookup(impl_->relation_by_name, name);
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
