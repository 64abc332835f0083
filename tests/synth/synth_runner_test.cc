#include "synth/synth_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "base/file_util.h"
#include "base/hash.h"
#include "base/line_reader.h"
#include "base/json.h"
#include "base/rng.h"
#include "kg/graph_relabel.h"
#include "synth/query.h"
#include "tests/synth/record_checks.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"

namespace kgf::synth {
namespace {

using kgf::testing::ListFilesRecursive;
using kgf::testing::TempDir;

// name -> bytes of every file in dir.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::vector<std::string> names = *ListDirectory(dir);
  for (const std::string& name : names) out[name] = *ReadFileToString(JoinPath(dir, name));
  return out;
}

JsonDoc ManifestOf(const TempDir& d) {
  return std::move(ParseJson(*ReadFileToString(d.File("manifest.json")), "manifest").value());
}

std::vector<Record> ReadAll(const std::string& dir) {
  std::vector<Record> out;
  std::vector<std::string> names = *ListDirectory(dir);
  for (const std::string& name : names) {
    if (!EndsWith(name, ".jsonl.zst")) continue;
    auto reader = LineReader::Open(JoinPath(dir, name), 64 << 20);
    KGF_CHECK(reader.ok());
    std::string line;
    while ((*reader)->Next(&line)) out.push_back(*RecordFromJson(line, (*reader)->Where()));
    KGF_CHECK((*reader)->status().ok());
  }
  return out;
}

// The lines of one shard file, sorted.
std::multiset<std::string> ShardLines(const std::string& path) {
  std::multiset<std::string> out;
  auto reader = LineReader::Open(path, 64 << 20);
  KGF_CHECK(reader.ok());
  std::string line;
  while ((*reader)->Next(&line)) out.insert(line);
  KGF_CHECK((*reader)->status().ok());
  return out;
}

// What identifies a record's query: pattern, anchors, relations and their directions.
std::string QueryIdentity(const Record& r) {
  std::string s = r.pattern + "|" + r.program;
  for (const AnchorRef& a : r.anchors) s += "|a:" + a.key;
  for (size_t i = 0; i < r.relations.size(); ++i) {
    s += "|r:" + r.relations[i] + (i < r.inverse.size() && r.inverse[i] ? "^-1" : "");
  }
  return s;
}

JsonDoc Manifest(const TempDir& dir) {
  auto doc = ParseJson(*ReadFileToString(dir.File("manifest.json")), "manifest");
  KGF_CHECK(doc.ok()) << doc.status().ToString();
  return std::move(doc).value();
}

// The runner's contract (synth_runner.h) run the slow, obvious way, for quotas: shards in order,
// every stream from its first attempt, a set of the canonical query strings kept so far.
// Returns each shard's record lines.
std::vector<std::multiset<std::string>> NaiveQuotaRun(const kg::Graph& graph, const KgRef& kg,
                                                      const SynthOptions& o,
                                                      const std::vector<uint64_t>& quotas) {
  uint64_t count = 0;
  for (uint64_t q : quotas) count += q;
  QuerySampler sampler = *QuerySampler::Create(graph, o.sampler);
  OutcomeShaper shaper(graph, o.outcomes, o.sampler);
  ToolCatalog catalog = *ToolCatalog::Build(graph);
  DialogueRenderer renderer(graph, catalog, o.render, kg);
  const uint64_t stride = (o.shard_size + kNumPatterns) * o.max_attempts_per_record;
  std::set<std::string> kept;  // K(s)
  std::vector<std::multiset<std::string>> shards;
  for (uint64_t s = 0; s * o.shard_size < count; ++s) {
    const uint64_t lo = s * o.shard_size, hi = std::min(lo + o.shard_size, count);
    std::multiset<std::string> lines;
    std::vector<std::string> keys;
    for (int p = 0; p < kNumPatterns; ++p) {
      const uint64_t want = quotas[p] * hi / count - quotas[p] * lo / count;
      std::set<std::string> seen;
      uint64_t got = 0;
      for (uint64_t j = 0; got < want && j < want * o.max_attempts_per_record; ++j) {
        const uint64_t index = (s * kNumPatterns + p) * stride + j;
        Rng rng = Rng::ForItem(o.seed, index);
        SampleOutcome sample = sampler.Sample(static_cast<Pattern>(p), rng);
        if (!sample.query) continue;
        // A sampled query gives one record whatever its outcome: the query as drawn (base) and
        // the one the shaper made of it (key) are both used up by a record.
        const std::string base = QueryKey(graph, *sample.query);
        shaper.Shape(&sample, rng);
        const std::string key = QueryKey(graph, *sample.query);
        if (seen.count(key) != 0 || seen.count(base) != 0) continue;
        seen.insert(key);
        Split split = QuerySplit(graph, sample.query->anchors,
                                 ResolveSplit(o.split, graph.num_entities()));
        std::optional<Record> record =
            renderer.Render(sample, SplitName(split), o.seed, index, rng);
        if (!record) continue;
        seen.insert(base);
        if (kept.count(key) != 0 || kept.count(base) != 0) continue;
        lines.insert(RecordToJson(*record));
        keys.push_back(key);
        keys.push_back(base);
        ++got;
      }
    }
    kept.insert(keys.begin(), keys.end());
    shards.push_back(std::move(lines));
  }
  return shards;
}

// A line of nodes n0 - n1 - ... over one relation: every hop reaches exactly one entity, so
// no negation can remove anything (2in, 3in, ... are unfillable) while 1p has 2(n-1) queries.
kg::Graph LineGraph(uint32_t n) {
  std::vector<kg::EntityInfo> e;
  std::vector<kg::Triple> t;
  for (uint32_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "Stop %04u", i);
    e.push_back({"s" + std::to_string(i), name, "stop", {}});
    if (i > 0) t.push_back({kg::EntityId(i - 1), kg::RelationId(0), kg::EntityId(i)});
  }
  return std::move(kg::Graph::Build(std::move(e), {{"next", "next", "", "stop", "stop", "", ""}},
                                    std::move(t)))
      .value();
}

kg::Graph ChainGraph() {
  return std::move(kg::Graph::Build({{"a", "A", "", {}}, {"b", "B", "", {}}, {"c", "C", "", {}}},
                                    {{"r", "r", "", "", "", "", ""}},
                                    {{kg::EntityId(0), kg::RelationId(0), kg::EntityId(1)},
                                     {kg::EntityId(1), kg::RelationId(0), kg::EntityId(2)}}))
      .value();
}

SynthOptions SmallOptions(const std::string& out) {
  SynthOptions o;
  o.out_dir = out;
  o.count = 600;
  o.shard_size = 150;
  o.seed = 42;
  return o;
}

class SynthRunnerTest : public ::testing::Test {
 protected:
  SynthRunnerTest() : graph_(testing::RandomGraph(21)) {}
  Result<SynthSummary> Run(const SynthOptions& o) { return RunOn(graph_, o); }
  static Result<SynthSummary> RunOn(const kg::Graph& graph, const SynthOptions& o) {
    dist::LocalCommunicator comm;
    return RunSynth(graph, {"random", "xxh3:feed"}, o, comm);
  }
  kg::Graph graph_;
};

TEST_F(SynthRunnerTest, ParallelEqualsSerialByteForByte) {
  TempDir a, b, c;
  SynthOptions o = SmallOptions(a.path());
  o.threads = 1;
  auto s1 = Run(o);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  o.out_dir = b.path();
  o.threads = 2;
  auto s2 = Run(o);
  ASSERT_TRUE(s2.ok());
  o.out_dir = c.path();
  o.threads = 4;
  ASSERT_TRUE(Run(o).ok());
  EXPECT_EQ(s1->counts.records, 600u);
  EXPECT_GT(s1->counts.cross_shard_duplicates, 0u) << "the test should exercise cross-shard dedup";
  EXPECT_EQ(Snapshot(a.path()), Snapshot(b.path()));
  EXPECT_EQ(Snapshot(a.path()), Snapshot(c.path()));
  EXPECT_EQ(ListFilesRecursive(a.path()),
            "manifest.json\nrun.json\nshard-00000.jsonl.zst\nshard-00000.stats.json\n"
            "shard-00001.jsonl.zst\nshard-00001.stats.json\nshard-00002.jsonl.zst\n"
            "shard-00002.stats.json\nshard-00003.jsonl.zst\nshard-00003.stats.json\ntools.json\n")
      << ListFilesRecursive(a.path());
}

TEST_F(SynthRunnerTest, ManySmallShardsAreByteIdenticalForAnyThreadCount) {
  TempDir a, b, c;
  SynthOptions o = SmallOptions(a.path());
  o.count = 500;
  o.shard_size = 30;  // 17 shards, the last one of 20
  o.patterns = "1p:3,2p,2i,pin";  // 1p has the fewest distinct queries: dedup has work to do
  o.threads = 1;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards, 17u);
  EXPECT_EQ(s->counts.records, 500u);
  EXPECT_GT(s->counts.cross_shard_duplicates, 10u);
  o.out_dir = b.path();
  o.threads = 2;
  ASSERT_TRUE(Run(o).ok());
  o.out_dir = c.path();
  o.threads = 4;
  ASSERT_TRUE(Run(o).ok());
  const auto want = Snapshot(a.path());
  EXPECT_EQ(want.size(), 2u * 17 + 3);  // no attempts files left behind
  EXPECT_EQ(Snapshot(b.path()), want);
  EXPECT_EQ(Snapshot(c.path()), want);
}

TEST_F(SynthRunnerTest, NoQueryTwiceAcrossShards) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.count = 800;
  o.shard_size = 50;
  o.patterns = "1p:3,2p,2i,ip";  // 1p has the fewest distinct queries: dedup has work to do
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->counts.cross_shard_duplicates, 10u);
  std::vector<Record> records = ReadAll(a.path());
  ASSERT_EQ(records.size(), 800u);
  std::map<std::string, uint64_t> first_index;
  for (const Record& r : records) {
    auto [it, fresh] = first_index.emplace(QueryIdentity(r), r.index);
    EXPECT_TRUE(fresh) << "query " << it->first << " in items " << it->second << " and " << r.index;
  }
}

TEST_F(SynthRunnerTest, SelectionEqualsTheNaiveSequentialRun) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p=90,2p=40,2i=50,ip=30,pin=20";
  o.shard_size = 40;  // 6 shards
  o.threads = 2;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->counts.cross_shard_duplicates, 0u);
  std::vector<std::multiset<std::string>> want = NaiveQuotaRun(
      graph_, {"random", "xxh3:feed"}, o, *ParsePatternQuotas(o.patterns));
  ASSERT_EQ(want.size(), 6u);
  for (size_t sh = 0; sh < want.size(); ++sh) {
    EXPECT_EQ(ShardLines(a.File(ShardFileName(sh))), want[sh]) << "shard " << sh;
  }
}

// Near the graph's distinct queries, with many reshaped samples: the base keys decide which
// draws are duplicates, within a stream, across shards, after a resume (attempt files of the
// unfinished shards, stats of the finished ones) and for any thread count.
TEST_F(SynthRunnerTest, NearExhaustionSelectionEqualsTheNaiveRunAndResumes) {
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p=1210";  // of 1,231 this layout can fill
  o.shard_size = 100;  // 13 shards
  o.max_attempts_per_record = 100;
  o.outcomes.no_answer_share = 0.5;  // ~20% of the records are reshaped
  o.threads = 2;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->counts.cross_shard_duplicates, 1000u);
  EXPECT_GT(s->counts.outcomes[static_cast<int>(RecordOutcome::kNoAnswer)], 150u);
  std::vector<std::multiset<std::string>> want = NaiveQuotaRun(
      graph_, {"random", "xxh3:feed"}, o, *ParsePatternQuotas(o.patterns));
  ASSERT_EQ(want.size(), 13u);
  auto stats_name = [](size_t sh) {
    std::string name = ShardFileName(sh);
    return name.substr(0, name.find('.')) + ".stats.json";
  };
  bool any_base_keys = false;
  for (size_t sh = 0; sh < want.size(); ++sh) {
    EXPECT_EQ(ShardLines(a.File(ShardFileName(sh))), want[sh]) << "shard " << sh;
    any_base_keys |= ReadFileToString(a.File(stats_name(sh)))->find("\"base_keys\":\"\"") ==
                     std::string::npos;
  }
  EXPECT_TRUE(any_base_keys);
  // One thread, killed after every shard was written once: the middle shards and the
  // manifest are gone, and the rerun rebuilds them from the attempts and the finished stats.
  o.out_dir = b.path();
  o.threads = 1;
  ASSERT_TRUE(Run(o).ok());
  ASSERT_TRUE(RemoveFile(b.File("manifest.json")).ok());
  for (int sh : {3, 4, 8}) {
    ASSERT_TRUE(RemoveFile(b.File(ShardFileName(sh))).ok());
    ASSERT_TRUE(RemoveFile(b.File(stats_name(sh))).ok());
  }
  auto resumed = Run(o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->shards_reused, 10u);
  EXPECT_EQ(Snapshot(b.path()), Snapshot(a.path()));
}

// The facts a record's query reads, re-executed from the record's keys and directions.
std::vector<kg::Triple> RecordFacts(const kg::Graph& g, const Record& r) {
  Query q;
  q.pattern = *ParsePattern(r.pattern);
  for (const AnchorRef& a : r.anchors) q.anchors.push_back(*g.FindEntityByKey(a.key));
  for (const std::string& k : r.relations) q.relations.push_back(*g.FindRelationByKey(k));
  q.inverse = r.inverse;
  return QueryFacts(g, q, ExecuteQueryNodes(g, q));
}

TEST_F(SynthRunnerTest, HeldOutFactsAreNeverReadByTrainRecordsAndOverlapIsCounted) {
  for (bool by_facts : {false, true}) {
    TempDir a;
    SynthOptions o = SmallOptions(a.path());
    o.split.by_facts = by_facts;
    o.split.test_fraction = 0.02;
    auto sum = Run(o);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    std::set<kg::Triple> train_facts;
    std::vector<std::vector<kg::Triple>> test_facts;
    for (const Record& r : ReadAll(a.path())) {
      std::vector<kg::Triple> facts = RecordFacts(graph_, r);
      if (by_facts) {
        Split worst = Split::kTrain;
        for (const kg::Triple& t : facts) worst = std::max(worst, FactSplit(graph_, t, o.split));
        EXPECT_EQ(r.split, SplitName(worst)) << r.id;
      }
      if (r.split == "train") train_facts.insert(facts.begin(), facts.end());
      if (r.split == "test") test_facts.push_back(std::move(facts));
    }
    ASSERT_FALSE(test_facts.empty());
    uint64_t covered = 0;
    for (const auto& f : test_facts) {
      bool all = true;
      for (const kg::Triple& t : f) all = all && train_facts.count(t) > 0;
      covered += all;
    }
    EXPECT_EQ(sum->counts.TestRecordsWithOnlyTrainFacts(), covered) << by_facts;
    if (by_facts) EXPECT_EQ(covered, 0u) << "a test fact is read by a train record";
  }
}

// A counterfactual copy (kg relabel) with --train-only: every record is train, the held-out
// samples are counted as held_out, and no record reads a fact whose keys make it a held-out
// fact of the original graph (the key-hashed fact split is the same in every copy).
TEST_F(SynthRunnerTest, TrainOnlyCopyNeverReadsAFactTheOriginalHoldsOut) {
  const kg::Graph copy = std::move(kg::RelabelGraph(graph_, 7)).value();
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.split.by_facts = true;
  o.split.valid_fraction = 0.05;
  o.split.test_fraction = 0.1;
  o.split.train_only = true;
  dist::LocalCommunicator comm;
  auto sum = RunSynth(copy, {"copy", "xxh3:c0b1"}, o, comm);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GT(sum->counts.Rejections(RejectReason::kHeldOut), 0u);
  std::vector<Record> records = ReadAll(a.path());
  ASSERT_EQ(records.size(), o.count);
  for (const Record& r : records) {
    EXPECT_EQ(r.split, "train") << r.id;
    for (const kg::Triple& t : RecordFacts(copy, r)) {
      auto h = graph_.FindEntityByKey(copy.entity(t.head).key);
      auto tl = graph_.FindEntityByKey(copy.entity(t.tail).key);
      ASSERT_TRUE(h && tl);
      const kg::Triple in_original{*h, t.relation, *tl};
      const auto tails = graph_.Tails(*h, t.relation);
      if (std::find(tails.begin(), tails.end(), *tl) == tails.end()) continue;
      EXPECT_EQ(FactSplit(graph_, in_original, o.split), Split::kTrain) << r.id;
    }
  }
  // Without train_only the same copy yields held-out records.
  TempDir b;
  o.out_dir = b.path();
  o.split.train_only = false;
  auto all = RunSynth(copy, {"copy", "xxh3:c0b1"}, o, comm);
  ASSERT_TRUE(all.ok());
  size_t held_out = 0;
  for (const Record& r : ReadAll(b.path())) held_out += r.split != "train";
  EXPECT_GT(held_out, 0u);
}

TEST_F(SynthRunnerTest, RecordsVerifyAndSplitsHoldOut) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.split.valid_fraction = 0.15;
  o.split.test_fraction = 0.15;
  ASSERT_TRUE(Run(o).ok());
  std::vector<Record> records = ReadAll(a.path());
  ASSERT_EQ(records.size(), 600u);
  ToolCatalog cat = *ToolCatalog::Build(graph_);
  std::map<std::string, std::set<std::string>> anchors_by_split;
  std::set<std::string> ids;
  for (const Record& r : records) {
    testing::ExpectRecordVerifies(graph_, cat, r);
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    for (const AnchorRef& a : r.anchors) anchors_by_split[r.split].insert(a.key);
    EXPECT_EQ(r.kg_name, "random");
    EXPECT_EQ(r.kg_checksum, "xxh3:feed");
  }
  ASSERT_GT(anchors_by_split["test"].size(), 0u);
  ASSERT_GT(anchors_by_split["valid"].size(), 0u);
  // Held-out anchors (their own split is test/valid) never anchor a less held-out query.
  for (const auto& [split, keys] : anchors_by_split) {
    for (const std::string& k : keys) {
      Split own = EntitySplit(k, ResolveSplit(o.split, graph_.num_entities()));
      EXPECT_LE(static_cast<int>(own), static_cast<int>(split == "train" ? Split::kTrain
                                                       : split == "valid" ? Split::kValid
                                                                          : Split::kTest))
          << k << " in " << split;
    }
  }
  // The query's split is the most held-out split of its anchors.
  for (const Record& r : records) {
    Split worst = Split::kTrain;
    for (const AnchorRef& a : r.anchors) {
      worst = std::max(worst, EntitySplit(a.key, ResolveSplit(o.split, graph_.num_entities())));
    }
    EXPECT_EQ(r.split, SplitName(worst));
  }
}

// --set-arguments refs: the manifest and tools.json say so, the same queries come out (only
// the set calls' arguments and the set tools' texts differ), and every record re-executes.
TEST_F(SynthRunnerTest, ResultReferencesChangeOnlyTheSetCalls) {
  TempDir a, b;
  SynthOptions lists = SmallOptions(a.path());
  SynthOptions refs = SmallOptions(b.path());
  refs.render.result_refs = true;
  ASSERT_TRUE(Run(lists).ok());
  ASSERT_TRUE(Run(refs).ok());
  EXPECT_STREQ(ManifestOf(a)["options"]["set_arguments"].GetString(), "lists");
  EXPECT_STREQ(ManifestOf(b)["options"]["set_arguments"].GetString(), "refs");
  EXPECT_NE(ManifestOf(a)["fingerprint"].GetString(), std::string(ManifestOf(b)["fingerprint"].GetString()));
  EXPECT_NE(ReadFileToString(b.File("tools.json"))->find("k-th tool call"), std::string::npos);
  std::vector<Record> with_lists = ReadAll(a.path()), with_refs = ReadAll(b.path());
  ASSERT_EQ(with_lists.size(), with_refs.size());
  ToolCatalog cat = *ToolCatalog::Build(graph_, {.result_refs = true});
  int differ = 0;
  for (size_t i = 0; i < with_refs.size(); ++i) {
    testing::ExpectRecordVerifies(graph_, cat, with_refs[i]);
    EXPECT_EQ(with_refs[i].id, with_lists[i].id);
    EXPECT_EQ(with_refs[i].answers, with_lists[i].answers);
    std::vector<ExecutedCall> x = CallsOf(with_lists[i]), y = CallsOf(with_refs[i]);
    ASSERT_EQ(x.size(), y.size());
    for (size_t k = 0; k < x.size(); ++k) {
      EXPECT_EQ(x[k].observation, y[k].observation);
      const Tool* tool = cat.Find(y[k].call.name);  // null for a hallucinated tool name
      const bool set = tool != nullptr && tool->kind == ToolKind::kSet;
      EXPECT_EQ(x[k].call.arguments == y[k].call.arguments, !set) << y[k].call.arguments;
      differ += set;
    }
  }
  EXPECT_GT(differ, 50);
}

// --hop-arguments refs: the manifest, fingerprint and tools.json say so; the same queries and
// answers come out with fewer calls.
TEST_F(SynthRunnerTest, HopReferencesKeepTheQueriesAndAnswers) {
  TempDir a, b;
  SynthOptions names = SmallOptions(a.path());
  SynthOptions refs = SmallOptions(b.path());
  refs.render.hop_refs = true;
  ASSERT_TRUE(Run(names).ok());
  ASSERT_TRUE(Run(refs).ok());
  EXPECT_STREQ(ManifestOf(a)["options"]["hop_arguments"].GetString(), "names");
  EXPECT_STREQ(ManifestOf(b)["options"]["hop_arguments"].GetString(), "refs");
  EXPECT_NE(ManifestOf(a)["fingerprint"].GetString(), std::string(ManifestOf(b)["fingerprint"].GetString()));
  EXPECT_NE(ReadFileToString(b.File("tools.json"))->find("every entity of the k-th"), std::string::npos);
  EXPECT_EQ(ReadFileToString(a.File("tools.json"))->find("every entity of the k-th"), std::string::npos);
  std::vector<Record> x = ReadAll(a.path()), y = ReadAll(b.path());
  ASSERT_EQ(x.size(), y.size());
  ToolCatalog cat = *ToolCatalog::Build(graph_, {.hop_refs = true});
  size_t calls_x = 0, calls_y = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    testing::ExpectRecordVerifies(graph_, cat, y[i]);
    EXPECT_EQ(y[i].id, x[i].id);
    EXPECT_EQ(y[i].answers, x[i].answers);
    calls_x += CallsOf(x[i]).size();
    calls_y += CallsOf(y[i]).size();
  }
  EXPECT_LT(calls_y, calls_x);
}

// --anchor-types: every record has an anchor of a listed type (the unfiltered run has others),
// the records verify, the manifest and fingerprint say so, and the summary counts the rejections.
TEST_F(SynthRunnerTest, AnchorTypesTargetRecordsAtThoseEntities) {
  TempDir a, b;
  SynthOptions any = SmallOptions(a.path());
  SynthOptions places = SmallOptions(b.path());
  any.patterns = places.patterns = "1p,2p";
  places.sampler.anchor_types = {"place"};
  ASSERT_TRUE(Run(any).ok());
  auto s = Run(places);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto anchor_types = [&](const Record& r) {
    std::set<std::string> types;
    for (const AnchorRef& x : r.anchors) types.insert(graph_.entity(*graph_.FindEntityByKey(x.key)).type);
    return types;
  };
  int others = 0;
  for (const Record& r : ReadAll(a.path())) others += !anchor_types(r).contains("place");
  EXPECT_GT(others, 100);
  ToolCatalog cat = *ToolCatalog::Build(graph_);
  const std::vector<Record> targeted = ReadAll(b.path());
  ASSERT_EQ(targeted.size(), 600u);
  for (const Record& r : targeted) {
    testing::ExpectRecordVerifies(graph_, cat, r);
    EXPECT_TRUE(anchor_types(r).contains("place")) << r.id;
  }
  const auto& manifest = ManifestOf(b);
  ASSERT_EQ(manifest["options"]["anchor_types"].Size(), 1u);
  EXPECT_STREQ(manifest["options"]["anchor_types"][0].GetString(), "place");
  EXPECT_EQ(ManifestOf(a)["options"]["anchor_types"].Size(), 0u);
  EXPECT_NE(ManifestOf(a)["fingerprint"].GetString(), std::string(manifest["fingerprint"].GetString()));
  EXPECT_GT(s->counts.Rejections(RejectReason::kAnchorType), 0u);
  EXPECT_NE(s->ToText().find("anchor_type"), std::string::npos);
}

// Asked for every distinct query of a pattern, a run used to fill the tail with reshaped
// records (a swapped anchor makes a new query), so no_answer reached several times its share.
// A sampled query now gives one record whatever its outcome: the shares hold at the graph's
// limit as they do far from it.
TEST_F(SynthRunnerTest, OutcomeSharesHoldWhenAskingForEveryDistinctQuery) {
  TempDir probe, a;
  SynthOptions o = SmallOptions(probe.path());
  o.patterns = "1p";
  o.outcomes.no_answer_share = 0.1;
  o.outcomes.empty_step_share = 0;
  o.outcomes.no_tool_share = 0;
  o.max_attempts_per_record = 100;
  o.shard_size = 10000;  // one shard: the probe's selection is the run's
  o.count = 3000;
  auto too_many = Run(o);
  ASSERT_FALSE(too_many.ok());
  const std::string message(too_many.status().message());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(message, m, std::regex("made ([0-9]+) of"))) << message;
  o.out_dir = a.path();
  o.count = std::stoull(m[1].str());
  ASSERT_GT(o.count, 300u);
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const uint64_t no_answer = s->counts.outcomes[static_cast<int>(RecordOutcome::kNoAnswer)];
  EXPECT_GT(no_answer, 0u);
  // At most the share (reshaping can fail and leave a sample answered) plus four sigma.
  const double n = static_cast<double>(o.count);
  EXPECT_LE(no_answer, 0.1 * n + 4 * std::sqrt(0.1 * 0.9 * n)) << no_answer << " of " << o.count;
  // And the same query never comes back as two records.
  std::set<std::string> queries;
  for (const Record& r : ReadAll(a.path())) {
    std::string q;
    for (const AnchorRef& x : r.anchors) q += x.key + ",";
    for (const std::string& rel : r.relations) q += rel + ",";
    for (uint8_t inv : r.inverse) q += inv ? "^-1," : ">,";
    EXPECT_TRUE(queries.insert(q).second) << q;
  }
}

TEST_F(SynthRunnerTest, ManifestCountsAndChecksums) {
  TempDir a;
  auto s = Run(SmallOptions(a.path()));
  ASSERT_TRUE(s.ok());
  auto doc = ParseJson(*ReadFileToString(a.File("manifest.json")), "manifest");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["records"].GetUint64(), 600u);
  uint64_t by_pattern = 0, by_split = 0, rejected = 0;
  for (auto& m : (*doc)["patterns"].GetObject()) by_pattern += m.value["records"].GetUint64();
  for (auto& m : (*doc)["splits"].GetObject()) by_split += m.value.GetUint64();
  for (auto& m : (*doc)["rejections"].GetObject()) rejected += m.value.GetUint64();
  EXPECT_EQ(by_pattern, 600u);
  EXPECT_EQ(by_split, 600u);
  EXPECT_EQ(rejected + 600, (*doc)["attempts"].GetUint64());
  EXPECT_GT(rejected, 0u);
  for (auto& shard : (*doc)["shards"].GetArray()) {
    EXPECT_EQ(*FileChecksum(a.File(shard["file"].GetString())), shard["checksum"].GetString());
  }
  EXPECT_EQ(*FileChecksum(a.File("tools.json")), (*doc)["tools"]["checksum"].GetString());
  std::string text = s->ToText();
  EXPECT_NE(text.find("600 records"), std::string::npos) << text;
}

TEST_F(SynthRunnerTest, ManifestReportsWhatTheRecordsTeach) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.shard_size = 100;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  JsonDoc m = Manifest(a);
  // Recompute every number from the records themselves.
  ToolCatalog cat = *ToolCatalog::Build(graph_);
  std::map<std::string, uint64_t> by_kind;
  uint64_t calls = 0, turns = 0, max_per_turn = 0, max_per_record = 0;
  std::map<std::string, uint64_t> sizes;
  std::map<std::string, uint64_t> outcomes;
  uint64_t reflections = 0;
  std::set<std::string> questions;
  std::map<std::string, std::set<std::string>> questions_by_pattern;
  std::vector<Record> records = ReadAll(a.path());
  ASSERT_EQ(records.size(), 600u);
  for (const Record& r : records) {
    uint64_t in_record = 0;
    for (const Message& msg : r.messages) {
      if (msg.role != "assistant" || msg.tool_calls.empty()) continue;
      ++turns;
      max_per_turn = std::max<uint64_t>(max_per_turn, msg.tool_calls.size());
      for (const ToolCall& call : msg.tool_calls) {
        const Tool* tool = cat.Find(call.name);
        ++by_kind[tool ? std::string(ToolKindName(tool->kind)) : "unknown"];
        ++in_record;
      }
    }
    calls += in_record;
    max_per_record = std::max(max_per_record, in_record);
    ++outcomes[r.outcome.empty() ? "answered" : r.outcome];
    reflections += MistakeTurn(r) > 0;
    const size_t n = r.answers.size();
    if (r.outcome.empty()) {
      ++sizes[n == 1 ? "1" : n == 2 ? "2" : n <= 5 ? "3-5" : n <= 10 ? "6-10"
                                                            : n <= 20 ? "11-20" : ">20"];
    }
    const std::string masked = MaskedQuestion(r);
    for (const AnchorRef& anchor : r.anchors) {
      EXPECT_EQ(masked.find(anchor.name), std::string::npos) << masked;
    }
    questions.insert(masked);
    questions_by_pattern[r.pattern].insert(masked);
  }
  const JsonValue& tc = m["tool_calls"];
  EXPECT_EQ(tc["total"].GetUint64(), calls);
  uint64_t kinds = 0;
  for (const char* k : {"relation", "inverse", "set", "unknown"}) {
    EXPECT_EQ(tc[k].GetUint64(), by_kind[k]) << k;
    kinds += tc[k].GetUint64();
  }
  EXPECT_EQ(kinds, calls);
  EXPECT_GT(by_kind["relation"], 0u);
  EXPECT_GT(by_kind["inverse"], 0u);
  EXPECT_GT(by_kind["set"], 0u);
  EXPECT_EQ(tc["turns"].GetUint64(), turns);
  EXPECT_EQ(tc["per_turn_max"].GetUint64(), max_per_turn);
  EXPECT_EQ(tc["per_dialogue_max"].GetUint64(), max_per_record);
  EXPECT_NEAR(tc["per_dialogue_mean"].GetDouble(), double(calls) / 600, 1e-6);
  EXPECT_NEAR(tc["per_turn_mean"].GetDouble(), double(calls) / turns, 1e-6);
  EXPECT_GT(max_per_turn, 1u);  // parallel calls exist
  uint64_t histogram = 0;
  for (auto& b : m["answer_sizes"].GetObject()) {
    EXPECT_EQ(b.value.GetUint64(), sizes[b.name.GetString()]) << b.name.GetString();
    histogram += b.value.GetUint64();
  }
  EXPECT_EQ(histogram, outcomes["answered"]);
  uint64_t by_outcome = 0;
  for (auto& o : m["outcomes"].GetObject()) {
    EXPECT_EQ(o.value.GetUint64(), outcomes[o.name.GetString()]) << o.name.GetString();
    by_outcome += o.value.GetUint64();
  }
  EXPECT_EQ(by_outcome, 600u);
  EXPECT_GT(outcomes["answered"], 500u);
  EXPECT_GT(outcomes["no_tool"], 0u);
  EXPECT_GT(outcomes["no_answer"] + outcomes["empty_step"], 0u);
  EXPECT_EQ(m["self_reflection"]["records"].GetUint64(), reflections);
  EXPECT_EQ(m["distinct_questions"].GetUint64(), questions.size());
  EXPECT_LE(questions.size(), 600u);
  EXPECT_GT(questions.size(), 100u);
  double shares = 0, requested_shares = 0;
  for (auto& pm : m["patterns"].GetObject()) {
    const std::string name = pm.name.GetString();
    EXPECT_EQ(pm.value["distinct_questions"].GetUint64(), questions_by_pattern[name].size())
        << name;
    EXPECT_NEAR(pm.value["share"].GetDouble(), pm.value["records"].GetUint64() / 600.0, 1e-6);
    shares += pm.value["share"].GetDouble();
    requested_shares += pm.value["requested_share"].GetDouble();
  }
  EXPECT_NEAR(shares, 1.0, 1e-4);
  EXPECT_NEAR(requested_shares, 1.0, 1e-4);
  EXPECT_EQ(m["duplicates_across_shards"].GetUint64(), s->counts.cross_shard_duplicates);
  EXPECT_LE(m["duplicates_across_shards"].GetUint64(), m["rejections"]["duplicate"].GetUint64());
  // The summary says the same, on one screen.
  EXPECT_EQ(s->counts.DistinctQuestions(), questions.size());
  EXPECT_EQ(s->counts.Calls(), calls);
  const std::string text = s->ToText();
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 26) << text;
  for (const char* want : {"distinct with anchors masked", "tool calls: ", "answers: 1: ",
                           "per turn", "across shards"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " in\n" << text;
  }
  auto json = ParseJson(s->ToJson(), "summary");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["tool_calls"]["total"].GetUint64(), calls);
  EXPECT_EQ((*json)["distinct_questions"].GetUint64(), questions.size());
}

TEST(MaskedQuestionTest, ReplacesEveryAnchorLongestNameFirst) {
  Record r;
  r.anchors = {{"p", "Paris"}, {"ph", "Paris Hilton"}, {"e", "e"}};
  r.messages = {{"system", "You help. Paris.", {}, "", ""},
                {"user", "Has Paris Hilton been to Paris, or to e?", {}, "", ""}};
  // "e" is replaced where it stands alone in the text too, but never inside a placeholder.
  EXPECT_EQ(MaskedQuestion(r), "Has <entity> b<entity><entity>n to <entity>, or to <entity>?");
  r.anchors = {{"p", "Paris"}};
  EXPECT_EQ(MaskedQuestion(r), "Has <entity> Hilton been to <entity>, or to e?");
}

TEST_F(SynthRunnerTest, ResumeAfterKillGivesIdenticalOutput) {
  TempDir a, b;
  ASSERT_TRUE(Run(SmallOptions(a.path())).ok());
  std::map<std::string, std::string> full = Snapshot(a.path());
  // Simulate kills at different moments in a second directory.
  SynthOptions o = SmallOptions(b.path());
  ASSERT_TRUE(Run(o).ok());
  ASSERT_TRUE(RemoveFile(b.File("manifest.json")).ok());
  ASSERT_TRUE(RemoveFile(b.File("shard-00001.jsonl.zst")).ok());     // shard never written
  ASSERT_TRUE(RemoveFile(b.File("shard-00002.stats.json")).ok());    // killed before its stats
  b.Write("shard-00003.jsonl.zst", "truncated garbage");              // torn (stats mismatch)
  b.Write("shard-00001.jsonl.zst.tmp.12345", "partial temp file");    // left by the kill
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 1u);
  EXPECT_EQ(Snapshot(b.path()), full);
  // A rerun of a finished run reuses everything and changes nothing.
  s = Run(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->shards_reused, 4u);
  EXPECT_EQ(Snapshot(b.path()), full);
}

// A run started before the last rejection reason existed (its shard stats have one column fewer)
// resumes reusing those shards: the missing count reads as zero and the records and manifest
// are those of a fresh run.
TEST_F(SynthRunnerTest, ResumeReadsShardStatsWrittenBeforeTheLastRejectionReason) {
  TempDir a, b;
  ASSERT_TRUE(Run(SmallOptions(a.path())).ok());
  SynthOptions o = SmallOptions(b.path());
  ASSERT_TRUE(Run(o).ok());
  ASSERT_TRUE(RemoveFile(b.File("manifest.json")).ok());
  ASSERT_TRUE(RemoveFile(b.File("shard-00001.jsonl.zst")).ok());
  const std::string stats = b.File("shard-00000.stats.json");
  std::string text = *ReadFileToString(stats);
  const size_t at = text.find("\"rejections_by_pattern_reason\"");
  ASSERT_NE(at, std::string::npos);
  const size_t end = text.find("]]", at) + 2;
  const std::string old_rows = text.substr(at, end - at);
  // Every row without its last count.
  const std::string rows = std::regex_replace(old_rows, std::regex(",[0-9]+\\]"), "]");
  ASSERT_NE(rows, old_rows);
  b.Write("shard-00000.stats.json", text.substr(0, at) + rows + text.substr(end));
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 3u);
  std::map<std::string, std::string> got = Snapshot(b.path()), want = Snapshot(a.path());
  got.erase("shard-00000.stats.json");
  want.erase("shard-00000.stats.json");
  EXPECT_EQ(got, want);
  // A row longer than today's reasons does not read: that shard is rebuilt, as any shard whose
  // stats do not verify, and the directory ends as a fresh run's.
  b.Write("shard-00000.stats.json", text.substr(0, end - 2) + ",0" + text.substr(end - 2));
  ASSERT_TRUE(RemoveFile(b.File("manifest.json")).ok());
  s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 3u);
  EXPECT_EQ(Snapshot(b.path()), Snapshot(a.path()));
}

TEST_F(SynthRunnerTest, ResumeWithManyShardsRebuildsTheMissingOnesIdentically) {
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.shard_size = 40;  // 15 shards
  o.patterns = "1p:3,2p,2i,pin";
  auto first = Run(o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_GT(first->counts.cross_shard_duplicates, 20u);
  const auto full = Snapshot(a.path());
  o.out_dir = b.path();
  o.threads = 3;
  ASSERT_TRUE(Run(o).ok());
  // Killed before the manifest, with shards 2, 9 and 13 lost and 5 and 11 without stats: the
  // rerun must choose them against exactly the queries the kept shards hold, and the kept later
  // shards were chosen against the lost ones' queries.
  for (const char* f :
       {"manifest.json", "shard-00002.jsonl.zst", "shard-00002.stats.json", "shard-00009.jsonl.zst",
        "shard-00009.stats.json", "shard-00013.jsonl.zst", "shard-00013.stats.json",
        "shard-00005.stats.json", "shard-00011.stats.json"}) {
    ASSERT_TRUE(RemoveFile(b.File(f)).ok());
  }
  b.Write("shard-00007.tmp.attempts", "left by the kill");
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->shards_reused, 10u);
  EXPECT_EQ(Snapshot(b.path()), full);
}

TEST_F(SynthRunnerTest, DifferentOptionsInSameDirectoryIsAnError) {
  TempDir a;
  ASSERT_TRUE(Run(SmallOptions(a.path())).ok());
  SynthOptions o = SmallOptions(a.path());
  o.seed = 43;
  auto s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("--out"), std::string::npos);
}

TEST_F(SynthRunnerTest, BadInputWritesNothing) {
  TempDir a;
  SynthOptions o = SmallOptions(a.File("out"));
  o.patterns = "1p,5p";
  auto s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("'5p'"), std::string::npos);
  o.patterns = "all";
  o.out_dir = "";
  EXPECT_EQ(Run(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ListFilesRecursive(a.path()), "");
  // Unwritable output directory: a regular file is in the way.
  a.Write("blocker", "x");
  o.out_dir = a.File("blocker/out");
  s = Run(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("blocker"), std::string::npos) << s.status().ToString();
  EXPECT_EQ(ListFilesRecursive(a.path()), "blocker\n");
}

TEST_F(SynthRunnerTest, EmptyGraphIsAnError) {
  auto g = kg::Graph::Build({{"a", "A", "", {}}}, {{"r", "r", "", "", "", "", ""}}, {});
  TempDir a;
  dist::LocalCommunicator comm;
  auto s = RunSynth(*g, {"e", "x"}, SmallOptions(a.File("out")), comm);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ListFilesRecursive(a.path()), "");
}

TEST_F(SynthRunnerTest, UnfillablePatternFailsNamingItAndWritesNoManifest) {
  kg::Graph g = ChainGraph();
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "2i";
  o.count = 10;
  o.shard_size = 10;
  o.max_attempts_per_record = 5;
  dist::LocalCommunicator comm;
  auto s = RunSynth(g, {"chain", "x"}, o, comm);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  const std::string& msg = s.status().message();
  EXPECT_NE(msg.find("made 0 of 10 records"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2i: 0 of 10 records"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--max-attempts-per-record"), std::string::npos) << msg;
  EXPECT_EQ(ListFilesRecursive(a.path()),
            "run.json\nshard-00000.jsonl.zst\nshard-00000.stats.json\n");
  // The (empty) shard is complete: the same command fails the same way, from the files.
  auto again = RunSynth(g, {"chain", "x"}, o, comm);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status(), s.status());
}

TEST_F(SynthRunnerTest, UnfillableQuotaNamesOnlyThePatternsThatFellShort) {
  kg::Graph g = LineGraph(40);  // 78 distinct 1p queries, no 2in at all
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p=30,2in=7";
  o.shard_size = 10;
  o.max_attempts_per_record = 4;
  dist::LocalCommunicator comm;
  auto s = RunSynth(g, {"line", "x"}, o, comm);
  ASSERT_FALSE(s.ok());
  const std::string& msg = s.status().message();
  EXPECT_NE(msg.find("made 30 of 37 records"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2in: 0 of 7 records (top rejections: "), std::string::npos) << msg;
  EXPECT_EQ(msg.find("1p:"), std::string::npos) << msg;
  EXPECT_FALSE(FileExists(a.File("manifest.json")));
  EXPECT_TRUE(FileExists(a.File("shard-00003.stats.json")));
  // Asked for more distinct 1p queries than the graph has.
  TempDir b;
  o.out_dir = b.path();
  o.patterns = "1p=100";
  o.max_attempts_per_record = 50;
  s = RunSynth(g, {"line", "x"}, o, comm);
  ASSERT_FALSE(s.ok());
  // The graph's 78 distinct 1p queries: a record without an answer (an anchor swapped for an
  // end of the line) uses up the query it was sampled as, so it adds none.
  EXPECT_NE(s.status().message().find("1p: 78 of 100 records (top rejections: duplicate "),
            std::string::npos)
      << s.status().message();
}

TEST_F(SynthRunnerTest, WeightsGiveAnUnfillableShareToTheOtherPatterns) {
  kg::Graph g = LineGraph(60);
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p,2p,2in";
  o.count = 60;
  o.shard_size = 20;
  o.max_attempts_per_record = 10;
  dist::LocalCommunicator comm;
  auto s = RunSynth(g, {"line", "x"}, o, comm);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 60u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k2in), 0u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k1p) + s->counts.RecordsOf(Pattern::k2p), 60u);
  EXPECT_EQ(s->requested[static_cast<int>(Pattern::k2in)], 20u);
  JsonDoc m = Manifest(a);
  EXPECT_EQ(m["patterns"]["2in"]["records"].GetUint64(), 0u);
  EXPECT_NEAR(m["patterns"]["2in"]["requested_share"].GetDouble(), 1.0 / 3, 1e-5);
  EXPECT_NEAR(m["patterns"]["1p"]["share"].GetDouble() + m["patterns"]["2p"]["share"].GetDouble(),
              1.0, 1e-5);
  // Only 2in: nothing can take its share, so the count is not met.
  TempDir b;
  o.out_dir = b.path();
  o.patterns = "2in";
  s = RunSynth(g, {"line", "x"}, o, comm);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("2in: 0 of 60 records"), std::string::npos)
      << s.status().message();
  EXPECT_FALSE(FileExists(b.File("manifest.json")));
}

TEST_F(SynthRunnerTest, WeightedSharesAreMetWhenTheGraphAllows) {
  // Denser than the fixture's graph: enough three-way intersections whose every branch cuts.
  const kg::Graph dense = testing::RandomGraph(21, 300, 8, 3000);
  for (const char* mix : {"all", "1p,2i:2,pin:3"}) {
    TempDir a;
    SynthOptions o = SmallOptions(a.path());
    o.patterns = mix;
    o.count = 700;
    o.shard_size = 100;
    auto s = RunOn(dense, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_EQ(s->counts.records, 700u);
    std::vector<double> weights = *ParsePatternMix(mix);
    double total = 0;
    for (double w : weights) total += w;
    for (Pattern p : AllPatterns()) {
      const double share = s->counts.RecordsOf(p) / 700.0;
      EXPECT_NEAR(share, weights[static_cast<int>(p)] / total, 0.02)
          << mix << " " << PatternName(p);
    }
  }
}

TEST_F(SynthRunnerTest, PatternMixIsRespected) {
  TempDir a;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "2in,pni";
  o.count = 100;
  auto s = Run(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k2in) + s->counts.RecordsOf(Pattern::kPni), 100u);
  EXPECT_GT(s->counts.RecordsOf(Pattern::k2in), 20u);
  EXPECT_GT(s->counts.RecordsOf(Pattern::kPni), 20u);
}

TEST_F(SynthRunnerTest, QuotasGiveExactCountsPerPattern) {
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p=130,2i=70,pin=41";
  o.shard_size = 50;
  auto s = Run(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->counts.records, 241u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k1p), 130u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::k2i), 70u);
  EXPECT_EQ(s->counts.RecordsOf(Pattern::kPin), 41u);
  o.out_dir = b.path();
  o.threads = 2;
  ASSERT_TRUE(Run(o).ok());
  EXPECT_EQ(Snapshot(a.path()), Snapshot(b.path()));
  o.patterns = "1p=x";
  EXPECT_EQ(Run(o).status().code(), StatusCode::kInvalidArgument);
}

// A lookup tool no gold step calls is named in the summary (text and JSON): here "the items of
// a colour" always has ~60 answers, past the answer cap, so only the other lookups are taught.
TEST_F(SynthRunnerTest, SummaryNamesLookupToolsNoGoldStepCalls) {
  std::vector<kg::EntityInfo> e = {{"red", "Red", "colour", {}}, {"blue", "Blue", "colour", {}}};
  std::vector<kg::Triple> t;
  for (uint32_t i = 0; i < 120; ++i) {
    e.push_back({"i" + std::to_string(i), "Item " + std::to_string(i), "item", {}});
    t.push_back({kg::EntityId(i + 2), kg::RelationId(0), kg::EntityId(i % 2)});
    if (i > 0) t.push_back({kg::EntityId(i + 1), kg::RelationId(1), kg::EntityId(i + 2)});
  }
  kg::Graph g = std::move(kg::Graph::Build(std::move(e),
                                           {{"colour", "colour", "", "item", "colour", "", ""},
                                            {"next", "next", "", "item", "item", "", ""}},
                                           std::move(t)))
                    .value();
  ToolCatalog cat = *ToolCatalog::Build(g);
  std::string wide;
  for (const Tool& tool : cat.tools()) {
    if (tool.kind == ToolKind::kInverse && tool.relation_key == "colour") wide = tool.name;
  }
  ASSERT_FALSE(wide.empty());
  TempDir a, b;
  SynthOptions o = SmallOptions(a.path());
  o.patterns = "1p";
  o.count = 300;
  auto s = RunOn(g, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tools_never_called, std::vector<std::string>{wide});
  EXPECT_NE(s->ToText().find("warning: 1 lookup tools are never called in a gold step"),
            std::string::npos) << s->ToText();
  EXPECT_NE(s->ToText().find(wide), std::string::npos);
  EXPECT_NE(s->ToJson().find("\"tools_never_called\":[\"" + wide + "\"]"), std::string::npos);
  // Too few calls for a zero to mean anything: no warning.
  o.out_dir = b.path();
  o.count = 12;
  s = RunOn(g, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->tools_never_called.empty());
  EXPECT_EQ(s->ToText().find("warning: "), std::string::npos) << s->ToText();
}


}  // namespace
}  // namespace kgf::synth
