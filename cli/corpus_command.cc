// `kgforge corpus`: tokenizer training, chat rendering, corpus build, shard inspection and
// verification. Flags map 1:1 onto corpus/ Options structs; all logic lives in corpus/.
#include <cstdio>
#include <memory>

#include "base/file_util.h"
#include "base/json.h"
#include "cli/command.h"
#include "corpus/corpus_builder.h"
#include "corpus/corpus_reader.h"
#include "corpus/inspect.h"

namespace kgf::cli {
namespace {

void Print(const std::string& text) { std::fputs(text.c_str(), stdout); }

void SetupTokenizer(CLI::App& corpus) {
  auto* tok = corpus.add_subcommand("tokenizer", "sentencepiece tokenizer");
  tok->require_subcommand(1);
  auto job = std::make_shared<corpus::TokenizerTrainJob>();
  auto* train = tok->add_subcommand(
      "train", "train a BPE tokenizer (byte fallback, chat special tokens) on the mix sources");
  train->add_option("--config", job->config, "mix config whose sources to train on");
  train->add_option("--input", job->inputs, ".jsonl/.jsonl.zst text files (field `text`)");
  train->add_option("--out", job->out, "model file to write")->capture_default_str();
  train->add_option("--vocab-size", job->train.vocab_size, "vocabulary size")->capture_default_str();
  train->add_option("--max-sentences", job->train.max_sentences,
                    "lines sampled for training")->capture_default_str();
  train->add_option("--max-sentence-bytes", job->train.max_sentence_bytes,
                    "longer lines are cut")->capture_default_str();
  train->add_option("--character-coverage", job->train.character_coverage,
                    "share of characters kept as pieces (rest: bytes)")->capture_default_str();
  train->add_option("--seed", job->train.seed, "sampling seed")->capture_default_str();
  auto symbols = std::make_shared<std::string>();
  train->add_option("--user-symbols", *symbols,
                    "file of pieces kept whole, one per line (e.g. `kgforge kg export --format "
                    "names`: entity names become single tokens; they count towards the vocab)");
  auto json = std::make_shared<bool>(false);
  train->add_flag("--json", *json, "Print {model, checksum} as JSON");
  train->callback([job, json, symbols] {
    if (!symbols->empty()) {
      int64_t skipped = 0;
      auto read = corpus::ReadUserSymbols(*symbols, &skipped);
      if (!read.ok()) return (void)ReportError(read.status());
      job->train.user_symbols = std::move(*read);
      if (skipped > 0) {
        std::fprintf(stderr, "tokenizer: %lld user symbols with a comma left to BPE\n",
                     static_cast<long long>(skipped));
      }
    }
    auto checksum = corpus::TrainTokenizerJob(*job);
    if (!checksum.ok()) {
      ReportError(checksum.status());
      return;
    }
    if (*json) {
      JsonWriter w;
      w.BeginObject().Key("model").String(job->out).Key("checksum").String(*checksum).EndObject();
      Print(w.str() + "\n");
    } else {
      Print("wrote " + job->out + " (" + *checksum + ")\n");
    }
    SetExitCode(0);
  });
}

void SetupCorpusCommand(CLI::App& root) {
  auto* corpus = root.add_subcommand("corpus", "tokenizer, chat template, Megatron token shards");
  corpus->require_subcommand(1);
  SetupTokenizer(*corpus);

  auto render = std::make_shared<corpus::RenderOptions>();
  auto* r = corpus->add_subcommand("render", "render a tool-use record with trained spans marked");
  r->add_option("RECORD", render->record, "record file (.json/.jsonl/.jsonl.zst) or JSON")->required();
  r->add_option("--line", render->line, "line of a .jsonl file")->capture_default_str();
  r->add_option("--tokenizer", render->tokenizer, "also count tokens with this model");
  r->add_flag("--color", render->color, "ANSI colour instead of ⟦ ⟧ markers");
  r->callback([render] {
    auto text = corpus::RenderRecord(*render);
    if (!text.ok()) return (void)ReportError(text.status());
    Print(*text);
    SetExitCode(0);
  });

  auto build = std::make_shared<corpus::CorpusBuildOptions>();
  auto* b = corpus->add_subcommand("build", "build pre-training and SFT shards (train split) and held-out eval files from a mix config");
  b->add_option("--config", build->config, "mix config JSON")->required();
  b->add_option("--out", build->out, "new output folder")->required();
  b->add_option("--tokenizer", build->tokenizer, "overrides the config's tokenizer");
  b->add_option("--threads", build->threads, "0 = all cores")->capture_default_str();
  b->add_flag("--force", build->force,
              "Rebuild even when --out holds a finished corpus (one built from the same config, "
              "inputs, tokenizer and kgforge binary is otherwise reused; another is refused)");
  auto build_json = std::make_shared<bool>(false);
  b->add_flag("--json", *build_json, "Print the corpus manifest (manifest.json) as JSON");
  b->callback([build, build_json] {
    auto summary = corpus::BuildCorpus(*build);
    if (!summary.ok()) return (void)ReportError(summary.status());
    if (*build_json) {
      Print(summary->manifest.ToJson() + "\n");
    } else {
      Print((summary->reused ? "up to date: " + summary->out +
                                   " was built from the same config, inputs, tokenizer and "
                                   "kgforge binary (fingerprint " +
                                   summary->manifest.fingerprint + "); nothing rebuilt (--force "
                                   "rebuilds)\n"
                             : "built " + summary->out + "\n") +
            summary->manifest.Summary());
    }
    SetExitCode(0);
  });

  auto inspect = std::make_shared<corpus::InspectOptions>();
  auto* i = corpus->add_subcommand("inspect", "describe a shard, or decode one document");
  i->add_option("SHARD", inspect->shard, "shard prefix or .bin/.idx path")->required();
  i->add_option("--doc", inspect->doc, "document to decode");
  i->add_option("--tokenizer", inspect->tokenizer, "default: tokenizer.model beside the shard");
  i->add_flag("--color", inspect->color, "ANSI colour instead of ⟦ ⟧ markers");
  i->callback([inspect] {
    auto text = corpus::InspectShard(*inspect);
    if (!text.ok()) return (void)ReportError(text.status());
    Print(*text);
    SetExitCode(0);
  });

  auto verify_dir = std::make_shared<std::string>();
  auto* v = corpus->add_subcommand("verify", "check sizes, xxh3 checksums (shards and eval files) and index consistency");
  v->add_option("DIR", *verify_dir, "corpus folder")->required();
  auto verify_json = std::make_shared<bool>(false);
  v->add_flag("--json", *verify_json, "Print {ok, corpus, manifest} as JSON");
  v->callback([verify_dir, verify_json] {
    auto report = corpus::VerifyCorpus(*verify_dir);
    if (!report.ok()) return (void)ReportError(report.status());
    if (*verify_json) {
      // Verified above: the manifest parses and every file it lists matches.
      auto manifest = ReadFileToString(JoinPath(*verify_dir, "manifest.json"));
      if (!manifest.ok()) return (void)ReportError(manifest.status());
      std::string m = *manifest;
      while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
      Print("{\"ok\":true,\"corpus\":" + JsonQuote(*verify_dir) + ",\"manifest\":" + m + "}\n");
    } else {
      Print(*report);
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(corpus, kgf::cli::SetupCorpusCommand);
