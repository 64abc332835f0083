// Triple files, line by line, into the import state.
#include "kg/import/import_state.h"

#include "base/file_util.h"
#include "base/progress.h"
#include "kg/import/triple_reader.h"

namespace kgf::kg {

namespace {

constexpr size_t kMaxSkippedExamples = 5;

// One parsed line of a triple file into the state: a triple, a name label or a type.
void ApplyRawTriple(const RawTriple& raw, ImportState* st, ImportState::Source* src) {
  switch (raw.kind) {
    case RawTriple::Kind::kName: {
      PendingEntity& e = st->entities[st->InternEntity(raw.head)];
      const int priority =
          raw.relation.empty() || raw.relation == "en" || StartsWith(raw.relation, "en-") ? 2 : 1;
      if (e.is_new && priority > e.name_priority) {
        e.name = raw.tail;
        e.name_priority = priority;
      }
      return;
    }
    case RawTriple::Kind::kType: {
      PendingEntity& e = st->entities[st->InternEntity(raw.head)];
      if (e.type.empty()) {
        e.type = raw.tail;
        e.dirty = !e.is_new;
      }
      return;
    }
    case RawTriple::Kind::kTriple: {
      const uint32_t h = st->InternEntity(raw.head);
      const uint32_t r = st->InternRelation(raw.relation);
      const uint32_t t = st->InternEntity(raw.tail);
      if (!raw.tail_name.empty() && st->entities[t].is_new && st->entities[t].name_priority == 0) {
        st->entities[t].name = raw.tail_name;
      }
      st->triples.push_back({h, r, t});
      ++src->read;
      return;
    }
  }
}
}  // namespace

// Every triple file, line by line; a bad line fails the import or (skip) is counted.
Status ReadTripleFiles(const std::vector<std::string>& files, const ImportOptions& options,
                       ImportState* st, ImportReport* report) {
  for (const std::string& file : files) {
    KGF_ASSIGN_OR_RETURN(TripleFormat format, ResolveTripleFormat(options.format, file));
    TripleReaderOptions ropts;
    ropts.format = format;
    ropts.order = options.order;
    ropts.header = options.header;
    KGF_ASSIGN_OR_RETURN(auto reader, TripleReader::Open(file, ropts));
    ImportState::Source src;
    src.path = file;
    src.format = std::string(TripleFormatName(format));
    KGF_ASSIGN_OR_RETURN(src.checksum, FileChecksum(file));
    KGF_ASSIGN_OR_RETURN(src.bytes, FileSize(file));
    Progress progress("import " + Basename(file), 0, "lines");
    RawTriple raw;
    std::string line_error;
    while (reader->Next(&raw, &line_error)) {
      ++report->lines;
      progress.Add();
      if (line_error.empty()) {
        ApplyRawTriple(raw, st, &src);
        continue;
      }
      if (options.on_error == "fail") {
        return InvalidArgumentError(line_error +
                                    " (nothing was imported; fix the line or pass --on-error=skip)");
      }
      ++report->skipped;
      if (report->skipped_examples.size() < kMaxSkippedExamples) {
        report->skipped_examples.push_back(line_error);
      }
    }
    KGF_RETURN_IF_ERROR(reader->status().WithContext("nothing was imported"));
    report->triples_read += src.read;
    st->sources.push_back(std::move(src));
  }
  return Status::Ok();
}

}  // namespace kgf::kg
