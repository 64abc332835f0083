// Unique relation and entity names; relation types inferred from their triples.
#include "kg/import/import_state.h"

#include <algorithm>
#include <map>

namespace kgf::kg {

// Relations get unique snake_case names, entities unique display names ("name (type)", else
// "name (2)", ...); existing entities renamed by a side file first free their old names (names
// may swap), then take new ones in id order.
void AssignNames(ImportState* st, ImportReport* report) {
  for (size_t r = st->old_relations; r < st->relations.size(); ++r) {
    RelationInfo& info = st->relations[r];
    const std::string base = info.name.empty() ? DeriveRelationName(info.key) : info.name;
    std::string name = base;
    for (int k = 2; st->relation_names.count(name); ++k) name = base + "_" + std::to_string(k);
    st->relation_names.insert(name);
    info.name = name;
  }
  auto free_name = [&](const std::string& base, const std::string& type) {
    std::string name = base;
    if (st->entity_by_name.count(name) && !type.empty()) name = base + " (" + type + ")";
    for (int k = 2; st->entity_by_name.count(name); ++k) name = base + " (" + std::to_string(k) + ")";
    return name;
  };
  st->entity_by_name.reserve(st->entities.size());  // one table size, no rehash per doubling
  std::sort(st->renames.begin(), st->renames.end());
  for (const auto& [id, wanted] : st->renames) st->entity_by_name.erase(st->entities[id].name);
  for (const auto& [id, wanted] : st->renames) {
    PendingEntity& e = st->entities[id];
    const std::string name = free_name(wanted, e.type);
    if (name != e.name) {
      e.name = name;
      e.dirty = true;
    }
    st->entity_by_name.emplace(e.name, id);
  }
  for (size_t i = st->old_entities; i < st->entities.size(); ++i) {
    PendingEntity& e = st->entities[i];
    if (e.name.empty()) e.name = e.key;
    // Most names are free: one look-up that also takes the name.
    if (st->entity_by_name.try_emplace(e.name, static_cast<uint32_t>(i)).second) continue;
    e.name = free_name(e.name, e.type);  // differs from the taken name
    ++report->renamed;
    st->entity_by_name.emplace(e.name, static_cast<uint32_t>(i));
  }
}

// Untyped new relations take the most frequent head and tail type of their triples.
void InferRelationTypes(ImportState* st) {
  const size_t R = st->relations.size();
  std::vector<std::map<std::string, uint64_t>> head_types(R), tail_types(R);
  for (const auto& t : st->triples) {
    if (st->relation_typed[t[1]]) continue;
    if (!st->entities[t[0]].type.empty()) ++head_types[t[1]][st->entities[t[0]].type];
    if (!st->entities[t[2]].type.empty()) ++tail_types[t[1]][st->entities[t[2]].type];
  }
  auto most = [](const std::map<std::string, uint64_t>& m) {
    std::string best;
    uint64_t n = 0;
    for (const auto& [k, v] : m) {
      if (v > n) best = k, n = v;
    }
    return best;
  };
  for (size_t r = 0; r < R; ++r) {
    if (st->relation_typed[r]) continue;
    if (st->relations[r].head_type.empty()) st->relations[r].head_type = most(head_types[r]);
    if (st->relations[r].tail_type.empty()) st->relations[r].tail_type = most(tail_types[r]);
  }
}

}  // namespace kgf::kg
