// `kgforge generate`: continue a prompt with a trained checkpoint (KV-cache decoding).
// Flags map 1:1 onto trainer::GenerateJob; the work is trainer/inference.h.
#include <cstdio>
#include <memory>

#include "base/json.h"
#include "cli/command.h"
#include "trainer/model/bf16_gemm.h"
#include "trainer/train/inference.h"

namespace kgf::cli {
namespace {

void SetupGenerateCommand(CLI::App& root) {
  auto job = std::make_shared<trainer::GenerateJob>();
  auto* c = root.add_subcommand("generate", "generate a continuation with a trained checkpoint");
  c->add_option("--checkpoint", job->checkpoint, "checkpoint dir or run dir (newest valid checkpoint)")->required();
  c->add_option("--prompt", job->prompt, "text (with --tokenizer) or token ids \"5 17 3\"")->required();
  c->add_option("--tokenizer", job->tokenizer, "sentencepiece model, e.g. <corpus>/tokenizer.model");
  c->add_option("--max-new-tokens", job->max_new_tokens, "tokens to generate")->capture_default_str();
  c->add_option("--temperature", job->temperature, "0 = greedy")->capture_default_str();
  c->add_option("--top-p", job->top_p, "nucleus sampling mass")->capture_default_str();
  c->add_option("--seed", job->seed, "sampling seed")->capture_default_str();
  c->add_flag("--stop-at-eot,!--no-stop-at-eot", job->stop_at_end_of_text,
              "stop at <|end_of_text|> (default on)");
  auto json = std::make_shared<bool>(false);
  c->add_flag("--json", *json, "Print {text, prompt_ids, new_ids} as JSON");
  auto precision = std::make_shared<std::string>("auto");
  c->add_option("--precision", *precision,
                "matrix products in fp32, bf16 or auto (bf16 where it beats fp32 here: AMX, "
                "or AVX-512 BF16 on AMD)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  c->callback([job, precision, json] {
    Result<trainer::MatmulPrecision> p = trainer::ResolveMatmulPrecision(*precision);
    if (!p.ok()) {
      ReportError(p.status());
      return;
    }
    trainer::ScopedMatmulPrecision scoped(*p);
    auto r = trainer::GenerateFromCheckpoint(*job);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    if (*json) {
      JsonWriter w;
      w.BeginObject().Key("text").String(r->text).Key("prompt_ids").BeginArray();
      for (int32_t id : r->prompt_ids) w.Int(id);
      w.EndArray().Key("new_ids").BeginArray();
      for (int32_t id : r->new_ids) w.Int(id);
      w.EndArray().EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::fputs((r->text + "\n").c_str(), stdout);
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(generate, kgf::cli::SetupGenerateCommand);
