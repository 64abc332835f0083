// `kgforge export`: converts a synth output directory to ShareGPT, xLAM, Hermes, Bailing or
// OpenAI JSONL (synth/exporters.h).
#include <cstdio>
#include <memory>

#include "base/json.h"
#include "cli/command.h"
#include "synth/exporters.h"

namespace kgf::cli {
namespace {

void SetupExportCommand(CLI::App& root) {
  auto opts = std::make_shared<synth::ExportOptions>();
  CLI::App* cmd = root.add_subcommand(
      "export", "Convert synthesized records to a training format (sharegpt, xlam, hermes, bailing, openai)");
  cmd->add_option("--in", opts->in_dir, "A `kgforge synth` output directory")->required();
  cmd->add_option("--out", opts->out, "Output file (.jsonl, or .jsonl.zst to compress)")->required();
  cmd->add_option("--format", opts->format, "sharegpt | xlam | hermes | bailing | openai")
      ->capture_default_str();
  cmd->add_option("--split", opts->split, "Only records of this split (train, valid, test)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the summary as JSON");
  cmd->callback([opts, json] {
    Result<synth::ExportSummary> s = synth::ExportShards(*opts);
    if (!s.ok()) {
      ReportError(s.status());
      return;
    }
    if (*json) {
      JsonWriter w;
      w.BeginObject().Key("records").Uint(s->records).Key("shards").Uint(s->shards);
      w.Key("out").String(opts->out).Key("format").String(opts->format);
      w.Key("skipped").BeginObject();
      for (const auto& [why, n] : s->skipped) w.Key(why).Uint(n);
      w.EndObject().Key("dataset_info").String(s->dataset_info).EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf("export: %llu records from %llu shards -> %s (%s)\n",
                  static_cast<unsigned long long>(s->records),
                  static_cast<unsigned long long>(s->shards), opts->out.c_str(),
                  opts->format.c_str());
      for (const auto& [why, n] : s->skipped) {
        std::printf("  skipped %llu: %s\n", static_cast<unsigned long long>(n), why.c_str());
      }
      if (!s->dataset_info.empty()) std::printf("  dataset entry in %s\n", s->dataset_info.c_str());
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(export, kgf::cli::SetupExportCommand);
