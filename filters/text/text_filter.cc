// TextFilter::Apply: fetch the field, judge it, write back a rewrite.
#include "filters/text/text_filter.h"

namespace kgf::filters {

Verdict TextFilter::Apply(Sample& sample) const {
  Result<std::string_view> text = sample.GetString(field_);
  if (!text.ok()) return Verdict::Drop("missing_field", text.status().message());
  std::string rewritten;
  bool changed = false;
  Verdict v = Check(*text, &rewritten, &changed);
  if (v.keep && changed) sample.SetString(field_, rewritten);
  return v;
}

}  // namespace kgf::filters
