#include "trainer/io/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <bit>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>

#include "base/file_util.h"
#include "trainer/io/hf_checkpoint.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/logging.h"
#include "trainer/io/state_json.h"

namespace kgf::trainer {
namespace fs = std::filesystem;
namespace {

constexpr char kStepPrefix[] = "step-";

std::string Checksum(std::string_view bytes) { return "xxh3:" + Hex64(Hash64(bytes)); }

// Parses "step-00000120" -> 120; nullopt for anything else.
std::optional<int64_t> ParseStepDir(std::string_view name) {
  if (!StartsWith(name, kStepPrefix)) return std::nullopt;
  std::string_view digits = name.substr(sizeof(kStepPrefix) - 1);
  int64_t step = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || step < 0) {
    return std::nullopt;
  }
  return step;
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return IoError(dir + ": cannot open directory to sync");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError(dir + ": fsync failed");
  return Status::Ok();
}

std::string FloatsHex(const std::vector<float>& v) {
  std::string s;
  s.reserve(v.size() * 8);
  char buf[9];
  for (float f : v) {
    std::snprintf(buf, sizeof(buf), "%08x", std::bit_cast<uint32_t>(f));
    s += buf;
  }
  return s;
}

Result<std::vector<float>> ParseFloatsHex(std::string_view hex, std::string_view where) {
  if (hex.size() % 8 != 0) return InvalidArgumentError(std::string(where) + ": bad float hex length");
  std::vector<float> out(hex.size() / 8);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    auto [ptr, ec] = std::from_chars(hex.data() + 8 * i, hex.data() + 8 * i + 8, bits, 16);
    if (ec != std::errc() || ptr != hex.data() + 8 * i + 8) {
      return InvalidArgumentError(std::string(where) + ": bad float hex at " + std::to_string(i));
    }
    out[i] = std::bit_cast<float>(bits);
  }
  return out;
}

}  // namespace

std::string TrainerState::ToJson() const {
  std::string s = "{\n";
  s += "  \"step\": " + std::to_string(step) + ",\n";
  s += "  \"data_position\": " + std::to_string(data_position) + ",\n";
  s += "  \"tokens_seen\": " + std::to_string(tokens_seen) + ",\n";
  s += "  \"rng_state\": [";
  for (int i = 0; i < 4; ++i) {
    s += (i ? ", \"" : "\"") + Hex64(rng_state[i]) + "\"";
  }
  s += "],\n";
  s += "  \"spike_detector\": " + spike_detector + ",\n";
  s += "  \"router_state_size\": " + std::to_string(router_state.size()) + ",\n";
  s += "  \"router_state_f32_hex\": \"" + FloatsHex(router_state) + "\",\n";
  s += "  \"lr\": {\"last\": " + JsonDouble(last_lr) + ", \"last_bits\": " +
       JsonExactDouble(last_lr) + "},\n";
  s += "  \"elapsed_seconds\": " + JsonExactDouble(elapsed_seconds) + ",\n";
  s += "  \"options\": " + options + "\n}\n";
  return s;
}

Result<TrainerState> TrainerState::FromJson(std::string_view json, std::string_view where) {
  const std::string w(where);
  KGF_ASSIGN_OR_RETURN(JsonDoc doc, ParseJson(json, w));
  if (!doc.IsObject()) return InvalidArgumentError(w + ": expected a JSON object");
  TrainerState st;
  KGF_ASSIGN_OR_RETURN(st.step, JsonGetInt(doc, "step", w));
  KGF_ASSIGN_OR_RETURN(st.data_position, JsonGetInt(doc, "data_position", w));
  KGF_ASSIGN_OR_RETURN(st.tokens_seen, JsonGetInt(doc, "tokens_seen", w));
  KGF_ASSIGN_OR_RETURN(const JsonValue* rng, JsonGetArray(doc, "rng_state", w));
  if (rng->Size() != 4) return InvalidArgumentError(w + ": rng_state needs 4 words");
  for (int i = 0; i < 4; ++i) {
    const JsonValue& v = (*rng)[i];
    uint64_t word = 0;
    const char* p = v.IsString() ? v.GetString() : "";
    const size_t n = v.IsString() ? v.GetStringLength() : 0;
    auto [ptr, ec] = std::from_chars(p, p + n, word, 16);
    if (n != 16 || ec != std::errc() || ptr != p + n) {
      return InvalidArgumentError(w + ": rng_state words must be 16 hex digits");
    }
    st.rng_state[i] = word;
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* spike, JsonGetObject(doc, "spike_detector", w));
  st.spike_detector = JsonToString(*spike);
  KGF_ASSIGN_OR_RETURN(int64_t router_size, JsonGetInt(doc, "router_state_size", w));
  KGF_ASSIGN_OR_RETURN(std::string router_hex, JsonGetString(doc, "router_state_f32_hex", w));
  KGF_ASSIGN_OR_RETURN(st.router_state, ParseFloatsHex(router_hex, w + ": router_state_f32_hex"));
  if (static_cast<int64_t>(st.router_state.size()) != router_size) {
    return InvalidArgumentError(w + ": router_state_size disagrees with router_state_f32_hex");
  }
  KGF_ASSIGN_OR_RETURN(const JsonValue* lr, JsonGetObject(doc, "lr", w));
  KGF_ASSIGN_OR_RETURN(st.last_lr, JsonGetExactDouble(*lr, "last_bits", w + ": lr"));
  KGF_ASSIGN_OR_RETURN(st.elapsed_seconds, JsonGetExactDouble(doc, "elapsed_seconds", w));
  auto options = doc.FindMember("options");
  if (options != doc.MemberEnd()) st.options = JsonToString(options->value);
  return st;
}

std::string CheckpointDirName(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%08lld", kStepPrefix, static_cast<long long>(step));
  return buf;
}

std::vector<std::pair<int64_t, std::string>> ListCheckpoints(const std::string& run_dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (auto step = ParseStepDir(name)) out.emplace_back(*step, JoinPath(run_dir, name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> SaveCheckpoint(const std::string& run_dir, const CheckpointContents& c,
                                   int keep_last) {
  KGF_RETURN_IF_ERROR(CreateDirectories(run_dir));
  const std::string name = CheckpointDirName(c.step);
  const std::string final_dir = JoinPath(run_dir, name);
  const std::string tmp_dir =
      JoinPath(run_dir, "." + name + ".tmp-" + std::to_string(::getpid()));
  KGF_RETURN_IF_ERROR(RemoveTree(tmp_dir));
  KGF_RETURN_IF_ERROR(CreateDirectories(tmp_dir));

  const std::string state_json = c.state.ToJson();
  std::vector<std::pair<const char*, const std::string*>> files = {
      {kConfigFile, &c.config_json},
      {kModelFile, &c.model_safetensors},
      {kOptimizerFile, &c.optimizer_safetensors},
      {kTrainerStateFile, &state_json},
  };
  if (!c.local_sgd_safetensors.empty()) files.push_back({kLocalSgdFile, &c.local_sgd_safetensors});
  std::string checksums;
  for (const auto& [file, bytes] : files) {
    Status s = WriteFileAtomic(JoinPath(tmp_dir, file), *bytes);
    if (!s.ok()) {
      RemoveTree(tmp_dir).IgnoreError();
      return s;
    }
    checksums += std::string(file) + " " + Checksum(*bytes) + "\n";
  }
  Status s = WriteFileAtomic(JoinPath(tmp_dir, kChecksumsFile), checksums);
  if (s.ok() && IsDirectory(final_dir)) {
    // Re-saving a step (a resumed run that ends where it was stopped): move the old one aside.
    const std::string old_dir = tmp_dir + ".old";
    KGF_RETURN_IF_ERROR(RemoveTree(old_dir));
    std::error_code ec;
    fs::rename(final_dir, old_dir, ec);
    if (ec) s = IoError(final_dir + ": cannot replace: " + ec.message());
    if (s.ok()) s = RemoveTree(old_dir);
  }
  if (s.ok()) {
    std::error_code ec;
    fs::rename(tmp_dir, final_dir, ec);
    if (ec) s = IoError(tmp_dir + " -> " + final_dir + ": rename failed: " + ec.message());
  }
  if (!s.ok()) {
    RemoveTree(tmp_dir).IgnoreError();
    return s;
  }
  KGF_RETURN_IF_ERROR(SyncDirectory(run_dir));

  // Retention, and temporary directories of crashed writers.
  auto all = ListCheckpoints(run_dir);
  if (keep_last > 0 && static_cast<int>(all.size()) > keep_last) {
    for (size_t i = 0; i + keep_last < all.size(); ++i) {
      KGF_RETURN_IF_ERROR(RemoveTree(all[i].second));
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (StartsWith(n, ".step-") && n.find(".tmp-") != std::string::npos) {
      RemoveTree(entry.path().string()).IgnoreError();
    }
  }
  return final_dir;
}

Result<Checkpoint> ReadCheckpoint(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFoundError(dir + ": no such checkpoint directory");
  const std::string checksums_path = JoinPath(dir, kChecksumsFile);
  if (!FileExists(checksums_path)) {
    return DataLossError(checksums_path + ": missing (checkpoint incomplete)");
  }
  KGF_ASSIGN_OR_RETURN(std::string checksums, ReadFileToString(checksums_path));
  std::map<std::string, std::string> expected;
  size_t pos = 0;
  while (pos < checksums.size()) {
    size_t eol = checksums.find('\n', pos);
    if (eol == std::string::npos) eol = checksums.size();
    std::string_view line(checksums.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return DataLossError(checksums_path + ": malformed line");
    expected[std::string(line.substr(0, sp))] = std::string(line.substr(sp + 1));
  }
  std::map<std::string, std::string> bytes;
  std::vector<const char*> wanted = {kConfigFile, kModelFile, kOptimizerFile, kTrainerStateFile};
  if (expected.count(kLocalSgdFile)) wanted.push_back(kLocalSgdFile);
  for (const char* file : wanted) {
    const std::string path = JoinPath(dir, file);
    auto it = expected.find(file);
    if (it == expected.end()) return DataLossError(checksums_path + ": no checksum for " + file);
    if (!FileExists(path)) return DataLossError(path + ": missing");
    KGF_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
    const std::string actual = Checksum(data);
    if (actual != it->second) {
      return DataLossError(path + ": checksum " + actual + " but " + kChecksumsFile + " says " +
                           it->second + " (corrupt or truncated, " +
                           std::to_string(data.size()) + " bytes)");
    }
    bytes[file] = std::move(data);
  }
  Checkpoint c;
  c.dir = dir;
  c.config_json = std::move(bytes[kConfigFile]);
  KGF_ASSIGN_OR_RETURN(SafetensorsFile model,
                       SafetensorsFile::Parse(std::move(bytes[kModelFile]), JoinPath(dir, kModelFile)));
  KGF_RETURN_IF_ERROR(c.model.Add(std::move(model), JoinPath(dir, kModelFile)));
  KGF_ASSIGN_OR_RETURN(c.optimizer, SafetensorsFile::Parse(std::move(bytes[kOptimizerFile]),
                                                           JoinPath(dir, kOptimizerFile)));
  // Weights that are not finite (a run that diverged before a check caught it, or damage the
  // checksums were recomputed over) make a checkpoint invalid: a resume falls back past it, and
  // generate / eval / --init-checkpoint (which all read checkpoints here) refuse it.
  if (bytes.count(kLocalSgdFile)) {
    KGF_ASSIGN_OR_RETURN(SafetensorsFile l, SafetensorsFile::Parse(std::move(bytes[kLocalSgdFile]),
                                                                  JoinPath(dir, kLocalSgdFile)));
    c.local_sgd = std::move(l);
  }
  KGF_RETURN_IF_ERROR(CheckFiniteTensors(c.model, JoinPath(dir, kModelFile)));
  auto state = TrainerState::FromJson(bytes[kTrainerStateFile], JoinPath(dir, kTrainerStateFile));
  if (!state.ok()) return DataLossError(state.status().message());
  c.state = std::move(state).value();
  c.step = c.state.step;
  const auto dir_step = ParseStepDir(Basename(dir));
  if (dir_step && *dir_step != c.step) {
    return DataLossError(dir + ": trainer_state.json says step " + std::to_string(c.step));
  }
  return c;
}

std::optional<Checkpoint> ReadLatestCheckpoint(const std::string& run_dir,
                                               std::vector<std::string>* skipped) {
  auto all = ListCheckpoints(run_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto c = ReadCheckpoint(it->second);
    if (c.ok()) return std::move(c).value();
    KGF_LOG(WARNING) << "skipping checkpoint " << it->second << ": " << c.status().ToString()
                     << "; trying the previous one";
    if (skipped) skipped->push_back(it->second + ": " + c.status().ToString());
  }
  return std::nullopt;
}

Result<Checkpoint> ReadCheckpointOrLatest(const std::string& path) {
  if (!IsDirectory(path)) return NotFoundError(path + ": no such checkpoint or run directory");
  if (IsHfModelDir(path)) return ReadHfModelDir(path);
  if (FileExists(JoinPath(path, kChecksumsFile)) || FileExists(JoinPath(path, kModelFile)) ||
      ParseStepDir(Basename(path))) {
    return ReadCheckpoint(path);
  }
  std::vector<std::string> skipped;
  std::optional<Checkpoint> latest = ReadLatestCheckpoint(path, &skipped);
  if (latest) return std::move(*latest);
  return skipped.empty() ? NotFoundError(path + ": no checkpoint (step-NNNNNNNN) inside")
                         : DataLossError(path + ": no valid checkpoint (" + skipped[0] + ")");
}

}  // namespace kgf::trainer
