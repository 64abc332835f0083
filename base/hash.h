// Content hashes (xxh3, 64 and 128 bit) for checksums, dedup and manifests.
#ifndef KGF_BASE_HASH_H_
#define KGF_BASE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kgf {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);
// 32 lowercase hex digits of xxh3-128.
std::string Hash128Hex(std::string_view data);
std::string Hex64(uint64_t value);  // 16 lowercase hex digits
// "xxh3:<16 hex>" of a file's bytes, streaming.
Result<std::string> FileChecksum(const std::string& path);

// Incremental xxh3-64.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view data);
  uint64_t Digest() const;

 private:
  void* state_;
};

}  // namespace kgf

#endif  // KGF_BASE_HASH_H_
