// PII redaction with RE2 (SPEC §2 "PII"): e-mail addresses, IPv4 and IPv6 addresses, phone
// numbers and card-like digit runs that pass the Luhn check are replaced by placeholders and
// counted (counts "email", "ipv4", "ipv6", "phone", "card"). Never drops a record. Order:
// e-mail, card, IPv6, IPv4, phone, so a card number is not counted as a phone number.
// Candidates are validated in code: IPv6 by inet_pton, at a token start, with >= 3
// non-empty groups ("Section 1::" is left alone); cards by length 13..19 and Luhn (ISO/IEC
// 7812-1 annex B); phone numbers need 9..15 digits and a '+', a '(' or '-'/'.' separators
// (plain space-separated numbers such as years are left alone). Cost: one RE2 scan per pattern
// over texts that could contain it (see `prefilter`).
#ifndef KGF_FILTERS_TEXT_PII_FILTER_H_
#define KGF_FILTERS_TEXT_PII_FILTER_H_

#include <memory>
#include <string>

#include "filters/option_reader.h"
#include "filters/text/text_filter.h"

namespace re2 {
class RE2;
}

namespace kgf::filters {

struct PiiOptions {
  bool email = true, ipv4 = true, ipv6 = true, phone = true, card = true;
  std::string email_placeholder = "<EMAIL>";
  std::string ip_placeholder = "<IP_ADDRESS>";
  std::string phone_placeholder = "<PHONE>";
  std::string card_placeholder = "<CARD_NUMBER>";
  // Skip a pattern's RE2 scan when a one-pass check of necessary conditions (an '@'; a digit,
  // '.', a digit; ...) shows it cannot match. Output is identical either way; false only to
  // test that.
  bool prefilter = true;

  Status Read(OptionReader& reader);
};

// Luhn checksum over the digits of `s` (other characters ignored).
bool LuhnValid(std::string_view s);

class PiiFilter : public TextFilter {
 public:
  PiiFilter(std::string name, std::string field, PiiOptions options);
  ~PiiFilter() override;
  Verdict Check(std::string_view text, std::string* rewritten, bool* changed) const override;

 private:
  PiiOptions options_;
  std::unique_ptr<re2::RE2> email_, ipv4_, ipv6_, phone_, card_;
};

}  // namespace kgf::filters

#endif  // KGF_FILTERS_TEXT_PII_FILTER_H_
