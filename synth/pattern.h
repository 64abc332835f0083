// The 14 BetaE/Query2Box query patterns (SPEC §1): names, structures and operator trees.
// A pattern's tree has numbered slots: anchors e1..e3 and relations r1..r3 in the order of the
// SPEC table's tool chain, so (pattern, anchors, relations) fully determines a grounded query.
#ifndef KGF_SYNTH_PATTERN_H_
#define KGF_SYNTH_PATTERN_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kgf::synth {

enum class Pattern : uint8_t {
  k1p, k2p, k3p, k2i, k3i, kIp, kPi, k2u, kUp, k2in, k3in, kInp, kPin, kPni,
};
inline constexpr int kNumPatterns = 14;

// All 14 in SPEC order.
std::span<const Pattern> AllPatterns();
std::string_view PatternName(Pattern p);       // "2in"
std::string_view PatternStructure(Pattern p);  // BetaE tuple, "((e,(r)),(e,(r,n)))"
// Operator program with slots, e.g. "n(p0(a0),p1(a1))" for 2in (see QueryOp).
std::string_view PatternProgram(Pattern p);
bool IsNegative(Pattern p);
int NumAnchors(Pattern p);
int NumRelations(Pattern p);

// "2in" -> Pattern. Error names the bad value and lists the valid ones.
Result<Pattern> ParsePattern(std::string_view name);
// "1p 2p 3p ... pni", for messages.
std::string ValidNames();

// Pattern mix: comma-separated items "NAME" or "NAME:WEIGHT", or the groups "all",
// "positive", "negative". Returns one weight per pattern (index = enum value); at least one > 0.
Result<std::vector<double>> ParsePatternMix(std::string_view spec);

// Pattern quotas: comma-separated "NAME=COUNT" items, e.g. "1p=500,2in=100". Returns one count
// per pattern (index = enum value); the total must be > 0.
Result<std::vector<uint64_t>> ParsePatternQuotas(std::string_view spec);
// True when `spec` is written as quotas (contains '=').
bool IsQuotaSpec(std::string_view spec);

// Operator tree of a pattern. Nodes are stored parent-after-children (post-order), root last.
enum class QueryOp : uint8_t {
  kAnchor,     // the anchor entity in slot `slot`
  kProject,    // relation in slot `slot` applied to every entity of children[0], union of tails
  kIntersect,  // intersection of 2 or 3 children
  kUnion,      // union of 2 children
  kNegate,     // children[0] \ children[1] (contextual difference, never a global complement)
};

struct QueryNode {
  QueryOp op;
  int slot = -1;               // anchor slot (kAnchor) or relation slot (kProject)
  std::vector<int> children;   // node indices
};

struct PatternTree {
  std::vector<QueryNode> nodes;  // post-order
  int root = -1;
};

// The tree of pattern p; lives for the program's lifetime. Thread-safe.
const PatternTree& TreeOf(Pattern p);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_PATTERN_H_
