// Script share check; see the header.
#include "filters/text/script_filter.h"

#include <array>
#include <sstream>

#include "filters/text/text_util.h"

namespace kgf::filters {

namespace {
struct ScriptName {
  const char* name;
  Script script;
};
constexpr ScriptName kScriptNames[] = {
    {"latin", Script::kLatin},       {"greek", Script::kGreek},
    {"cyrillic", Script::kCyrillic}, {"armenian", Script::kArmenian},
    {"hebrew", Script::kHebrew},     {"arabic", Script::kArabic},
    {"devanagari", Script::kDevanagari}, {"thai", Script::kThai},
    {"hangul", Script::kHangul},     {"hiragana", Script::kHiragana},
    {"katakana", Script::kKatakana}, {"han", Script::kHan},
};
}  // namespace

Script ScriptOf(uint32_t c) {
  if (c < 0x80) return IsAsciiAlpha(static_cast<unsigned char>(c)) ? Script::kLatin : Script::kNone;
  // Latin-1 letters (not × ÷), Latin Extended-A/B, IPA, Latin Extended Additional.
  if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x250 && c <= 0x2AF) ||
      (c >= 0x1E00 && c <= 0x1EFF) || c == 0xAA || c == 0xBA) {
    return Script::kLatin;
  }
  if ((c >= 0x370 && c <= 0x3FF) || (c >= 0x1F00 && c <= 0x1FFF)) return Script::kGreek;
  if (c >= 0x400 && c <= 0x52F) return Script::kCyrillic;
  if (c >= 0x531 && c <= 0x58F) return Script::kArmenian;
  if (c >= 0x5D0 && c <= 0x5FF) return Script::kHebrew;
  if ((c >= 0x620 && c <= 0x64A) || (c >= 0x671 && c <= 0x6FF)) return Script::kArabic;
  if (c >= 0x900 && c <= 0x97F) return Script::kDevanagari;
  if (c >= 0xE00 && c <= 0xE7F) return Script::kThai;
  if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF)) return Script::kHangul;
  if (c >= 0x3040 && c <= 0x309F) return Script::kHiragana;
  if (c >= 0x30A0 && c <= 0x30FF) return Script::kKatakana;
  if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
      (c >= 0x20000 && c <= 0x2FFFF)) {
    return Script::kHan;
  }
  return Script::kNone;
}

Result<Script> ParseScript(std::string_view name) {
  std::string known;
  for (const auto& s : kScriptNames) {
    if (name == s.name) return s.script;
    known += (known.empty() ? "" : ", ") + std::string(s.name);
  }
  return InvalidArgumentError("unknown script '" + std::string(name) + "'; known: " + known);
}

Status ScriptOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.StringList("scripts", &scripts));
  KGF_RETURN_IF_ERROR(r.Double("min_share", &min_share, 0, 1));
  KGF_RETURN_IF_ERROR(r.Int("min_letters", &min_letters, 0, 1LL << 40));
  KGF_RETURN_IF_ERROR(r.Double("max_control_share", &max_control_share, 0, 1));
  if (scripts.empty()) return InvalidArgumentError(r.where() + ": 'scripts' must not be empty");
  for (const auto& s : scripts) {
    Result<Script> parsed = ParseScript(s);
    if (!parsed.ok()) return parsed.status().WithContext(r.where() + ": 'scripts'");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ScriptFilter>> ScriptFilter::Create(std::string name, std::string field,
                                                           ScriptOptions options) {
  std::unique_ptr<ScriptFilter> f(new ScriptFilter(std::move(name), std::move(field), options));
  for (const auto& s : options.scripts) {
    KGF_ASSIGN_OR_RETURN(Script script, ParseScript(s));
    f->wanted_mask_ |= 1u << static_cast<int>(script);
  }
  return f;
}

namespace {

// ASCII byte classes: 1 a letter, 2 a C0 control other than \t \n \r.
constexpr std::array<uint8_t, 128> MakeAsciiClass() {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = (c == '\n' || c == '\t' || c == '\r') ? 0 : 2;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 32] = 1;
  return t;
}
constexpr std::array<uint8_t, 128> kAsciiClass = MakeAsciiClass();

}  // namespace

Verdict ScriptFilter::Check(std::string_view text, std::string*, bool*) const {
  int64_t letters = 0, wanted = 0, control = 0, chars = 0;
  const int64_t latin_wanted = (wanted_mask_ >> static_cast<int>(Script::kLatin)) & 1;
  size_t pos = 0;
  while (pos < text.size()) {
    auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {  // ASCII fast path, branch-free: letters and spaces alternate unpredictably
      ++pos;
      ++chars;
      const int cls = kAsciiClass[b];
      letters += cls & 1;
      wanted += (cls & 1) & latin_wanted;
      control += cls >> 1;
      continue;
    }
    uint32_t cp = DecodeUtf8(text, &pos);
    ++chars;
    Script s = ScriptOf(cp);
    if (s == Script::kNone) continue;
    ++letters;
    wanted += (wanted_mask_ >> static_cast<int>(s)) & 1;
  }
  std::ostringstream d;
  if (chars > 0 && static_cast<double>(control) / chars > options_.max_control_share) {
    d << "control characters " << static_cast<double>(control) / chars << " > "
      << options_.max_control_share;
    return Verdict::Drop("control_chars", d.str());
  }
  if (letters < options_.min_letters || letters == 0) {
    d << letters << " letters < " << std::max<int64_t>(options_.min_letters, 1);
    return Verdict::Drop("no_letters", d.str());
  }
  double share = static_cast<double>(wanted) / letters;
  if (share < options_.min_share) {
    d << "letters in the expected scripts " << share << " < " << options_.min_share;
    return Verdict::Drop("script_share", d.str());
  }
  return Verdict::Keep();
}

}  // namespace kgf::filters
