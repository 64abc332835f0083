// `kgforge model grads`: the loss and every gradient of one batch from a checkpoint, written
// as safetensors, for checking the hand-written backward against other implementations.
// Flags map 1:1 onto trainer::GradsJob; the work is trainer/inference.h.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "trainer/train/inference.h"

namespace kgf::cli {
namespace {

void SetupModelCommand(CLI::App& root) {
  auto* model = root.add_subcommand("model", "inspect a trained model");
  model->require_subcommand(1);
  auto job = std::make_shared<trainer::GradsJob>();
  auto* g = model->add_subcommand("grads", "loss and every parameter gradient of one batch");
  g->add_option("--checkpoint", job->checkpoint, "checkpoint dir or run dir")->required();
  g->add_option("--tokens", job->tokens, "raw int32 tokens: --batch-size rows of T + 1")->required();
  g->add_option("--out", job->out, "gradients (.safetensors, HF parameter names)")->required();
  g->add_option("--batch-size", job->batch_size, "rows in the token file")->capture_default_str();
  g->add_option("--step", job->step, "routing-warmup step (-1: the checkpoint's)")->capture_default_str();
  g->callback([job] {
    auto r = trainer::ComputeGradients(*job);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    std::printf("loss %.9g (lm %.9g, balance %.9g, z %.9g) over %lld target tokens, B=%d T=%d\n"
                "wrote %s\n",
                r->loss.loss, r->loss.lm_loss, r->loss.balance_loss, r->loss.z_loss,
                static_cast<long long>(r->loss.target_tokens), r->B, r->T, job->out.c_str());
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(model, kgf::cli::SetupModelCommand);
