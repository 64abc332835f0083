// Shared helpers of the libFuzzer targets (fuzz/*_fuzzer.cc): readers that take a path get the
// input written to a scratch file first; a broken property aborts, so libFuzzer keeps the input.
#ifndef KGF_FUZZ_FUZZ_UTIL_H_
#define KGF_FUZZ_FUZZ_UTIL_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace kgf::fuzz {

// A per-process scratch path in the temp directory ending in `suffix` (".tsv", ".idx", ...).
inline std::string ScratchPath(std::string_view suffix) {
  return (std::filesystem::temp_directory_path() /
          ("kgf-fuzz-" + std::to_string(::getpid()) + std::string(suffix)))
      .string();
}

// Replaces the file at `path` with `bytes`.
inline void WriteScratch(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write scratch file %s\n", path.c_str());
    std::abort();
  }
}

// A property every valid input must keep (a round trip, an invariant); a violation is a bug.
#define KGF_FUZZ_ASSERT(cond, what)                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "fuzz property violated: %s (%s)\n", what, #cond);   \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

}  // namespace kgf::fuzz

#endif  // KGF_FUZZ_FUZZ_UTIL_H_
