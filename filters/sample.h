// Sample: one input record (a JSON object on one line) as the filters see it. Keeps the
// original bytes; a filter that rewrites a string field marks the sample modified so the
// pipeline re-serialises it. A filter family may cache a parsed view of the sample (the
// tool-use record layer, filters/records/, keeps its synth::Record there).
// Not thread-safe: one sample is touched by one task at a time.
#ifndef KGF_FILTERS_SAMPLE_H_
#define KGF_FILTERS_SAMPLE_H_

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace kgf::filters {

class Sample {
 public:
  // Parses `line` (must be a JSON object). `where` is "file:line" for messages.
  // Errors: InvalidArgument "<where>: invalid UTF-8 ..." / "<where>: invalid JSON ..." /
  // "<where>: a record must be a JSON object".
  static Result<Sample> Parse(std::string line, std::string where);

  Sample(Sample&&) noexcept = default;
  Sample& operator=(Sample&&) noexcept = default;

  const std::string& where() const { return where_; }
  // The record as it should be written: the original bytes, or the re-serialised JSON when
  // a filter rewrote a field.
  std::string Json() const;
  bool modified() const { return modified_; }
  const JsonDoc& doc() const { return *doc_; }

  // The top-level string field `field`. Error: "<where>: field 'x' missing" / "... must be a
  // string".
  Result<std::string_view> GetString(const std::string& field) const;
  // Replaces (or adds) a top-level string field and marks the sample modified.
  void SetString(const std::string& field, std::string_view value);

  // A parsed view of the sample, kept for later filters; emptied when a field is rewritten.
  // The records layer stores Result<synth::Record> here (filters/records/record_sample.h).
  std::any& parsed() { return parsed_; }

 private:
  Sample() = default;
  using JsonPool = rapidjson::MemoryPoolAllocator<>;
  std::string line_, where_;
  std::unique_ptr<JsonPool> pool_;  // before doc_: the document goes first
  std::unique_ptr<JsonDoc> doc_;
  bool modified_ = false;
  std::any parsed_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_SAMPLE_H_
