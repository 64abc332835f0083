// Side files (entities.tsv, relations.tsv) into the import state.
#include "kg/import/import_state.h"

#include "kg/import/triple_reader.h"

namespace kgf::kg {

// Relation side file: names, descriptions, types, inverse names and question phrases.
Status ApplyRelationSideFile(const std::string& path, ImportState* st) {
  KGF_ASSIGN_OR_RETURN(std::vector<RelationRow> rows, ReadRelationRows(path));
  for (RelationRow& row : rows) {
    const uint32_t id = st->InternRelation(row.key);
    RelationInfo& info = st->relations[id];
    RelationInfo updated{row.key,
                         row.name.empty() ? info.name : row.name,
                         row.description.empty() ? info.description : row.description,
                         row.head_type.empty() ? info.head_type : row.head_type,
                         row.tail_type.empty() ? info.tail_type : row.tail_type,
                         row.inverse_name.empty() ? info.inverse_name : row.inverse_name,
                         row.question_phrase.empty() ? info.question_phrase : row.question_phrase};
    if (id < st->old_relations && updated.name != info.name) {
      if (st->relation_names.count(updated.name)) {
        return InvalidArgumentError(path + ": relation '" + row.key + "' renamed to '" +
                                    updated.name +
                                    "', which another relation of the store already has");
      }
      st->relation_names.erase(info.name);
      st->relation_names.insert(updated.name);
    }
    if (!(updated.name == info.name && updated.description == info.description &&
          updated.head_type == info.head_type && updated.tail_type == info.tail_type &&
          updated.inverse_name == info.inverse_name &&
          updated.question_phrase == info.question_phrase)) {
      st->relation_dirty[id] = true;
    }
    if (!row.head_type.empty() || !row.tail_type.empty()) st->relation_typed[id] = true;
    st->relation_in_side_file[id] = true;
    info = std::move(updated);
  }
  return Status::Ok();
}

// Entity side file: types, aliases and names (new entities take them; existing ones are renamed
// after all names are known).
Status ApplyEntitySideFile(const std::string& path, ImportState* st) {
  KGF_ASSIGN_OR_RETURN(std::vector<EntityRow> rows, ReadEntityRows(path));
  for (EntityRow& row : rows) {
    const uint32_t id = st->InternEntity(row.key);
    PendingEntity& e = st->entities[id];
    e.from_side_file = true;
    if (!row.type.empty() && row.type != e.type) {
      e.type = row.type;
      e.dirty = true;
    }
    if (!row.aliases.empty() && row.aliases != e.aliases) {
      e.aliases = row.aliases;
      e.dirty = true;
    }
    if (!row.name.empty()) {
      if (e.is_new) {
        e.name = row.name;
        e.name_priority = 3;
      } else if (row.name != e.name) {
        st->renames.emplace_back(id, row.name);
      }
    }
  }
  return Status::Ok();
}

}  // namespace kgf::kg
