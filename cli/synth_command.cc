// `kgforge synth`: synthesize verified tool-use dialogues from a graph store (synth/).
// `kgforge synth show`: print records of a synth output for review.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "synth/record_printer.h"
#include "synth/synth_job.h"

namespace kgf::cli {
namespace {

struct SynthFlags {
  synth::SynthJobOptions job;
  bool json = false;
};

void SetupSynthCommand(CLI::App& root) {
  auto flags = std::make_shared<SynthFlags>();
  synth::SynthOptions& o = flags->job.synth;
  CLI::App* cmd = root.add_subcommand(
      "synth", "Synthesize verified tool-use dialogues (14 FOL patterns) from a graph store");
  cmd->add_option("--kg", flags->job.kg_path, "Graph store (from `kgforge kg import`)");
  cmd->add_option("--out", o.out_dir, "Output directory (shards, tools.json, manifest.json)");
  cmd->add_option("--count", o.count,
                  "Records to synthesize: exactly this many, or the command fails saying why")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Run seed: same seed -> byte-identical output")->capture_default_str();
  cmd->add_option("--patterns", o.patterns,
                  "Pattern mix: weights (all | positive | negative | 1p,2i:2,...; a pattern the "
                  "graph cannot fill leaves its share to the others, with a warning) or exact "
                  "quotas (1p=500,2in=100; count = their sum; a quota not met fails)")
      ->capture_default_str();
  cmd->add_option("--shard-size", o.shard_size, "Records per shard")->capture_default_str();
  cmd->add_option("--max-attempts-per-record", o.max_attempts_per_record,
                  "Attempts a shard may spend per record it wants of a pattern before the "
                  "pattern counts as unfillable there")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Worker threads (0 = all cores); never changes output")
      ->capture_default_str();
  cmd->add_option("--zstd-level", o.zstd_level, "zstd level of the shards")->capture_default_str();
  cmd->add_option("--answer-cap", o.sampler.answer_cap, "Max answers per query")->capture_default_str();
  cmd->add_option("--max-width", o.sampler.max_width,
                  "Max entities one hop fans out over (= parallel calls in a turn with --hop-arguments names)")
      ->capture_default_str();
  cmd->add_option("--max-set", o.sampler.max_set, "Max size of an intermediate set")->capture_default_str();
  cmd->add_option("--hop-tries", o.sampler.hop_tries, "Backward-fill tries per hop (BetaE: 40)")
      ->capture_default_str();
  cmd->add_flag_callback(
      "--forward-only", [flags] { flags->job.synth.sampler.both_directions = false; },
      "Walk relations forwards only (no inverse hops), as earlier versions did");
  cmd->add_flag("--allow-anchor-answers", o.sampler.allow_anchor_answers,
                "Accept queries whose answers include one of their anchors");
  cmd->add_option("--allow-relations", o.sampler.allow_relations,
                  "Only these relations (keys or names)")->delimiter(',');
  cmd->add_option("--deny-relations", o.sampler.deny_relations,
                  "Never these relations (keys or names)")->delimiter(',');
  cmd->add_option("--anchor-types", o.sampler.anchor_types,
                  "Only queries with an anchor of one of these entity types (targeted data for "
                  "rare names: a capital anchors a handful of queries, a country hundreds)")
      ->delimiter(',');
  cmd->add_option("--distractors", o.render.distractors, "Extra tools listed per sample")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--set-arguments",
         [&o](const std::string& v) { o.render.result_refs = v == "refs"; },
         "How set calls (intersection, union, negation) name their input lists: lists (copied "
         "names) or refs (\"#k\", the k-th tool result of the dialogue)")
      ->check(CLI::IsMember({"lists", "refs"}))
      ->default_str("lists");
  cmd->add_option_function<std::string>(
         "--hop-arguments",
         [&o](const std::string& v) { o.render.hop_refs = v == "refs"; },
         "How a hop over an earlier result names its input: names (one call per entity, then "
         "a union) or refs (one call with \"#k\": every entity of the k-th tool result)")
      ->check(CLI::IsMember({"names", "refs"}))
      ->default_str("names");
  cmd->add_option("--reflection-share", o.render.reflection_share,
                  "Share of self-reflection samples (a wrong call, its error, the fix)")
      ->capture_default_str();
  cmd->add_option("--no-answer-share", o.outcomes.no_answer_share,
                  "Share of 1p/2p/3p/2i/3i/ip/pi samples whose anchor is swapped so the graph "
                  "has no answer (the last call returns [])")
      ->capture_default_str();
  cmd->add_option("--empty-step-share", o.outcomes.empty_step_share,
                  "Share of multi-step samples whose anchor is swapped so an earlier step comes "
                  "back empty and the assistant stops")
      ->capture_default_str();
  cmd->add_option("--no-tool-share", o.outcomes.no_tool_share,
                  "Share of samples listing no tool for the question; the assistant says so "
                  "without calling")
      ->capture_default_str();
  cmd->add_option("--valid-fraction", o.split.valid_fraction, "Share of entities held out for valid")
      ->capture_default_str();
  cmd->add_option("--test-fraction", o.split.test_fraction, "Share of entities held out for test")
      ->capture_default_str();
  cmd->add_option("--min-held-out", o.split.min_held_out,
                  "At least this many entities each for valid and test (fractions grow to 25%)")
      ->capture_default_str();
  cmd->add_flag("--split-by-facts", o.split.by_facts,
                "Hold out facts instead of anchor entities: no test fact is read by a train record");
  cmd->add_flag("--train-only", o.split.train_only,
                "Write train records only (held-out samples are rejected as held_out): for "
                "counterfactual copies from `kg relabel`, which are never evaluated on");
  cmd->add_flag("--json", flags->json, "Print the summary as JSON instead of text");

  auto show = std::make_shared<synth::ShowOptions>();
  CLI::App* show_cmd = cmd->add_subcommand("show", "Print synthesized dialogues for review");
  show_cmd->add_option("--in", show->in, "A synth output directory or a .jsonl[.zst] file")->required();
  show_cmd->add_option("--limit", show->limit, "Records to print")->capture_default_str();
  show_cmd->add_option("--pattern", show->pattern, "Only this pattern");
  show_cmd->add_option("--split", show->split, "Only this split");
  show_cmd->add_flag("--full-system", show->full_system, "Print whole system prompts");
  show_cmd->add_flag("--json", show->json,
                     "JSON Lines: one {where, record[, dropped]} object per record");
  show_cmd->callback([show] {
    show->color = isatty(STDOUT_FILENO) != 0;
    Result<std::string> text = synth::ShowRecords(*show);
    if (!text.ok()) {
      ReportError(text.status());
      return;
    }
    std::fputs(text->c_str(), stdout);
    SetExitCode(0);
  });

  cmd->callback([flags, show_cmd] {
    if (show_cmd->parsed()) return;
    Result<synth::SynthJobResult> s = synth::RunSynthJob(flags->job, World());
    if (!s.ok()) {
      ReportError(s.status());
      return;
    }
    if (s->is_root) {
      if (flags->json) {
        std::printf("%s\n", s->summary.ToJson().c_str());
      } else {
        std::fputs(s->summary.ToText().c_str(), stdout);
      }
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(synth, kgf::cli::SetupSynthCommand);
