// PiiFilter: the prefilter (skipping RE2 scans that cannot match) never changes the output.
// Random texts dense in digits, separators, '@', ':' and hex so every pattern and its
// near misses occur; outputs and counts with and without the prefilter must be identical.
#include "filters/text/pii_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/rng.h"

namespace kgf::filters {
namespace {

std::string PiiLikeText(Rng& rng) {
  static const char* kPieces[] = {
      "4111 1111 1111 1111", "4111-1111-1111-1112", "378282246310005", "555-123-4567",
      "(555) 123 4567",      "+44 20 7946 0958",   "555.123.4567",    "192.168.0.1",
      "10.0.0",              "fe80::1:2:3",        "2001:db8::8a2e:370:7334", "1::",
      "a@b.co",              "bob.smith@example.com", "x@y",          "Note::",
      "12:30",               "1961",               "$3,000",          "no. 7",
      "ab:cd:ef",            "-",                  ".",               ":",
      "@",                   "(",                  ")",               "+"};
  std::string text;
  const int n = static_cast<int>(rng.Uniform(25));
  for (int i = 0; i < n; ++i) {
    switch (rng.Uniform(4)) {
      case 0:
        text += std::to_string(rng.Uniform(100000));
        break;
      case 1:
        text += "word";
        break;
      default:
        text += kPieces[rng.Uniform(std::size(kPieces))];
    }
    static const char* kSep[] = {" ", "", "-", ".", ":", "\n", " - "};
    text += kSep[rng.Uniform(std::size(kSep))];
  }
  return text;
}

TEST(PiiFilterTest, PrefilterNeverChangesTheOutput) {
  PiiOptions on, off;
  off.prefilter = false;
  // Placeholders with digits, ':' and '@' make redactions create new candidates.
  for (PiiOptions* o : {&on, &off}) {
    o->email_placeholder = "1234567";
    o->card_placeholder = "a::b";
  }
  PiiFilter fast("pii", "text", on), slow("pii", "text", off);
  std::map<std::string, int64_t> seen;
  for (uint64_t seed = 0; seed < 5000; ++seed) {
    Rng rng(seed);
    const std::string text = PiiLikeText(rng);
    std::string out_fast, out_slow;
    bool changed_fast = false, changed_slow = false;
    Verdict a = fast.Check(text, &out_fast, &changed_fast);
    Verdict b = slow.Check(text, &out_slow, &changed_slow);
    ASSERT_EQ(changed_fast, changed_slow) << "seed " << seed << ": " << text;
    ASSERT_EQ(out_fast, out_slow) << "seed " << seed << ": " << text;
    ASSERT_EQ(a.counts, b.counts) << "seed " << seed << ": " << text;
    for (const auto& [k, n] : a.counts) seen[k] += n;
  }
  for (const char* k : {"email", "card", "ipv4", "ipv6", "phone"}) EXPECT_GT(seen[k], 0) << k;
}

}  // namespace
}  // namespace kgf::filters
