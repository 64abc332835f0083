// Fuzzes kg::TripleReader over the three triple formats (TSV with both column orders and header
// modes, N-Triples, KGTK) and the side-file readers (entities.tsv, relations.tsv). The first
// byte picks the reader; the rest is the file. Every line must end as a triple, a line error
// naming file:line, or the end of the file; nothing may crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "kg/import/triple_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string path = kgf::fuzz::ScratchPath(".tsv");
  kgf::fuzz::WriteScratch(path, bytes);
  switch (selector % 8) {
    case 6: {
      auto rows = kgf::kg::ReadEntityRows(path);
      if (rows.ok()) {
        for (const auto& row : *rows) KGF_FUZZ_ASSERT(!row.key.empty(), "entity rows have keys");
      } else {
        KGF_FUZZ_ASSERT(!rows.status().message().empty(), "errors carry a message");
      }
      return 0;
    }
    case 7: {
      auto rows = kgf::kg::ReadRelationRows(path);
      if (rows.ok()) {
        for (const auto& row : *rows) KGF_FUZZ_ASSERT(!row.key.empty(), "relation rows have keys");
      }
      return 0;
    }
    default: break;
  }
  kgf::kg::TripleReaderOptions options;
  static const kgf::kg::TripleFormat kFormats[] = {kgf::kg::TripleFormat::kTsv,
                                                   kgf::kg::TripleFormat::kNTriples,
                                                   kgf::kg::TripleFormat::kKgtk};
  options.format = kFormats[(selector % 8) % 3];
  options.order = (selector & 8) ? "htr" : "hrt";
  static const char* kHeaders[] = {"auto", "yes", "no", "auto"};
  options.header = kHeaders[(selector >> 4) & 3];
  auto reader = kgf::kg::TripleReader::Open(path, options);
  if (!reader.ok()) return 0;
  kgf::kg::RawTriple triple;
  std::string line_error;
  int64_t previous_line = 0;
  while ((*reader)->Next(&triple, &line_error)) {
    KGF_FUZZ_ASSERT((*reader)->line_number() > previous_line, "every call consumes a line");
    previous_line = (*reader)->line_number();
    if (!line_error.empty()) {
      KGF_FUZZ_ASSERT(line_error.find(':') != std::string::npos, "line errors name file:line");
      line_error.clear();
      continue;
    }
    if (triple.kind == kgf::kg::RawTriple::Kind::kTriple) {
      KGF_FUZZ_ASSERT(!triple.head.empty() && !triple.relation.empty(), "triples are complete");
    }
  }
  return 0;
}
