#include "base/run_fingerprint.h"

#include <filesystem>

namespace kgf {
namespace {

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

RunFingerprint::RunFingerprint() {
  Result<std::string> self = FileChecksum("/proc/self/exe");
  AddText("binary", self.ok() ? *self : "unreadable");
}

void RunFingerprint::AddText(std::string_view name, std::string_view value) {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  const std::string head = std::to_string(name.size()) + ":" + std::string(name) + "=" +
                           std::to_string(value.size()) + ":";
  hasher_.Update(head);
  hasher_.Update(value);
}

Status RunFingerprint::AddFile(std::string_view name, const std::string& path) {
  KGF_ASSIGN_OR_RETURN(std::string sum, FileChecksum(path));
  AddText(name, sum);
  const std::string wal = path + "-wal";
  if (IsRegularFile(wal)) {
    KGF_ASSIGN_OR_RETURN(std::string wal_sum, FileChecksum(wal));
    AddText(std::string(name) + "-wal", wal_sum);
  }
  return Status::Ok();
}

Status RunFingerprint::AddFilesNamedIn(const JsonValue& config, const std::string& base_dir) {
  if (config.IsString()) {
    const std::string value(config.GetString(), config.GetStringLength());
    if (value.empty() || value.size() > 4096) return Status::Ok();
    if (IsRegularFile(value)) return AddFile("named:" + value, value);
    const std::string relative = (std::filesystem::path(base_dir) / value).string();
    if (!base_dir.empty() && IsRegularFile(relative)) return AddFile("named:" + value, relative);
    return Status::Ok();
  }
  if (config.IsArray()) {
    for (const JsonValue& v : config.GetArray()) KGF_RETURN_IF_ERROR(AddFilesNamedIn(v, base_dir));
  } else if (config.IsObject()) {
    for (auto it = config.MemberBegin(); it != config.MemberEnd(); ++it) {
      KGF_RETURN_IF_ERROR(AddFilesNamedIn(it->value, base_dir));
    }
  }
  return Status::Ok();
}

std::string RunFingerprint::Digest() const { return "xxh3:" + Hex64(hasher_.Digest()); }

}  // namespace kgf
