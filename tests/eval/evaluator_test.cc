#include "eval/evaluator.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/line_reader.h"
#include "corpus/chat_template.h"
#include "corpus/tokenizer.h"
#include "eval/agents.h"
#include "kg/graph_store.h"
#include "dist/communicator.h"
#include "synth/synth_runner.h"
#include "tests/synth/test_graphs.h"
#include "tests/testing/temp_dir.h"
#include "trainer/train/trainer.h"

namespace kgf::eval {
namespace {

using kgf::testing::TempDir;

// The synth test country graph as a store (TSV + side files through the importer).
std::string WriteStore(const TempDir& dir, const kg::Graph& g) {
  std::string triples = "head\trelation\ttail\n", entities = "key\tname\ttype\taliases\n",
              relations = "key\tname\tdescription\thead_type\ttail_type\tinverse_name\tquestion_phrase\n";
  for (const kg::Triple& t : g.AllTriples()) {
    triples += g.entity(t.head).key + "\t" + g.relation(t.relation).key + "\t" +
               g.entity(t.tail).key + "\n";
  }
  for (uint32_t e = 0; e < g.num_entities(); ++e) {
    const kg::EntityInfo& i = g.entity(kg::EntityId(e));
    entities += i.key + "\t" + i.name + "\t" + i.type + "\t\n";
  }
  for (uint32_t r = 0; r < g.num_relations(); ++r) {
    const kg::RelationInfo& i = g.relation(kg::RelationId(r));
    relations += i.key + "\t" + i.name + "\t" + i.description + "\t" + i.head_type + "\t" +
                 i.tail_type + "\t" + i.inverse_name + "\t" + i.question_phrase + "\n";
  }
  kg::ImportOptions o;
  o.entities = dir.Write("entities.tsv", entities);
  o.relations = dir.Write("relations.tsv", relations);
  const std::string path = dir.File("kg.db");
  auto store = kg::GraphStore::Open(path, kg::GraphStore::Mode::kReadWrite);
  KGF_CHECK(store.ok()) << store.status().ToString();
  auto rep = store->Import({dir.Write("triples.tsv", triples)}, o);
  KGF_CHECK(rep.ok()) << rep.status().ToString();
  return path;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = WriteStore(dir_, synth::testing::CountryGraph());
    Synthesize(dir_.File("synth"), "1p=25,2p=30,2i=20,2in=20", 0.25, {});
  }
  // Records of the store's graph into `out`.
  void Synthesize(const std::string& out, const std::string& patterns, double test_fraction,
                  synth::RenderOptions render) {
    auto opened = kg::GraphStore::Open(store_, kg::GraphStore::Mode::kReadOnly);
    ASSERT_TRUE(opened.ok());
    auto graph = opened->LoadGraph();
    ASSERT_TRUE(graph.ok());
    synth::SynthOptions so;
    so.out_dir = out;
    so.shard_size = 100;
    so.patterns = patterns;
    so.split.test_fraction = test_fraction;
    so.split.valid_fraction = 0;
    so.render = render;
    dist::LocalCommunicator comm;
    auto s = synth::RunSynth(*graph, {opened->name(), opened->checksum()}, so, comm);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  // Eval of the records in `out`: the gold replay is 100% on every score.
  void ExpectGoldReplayScoresFully(const std::string& out) {
    EvalOptions o = Options();
    o.inputs = {out};
    auto r = RunEval(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GT(r->records, 20);
    EXPECT_DOUBLE_EQ(r->gold.all.valid_call_rate(), 1.0);
    EXPECT_DOUBLE_EQ(r->gold.all.chain_exact, 1.0);
    EXPECT_DOUBLE_EQ(r->gold.all.executed_answer, 1.0);
    EXPECT_NE(r->ToJson().find("\"gold_replay_ok\":true"), std::string::npos);
  }
  EvalOptions Options() {
    EvalOptions o;
    o.kg = store_;
    o.inputs = {dir_.File("synth")};
    return o;
  }
  TempDir dir_;
  std::string store_;
};

TEST_F(EvaluatorTest, GoldReplayScoresFullyAndTheBaselineDoesNot) {
  auto r = RunEval(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->records, 10);
  EXPECT_FALSE(r->has_model);
  EXPECT_DOUBLE_EQ(r->gold.all.valid_call_rate(), 1.0);
  EXPECT_DOUBLE_EQ(r->gold.all.chain_exact, 1.0);
  EXPECT_DOUBLE_EQ(r->gold.all.executed_answer, 1.0);
  EXPECT_DOUBLE_EQ(r->gold.all.f1, 1.0);
  EXPECT_LT(r->baseline.all.chain_exact, 0.9);
  EXPECT_NE(r->ToText().find("(ok)"), std::string::npos) << r->ToText();
  EXPECT_NE(r->ToJson().find("\"gold_replay_ok\":true"), std::string::npos);
}

// Records whose set calls name earlier results ("#k"), many with a deliberate wrong call that
// shifts the numbers: the gold replay (which leaves the mistake out, renumbering) is still 100%.
TEST_F(EvaluatorTest, GoldReplayOfResultReferencesScoresFully) {
  const std::string out = dir_.File("synth_refs");
  Synthesize(out, "2p=30,2i=30,2in=20,pi=20", 0.5,
             {.reflection_share = 0.6, .result_refs = true});
  ExpectGoldReplayScoresFully(out);
}

// Hops over earlier results by reference (--hop-arguments refs) with set references: the gold
// replay scores 100% (its renumbering past the left-out mistake covers a hop's argument too).
TEST_F(EvaluatorTest, GoldReplayOfHopReferencesScoresFully) {
  const std::string out = dir_.File("synth_hops");
  Synthesize(out, "2p=30,3p=20,ip=20,pi=20,up=20", 0.5,
             {.reflection_share = 0.6, .result_refs = true, .hop_refs = true});
  // Test records where a deliberate wrong call comes before a hop by reference, so the gold's
  // numbers shift when the replay leaves the mistake out.
  int shifted = 0;
  for (const char* shard : {"shard-00000.jsonl.zst", "shard-00001.jsonl.zst"}) {
    auto reader = LineReader::Open(out + "/" + shard);
    ASSERT_TRUE(reader.ok());
    std::string line;
    while ((*reader)->Next(&line)) {
      const synth::Record r = *synth::RecordFromJson(line, shard);
      const int mistake = synth::MistakeTurn(r);
      if (r.split != "test" || mistake == 0) continue;
      int turn = 0;
      bool after = false;
      for (const synth::Message& m : r.messages) {
        if (m.role != "assistant" || m.tool_calls.empty()) continue;
        ++turn;
        for (const synth::ToolCall& c : m.tool_calls) {
          const bool set = c.name == "get_intersection_of" || c.name == "get_union_of" ||
                           c.name == "get_negation_of";
          after = after || (turn > mistake && !set && c.arguments.find(":\"#") != std::string::npos);
        }
      }
      shifted += after;
    }
  }
  EXPECT_GT(shifted, 3);
  ExpectGoldReplayScoresFully(out);
}

TEST_F(EvaluatorTest, BadInputsAreClearErrors) {
  EvalOptions o = Options();
  o.split = "nope";
  auto none = RunEval(o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no record of split 'nope'"), std::string::npos);
  o = Options();
  o.inputs = {dir_.File("missing.jsonl")};
  EXPECT_EQ(RunEval(o).status().code(), StatusCode::kNotFound);
  o = Options();
  o.checkpoint = dir_.File("run");
  EXPECT_EQ(RunEval(o).status().code(), StatusCode::kInvalidArgument) << "a model needs a tokenizer";
  o = Options();
  o.inputs = {dir_.Write("bad.jsonl", "{\"id\":1}\n")};
  o.split = "any";
  auto bad = RunEval(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.jsonl:1"), std::string::npos) << bad.status().message();
}

TEST_F(EvaluatorTest, AModelPlaysDeterministicallyAndItsTranscriptNamesEveryCall) {
  // A tiny model trained for a few steps and a tokenizer: the loop, not the quality.
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("What is the capital of France? get_capital_of_country Paris Berlin "
                    "{\"name\": \"country\"} [\"Spain\", \"Italy\"] " + std::to_string(i));
  }
  corpus::TokenizerTrainOptions to;
  to.vocab_size = 400;
  auto model = corpus::TrainTokenizer(texts, to);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string tok = dir_.Write("tok.model", *model);
  std::vector<int32_t> stream(3000);
  for (int i = 0; i < 3000; ++i) stream[i] = (i * 7) % 400;
  trainer::TrainOptions t;
  t.preset = "tiny";
  t.vocab_size = 400;
  t.data = dir_.Write("train.bin", std::string(reinterpret_cast<const char*>(stream.data()),
                                               stream.size() * 4));
  t.out = dir_.File("run");
  t.seq_len = 32;
  t.steps = 2;
  t.progress = false;
  t.log_every = 0;
  ASSERT_TRUE(trainer::Train(t).ok());

  EvalOptions o = Options();
  o.checkpoint = dir_.File("run");
  o.tokenizer = tok;
  o.per_pattern = 2;
  o.max_turns = 2;
  o.max_new_tokens = 12;
  o.transcript = dir_.File("a.jsonl");
  auto a = RunEval(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->has_model);
  EXPECT_EQ(a->model.all.dialogues, a->records);
  // Played again by one worker and by three (one model copy each): the same transcript and
  // scores, whatever the number of workers.
  o.transcript = dir_.File("b.jsonl");
  o.threads = 1;
  auto b = RunEval(o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*ReadFileToString(dir_.File("a.jsonl")), *ReadFileToString(dir_.File("b.jsonl")));
  o.transcript = dir_.File("c.jsonl");
  o.threads = 3;
  auto c = RunEval(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*ReadFileToString(dir_.File("a.jsonl")), *ReadFileToString(dir_.File("c.jsonl")));
  EXPECT_EQ(c->model.all.f1, b->model.all.f1);
  EXPECT_EQ(c->model.all.valid_call_rate(), b->model.all.valid_call_rate());
  EXPECT_NE(ReadFileToString(dir_.File("a.jsonl"))->find("\"stop\":"), std::string::npos);

  // The agent's parser: text, then calls between <tool_call> and </tool_call>.
  auto agent = ModelAgent::Create(o.checkpoint, tok, {});
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  auto loaded = corpus::Tokenizer::Load(tok);

  // What the agent reads before each turn is the training layout of the same dialogue: replay
  // every record's gold turns (their tokens cut from the chat template's rendering) and compare
  // the context with the rendering up to the next <|assistant|>.
  const int32_t assistant = corpus::SpecialId(corpus::Special::kAssistant);
  const int32_t result_open = corpus::SpecialId(corpus::Special::kToolResultOpen);
  auto reader = LineReader::Open(dir_.File("synth/shard-00000.jsonl.zst"));
  ASSERT_TRUE(reader.ok());
  std::string line;
  int compared = 0;
  while ((*reader)->Next(&line) && compared < 40) {
    synth::Record r = *synth::RecordFromJson(line, "shard");
    auto chat = corpus::RenderChatJson(line, {}, "shard");
    ASSERT_TRUE(chat.ok());
    std::vector<int32_t> full = corpus::TokenizeChat(*chat, *loaded)->tokens;
    std::vector<size_t> starts;  // positions of <|assistant|>
    for (size_t i = 0; i < full.size(); ++i) {
      if (full[i] == assistant) starts.push_back(i);
    }
    Dialogue d;
    size_t tool_message = 0;
    std::vector<const synth::Message*> tools, turns;
    for (const synth::Message& m : r.messages) {
      if (m.role == "tool") tools.push_back(&m);
      if (m.role == "assistant") turns.push_back(&m);
    }
    for (size_t k = 0; k + 1 < starts.size(); ++k) {
      auto context = (*agent)->Context(r, d);
      ASSERT_TRUE(context.ok());
      ASSERT_EQ(*context, std::vector<int32_t>(full.begin(), full.begin() + starts[k] + 1))
          << r.id << " before assistant turn " << k;
      // Turn k as the model would generate it: up to and including the first <tool_result>.
      AgentTurn t;
      size_t end = starts[k] + 1;
      while (full[end] != result_open) ++end;
      t.ids.assign(full.begin() + starts[k] + 1, full.begin() + end + 1);
      std::vector<std::string> obs;
      const synth::Message* turn = turns[k];
      for (size_t c = 0; c < turn->tool_calls.size(); ++c) obs.push_back(tools[tool_message++]->content);
      t.calls.resize(turn->tool_calls.size());
      d.turns.push_back(std::move(t));
      d.observations.push_back(std::move(obs));
    }
    ++compared;
  }
  EXPECT_EQ(compared, 40);
  std::vector<int32_t> ids = *loaded->Encode("Paris");
  ids.push_back(corpus::SpecialId(corpus::Special::kToolCallOpen));
  std::vector<int32_t> call =
      *loaded->Encode(R"({"name": "get_capital_of_country", "arguments": {"country": "France"}})");
  ids.insert(ids.end(), call.begin(), call.end());
  ids.push_back(corpus::SpecialId(corpus::Special::kToolCallClose));
  ids.push_back(corpus::SpecialId(corpus::Special::kToolResultOpen));
  AgentTurn turn = (*agent)->ParseTurn(ids);
  EXPECT_EQ(turn.text, "Paris");
  ASSERT_EQ(turn.calls.size(), 1u);
  EXPECT_TRUE(turn.calls[0].parsed);
  EXPECT_EQ(turn.calls[0].name, "get_capital_of_country");
  EXPECT_EQ(turn.calls[0].arguments, R"({"country":"France"})");
  // A call opened before the previous one closed counts as a (broken) call of its own.
  std::vector<int32_t> twice = {corpus::SpecialId(corpus::Special::kToolCallOpen)};
  std::vector<int32_t> broken = *loaded->Encode(R"({"name": "x")");
  twice.insert(twice.end(), broken.begin(), broken.end());
  twice.push_back(corpus::SpecialId(corpus::Special::kToolCallOpen));
  twice.insert(twice.end(), call.begin(), call.end());
  twice.push_back(corpus::SpecialId(corpus::Special::kToolCallClose));
  AgentTurn two = (*agent)->ParseTurn(twice);
  ASSERT_EQ(two.calls.size(), 2u);
  EXPECT_FALSE(two.calls[0].parsed);
  EXPECT_TRUE(two.calls[1].parsed);
}

}  // namespace
}  // namespace kgf::eval
