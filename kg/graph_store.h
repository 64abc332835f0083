// GraphStore: the on-disk knowledge graph, one SQLite file (WAL mode) with a versioned schema:
// entities, relations, triples (keyed head, relation, tail), import sources with their
// checksums, and metadata (schema version, graph name, content checksum).
//
//   KGF_ASSIGN_OR_RETURN(ImportReport r, ImportIntoStore("kg.db", {"triples.tsv"}, {}));
//   KGF_ASSIGN_OR_RETURN(GraphStore store, GraphStore::Open("kg.db", GraphStore::Mode::kReadOnly));
//   KGF_ASSIGN_OR_RETURN(Graph graph, store.LoadGraph());
//
// Imports are transactional and incremental: a failed import leaves the store exactly as it was
// (a first import builds the store aside and renames it into place only when complete, so a
// failed one leaves none); importing the same data again adds nothing;
// duplicate triples are kept once. Entity display names are unique in a store: a name already
// taken becomes "name (type)", else "name (2)", "name (3)", ... in first-seen order.
// Not thread-safe: one GraphStore per thread; SQLite serialises writers across processes.
#ifndef KGF_KG_GRAPH_STORE_H_
#define KGF_KG_GRAPH_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "kg/graph.h"
#include "kg/import/import_state.h"

namespace kgf::kg {

inline constexpr int kStoreSchemaVersion = 1;

class GraphStore {
 public:
  enum class Mode { kReadOnly, kReadWrite };  // kReadWrite creates a missing store

  // Errors: NotFound (read-only and missing), FailedPrecondition (not a kgforge store, a
  // newer schema version), DataLoss (not an SQLite database or corrupt), IoError.
  static Result<GraphStore> Open(const std::string& path, Mode mode);
  GraphStore(GraphStore&&) noexcept;
  GraphStore& operator=(GraphStore&&) noexcept;
  ~GraphStore();

  // Imports triple files (and side files) in one transaction. REQUIRES: opened kReadWrite, and
  // no other process importing into the store meanwhile (ImportIntoStore takes the lock).
  // Errors: InvalidArgument naming file:line for bad input (nothing written), NotFound for a
  // missing file, IoError / DataLoss from SQLite (rolled back).
  Result<ImportReport> Import(const std::vector<std::string>& files, const ImportOptions& options);

  // The whole graph in memory (dense ids in store order).
  Result<Graph> LoadGraph() const;

  const std::string& path() const;
  std::string name() const;      // graph name (metadata)
  std::string checksum() const;  // "xxh3:<16 hex>" of the content, "" for an empty store
  // A counterfactual copy (`kg relabel`, kg/graph_relabel.h): the checksum of the graph it was
  // relabelled from, and the seed; "" and 0 for any other store.
  std::string counterfactual_of() const;
  uint64_t relabel_seed() const;
  // Marks this store as such a copy. REQUIRES: opened kReadWrite.
  Status MarkCounterfactual(std::string_view original_checksum, uint64_t seed);
  // Import history: one line per source file ("path  checksum  +triples  time").
  Result<std::vector<std::string>> Sources() const;

 private:
  friend Result<ImportReport> ImportIntoStore(const std::string& store_path,
                                              const std::vector<std::string>& files,
                                              const ImportOptions& options);
  struct Impl;
  explicit GraphStore(std::unique_ptr<Impl> impl);
  // Open on the SQLite file `file`, naming the store `path` in messages and metadata. bulk: a
  // new private file for one import (no journal; ImportIntoStore renames it into place).
  static Result<GraphStore> OpenFile(const std::string& path, const std::string& file, Mode mode,
                                     bool bulk);
  std::unique_ptr<Impl> impl_;
};

// Opens and imports. A store that does not exist yet is bulk-loaded into "<store>.importing"
// (no journal; see kg/README.md) and renamed onto store_path when complete, so a failed first
// import leaves nothing behind. Takes "<store>.lock" for the whole import.
Result<ImportReport> ImportIntoStore(const std::string& store_path,
                                     const std::vector<std::string>& files,
                                     const ImportOptions& options);

// A store's graph in memory with what records cite of it: its name and content checksum.
struct OpenedGraph {
  Graph graph;
  std::string name;
  std::string checksum;  // "xxh3:<16 hex>"
  std::string counterfactual_of;  // GraphStore::counterfactual_of ("" for a real graph)
};

// Opens the store at `path` read-only and loads its graph: what every command that works on a
// graph (synth, filter, eval, corpus's fact source, kg show/query/export) does first.
// Errors: as GraphStore::Open and LoadGraph (NotFound names the path and how to create it).
Result<OpenedGraph> OpenGraph(const std::string& path);

}  // namespace kgf::kg

#endif  // KGF_KG_GRAPH_STORE_H_
