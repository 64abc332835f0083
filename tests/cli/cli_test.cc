// The CLI contract (cli/command.h), pinned on the real `kgforge` binary over fixture files:
// exit code 0 on success, 1 for any runtime or input error, 2 only for misuse the parser
// detects; summaries on stdout (one JSON object with --json), errors on stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

#include "base/file_util.h"
#include "base/json.h"
#include "tests/testing/temp_dir.h"

namespace kgf::cli {
namespace {

struct Outcome {
  int code = -1;
  std::string out, err;
};

class CliTest : public ::testing::Test {
 protected:
  // Runs `kgforge ARGS` with stdout and stderr captured apart; in directory `cwd` when given.
  Outcome Kgforge(const std::string& args, const std::string& cwd = "") {
    const std::string out = dir_.File("stdout"), err = dir_.File("stderr");
    const std::string cmd = (cwd.empty() ? "" : "cd " + cwd + " && ") +
                            std::string(KGF_BINARY_DIR) + "/cli/kgforge " + args + " >" + out +
                            " 2>" + err;
    const int status = std::system(cmd.c_str());
    Outcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    Result<std::string> o = ReadFileToString(out), e = ReadFileToString(err);
    r.out = o.ok() ? *o : "";
    r.err = e.ok() ? *e : "";
    return r;
  }

  // A small graph: countries, capitals and languages, with side files.
  std::string Store() {
    dir_.Write("triples.tsv",
               "France\tcapital\tParis\nGermany\tcapital\tBerlin\nSpain\tcapital\tMadrid\n"
               "France\tborders\tGermany\nFrance\tborders\tSpain\nGermany\tborders\tFrance\n"
               "Spain\tborders\tFrance\nFrance\tlanguage\tFrench\nGermany\tlanguage\tGerman\n"
               "Spain\tlanguage\tSpanish\nBelgium\tlanguage\tFrench\nBelgium\tborders\tFrance\n"
               "France\tborders\tBelgium\nBelgium\tcapital\tBrussels\nBelgium\tlanguage\tGerman\n");
    dir_.Write("entities.tsv",
               "key\tname\ttype\taliases\nFrance\tFrance\tcountry\t\nGermany\tGermany\tcountry\t\n"
               "Spain\tSpain\tcountry\t\nBelgium\tBelgium\tcountry\t\nParis\tParis\tcity\t\n"
               "Berlin\tBerlin\tcity\t\nMadrid\tMadrid\tcity\t\nBrussels\tBrussels\tcity\t\n"
               "French\tFrench\tlanguage\t\nGerman\tGerman\tlanguage\t\n"
               "Spanish\tSpanish\tlanguage\t\n");
    const std::string store = dir_.File("kg.db");
    Outcome r = Kgforge("kg import --store " + store + " " + dir_.File("triples.tsv") +
                    " --entities " + dir_.File("entities.tsv") + " --name fixture --json");
    EXPECT_EQ(r.code, 0) << r.err;
    return store;
  }

  // A filter output of synthesized records, run from dir_ with relative paths as a user would:
  // dir_/kept (with filter_report.json) and dir_/rejected (long questions dropped).
  void FilterOutput() {
    const std::string store = Store();
    ASSERT_EQ(Kgforge("synth --kg " + store + " --out synth --count 24 --patterns 1p,2p --seed 4",
                      dir_.path()).code, 0);
    dir_.Write("checks.json", R"({"filters":[{"type":"record_format"},)"
                              R"({"type":"record_semantic","max_question_chars":70}]})");
    Outcome r = Kgforge("filter --config checks.json --out kept --rejected rejected "
                        "synth/shard-00000.jsonl.zst", dir_.path());
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // The ids `kgforge review ... --plain` printed, in order (each item opens "[k/n] id  ...").
  static std::vector<std::string> Shown(const Outcome& r) {
    std::vector<std::string> ids;
    size_t pos = 0;
    while (pos < r.out.size()) {
      size_t end = r.out.find('\n', pos);
      if (end == std::string::npos) end = r.out.size();
      const std::string line = r.out.substr(pos, end - pos);
      const size_t close = line.find("] ");
      if (line.rfind("[", 0) == 0 && close != std::string::npos &&
          line.find('/') < close) {
        ids.push_back(line.substr(close + 2, line.find(' ', close + 2) - close - 2));
      }
      pos = end + 1;
    }
    return ids;
  }

  static JsonDoc Json(const Outcome& r) {
    Result<JsonDoc> doc = ParseJson(r.out, "stdout");
    EXPECT_TRUE(doc.ok()) << doc.status().ToString() << "\nstdout: " << r.out;
    return doc.ok() ? std::move(doc).value() : JsonDoc();
  }

  ::kgf::testing::TempDir dir_;
};

TEST_F(CliTest, ParserMisuseIsExitTwo) {
  for (const char* args : {"", "no-such-command", "synth --no-such-flag", "kg import --store",
                           "train --precision fp16 --data x --out y",
                           "train --vocab-size lots --data x --out y"}) {
    Outcome r = Kgforge(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  EXPECT_EQ(Kgforge("--help").code, 0);
}

TEST_F(CliTest, InputErrorsAreExitOneOnStderrNamingTheFileAndLine) {
  dir_.Write("bad.tsv", "France\tcapital\tParis\nonly two\tcolumns\n");
  Outcome r = Kgforge("kg import --store " + dir_.File("bad.db") + " " + dir_.File("bad.tsv"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("bad.tsv:2"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("bad.db")));  // nothing partial left behind
  r = Kgforge("kg import --store " + dir_.File("dir.db") + " " + dir_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is a directory, not a file"), std::string::npos) << r.err;

  dir_.Write("bad_filter.json", R"({"filters": [{"type": "no_such_filter"}]})");
  dir_.Write("docs.jsonl", "{\"text\":\"a document\"}\n");
  r = Kgforge("filter --config " + dir_.File("bad_filter.json") + " " + dir_.File("docs.jsonl") +
              " --out " + dir_.File("filtered"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no_such_filter"), std::string::npos) << r.err;

  const std::string store = Store();
  r = Kgforge("synth --kg " + store + " --out " + dir_.File("s") + " --count 0");
  EXPECT_EQ(r.code, 1) << r.err;
  r = Kgforge("kg show --store " + store + " Atlantis");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("Atlantis"), std::string::npos) << r.err;
  r = Kgforge("train --data " + dir_.File("missing") + " --out " + dir_.File("run"));
  EXPECT_EQ(r.code, 1) << r.err;
  // --eval-every is checked before any training: what it lacks is named, no run is started.
  r = Kgforge("train --data " + dir_.File("missing") + " --out " + dir_.File("run") +
              " --eval-every 10");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--eval-every needs --eval-kg"), std::string::npos) << r.err;
  r = Kgforge("train --data " + dir_.File("missing") + " --out " + dir_.File("run") +
              " --eval-every 10 --eval-kg " + dir_.File("no.db"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no.db does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("run")));
}

TEST_F(CliTest, SummariesGoToStdoutAndJsonIsOneObject) {
  const std::string store = Store();
  Outcome r = Kgforge("kg stats --store " + store + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Json(r).IsObject());

  r = Kgforge("kg show --store " + store + " France --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc show = Json(r);
  EXPECT_STREQ(show["name"].GetString(), "France");
  EXPECT_STREQ(show["type"].GetString(), "country");
  EXPECT_GE(show["out"].Size(), 3u);

  r = Kgforge("kg query --store " + store + " French language --inverse --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc q = Json(r);
  ASSERT_EQ(q["results"].Size(), 2u);
  std::set<std::string> speakers = {q["results"][0].GetString(), q["results"][1].GetString()};
  EXPECT_EQ(speakers, (std::set<std::string>{"Belgium", "France"}));

  const std::string out = dir_.File("synth");
  r = Kgforge("synth --kg " + store + " --out " + out +
              " --count 12 --patterns 1p,2p,2i --seed 3 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc synth = Json(r);
  EXPECT_EQ(synth["records"].GetUint64(), 12u);

  // synth show --json: JSON Lines, one {where, record} per record, each record whole.
  r = Kgforge("synth show --in " + out + " --limit 3 --pattern 2p --json");
  ASSERT_EQ(r.code, 0) << r.err;
  int shown = 0;
  for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
    auto line = ParseJson(r.out.substr(start, end - start), "show");
    ASSERT_TRUE(line.ok()) << r.out;
    EXPECT_NE(std::string((*line)["where"].GetString()).find("shard-"), std::string::npos);
    EXPECT_STREQ((*line)["record"]["pattern"].GetString(), "2p");
    EXPECT_TRUE((*line)["record"]["messages"].IsArray());
    ++shown;
  }
  EXPECT_GE(shown, 1);
  EXPECT_LE(shown, 3);

  // corpus: tokenizer, build and verify, each --json one object.
  dir_.Write("mix.json", R"({"seed":1,"tokenizer":"tok.model","sources":[{"name":"t",)"
                         R"("kind":"tool_use","paths":[")" + out + "\"]}]}");
  r = Kgforge("corpus tokenizer train --config " + dir_.File("mix.json") + " --out " +
              dir_.File("tok.model") + " --vocab-size 600 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Json(r).IsObject());
  r = Kgforge("corpus build --config " + dir_.File("mix.json") + " --out " + dir_.File("corpus") +
              " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Json(r).IsObject());
  r = Kgforge("corpus verify " + dir_.File("corpus") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc verified = Json(r);
  EXPECT_TRUE(verified["ok"].GetBool());
  EXPECT_STREQ(verified["manifest"]["format"].GetString(), "kgforge-corpus");

  r = Kgforge("export --in " + out + " --out " + dir_.File("x.jsonl") + " --format sharegpt --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc exp = Json(r);
  EXPECT_EQ(exp["records"].GetUint64(), 12u);
  EXPECT_STREQ(exp["format"].GetString(), "sharegpt");
  // LLaMA-Factory's dataset entry beside the file.
  EXPECT_EQ(std::string(exp["dataset_info"].GetString()), dir_.File("dataset_info.json"));
  auto info = ParseJson(*ReadFileToString(dir_.File("dataset_info.json")), "info");
  ASSERT_TRUE(info.ok());
  EXPECT_STREQ((*info)["x"]["file_name"].GetString(), "x.jsonl");
  EXPECT_STREQ((*info)["x"]["formatting"].GetString(), "sharegpt");

  // xLAM is single-turn: 2p and 2i dialogues have calls that depend on earlier results.
  r = Kgforge("export --in " + out + " --out " + dir_.File("y.jsonl") + " --format xlam --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc xlam = Json(r);
  uint64_t skipped = 0;
  for (auto it = xlam["skipped"].MemberBegin(); it != xlam["skipped"].MemberEnd(); ++it) {
    skipped += it->value.GetUint64();
  }
  EXPECT_EQ(xlam["records"].GetUint64() + skipped, 12u);
  EXPECT_GT(xlam["skipped"]["dependent_calls"].GetUint64(), 0u);

  r = Kgforge("kg export --store " + store + " --out " + dir_.File("nt.nt") +
              " --format ntriples --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json(r)["triples"].GetUint64(), 15u);
}

// kg relabel writes a marked copy; synth refuses it without --train-only (its records must never
// be held out for evaluation) and with it writes train records only.
TEST_F(CliTest, SynthOnARelabelledCopyNeedsTrainOnly) {
  const std::string store = Store();
  const std::string copy = dir_.File("copy.db");
  Outcome r = Kgforge("kg relabel --store " + store + " --out " + copy + " --seed 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc rel = Json(r);
  EXPECT_EQ(rel["triples"].GetUint64(), 15u);
  r = Kgforge("kg stats --store " + store + " --json");
  EXPECT_STREQ(rel["counterfactual_of"].GetString(), Json(r)["checksum"].GetString());
  r = Kgforge("kg relabel --store " + store + " --out " + copy + " --seed 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("copy.db: exists"), std::string::npos) << r.err;

  const std::string out = dir_.File("copy_synth");
  const std::string args = "synth --kg " + copy + " --out " + out +
                           " --count 8 --patterns 1p,2p --seed 3 --split-by-facts "
                           "--valid-fraction 0.2 --test-fraction 0.2 --json";
  r = Kgforge(args);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--train-only"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(JoinPath(out, "manifest.json")));
  r = Kgforge(args + " --train-only");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc synth = Json(r);
  EXPECT_EQ(synth["splits"]["train"].GetUint64(), 8u) << r.out;
}

TEST_F(CliTest, TrainingCommandsPrintJsonSummaries) {
  // 200 tokens < 64 (the tiny preset's vocabulary), raw int32.
  std::string tokens;
  for (int32_t i = 0; i < 200; ++i) {
    const int32_t t = (i * 7) % 64;
    tokens.append(reinterpret_cast<const char*>(&t), sizeof(t));
  }
  const std::string data = dir_.Write("tokens.bin", tokens);
  Outcome r = Kgforge("train --preset tiny --data " + data + " --out " + dir_.File("run") +
                      " --steps 2 --seq-len 16 --batch-size 2 --no-progress --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json(r)["end_step"].GetInt64(), 2);
  r = Kgforge("report " + dir_.File("run") + " --out " + dir_.File("r.html") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(Json(r)["bytes"].GetInt64(), 1000);
  EXPECT_TRUE(FileExists(dir_.File("r.html")));
  // One batch for `model grads`: 2 rows of T + 1 = 17 tokens.
  const std::string batch = dir_.Write("batch.bin", tokens.substr(0, 2 * 17 * sizeof(int32_t)));
  r = Kgforge("model grads --checkpoint " + dir_.File("run") + " --tokens " + batch +
              " --batch-size 2 --out " + dir_.File("g.safetensors") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc g = Json(r);
  EXPECT_GT(g["loss"].GetDouble(), 0.0);
  EXPECT_EQ(g["batch"].GetInt64(), 2);
  EXPECT_TRUE(FileExists(dir_.File("g.safetensors")));
}

TEST_F(CliTest, ReviewPrintsTrailAndProvenanceAndRecordsDecisions) {
  const std::string store = Store();
  const std::string out = dir_.File("synth");
  ASSERT_EQ(Kgforge("synth --kg " + store + " --out " + out + " --count 8 --patterns 1p --seed 4").code, 0);
  // Not a terminal: plain text, every selected record with its provenance.
  Outcome r = Kgforge("review " + out + " --kg " + store + " --sample 3 --seed 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("[3/3]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("provenance:"), std::string::npos);
  EXPECT_NE(r.out.find("supported by"), std::string::npos);
  EXPECT_NE(r.out.find("checks: unfiltered"), std::string::npos);
  const size_t at = r.out.find("[1/3] ");
  ASSERT_NE(at, std::string::npos);
  const std::string id = r.out.substr(at + 6, r.out.find(' ', at + 6) - at - 6);
  r = Kgforge("review mark " + out + " --id " + id + " --decision reject --reason stilted --reviewer ann");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Kgforge("review mark " + out + " --id nope --decision accept");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no record 'nope'"), std::string::npos) << r.err;
  r = Kgforge("review stats " + out + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc stats = Json(r);
  EXPECT_EQ(stats["all"]["total"].GetInt(), 1);
  EXPECT_EQ(stats["reject_reasons"]["stilted"].GetInt(), 1);
  // The decision shows in the next view of that record.
  r = Kgforge("review " + out + " --search " + id);
  EXPECT_NE(r.out.find("decision: reject (stilted) by ann"), std::string::npos) << r.out;
  EXPECT_EQ(Kgforge("review").code, 2);
}

// Audit defect 2: `review mark --decision reject` without --reason stored an empty reason.
TEST_F(CliTest, ReviewMarkRefusesARejectWithoutAReason) {
  FilterOutput();
  Outcome r = Kgforge("review kept --plain", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> ids = Shown(r);
  ASSERT_FALSE(ids.empty()) << r.out;
  r = Kgforge("review mark kept --id " + ids[0] + " --decision reject", dir_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pass --reason"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("kept/review.sqlite"))) << "nothing written";
  r = Kgforge("review mark kept --id " + ids[0] + " --decision reject --reason \"$(printf 'x\\033y')\"",
              dir_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("control character (0x1b"), std::string::npos) << r.err;
  r = Kgforge("review mark kept --id " + ids[0] + " --decision reject --reason stilted",
              dir_.path());
  EXPECT_EQ(r.code, 0) << r.err;
}

// Audit defect 4: re-marking a record said nothing of the decision it replaced.
TEST_F(CliTest, ReviewReMarkSaysWhatItReplaces) {
  FilterOutput();
  const std::vector<std::string> ids = Shown(Kgforge("review kept --plain", dir_.path()));
  ASSERT_FALSE(ids.empty());
  const std::string mark = "review mark kept --id " + ids[0];
  Outcome r = Kgforge(mark + " --decision reject --reason 'thought leaks' --note 'turn 3' "
                      "--reviewer alice", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("was "), std::string::npos) << r.out;
  r = Kgforge(mark + " --decision accept --reviewer bob", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("was reject (thought leaks) by alice at "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("; now accept; note kept: turn 3"), std::string::npos) << r.out;
  r = Kgforge("review kept --plain --search " + ids[0], dir_.path());
  EXPECT_NE(r.out.find("decision: accept, note: turn 3 by bob"), std::string::npos) << r.out;
}

// Audit defect 5: `review --db x mark ...` and `review --reviewer bob mark ...` ignored the
// options given before `mark`.
TEST_F(CliTest, ReviewOptionsBeforeASubcommandAreHonouredOrRefused) {
  FilterOutput();
  const std::vector<std::string> ids = Shown(Kgforge("review kept --plain", dir_.path()));
  ASSERT_GE(ids.size(), 2u);
  Outcome r = Kgforge("review --db other.sqlite --reviewer bob mark kept --id " + ids[0] +
                      " --decision accept", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("kept/review.sqlite")));
  r = Kgforge("review --db other.sqlite stats kept --json", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json(r)["all"]["total"].GetInt(), 1);
  r = Kgforge("review kept --plain --db other.sqlite --search " + ids[0], dir_.path());
  EXPECT_NE(r.out.find("decision: accept by bob"), std::string::npos) << r.out;
  // A viewer option, or two different stores, is a usage error naming it; nothing is written.
  r = Kgforge("review --sample 3 mark kept --id " + ids[1] + " --decision accept", dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sample (given before `mark`) is an option of the viewer"),
            std::string::npos) << r.err;
  r = Kgforge("review --db a.sqlite mark kept --db b.sqlite --id " + ids[1] + " --decision accept",
              dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--db is given twice"), std::string::npos) << r.err;
  r = Kgforge("review --reviewer bob stats kept", dir_.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--reviewer"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("a.sqlite")));
  EXPECT_FALSE(FileExists(dir_.File("b.sqlite")));
  EXPECT_FALSE(FileExists(dir_.File("kept/review.sqlite")));
}

// Audit defects 8 and 9: invalid selections printed nothing and exited 0.
TEST_F(CliTest, ReviewSelectionsThatCannotMatchSaySo) {
  FilterOutput();
  Outcome r = Kgforge("review kept --pattern zz", dir_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown pattern 'zz'; patterns: 1p, 2p"), std::string::npos) << r.err;
  r = Kgforge("review kept --split training", dir_.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("splits: train, valid, test"), std::string::npos) << r.err;
  for (const char* none : {"--reason nosuch", "--tool get_nothing"}) {
    r = Kgforge(std::string("review kept ") + none, dir_.path());
    EXPECT_EQ(r.code, 0) << none;
    EXPECT_EQ(r.out, "") << none;
    EXPECT_NE(r.err.find("0 records match"), std::string::npos) << none << ": " << r.err;
  }
  for (const char* bad : {"-1", "99999999999999999999", "abc"}) {
    r = Kgforge(std::string("review kept --sample ") + bad, dir_.path());
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("--sample"), std::string::npos) << bad << ": " << r.err;
    EXPECT_EQ(r.out, "") << bad;
  }
  r = Kgforge("review kept --sample 2", dir_.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Shown(r).size(), 2u);
}

// Audit defect 7: a record the review step dropped (the reviewer's own earlier reject) counted
// as rejected by the automatic checks, so re-marking it inflated the agreement.
TEST_F(CliTest, ReviewStatsDoNotCountAReviewersOwnDropAsTheChecks) {
  FilterOutput();
  const std::vector<std::string> all = Shown(Kgforge("review kept --plain", dir_.path()));
  ASSERT_FALSE(all.empty());
  const std::string id = all[0];  // kept by the checks
  ASSERT_EQ(Kgforge("review mark kept --id " + id + " --decision reject --reason stilted",
                    dir_.path()).code, 0);
  dir_.Write("checks2.json", R"({"filters":[{"type":"record_format"},)"
                             R"({"type":"record_semantic","max_question_chars":70},)"
                             R"({"type":"review_decisions","name":"review","db":")" +
                                 dir_.File("kept/review.sqlite") + "\"}]}");
  Outcome r = Kgforge("filter --config checks2.json --out kept --rejected rejected "
                      "synth/shard-00000.jsonl.zst", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  r = Kgforge("review kept --plain --search " + id, dir_.path());
  EXPECT_NE(r.out.find("checks: kept; dropped by a reviewer's decision (review.rejected)"),
            std::string::npos) << r.out;
  ASSERT_EQ(Kgforge("review mark kept --id " + id + " --decision reject --reason 'still stilted'",
                    dir_.path()).code, 0);
  r = Kgforge("review stats kept --json", dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  JsonDoc stats = Json(r);
  EXPECT_EQ(stats["agreement"]["rejected_kept"].GetInt(), 1) << r.out;
  EXPECT_EQ(stats["agreement"]["rejected_rejected"].GetInt(), 0) << r.out;
}

TEST_F(CliTest, AHungRankReportsWhereItIsAndExitsForARestart) {
  std::vector<int32_t> t(600);
  for (int i = 0; i < 600; ++i) t[i] = i % 40;
  const std::string tokens =
      dir_.Write("t.bin", std::string(reinterpret_cast<const char*>(t.data()), t.size() * 4));
  // Rank 0 stalls 3 s inside an update; the watchdog allows 1 s.
  Outcome r = Kgforge("train --preset tiny --data " + tokens + " --out " + dir_.File("run") +
                      " --steps 3 --seq-len 16 --batch-size 2 --no-progress --hang-seconds 1"
                      " --test-slow-rank 0 --test-slow-ms 3000");
  EXPECT_EQ(r.code, 75) << r.err;
  EXPECT_NE(r.err.find("rank 0 made no progress"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in forward/backward, step 0"), std::string::npos) << r.err;
}

// Issue 13: a killed run's temp files (named by its dead pid) are removed by the next run.
TEST_F(CliTest, ARerunRemovesWhatAKilledRunLeft) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  int status = 0;
  waitpid(dead, &status, 0);
  const std::string pid = std::to_string(dead);
  dir_.Write("docs.jsonl", "{\"text\":\"The cat sat on the mat and looked at the dog.\"}\n");
  dir_.Write("cfg.json", R"({"filters": [{"type": "exact_dedup"}]})");
  ASSERT_TRUE(CreateDirectories(dir_.File("kept")).ok());
  dir_.Write("kept/docs.jsonl.tmp." + pid, "half a file");
  Outcome r = Kgforge("filter --config " + dir_.File("cfg.json") + " " + dir_.File("docs.jsonl") +
                      " --out " + dir_.File("kept"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("kept/docs.jsonl.tmp." + pid)));
  EXPECT_TRUE(FileExists(dir_.File("kept/docs.jsonl")));

  const std::string store = Store();
  const std::string out = dir_.File("synth");
  ASSERT_EQ(Kgforge("synth --kg " + store + " --out " + out + " --count 6 --patterns 1p").code, 0);
  dir_.Write("x.jsonl.tmp." + pid, "half an export");
  r = Kgforge("export --in " + out + " --out " + dir_.File("x.jsonl"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(FileExists(dir_.File("x.jsonl.tmp." + pid)));
}

}  // namespace
}  // namespace kgf::cli
