// The in-memory side of `kg import` (the store writes it: kg/graph_store.cc). An import reads
// the store's entities and relations (GraphStore::Impl::ReadSnapshot), then runs these phases
// on an ImportState: side files (side_files.cc), triple files (triple_files.cc), names and
// relation types (naming.cc); the store writes the result in one transaction and records the
// content checksum (ContentHasher; ChecksumOfState when the store was empty).
#ifndef KGF_KG_IMPORT_IMPORT_STATE_H_
#define KGF_KG_IMPORT_IMPORT_STATE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/hash.h"
#include "base/status.h"
#include "base/string_id_index.h"
#include "kg/import/names.h"
#include "kg/types.h"

namespace kgf::kg {

struct ImportOptions {
  std::string format = "auto";   // auto | tsv | ntriples | kgtk (triple_reader.h)
  std::string order = "hrt";     // tsv columns: hrt | htr (OpenKE)
  std::string header = "auto";   // tsv header line: auto | yes | no
  std::string entities;          // optional entities.tsv (key, name, type, aliases)
  std::string relations;         // optional relations.tsv (key, name, description, ...)
  std::string on_error = "fail"; // fail: first bad line aborts, store unchanged; skip: count it
  std::string name;              // graph name; default: kept, or the store file's stem
};

struct ImportReport {
  std::vector<std::string> files;
  uint64_t lines = 0;            // data lines read (triples + N-Triples label/type lines)
  uint64_t triples_read = 0;
  uint64_t triples_added = 0;    // new distinct triples
  uint64_t entities_added = 0;
  uint64_t relations_added = 0;
  uint64_t relations_updated = 0;  // existing relations whose side-file metadata changed
  uint64_t renamed = 0;          // entities whose name was disambiguated
  uint64_t skipped = 0;          // bad lines skipped (on_error = skip)
  std::vector<std::string> skipped_examples;  // the first few "file:line: problem"
  // Side-file mistakes the import went through with: triples' entities or relations missing
  // from the side files, a relation type no entity has.
  std::vector<std::string> warnings;
  uint64_t total_entities = 0, total_relations = 0, total_triples = 0;
  std::string checksum;          // store content checksum after the import
  double seconds = 0;
  std::string ToText() const;
  std::string ToJson() const;
};

// '|'-joined aliases as stored; SplitAliases drops empty parts.
std::string JoinAliases(const std::vector<std::string>& aliases);
std::vector<std::string> SplitAliases(const std::string& s);

// An entity as the import sees it: existing (id < first_new) or new.
struct PendingEntity {
  std::string key, name, type;
  std::vector<std::string> aliases;
  int name_priority = 0;  // 3 side file, 2 English/untagged label, 1 other label, 0 derived
  bool from_side_file = false;
  bool is_new = true;
  bool dirty = false;  // an existing entity whose metadata changed
};

struct ImportState;  // below, with the phases of an import

// Everything an import builds in memory before it writes: the store's entities and relations
// (read in one snapshot) plus what the side files and triple files add.
struct ImportState {
  std::vector<PendingEntity> entities;
  StringIdIndex entity_by_key;   // over entities[id].key
  StringIdIndex entity_by_name;  // over entities[id].name; built by AssignNames
  std::vector<RelationInfo> relations;
  std::unordered_map<std::string, uint32_t> relation_by_key;
  std::unordered_set<std::string> relation_names;
  std::vector<bool> relation_dirty;  // to (re)write
  std::vector<bool> relation_typed;  // types fixed (an old relation, or a side file)
  std::vector<bool> relation_in_side_file;  // a row of this import's relations file
  size_t old_entities = 0, old_relations = 0;
  std::vector<std::pair<uint32_t, std::string>> renames;  // existing entity -> new name
  std::vector<std::array<uint32_t, 3>> triples;           // (head, relation, tail) ids
  struct Source {
    std::string path, checksum, format;
    uint64_t bytes = 0, read = 0;
  };
  std::vector<Source> sources;

  std::string_view KeyOf(uint32_t id) const { return entities[id].key; }
  uint32_t InternEntity(const std::string& key) {
    return InternEntityHashed(key, StringIdIndex::HashOf(key));
  }
  // REQUIRES: hash == StringIdIndex::HashOf(key) (batched interning: triple_files.cc).
  uint32_t InternEntityHashed(const std::string& key, uint32_t hash) {
    const auto [id, inserted] = entity_by_key.FindOrInsertHashed(
        key, hash, static_cast<uint32_t>(entities.size()), [this](uint32_t i) { return KeyOf(i); });
    if (inserted) {
      PendingEntity e;
      e.key = key;
      e.name = DeriveEntityName(key);
      entities.push_back(std::move(e));
    }
    return id;
  }
  // Frees entity_by_key, entity_by_name, relation_by_key and relation_names (after the phases
  // that use them: the store writes from the vectors). The state cannot intern after this.
  void ReleaseLookupTables() {
    entity_by_key = StringIdIndex();
    entity_by_name = StringIdIndex();
    std::unordered_map<std::string, uint32_t>().swap(relation_by_key);
    std::unordered_set<std::string>().swap(relation_names);
  }
  uint32_t InternRelation(const std::string& key) {
    auto [it, inserted] = relation_by_key.try_emplace(key, static_cast<uint32_t>(relations.size()));
    if (inserted) {
      RelationInfo info;
      info.key = key;
      relations.push_back(std::move(info));
      relation_dirty.push_back(true);
      relation_typed.push_back(false);
      relation_in_side_file.push_back(false);
    }
    return it->second;
  }
};

// The phases, in the order Import runs them. Errors name file:line (InvalidArgument) or the
// missing file (NotFound); nothing is written to the store by any of them.
Status ApplyRelationSideFile(const std::string& path, ImportState* st);
Status ApplyEntitySideFile(const std::string& path, ImportState* st);
Status ReadTripleFiles(const std::vector<std::string>& files, const ImportOptions& options,
                       ImportState* st, ImportReport* report);
// Errors: DataLoss when two of the store's entities already share a name (a store edited by
// hand: stores made by kg import keep names unique), naming both keys.
Status AssignNames(ImportState* st, ImportReport* report);
void InferRelationTypes(ImportState* st);
// Adds to report->warnings what the side files miss or mistype (see ImportReport::warnings).
void CheckSideFiles(const ImportOptions& options, const ImportState& st, ImportReport* report);

// xxh3 over the canonical content: entities, relations and triples in id order (triples sorted
// by (head, relation, tail) as little-endian uint32), each text field NUL-terminated. Equal
// content gives an equal checksum whatever the import history.
class ContentHasher {
 public:
  void Field(std::string_view s) {
    h_.Update(s);
    h_.Update(std::string_view("\0", 1));
    any_ = true;
  }
  void Triple(uint32_t head, uint32_t relation, uint32_t tail) {
    const uint32_t v[3] = {head, relation, tail};
    const char* p = reinterpret_cast<const char*>(v);
    buf_.insert(buf_.end(), p, p + sizeof(v));
    if (buf_.size() >= (1 << 16)) Flush();
    any_ = true;
  }
  std::string Finish() {
    Flush();
    return any_ ? "xxh3:" + Hex64(h_.Digest()) : std::string();
  }

 private:
  void Flush() {
    h_.Update(std::string_view(buf_.data(), buf_.size()));
    buf_.clear();
  }
  Hasher h_;
  std::vector<char> buf_;
  bool any_ = false;
};

// The content checksum of a store that held nothing before: everything is in memory.
std::string ChecksumOfState(const ImportState& st);

}  // namespace kgf::kg

#endif  // KGF_KG_IMPORT_IMPORT_STATE_H_
