// TextFilter: a per-record filter over one string field of the record ("text" by default).
// A record without that field, or with a non-string value, is dropped with reason
// "missing_field" (a counted drop, documented in filters/README.md).
#ifndef KGF_FILTERS_TEXT_TEXT_FILTER_H_
#define KGF_FILTERS_TEXT_TEXT_FILTER_H_

#include <string>
#include <string_view>

#include "filters/filter.h"

namespace kgf::filters {

class TextFilter : public RecordFilter {
 public:
  TextFilter(std::string name, std::string type, std::string field)
      : RecordFilter(std::move(name), std::move(type)), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

  Verdict Apply(Sample& sample) const final;
  // Judges `text`. A keeping verdict may set *rewritten (and *changed = true) to replace the
  // field. Thread-safe (const).
  virtual Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const = 0;

 private:
  std::string field_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_TEXT_FILTER_H_
