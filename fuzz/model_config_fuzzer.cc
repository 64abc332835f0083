// Fuzzes trainer::ModelConfig::FromJson (config.json of checkpoints, ours or Ling's). A config
// that parses must survive ToJson -> FromJson unchanged (the documented round trip).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "trainer/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto config = kgf::trainer::ModelConfig::FromJson(json, "fuzz/config.json");
  if (!config.ok()) {
    KGF_FUZZ_ASSERT(!config.status().message().empty(), "errors carry a message");
    return 0;
  }
  auto again = kgf::trainer::ModelConfig::FromJson(config->ToJson(), "fuzz/round-trip");
  KGF_FUZZ_ASSERT(again.ok(), "ToJson output parses");
  KGF_FUZZ_ASSERT(*again == *config, "FromJson(ToJson(c)) == c");
  return 0;
}
