// Script/charset check: the share of letters that belong to the expected scripts. Letters are
// code points in the script ranges below (Unicode blocks, "Scripts.txt" coarse ranges); digits,
// punctuation, symbols and spaces are ignored. Drops: "no_letters" (fewer than min_letters
// letters), "script_share" (share < min_share). Also drops "control_chars" when the share of
// C0 control characters other than \t \n \r exceeds max_control_share (binary junk).
#ifndef KGF_FILTERS_TEXT_SCRIPT_FILTER_H_
#define KGF_FILTERS_TEXT_SCRIPT_FILTER_H_

#include <string>
#include <vector>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"

namespace kgf::filters {

enum class Script : uint8_t {
  kNone, kLatin, kGreek, kCyrillic, kArmenian, kHebrew, kArabic, kDevanagari, kThai,
  kHangul, kHiragana, kKatakana, kHan,
};
// Script of a code point; kNone for non-letters and unlisted scripts.
Script ScriptOf(uint32_t code_point);
// "latin" -> kLatin. Error lists the known names.
Result<Script> ParseScript(std::string_view name);

struct ScriptOptions {
  std::vector<std::string> scripts = {"latin"};
  double min_share = 0.9;
  int64_t min_letters = 1;
  double max_control_share = 0.001;

  Status Read(OptionReader& reader);
};

class ScriptFilter : public TextFilter {
 public:
  static Result<std::unique_ptr<ScriptFilter>> Create(std::string name, std::string field,
                                                      ScriptOptions options);
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  ScriptFilter(std::string name, std::string field, ScriptOptions options)
      : TextFilter(std::move(name), "script", std::move(field)), options_(std::move(options)) {}
  ScriptOptions options_;
  uint32_t wanted_mask_ = 0;  // bit i set: Script(i) expected
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_SCRIPT_FILTER_H_
