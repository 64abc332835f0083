// The three record layers on records the renderer makes (every outcome, self-reflection at any
// turn): all kept; and the execution layer's own reasons on tampered copies.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "filters/pipeline.h"
#include "filters/records/record_filters.h"
#include "synth/dialogue_renderer.h"
#include "synth/outcome_shaper.h"
#include "synth/query_sampler.h"
#include "tests/synth/test_graphs.h"

namespace kgf::filters {
namespace {

using synth::Record;

std::vector<Record> Rendered(const kg::Graph& g, const synth::ToolCatalog& cat,
                             bool result_refs = false) {
  auto sampler = synth::QuerySampler::Create(g, {});
  KGF_CHECK(sampler.ok());
  synth::OutcomeShaper shaper(
      g, {.no_answer_share = 0.2, .empty_step_share = 0.2, .no_tool_share = 0.15}, {});
  synth::DialogueRenderer renderer(
      g, cat, {.distractors = 3, .reflection_share = 0.4, .result_refs = result_refs},
      {"random", "xxh3:1"});
  std::vector<Record> out;
  for (synth::Pattern p : synth::AllPatterns()) {
    for (uint64_t i = 0, made = 0; i < 3000 && made < 30; ++i) {
      Rng rng = Rng::ForItem(5, static_cast<uint64_t>(p) * 100000 + i);
      synth::SampleOutcome s = sampler->Sample(p, rng);
      if (!s.query) continue;
      shaper.Shape(&s, rng);
      std::optional<Record> r = renderer.Render(s, "train", 5, i, rng);
      if (!r) continue;
      out.push_back(std::move(*r));
      ++made;
    }
  }
  return out;
}

Verdict Check(const RecordFilter& f, const Record& r) {
  Result<Sample> s = Sample::Parse(synth::RecordToJson(r), "records.jsonl:1");
  KGF_CHECK(s.ok()) << s.status().ToString();
  return f.Apply(*s);
}

TEST(RecordExecutionTest, RenderedRecordsPassEveryLayerAndTamperedOnesAreNamed) {
  kg::Graph g = synth::testing::RandomGraph(11);
  synth::ToolCatalog cat = *synth::ToolCatalog::Build(g);
  RecordFormatFilter format("format");
  RecordSemanticFilter semantic("semantic", {});
  RecordExecutionFilter execution("execution", {&g, &cat, "xxh3:1"});
  std::vector<Record> records = Rendered(g, cat);
  std::map<std::string, int> outcomes;
  int later_reflections = 0;
  for (const Record& r : records) {
    ++outcomes[r.outcome];
    later_reflections += synth::MistakeTurn(r) > 1;
    for (const RecordFilter* f : {static_cast<const RecordFilter*>(&format),
                                  static_cast<const RecordFilter*>(&semantic),
                                  static_cast<const RecordFilter*>(&execution)}) {
      Verdict v = Check(*f, r);
      EXPECT_TRUE(v.keep) << f->name() << " dropped " << r.id << " (" << r.pattern << " "
                          << r.outcome << " " << r.templates.reflection << "): " << v.reason
                          << ": " << v.detail;
    }
  }
  EXPECT_GT(outcomes["no_answer"], 0);
  EXPECT_GT(outcomes["empty_step"], 0);
  EXPECT_GT(outcomes["no_tool"], 0);
  EXPECT_GT(later_reflections, 0);

  // Tampered copies: each named by its reason.
  for (const Record& r : records) {
    if (r.outcome == "no_tool") {
      Record bad = r;
      const synth::Tool& covering = cat.Forward(*g.FindRelationByKey(r.relations[0]));
      bad.tools.push_back({covering.name, covering.description, covering.parameters_json});
      EXPECT_EQ(Check(execution, bad).reason, "tool_covers_query");
    } else if (r.outcome == "no_answer") {
      Record bad = r;
      bad.outcome.clear();  // claims the dialogue answered, with no answers
      EXPECT_EQ(Check(semantic, bad).reason, "empty_intermediate");
    } else if (r.outcome.empty() && r.templates.reflection.empty()) {
      Record bad = r;
      bad.answers.push_back("Node 99999");
      std::sort(bad.answers.begin(), bad.answers.end());
      EXPECT_EQ(Check(execution, bad).reason, "answer_mismatch");
      bad = r;
      bad.messages[3].content = "[\"Node 99999\"]";
      EXPECT_EQ(Check(execution, bad).reason, "observation_mismatch");
    }
  }
}

// Records whose set calls name earlier results ("#k") pass every layer; a reference moved to
// another result is an observation mismatch.
TEST(RecordExecutionTest, ResultReferencesReplayAndAMovedReferenceIsNamed) {
  kg::Graph g = synth::testing::RandomGraph(11);
  synth::ToolCatalog cat = *synth::ToolCatalog::Build(g, {.result_refs = true});
  RecordFormatFilter format("format");
  RecordSemanticFilter semantic("semantic", {});
  RecordExecutionFilter execution("execution", {&g, &cat, "xxh3:1"});
  int moved = 0;
  for (const Record& r : Rendered(g, cat, /*result_refs=*/true)) {
    for (const RecordFilter* f : std::initializer_list<const RecordFilter*>{&format, &semantic, &execution}) {
      EXPECT_TRUE(Check(*f, r).keep) << Check(*f, r).reason << " " << synth::RecordToJson(r);
    }
    // The last call of a 2i record intersects "#1" and "#2": point it at "#1" twice.
    if (r.pattern != "2i" || !r.outcome.empty() || !r.templates.reflection.empty()) continue;
    Record bad = r;
    for (synth::Message& m : bad.messages) {
      for (synth::ToolCall& c : m.tool_calls) {
        if (c.arguments == R"({"sets":["#1","#2"]})") c.arguments = R"({"sets":["#1","#1"]})";
      }
    }
    if (bad == r) continue;
    EXPECT_EQ(Check(execution, bad).reason, "observation_mismatch");
    ++moved;
  }
  EXPECT_GT(moved, 3);
}

// The record layer plugs into the core pipeline: its types, a clear error for record_execution
// without a graph, and the dedup sources that read records.
TEST(RecordFilterPluginsTest, TheRecordLayerPlugsIntoThePipeline) {
  auto pipeline = [](const char* json, const FilterPlugins& plugins) {
    return Pipeline::FromJson(json, "cfg.json", ".", plugins);
  };
  const FilterPlugins none = RecordFilterPlugins({});
  Result<Pipeline> p = pipeline(R"({"filters": [{"type": "record_execution"}]})", none);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no graph was given"), std::string::npos)
      << p.status().message();
  p = pipeline(R"({"filters": [{"type": "record_format"}, {"type": "record_semantic"},
                               {"type": "exact_dedup", "source": "record"},
                               {"type": "minhash_dedup", "source": "question"}]})",
               none);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->filters().size(), 4u);
  const std::vector<std::string> known = KnownFilterTypes(&none);
  EXPECT_NE(std::find(known.begin(), known.end(), "record_execution"), known.end());
  EXPECT_EQ(KnownFilterTypes().size(), 8u);  // the core alone

  kg::Graph g = synth::testing::RandomGraph(11);
  synth::ToolCatalog cat = *synth::ToolCatalog::Build(g);
  Result<Pipeline> full = pipeline(
      R"({"filters": [{"type": "record_execution"}, {"type": "exact_dedup", "source": "question"}]})",
      RecordFilterPlugins({&g, &cat, ""}));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  std::vector<Record> records = Rendered(g, cat);
  std::vector<Sample> samples;
  for (size_t i = 0; i < 40; ++i) {
    samples.push_back(*Sample::Parse(synth::RecordToJson(records[i]), "r:" + std::to_string(i)));
  }
  samples.push_back(*Sample::Parse(synth::RecordToJson(records[0]), "dup"));
  std::vector<RecordOutcome> out = full->Process(samples, nullptr);
  for (size_t i = 0; i < 40; ++i) EXPECT_TRUE(out[i].keep) << i << " " << out[i].verdict.reason;
  EXPECT_FALSE(out[40].keep);
  EXPECT_EQ(out[40].verdict.reason, "duplicate");
}

}  // namespace
}  // namespace kgf::filters
