// VerbaliseStore: the kg_facts source's bridge to the kg store.
#include "corpus/kg_facts.h"

#include "base/file_util.h"

namespace kgf::corpus {

Result<std::vector<std::string>> VerbaliseStore(const std::string& path) {
  if (!FileExists(path)) return NotFoundError(path + ": kg store not found");
  return UnimplementedError(path + ": reading kg stores needs kg/graph_store.h, which this build "
                                   "does not have yet; export the facts as a text source");
}

}  // namespace kgf::corpus
