// Fuzzes corpus::IndexedDataset::Open (Megatron's MMIDIDX .idx + .bin pair). The first two
// bytes give the .idx length (little endian, capped by the input); the .idx gets those bytes
// and the .bin the rest. An index that opens must describe a .bin it tiles exactly: every
// sequence and every document entry is readable without leaving the mapping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "corpus/indexed_dataset.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t idx_size = data[0] | (static_cast<size_t>(data[1]) << 8);
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  if (idx_size > rest.size()) idx_size = rest.size();
  const std::string prefix = kgf::fuzz::ScratchPath("");
  kgf::fuzz::WriteScratch(prefix + ".idx", rest.substr(0, idx_size));
  kgf::fuzz::WriteScratch(prefix + ".bin", rest.substr(idx_size));
  auto dataset = kgf::corpus::IndexedDataset::Open(prefix);
  if (!dataset.ok()) return 0;
  int64_t elements = 0;
  std::vector<int32_t> tokens;
  for (int64_t i = 0; i < dataset->num_sequences(); ++i) {
    KGF_FUZZ_ASSERT(dataset->length(i) >= 0, "lengths are non-negative");
    elements += dataset->length(i);
    KGF_FUZZ_ASSERT(dataset->SequenceBytes(i).size() ==
                        static_cast<size_t>(dataset->length(i)) * kgf::corpus::DTypeSize(dataset->dtype()),
                    "a sequence's bytes are its length times the element size");
    // AppendSequence REQUIRES an integer dtype of at most 32 bits (the corpus reader checks the
    // dtype against the manifest first); a valid index of another dtype is not read as tokens.
    const kgf::corpus::DType t = dataset->dtype();
    if (t != kgf::corpus::DType::kUint8 && t != kgf::corpus::DType::kInt8 &&
        t != kgf::corpus::DType::kInt16 && t != kgf::corpus::DType::kUint16 &&
        t != kgf::corpus::DType::kInt32) {
      continue;
    }
    tokens.clear();
    dataset->AppendSequence(i, &tokens);
    KGF_FUZZ_ASSERT(static_cast<int64_t>(tokens.size()) == dataset->length(i),
                    "a sequence has its length");
  }
  KGF_FUZZ_ASSERT(elements == dataset->num_elements(), "sequences tile the .bin");
  for (int64_t d = 0; d <= dataset->num_documents(); ++d) {
    const int64_t start = dataset->document_start(d);
    KGF_FUZZ_ASSERT(start >= 0 && start <= dataset->num_sequences(), "document index in range");
  }
  return 0;
}
