// RunFingerprint: one digest of everything a command's outputs depend on, so that a rerun with
// the same inputs and options reuses the finished outputs instead of redoing them (`filter`,
// `corpus build`; synth reuses per shard with its own run.json).
//
//   RunFingerprint fp;                        // starts with the running binary's bytes
//   fp.AddText("threads-free options", ...);
//   KGF_RETURN_IF_ERROR(fp.AddFile("config", config_path));
//   KGF_RETURN_IF_ERROR(fp.AddFilesNamedIn(config_json, config_dir));  // word lists, stores
//   if (stored == fp.Digest()) ... reuse
//
// Files are hashed by content (xxh3, streaming), with their SQLite write-ahead log when one is
// next to them, so a review mark still in review.sqlite-wal changes the digest. The binary is
// part of the digest: a rebuilt kgforge never reuses an older build's outputs. Options that never
// change output (threads) must not be added. Not thread-safe.
#ifndef KGF_BASE_RUN_FINGERPRINT_H_
#define KGF_BASE_RUN_FINGERPRINT_H_

#include <string>
#include <string_view>

#include "base/hash.h"
#include "base/json.h"
#include "base/status.h"

namespace kgf {

class RunFingerprint {
 public:
  // Hashes /proc/self/exe first (skipped where it cannot be read).
  RunFingerprint();

  void AddText(std::string_view name, std::string_view value);
  // The file's bytes and those of `path`-wal when present. Errors: NotFound / IoError naming it.
  Status AddFile(std::string_view name, const std::string& path);
  // Every string in `config` (recursively) that names an existing regular file, as given or
  // relative to `base_dir`, added with AddFile.
  Status AddFilesNamedIn(const JsonValue& config, const std::string& base_dir);

  // "xxh3:<16 hex>" of everything added so far.
  std::string Digest() const;

 private:
  Hasher hasher_;
};

}  // namespace kgf

#endif  // KGF_BASE_RUN_FINGERPRINT_H_
