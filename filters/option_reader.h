// OptionReader: typed, range-checked access to one filter's JSON config object. Every error
// names the config file, the filter's position and type, the key, the allowed range and the
// value found; Finish() rejects keys nobody asked for (typos must not silently use defaults).
#ifndef KGF_FILTERS_OPTION_READER_H_
#define KGF_FILTERS_OPTION_READER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace kgf::filters {

class OptionReader {
 public:
  // REQUIRES: obj is a JSON object that outlives the reader. where: "cfg.json: filters[2]
  // (gopher_quality)". config_dir: the config file's folder, for Path().
  OptionReader(const JsonValue& obj, std::string where, std::string config_dir = "")
      : obj_(obj), where_(std::move(where)), config_dir_(std::move(config_dir)) {}

  const std::string& where() const { return where_; }
  // Each reads `key` into *out when present (leaving the default otherwise) and checks
  // lo <= value <= hi.
  Status Double(const char* key, double* out, double lo, double hi);
  Status Int(const char* key, int64_t* out, int64_t lo, int64_t hi);
  Status Int(const char* key, int* out, int lo, int hi);
  Status Bool(const char* key, bool* out);
  Status String(const char* key, std::string* out);
  // A data file's path: like String, then a relative path is taken relative to the config
  // file's folder (filters/README.md), never to the working directory; absolute paths stay.
  Status Path(const char* key, std::string* out);
  // A string that must be one of `allowed`.
  Status Enum(const char* key, std::string* out, const std::vector<std::string>& allowed);
  Status StringList(const char* key, std::vector<std::string>* out);
  // Marks keys read elsewhere ("type", "name").
  void Consume(const char* key) { used_.insert(key); }
  // InvalidArgument naming every unknown key.
  Status Finish() const;

 private:
  const JsonValue* Find(const char* key);
  const JsonValue& obj_;
  std::string where_;
  std::string config_dir_;
  std::set<std::string> used_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_OPTION_READER_H_
