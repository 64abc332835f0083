// Unique relation and entity names; relation types inferred from their triples.
#include "kg/import/import_state.h"

#include <algorithm>
#include <map>
#include <set>

namespace kgf::kg {

// Relations get unique snake_case names, entities unique display names ("name (type)", else
// "name (2)", ...); existing entities renamed by a side file first free their old names (names
// may swap), then take new ones in id order.
Status AssignNames(ImportState* st, ImportReport* report) {
  for (size_t r = st->old_relations; r < st->relations.size(); ++r) {
    RelationInfo& info = st->relations[r];
    const std::string base = info.name.empty() ? DeriveRelationName(info.key) : info.name;
    std::string name = base;
    for (int k = 2; st->relation_names.count(name); ++k) name = base + "_" + std::to_string(k);
    st->relation_names.insert(name);
    info.name = name;
  }
  // The table holds each entity's current name (key_of reads it), so an entity takes a name by
  // setting it and then inserting its id. Existing names go in first, except those a side file
  // renames (their old names are free for the renames and the new entities).
  auto name_of = [st](uint32_t i) -> std::string_view { return st->entities[i].name; };
  auto taken = [&](const std::string& name) { return st->entity_by_name.Find(name, name_of).has_value(); };
  auto free_name = [&](const std::string& base, const std::string& type) {
    std::string name = base;
    if (taken(name) && !type.empty()) name = base + " (" + type + ")";
    for (int k = 2; taken(name); ++k) name = base + " (" + std::to_string(k) + ")";
    return name;
  };
  st->entity_by_name = StringIdIndex();
  st->entity_by_name.Reserve(st->entities.size());  // one table size, no rehash per doubling
  std::sort(st->renames.begin(), st->renames.end());
  std::vector<bool> renamed(st->old_entities, false);
  for (const auto& [id, wanted] : st->renames) renamed[id] = true;
  for (uint32_t id = 0; id < st->old_entities; ++id) {
    if (renamed[id]) continue;
    const auto [first, added] = st->entity_by_name.FindOrInsert(st->entities[id].name, id, name_of);
    if (!added) {
      return DataLossError("the store holds two entities named '" + st->entities[id].name +
                           "' (keys '" + st->entities[first].key + "' and '" +
                           st->entities[id].key + "'): names must be unique; rename one in the "
                           "store, or import into a new store");
    }
  }
  for (size_t r = 0; r < st->renames.size(); ++r) {
    const auto& [id, wanted] = st->renames[r];
    // An entity renamed twice takes the greatest of the names (the sorted order), as before.
    if (r + 1 < st->renames.size() && st->renames[r + 1].first == id) continue;
    PendingEntity& e = st->entities[id];
    const std::string name = free_name(wanted, e.type);
    if (name != e.name) {
      e.name = name;
      e.dirty = true;
    }
    st->entity_by_name.FindOrInsert(e.name, id, name_of);
  }
  for (size_t i = st->old_entities; i < st->entities.size(); ++i) {
    PendingEntity& e = st->entities[i];
    if (e.name.empty()) e.name = e.key;
    // Most names are free: one look-up that also takes the name.
    const auto id = static_cast<uint32_t>(i);
    if (st->entity_by_name.FindOrInsert(e.name, id, name_of).second) continue;
    e.name = free_name(e.name, e.type);  // differs from the taken name
    ++report->renamed;
    st->entity_by_name.FindOrInsert(e.name, id, name_of);
  }
  return Status::Ok();
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

void CheckSideFiles(const ImportOptions& options, const ImportState& st, ImportReport* report) {
  // The first few of `count` (at most three are kept), "a, b, c, ..." when there are more.
  auto first_few = [](const std::vector<std::string>& keys, size_t count) {
    std::string out;
    for (size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + keys[i];
    return count > keys.size() ? out + ", ..." : out;
  };
  std::vector<bool> used(st.relations.size(), false);
  std::vector<bool> in_triples(st.entities.size(), false);
  for (const auto& t : st.triples) {
    used[t[1]] = true;
    in_triples[t[0]] = in_triples[t[2]] = true;
  }
  if (!options.entities.empty()) {
    std::vector<std::string> missing;
    size_t count = 0;
    for (size_t e = st.old_entities; e < st.entities.size(); ++e) {
      // Typed and named by the triple files themselves (N-Triples rdf:type and label lines)
      // is no gap.
      const PendingEntity& x = st.entities[e];
      if (x.from_side_file || !in_triples[e] || (!x.type.empty() && x.name_priority > 0)) continue;
      if (++count <= 3) missing.push_back(st.entities[e].key);
    }
    if (count > 0) {
      report->warnings.push_back(
          std::to_string(count) + " entities of the triples are not in " + options.entities +
          " (" + first_few(missing, count) + "): they have no type and are named after their keys; "
          "add a line for each to give them a name and a type");
    }
  }
  if (!options.relations.empty()) {
    std::vector<std::string> missing;
    size_t count = 0;
    for (size_t r = st.old_relations; r < st.relations.size(); ++r) {
      if (st.relation_in_side_file[r] || !used[r]) continue;
      const RelationInfo& info = st.relations[r];
      if (++count <= 3) {
        missing.push_back(info.key + " (" + (info.head_type.empty() ? "?" : info.head_type) +
                          " -> " + (info.tail_type.empty() ? "?" : info.tail_type) + ")");
      }
    }
    if (count > 0) {
      report->warnings.push_back(
          std::to_string(count) + " relations of the triples are not in " + options.relations +
          " (" + first_few(missing, count) +
          "): their types come from their triples and their tools' words from their keys; add "
          "a line for each");
    }
  }
  // A relation's declared type that no entity has (a typo: 'locle' for 'locale') names tools
  // and question words after the typo.
  std::set<std::string> types;
  for (const PendingEntity& e : st.entities) {
    if (!e.type.empty()) types.insert(e.type);
  }
  if (types.empty()) return;
  std::string known;
  for (const std::string& t : types) known += (known.empty() ? "" : ", ") + t;
  if (types.size() > 12) known = std::to_string(types.size()) + " types";
  for (size_t r = 0; r < st.relations.size(); ++r) {
    if (!used[r] || !st.relation_dirty[r]) continue;
    const RelationInfo& info = st.relations[r];
    for (const auto& [side, type] : {std::pair<const char*, const std::string*>{"head_type", &info.head_type},
                                     {"tail_type", &info.tail_type}}) {
      if (type->empty() || types.count(*type)) continue;
      report->warnings.push_back(
          "relation '" + info.key + "' has " + side + " '" + *type + "', which no entity has (" +
          known + "); its tool names and questions will say '" + *type +
          "': fix the type in " + (options.relations.empty() ? "the relations file" : options.relations) +
          " or the entities' types");
    }
  }
}

}  // namespace kgf::kg
