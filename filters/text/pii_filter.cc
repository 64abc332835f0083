// PII redaction; see the header.
#include "filters/text/pii_filter.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <cctype>
#include <functional>

#include "filters/text/text_util.h"

namespace kgf::filters {

Status PiiOptions::Read(OptionReader& r) {
  KGF_RETURN_IF_ERROR(r.Bool("email", &email));
  KGF_RETURN_IF_ERROR(r.Bool("ipv4", &ipv4));
  KGF_RETURN_IF_ERROR(r.Bool("ipv6", &ipv6));
  KGF_RETURN_IF_ERROR(r.Bool("phone", &phone));
  KGF_RETURN_IF_ERROR(r.Bool("card", &card));
  KGF_RETURN_IF_ERROR(r.String("email_placeholder", &email_placeholder));
  KGF_RETURN_IF_ERROR(r.String("ip_placeholder", &ip_placeholder));
  KGF_RETURN_IF_ERROR(r.String("phone_placeholder", &phone_placeholder));
  KGF_RETURN_IF_ERROR(r.String("card_placeholder", &card_placeholder));
  KGF_RETURN_IF_ERROR(r.Bool("prefilter", &prefilter));
  return Status::Ok();
}

bool LuhnValid(std::string_view s) {
  int sum = 0, n = 0;
  for (size_t i = s.size(); i-- > 0;) {
    if (!IsAsciiDigit(s[i])) continue;
    int d = s[i] - '0';
    if (n++ % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return n > 0 && sum % 10 == 0;
}

PiiFilter::PiiFilter(std::string name, std::string field, PiiOptions options)
    : TextFilter(std::move(name), "pii", std::move(field)), options_(std::move(options)) {
  RE2::Options o;
  o.set_log_errors(false);
  email_ = std::make_unique<RE2>(
      R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})", o);
  ipv4_ = std::make_unique<RE2>(
      R"(\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b)",
      o);
  ipv6_ = std::make_unique<RE2>(R"((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})", o);
  phone_ = std::make_unique<RE2>(
      R"((?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?|\b\d{2,4}[ .\-])\d{3,4}[ .\-]\d{3,5}\b)", o);
  card_ = std::make_unique<RE2>(R"(\b(?:\d[ \-]?){12,18}\d\b)", o);
  for (const auto* re : {email_.get(), ipv4_.get(), ipv6_.get(), phone_.get(), card_.get()}) {
    KGF_CHECK(re->ok()) << "PII pattern does not compile: " << re->error();
  }
}

PiiFilter::~PiiFilter() = default;

namespace {

// Replaces every match of `re` in *text accepted by `valid(match, text before the match)` with
// `placeholder`; returns the number replaced.
int64_t Redact(const RE2& re, const std::function<bool(std::string_view, std::string_view)>& valid,
               const std::string& placeholder, std::string* text) {
  std::string out;
  int64_t count = 0;
  size_t pos = 0, copied = 0;
  re2::StringPiece input(*text);
  re2::StringPiece m;
  while (pos <= text->size() &&
         re.Match(input, pos, text->size(), RE2::UNANCHORED, &m, 1)) {
    size_t start = static_cast<size_t>(m.data() - text->data());
    size_t end = start + m.size();
    if (m.empty()) {
      pos = start + 1;
      continue;
    }
    if (valid(std::string_view(m.data(), m.size()), std::string_view(*text).substr(0, start))) {
      out.append(*text, copied, start - copied);
      out += placeholder;
      copied = end;
      ++count;
    }
    pos = end;
  }
  if (count > 0) {
    out.append(*text, copied, std::string::npos);
    *text = std::move(out);
  }
  return count;
}

int CountDigits(std::string_view s) {
  int n = 0;
  for (char c : s) n += IsAsciiDigit(c);
  return n;
}

bool ValidCard(std::string_view s, std::string_view) {
  int n = CountDigits(s);
  return n >= 13 && n <= 19 && LuhnValid(s);
}

bool ValidIpv6(std::string_view s, std::string_view before) {
  // The candidate must start at a token boundary: "Note::" is not the address "e::".
  if (!before.empty() && (IsAsciiAlpha(before.back()) || IsAsciiDigit(before.back()))) return false;
  // At least three non-empty groups: "1::" is a valid address but in text it is a list label
  // ("Section 1::"), not PII.
  int groups = 0;
  for (size_t i = 0; i < s.size(); ++i) groups += s[i] != ':' && (i == 0 || s[i - 1] == ':');
  if (groups < 3) return false;
  std::string z(s);
  unsigned char buf[16];
  return inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

bool ValidPhone(std::string_view s, std::string_view) {
  int n = CountDigits(s);
  if (n < 9 || n > 15) return false;
  bool marked = false;
  for (char c : s) marked |= c == '+' || c == '(' || c == '-' || c == '.';
  return marked;
}

// Necessary conditions for each pattern to match, from one pass over the text. A pattern
// whose condition fails cannot match, so its RE2 scan (which reads every byte) is skipped;
// verdicts are unchanged. Most prose has digits but none of these shapes.
struct Candidates {
  bool email = false;  // an '@'
  bool card = false;   // >= 13 digits joined by at most one ' ' or '-' between digits
  bool ipv4 = false;   // a digit, '.', a digit
  bool ipv6 = false;   // two ':' with at most 4 hex digits between them
  bool phone = false;  // >= 3 digits, one of " .-", >= 3 digits
};

Candidates FindCandidates(std::string_view t) {
  Candidates c;
  const size_t n = t.size();
  c.email = t.find('@') != std::string_view::npos;
  for (size_t p = t.find(':'); p != std::string_view::npos && !c.ipv6; p = t.find(':', p + 1)) {
    size_t q = p + 1;
    while (q < n && q <= p + 4 && std::isxdigit(static_cast<unsigned char>(t[q]))) ++q;
    c.ipv6 = q < n && t[q] == ':';
  }
  int64_t chain = 0;     // digits in the current card-like chain
  size_t prev_end = 0;   // end of the previous digit run (0: none)
  size_t prev_len = 0;   // its length
  for (size_t i = 0; i < n;) {
    if (!IsAsciiDigit(t[i])) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < n && IsAsciiDigit(t[i])) ++i;
    const size_t len = i - b;
    const bool joined = prev_end > 0 && b == prev_end + 1;  // exactly one byte between runs
    const char sep = joined ? t[b - 1] : 0;
    chain = (joined && (sep == ' ' || sep == '-') ? chain : 0) + static_cast<int64_t>(len);
    c.card = c.card || chain >= 13;
    c.ipv4 = c.ipv4 || (joined && sep == '.');
    c.phone = c.phone || (joined && (sep == ' ' || sep == '.' || sep == '-') && prev_len >= 3 &&
                          len >= 3);
    prev_end = i;
    prev_len = len;
  }
  return c;
}

}  // namespace

Verdict PiiFilter::Check(std::string_view text, std::string* rewritten, bool* changed) const {
  const PiiOptions& o = options_;
  const Candidates kAll{true, true, true, true, true};
  Candidates can = o.prefilter ? FindCandidates(text) : kAll;
  if (!can.email && !can.card && !can.ipv4 && !can.ipv6 && !can.phone) return Verdict::Keep();
  std::string t(text);
  Verdict v;
  // A redaction changes the text, so the candidates are recomputed for the later patterns.
  auto count = [&](const char* what, int64_t n) {
    if (n > 0) {
      v.counts.emplace_back(what, n);
      if (o.prefilter) can = FindCandidates(t);
    }
  };
  bool has_digit = false;
  for (char c : t) {
    if (IsAsciiDigit(c)) {
      has_digit = true;
      break;
    }
  }
  auto any = [](std::string_view, std::string_view) { return true; };
  if (o.email && can.email) count("email", Redact(*email_, any, o.email_placeholder, &t));
  if (has_digit) {
    if (o.card && can.card) count("card", Redact(*card_, ValidCard, o.card_placeholder, &t));
    if (o.ipv6 && can.ipv6) count("ipv6", Redact(*ipv6_, ValidIpv6, o.ip_placeholder, &t));
    if (o.ipv4 && can.ipv4) count("ipv4", Redact(*ipv4_, any, o.ip_placeholder, &t));
    if (o.phone && can.phone) count("phone", Redact(*phone_, ValidPhone, o.phone_placeholder, &t));
  }
  if (!v.counts.empty()) {
    for (const auto& [k, n] : v.counts) {
      v.detail += (v.detail.empty() ? "" : " ") + k + "=" + std::to_string(n);
    }
    *rewritten = std::move(t);
    *changed = true;
  }
  return v;
}

}  // namespace kgf::filters
