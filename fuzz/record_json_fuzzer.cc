// Fuzzes synth::RecordFromJson, the reader behind filter, export, synth show, review and corpus
// build. A record that parses must serialise and parse back to itself (the canonical JSON is a
// fixed point); anything else must be a Status, never a crash (deep nesting included).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "synth/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto record = kgf::synth::RecordFromJson(json, "fuzz:1");
  if (!record.ok()) {
    KGF_FUZZ_ASSERT(!record.status().message().empty(), "errors carry a message");
    return 0;
  }
  const std::string canonical = kgf::synth::RecordToJson(*record);
  auto again = kgf::synth::RecordFromJson(canonical, "fuzz:canonical");
  KGF_FUZZ_ASSERT(again.ok(), "a serialised record parses");
  KGF_FUZZ_ASSERT(*again == *record, "parse(serialise(r)) == r");
  KGF_FUZZ_ASSERT(kgf::synth::RecordToJson(*again) == canonical, "canonical JSON is a fixed point");
  (void)kgf::synth::CallsOf(*record);
  return 0;
}
