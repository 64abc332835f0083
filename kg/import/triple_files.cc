// Triple files, line by line, into the import state.
#include "kg/import/import_state.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <new>
#include <optional>
#include <span>

#include "base/file_util.h"
#include "base/progress.h"
#include "kg/import/triple_reader.h"

namespace kgf::kg {

namespace {

constexpr size_t kMaxSkippedExamples = 5;

// Lines are applied in batches of kBatch: each batch's entity keys are hashed and their table
// slots and entities prefetched before any is interned, so the cache misses of a large graph
// overlap instead of queueing (a third of a 10M-triple import before, issue 12).
constexpr size_t kBatch = 64;

struct Hashed {
  uint32_t head = 0, tail = 0;  // StringIdIndex::HashOf(raw.head), (raw.tail) for kTriple
};

// One parsed line of a triple file into the state: a triple, a name label or a type.
void ApplyRawTriple(const RawTriple& raw, const Hashed& hash, ImportState* st,
                    ImportState::Source* src) {
  switch (raw.kind) {
    case RawTriple::Kind::kName: {
      PendingEntity& e = st->entities[st->InternEntityHashed(raw.head, hash.head)];
      const int priority =
          raw.relation.empty() || raw.relation == "en" || StartsWith(raw.relation, "en-") ? 2 : 1;
      if (e.is_new && priority > e.name_priority) {
        e.name = raw.tail;
        e.name_priority = priority;
      }
      return;
    }
    case RawTriple::Kind::kType: {
      PendingEntity& e = st->entities[st->InternEntityHashed(raw.head, hash.head)];
      if (e.type.empty()) {
        e.type = raw.tail;
        e.dirty = !e.is_new;
      }
      return;
    }
    case RawTriple::Kind::kTriple: {
      const uint32_t h = st->InternEntityHashed(raw.head, hash.head);
      const uint32_t r = st->InternRelation(raw.relation);
      const uint32_t t = st->InternEntityHashed(raw.tail, hash.tail);
      if (!raw.tail_name.empty() && st->entities[t].is_new && st->entities[t].name_priority == 0) {
        st->entities[t].name = raw.tail_name;
      }
      st->triples.push_back({h, r, t});
      ++src->read;
      return;
    }
  }
}
// Applies batch[0, n) in order, after the prefetches described at kBatch.
void ApplyBatch(std::span<const RawTriple> batch, ImportState* st, ImportState::Source* src) {
  std::array<Hashed, kBatch> hash;
  const StringIdIndex& index = st->entity_by_key;
  for (size_t k = 0; k < batch.size(); ++k) {
    hash[k].head = StringIdIndex::HashOf(batch[k].head);
    index.Prefetch(hash[k].head);
    if (batch[k].kind == RawTriple::Kind::kTriple) {
      hash[k].tail = StringIdIndex::HashOf(batch[k].tail);
      index.Prefetch(hash[k].tail);
    }
  }
  auto prefetch_entity = [&](uint32_t h) {
    if (std::optional<uint32_t> id = index.Candidate(h)) __builtin_prefetch(&st->entities[*id]);
  };
  for (size_t k = 0; k < batch.size(); ++k) {
    prefetch_entity(hash[k].head);
    if (batch[k].kind == RawTriple::Kind::kTriple) prefetch_entity(hash[k].tail);
  }
  for (size_t k = 0; k < batch.size(); ++k) ApplyRawTriple(batch[k], hash[k], st, src);
}

}  // namespace

// Every triple file, line by line; a bad line fails the import or (skip) is counted.
// Room for the triples and entities the input will likely hold, so the vectors do not grow by
// doubling (each doubling copies everything and faults the new pages in: a third of a 10M
// import's page faults). An estimate from the file sizes, capped at a quarter of the memory:
// reserving only takes address space (no page is touched until it is written); a larger
// input than estimated grows as before.
static void ReserveForInput(const std::vector<std::string>& files, ImportState* st) {
  uint64_t bytes = 0;
  for (const std::string& f : files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    if (!ec) bytes += size;
  }
  const uint64_t memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                          static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  auto capped = [&](uint64_t n, size_t item) {
    return static_cast<size_t>(std::min<uint64_t>(n, memory / 4 / item));
  };
  // Lines of generated and real TSVs run 18-60 bytes; entities are at most two per triple and
  // in real graphs well under one.
  try {
    st->triples.reserve(st->triples.size() + capped(bytes / 16, sizeof(st->triples[0])));
    st->entities.reserve(st->entities.size() + capped(bytes / 48, sizeof(PendingEntity)));
  } catch (const std::bad_alloc&) {
    // Strict overcommit refused the address space: grow as needed instead.
  }
}

Status ReadTripleFiles(const std::vector<std::string>& files, const ImportOptions& options,
                       ImportState* st, ImportReport* report) {
  ReserveForInput(files, st);
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
    std::vector<RawTriple> batch(kBatch);  // filled in place: the strings keep their buffers
    size_t filled = 0;
    std::string line_error;
    while (reader->Next(&batch[filled], &line_error)) {
      ++report->lines;
      progress.Add();
      if (line_error.empty()) {
        if (++filled == kBatch) {
          ApplyBatch(batch, st, &src);
          filled = 0;
        }
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
    ApplyBatch(std::span<const RawTriple>(batch.data(), filled), st, &src);
    report->triples_read += src.read;
    st->sources.push_back(std::move(src));
  }
  return Status::Ok();
}

}  // namespace kgf::kg
