// Constrained decoding of tool calls (call_constraint.h).
#include "eval/call_constraint.h"

#include <algorithm>
#include <limits>

namespace kgf::eval {
namespace {

// True when some name in `sorted` starts with `prefix`.
bool AnyStartsWith(const std::vector<std::string>& sorted, std::string_view prefix) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), prefix,
                             [](const std::string& a, std::string_view b) { return a < b; });
  return it != sorted.end() && std::string_view(*it).substr(0, prefix.size()) == prefix;
}

bool Contains(const std::vector<std::string>& sorted, std::string_view s) {
  return std::binary_search(sorted.begin(), sorted.end(), s,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

}  // namespace

CallConstraint::CallConstraint(const corpus::Tokenizer& tokenizer,
                               std::vector<std::string> entity_names)
    : tokenizer_(tokenizer), names_(std::move(entity_names)) {
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
  pieces_.resize(tokenizer.vocab_size());
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.IsSpecial(id)) continue;
    const int32_t one[1] = {id};
    Result<std::string> text = tokenizer.Decode(one);
    // A byte-fallback token alone decodes to a replacement character: never allowed inside a
    // constrained string (names are spelled by the pieces that cover them).
    if (text.ok() && text->find("\xEF\xBF\xBD") == std::string::npos) pieces_[id] = *text;
  }
}

CallConstraint::Slot CallConstraint::Locate(std::string_view text, std::string* partial) {
  // A small JSON scanner over the call so far: containers, whether an object expects a key,
  // the key each value belongs to, and whether we are inside "arguments".
  struct Frame {
    char kind;          // '{' or '['
    bool expect_key;    // objects: the next string is a key
    std::string key;    // objects: the key of the value being written
    bool in_arguments;  // inside the "arguments" object (at any depth)
  };
  std::vector<Frame> stack;
  bool in_string = false, escaped = false, string_is_key = false;
  std::string current;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
        current.push_back(c);
      } else if (c == '\\') {
        escaped = true;
        current.push_back(c);
      } else if (c == '"') {
        in_string = false;
        if (string_is_key && !stack.empty()) stack.back().key = current;
      } else {
        current.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '{':
      case '[': {
        const bool args = !stack.empty() &&
                          (stack.back().in_arguments ||
                           (stack.back().kind == '{' && stack.back().key == "arguments" &&
                            stack.size() == 1));
        stack.push_back({c, c == '{', "", args});
        break;
      }
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ':':
        if (!stack.empty() && stack.back().kind == '{') stack.back().expect_key = false;
        break;
      case ',':
        if (!stack.empty() && stack.back().kind == '{') stack.back().expect_key = true;
        break;
      case '"':
        in_string = true;
        escaped = false;
        current.clear();
        string_is_key = !stack.empty() && stack.back().kind == '{' && stack.back().expect_key;
        break;
      default:
        break;
    }
  }
  if (!in_string || string_is_key || stack.empty() || escaped) return Slot::kNone;
  if (current.find('\\') != std::string::npos) return Slot::kNone;
  *partial = current;
  const Frame& f = stack.back();
  if (f.in_arguments) return Slot::kArgument;
  if (stack.size() == 1 && f.kind == '{' && f.key == "name") return Slot::kToolName;
  return Slot::kNone;
}

std::vector<std::string> CallConstraint::NamesIn(std::string_view text) const {
  std::vector<std::string> out;
  for (const std::string& n : names_) {
    if (!n.empty() && text.find(n) != std::string_view::npos) out.push_back(n);
  }
  return out;  // names_ is sorted, so out is too
}

void CallConstraint::Apply(std::span<const int32_t> generated,
                           const std::vector<std::string>& tool_names,
                           const std::vector<std::string>& argument_names,
                           std::span<float> logits) const {
  // The call being written: the tokens after the last <tool_call> that is still open.
  const int32_t open = corpus::SpecialId(corpus::Special::kToolCallOpen);
  const int32_t close = corpus::SpecialId(corpus::Special::kToolCallClose);
  size_t start = 0;
  bool in_call = false;
  for (size_t i = generated.size(); i-- > 0;) {
    if (generated[i] == close) return;
    if (generated[i] == open) {
      start = i + 1;
      in_call = true;
      break;
    }
  }
  if (!in_call) return;
  std::string text;
  for (size_t i = start; i < generated.size(); ++i) {
    const size_t id = static_cast<size_t>(generated[i]);
    if (id < pieces_.size()) text += pieces_[id];
  }
  std::string partial;
  const Slot slot = Locate(text, &partial);
  if (slot == Slot::kNone) return;
  std::vector<std::string> tools;
  const std::vector<std::string>* names = &argument_names;
  if (slot == Slot::kToolName) {
    tools = tool_names;
    std::sort(tools.begin(), tools.end());
    names = &tools;
  }
  const float kNeg = -std::numeric_limits<float>::infinity();
  bool any = false;
  std::vector<char> allowed(logits.size(), 0);
  for (size_t id = 0; id < logits.size() && id < pieces_.size(); ++id) {
    const std::string& p = pieces_[id];
    if (p.empty()) continue;
    const size_t quote = p.find('"');
    if (quote == std::string::npos) {
      allowed[id] = AnyStartsWith(*names, partial + p);
    } else {
      // The string closes inside this token: what it spelled must be a whole name.
      allowed[id] = Contains(*names, partial + p.substr(0, quote));
    }
    any = any || allowed[id];
  }
  if (!any) return;  // nothing fits: leave the model alone (the call will fail and be scored)
  for (size_t id = 0; id < logits.size(); ++id) {
    if (!allowed[id]) logits[id] = kNeg;
  }
}

}  // namespace kgf::eval
