// `kgforge report RUN --out report.html`: one self-contained HTML page of a training run
// (trainer/run_report.h).
#include <cstdio>
#include <memory>

#include "base/file_util.h"
#include "base/json.h"
#include "cli/command.h"
#include "trainer/train/run_report.h"

namespace kgf::cli {
namespace {

struct ReportFlags {
  std::string run;
  std::string out = "report.html";
  bool json = false;
};

void SetupReportCommand(CLI::App& root) {
  auto f = std::make_shared<ReportFlags>();
  auto* c = root.add_subcommand("report", "Write a self-contained HTML report of a training run");
  c->add_option("run", f->run, "Run directory of `kgforge train`")->required();
  c->add_option("--out", f->out, "HTML file to write")->capture_default_str();
  c->add_flag("--json", f->json, "Print {report, bytes} as JSON");
  c->callback([f] {
    Result<std::string> html = trainer::RenderRunReport(f->run);
    if (!html.ok()) {
      ReportError(html.status());
      return;
    }
    Status s = WriteFileAtomic(f->out, *html);
    if (!s.ok()) {
      ReportError(s);
      return;
    }
    if (f->json) {
      std::printf("{\"report\":%s,\"bytes\":%zu}\n", JsonQuote(f->out).c_str(), html->size());
    } else {
      std::printf("report: %s (%zu bytes)\n", f->out.c_str(), html->size());
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(report, kgf::cli::SetupReportCommand);
