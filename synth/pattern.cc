// Pattern table (BetaE structures, SPEC §1) and a tiny parser for the slot programs.
#include "synth/pattern.h"

#include <array>
#include <charconv>
#include <cstdlib>

#include "base/check.h"

namespace kgf::synth {
namespace {

struct PatternInfo {
  Pattern pattern;
  std::string_view name;
  std::string_view structure;  // BetaE create_queries.py tuple notation
  std::string_view program;    // p<slot>(x) projection, i/u intersection/union, n(a,b) = a \ b
  int anchors;
  int relations;
};

constexpr std::array<PatternInfo, kNumPatterns> kPatterns = {{
    {Pattern::k1p, "1p", "(e,(r))", "p0(a0)", 1, 1},
    {Pattern::k2p, "2p", "(e,(r,r))", "p1(p0(a0))", 1, 2},
    {Pattern::k3p, "3p", "(e,(r,r,r))", "p2(p1(p0(a0)))", 1, 3},
    {Pattern::k2i, "2i", "((e,(r)),(e,(r)))", "i(p0(a0),p1(a1))", 2, 2},
    {Pattern::k3i, "3i", "((e,(r)),(e,(r)),(e,(r)))", "i(p0(a0),p1(a1),p2(a2))", 3, 3},
    {Pattern::kIp, "ip", "(((e,(r)),(e,(r))),(r))", "p2(i(p0(a0),p1(a1)))", 2, 3},
    {Pattern::kPi, "pi", "((e,(r,r)),(e,(r)))", "i(p1(p0(a0)),p2(a1))", 2, 3},
    {Pattern::k2u, "2u", "((e,(r)),(e,(r)),(u))", "u(p0(a0),p1(a1))", 2, 2},
    {Pattern::kUp, "up", "(((e,(r)),(e,(r)),(u)),(r))", "p2(u(p0(a0),p1(a1)))", 2, 3},
    {Pattern::k2in, "2in", "((e,(r)),(e,(r,n)))", "n(p0(a0),p1(a1))", 2, 2},
    {Pattern::k3in, "3in", "((e,(r)),(e,(r)),(e,(r,n)))", "n(i(p0(a0),p1(a1)),p2(a2))", 3, 3},
    {Pattern::kInp, "inp", "(((e,(r)),(e,(r,n))),(r))", "p2(n(p0(a0),p1(a1)))", 2, 3},
    {Pattern::kPin, "pin", "((e,(r,r)),(e,(r,n)))", "n(p1(p0(a0)),p2(a1))", 2, 3},
    {Pattern::kPni, "pni", "((e,(r,r,n)),(e,(r)))", "n(p2(a1),p1(p0(a0)))", 2, 3},
}};

const PatternInfo& Info(Pattern p) { return kPatterns[static_cast<int>(p)]; }

// Recursive-descent parse of a program into post-order nodes. Programs are compile-time
// constants above, so malformed input is a bug.
int ParseNode(std::string_view s, size_t* pos, PatternTree* tree) {
  KGF_CHECK(*pos < s.size()) << "truncated pattern program " << s;
  char c = s[(*pos)++];
  QueryNode node;
  auto read_slot = [&] {
    KGF_CHECK(*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') << "slot expected in " << s;
    return s[(*pos)++] - '0';
  };
  switch (c) {
    case 'a':
      node.op = QueryOp::kAnchor;
      node.slot = read_slot();
      break;
    case 'p': node.op = QueryOp::kProject; node.slot = read_slot(); break;
    case 'i': node.op = QueryOp::kIntersect; break;
    case 'u': node.op = QueryOp::kUnion; break;
    case 'n': node.op = QueryOp::kNegate; break;
    default: KGF_CHECK(false) << "bad pattern program " << s;
  }
  if (node.op != QueryOp::kAnchor) {
    KGF_CHECK(s[(*pos)++] == '(') << s;
    while (true) {
      node.children.push_back(ParseNode(s, pos, tree));
      char d = s[(*pos)++];
      if (d == ')') break;
      KGF_CHECK(d == ',') << s;
    }
  }
  tree->nodes.push_back(std::move(node));
  return static_cast<int>(tree->nodes.size()) - 1;
}

std::array<PatternTree, kNumPatterns> BuildTrees() {
  std::array<PatternTree, kNumPatterns> trees;
  for (const PatternInfo& info : kPatterns) {
    PatternTree& tree = trees[static_cast<int>(info.pattern)];
    size_t pos = 0;
    tree.root = ParseNode(info.program, &pos, &tree);
    KGF_CHECK(pos == info.program.size()) << info.program;
  }
  return trees;
}

constexpr std::array<Pattern, kNumPatterns> kAll = {
    Pattern::k1p, Pattern::k2p, Pattern::k3p, Pattern::k2i,  Pattern::k3i,
    Pattern::kIp, Pattern::kPi, Pattern::k2u, Pattern::kUp,  Pattern::k2in,
    Pattern::k3in, Pattern::kInp, Pattern::kPin, Pattern::kPni};

}  // namespace

std::string ValidNames() {
  std::string out;
  for (const PatternInfo& info : kPatterns) {
    if (!out.empty()) out += " ";
    out += info.name;
  }
  return out;
}

std::span<const Pattern> AllPatterns() { return kAll; }
std::string_view PatternName(Pattern p) { return Info(p).name; }
std::string_view PatternStructure(Pattern p) { return Info(p).structure; }
std::string_view PatternProgram(Pattern p) { return Info(p).program; }
bool IsNegative(Pattern p) { return Info(p).program.find('n') != std::string_view::npos; }
int NumAnchors(Pattern p) { return Info(p).anchors; }
int NumRelations(Pattern p) { return Info(p).relations; }

Result<Pattern> ParsePattern(std::string_view name) {
  for (const PatternInfo& info : kPatterns) {
    if (info.name == name) return info.pattern;
  }
  return InvalidArgumentError("unknown pattern '" + std::string(name) +
                              "'; valid patterns: " + ValidNames() +
                              " (or the groups all, positive, negative)");
}

Result<std::vector<double>> ParsePatternMix(std::string_view spec) {
  std::vector<double> weights(kNumPatterns, 0.0);
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = spec.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    start = end + 1;
    if (item.empty()) continue;
    double weight = 1.0;
    if (size_t colon = item.find(':'); colon != std::string_view::npos) {
      std::string w(item.substr(colon + 1));
      char* endp = nullptr;
      weight = std::strtod(w.c_str(), &endp);
      if (w.empty() || *endp != '\0' || !(weight >= 0.0)) {
        return InvalidArgumentError("pattern mix '" + std::string(spec) + "': weight '" + w +
                                    "' of '" + std::string(item) +
                                    "' is not a non-negative number; write NAME:WEIGHT, e.g. 2i:0.5");
      }
      item = item.substr(0, colon);
    }
    if (item == "all" || item == "positive" || item == "negative") {
      for (Pattern p : kAll) {
        if (item == "all" || (item == "negative") == IsNegative(p)) {
          weights[static_cast<int>(p)] = weight;
        }
      }
      continue;
    }
    Result<Pattern> p = ParsePattern(item);
    if (!p.ok()) return p.status().WithContext("pattern mix '" + std::string(spec) + "'");
    weights[static_cast<int>(*p)] = weight;
  }
  double total = 0;
  for (double w : weights) total += w;
  if (total <= 0) {
    return InvalidArgumentError("pattern mix '" + std::string(spec) +
                                "' selects no pattern; name at least one, e.g. 1p,2p,2i");
  }
  return weights;
}

bool IsQuotaSpec(std::string_view spec) { return spec.find('=') != std::string_view::npos; }

Result<std::vector<uint64_t>> ParsePatternQuotas(std::string_view spec) {
  std::vector<uint64_t> quotas(kNumPatterns, 0);
  uint64_t total = 0;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = spec.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    start = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string n(eq == std::string_view::npos ? "" : item.substr(eq + 1));
    char* endp = nullptr;
    unsigned long long count = n.empty() ? 0 : std::strtoull(n.c_str(), &endp, 10);
    if (eq == std::string_view::npos || n.empty() || *endp != '\0' || n[0] == '-') {
      return InvalidArgumentError("pattern quotas '" + std::string(spec) + "': item '" +
                                  std::string(item) +
                                  "' must be NAME=COUNT with a whole number, e.g. 2i=500");
    }
    Result<Pattern> p = ParsePattern(item.substr(0, eq));
    if (!p.ok()) return p.status().WithContext("pattern quotas '" + std::string(spec) + "'");
    quotas[static_cast<int>(*p)] = count;
    total += count;
  }
  if (total == 0) {
    return InvalidArgumentError("pattern quotas '" + std::string(spec) +
                                "' ask for no records; give at least one positive COUNT");
  }
  return quotas;
}

const PatternTree& TreeOf(Pattern p) {
  static const std::array<PatternTree, kNumPatterns> trees = BuildTrees();
  return trees[static_cast<int>(p)];
}

}  // namespace kgf::synth
