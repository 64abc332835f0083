// `kgforge filter`: run the quality-filter pipeline (filters/pipeline.h) over .jsonl[.zst] files
// and print the per-filter, per-reason report.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "filters/records/record_filters.h"

namespace kgf::cli {
namespace {

void SetupFilterCommand(CLI::App& root) {
  auto o = std::make_shared<filters::FilterRunOptions>();
  CLI::App* cmd = root.add_subcommand(
      "filter",
      "Filter .jsonl/.jsonl.zst records through a JSON-configured pipeline (text rules, PII, "
      "dedup, tool-use record checks); writes kept records, rejected ones with reasons, and a "
      "report");
  cmd->add_option("--config", o->config, "Pipeline config (JSON; see filters/README.md)")
      ->required();
  cmd->add_option("inputs", o->inputs, "Input .jsonl / .jsonl.zst files")->required();
  cmd->add_option("--out", o->out_dir, "Output directory: kept records + filter_report.json")
      ->required();
  cmd->add_option("--rejected", o->rejected_dir,
                  "Directory for dropped records with filter, reason and detail");
  cmd->add_option("--kg", o->kg,
                  "Graph store the records were synthesized from (needed by record_execution)");
  cmd->add_option("--threads", o->threads, "Worker threads (0 = all cores); never changes output")
      ->capture_default_str();
  cmd->add_option("--chunk-mib", o->chunk_mib,
                  "MiB of input read, judged and written at a time: bounds memory; never changes "
                  "output (dedup remembers compact keys across chunks)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout");
  cmd->add_flag("--force", o->force,
                "Run even when --out holds a finished run of the same inputs, config, named "
                "files, graph and kgforge binary (which is otherwise reused)");
  cmd->callback([o] {
    Result<filters::PipelineReport> report = filters::RunFilterCommand(*o);
    if (!report.ok()) {
      ReportError(report.status());
      return;
    }
    std::string text = o->json ? report->ToJson() + "\n" : report->ToText();
    std::fputs(text.c_str(), stdout);
    SetExitCode(0);
  });
}

}  // namespace

KGF_REGISTER_COMMAND(filter, SetupFilterCommand);

}  // namespace kgf::cli
