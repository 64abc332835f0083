// Whole-word matching for the answer-leak rule.
#include "synth/answer_leak.h"

namespace kgf::synth {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualAt(std::string_view h, size_t pos, std::string_view n) {
  for (size_t i = 0; i < n.size(); ++i) {
    if (Lower(h[pos + i]) != Lower(n[i])) return false;
  }
  return true;
}

}  // namespace

bool ContainsWords(std::string_view haystack, std::string_view needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  const bool need_left = IsWordByte(static_cast<unsigned char>(needle.front()));
  const bool need_right = IsWordByte(static_cast<unsigned char>(needle.back()));
  for (size_t pos = 0; pos + needle.size() <= haystack.size(); ++pos) {
    if (!EqualAt(haystack, pos, needle)) continue;
    const size_t end = pos + needle.size();
    const bool left = pos == 0 || !need_left || !IsWordByte(static_cast<unsigned char>(haystack[pos - 1]));
    const bool right = end == haystack.size() || !need_right ||
                       !IsWordByte(static_cast<unsigned char>(haystack[end]));
    if (left && right) return true;
  }
  return false;
}

bool AnswerLeaks(std::string_view question, std::string_view answer,
                 std::span<const std::string> anchor_names) {
  for (const std::string& anchor : anchor_names) {
    if (ContainsWords(anchor, answer)) return false;
  }
  return ContainsWords(question, answer);
}

}  // namespace kgf::synth
