// `kgforge model grads`: the loss and every gradient of one batch from a checkpoint, written
// as safetensors, for checking the hand-written backward against other implementations.
// `kgforge model export-hf`: a checkpoint as a Hugging Face model directory.
// Flags map 1:1 onto trainer::GradsJob / trainer::HfExportOptions; the work is
// trainer/inference.h and trainer/io/hf_checkpoint.h.
#include <cstdio>
#include <cctype>
#include <memory>
#include <optional>
#include <string>

#include "base/json.h"
#include "cli/command.h"
#include "trainer/io/checkpoint_average.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/train/inference.h"

namespace kgf::cli {
namespace {

void SetupExportHf(CLI::App& model);
void SetupAverage(CLI::App& model);

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
  auto grads_json = std::make_shared<bool>(false);
  g->add_flag("--json", *grads_json, "Print the losses as JSON");
  SetupExportHf(*model);
  SetupAverage(*model);
  g->callback([job, grads_json] {
    auto r = trainer::ComputeGradients(*job);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    if (*grads_json) {
      JsonWriter w;
      w.BeginObject().Key("loss").Double(r->loss.loss).Key("lm_loss").Double(r->loss.lm_loss);
      w.Key("balance_loss").Double(r->loss.balance_loss).Key("z_loss").Double(r->loss.z_loss);
      w.Key("target_tokens").Int(r->loss.target_tokens).Key("batch").Int(r->B);
      w.Key("seq_len").Int(r->T).Key("out").String(job->out).EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf("loss %.9g (lm %.9g, balance %.9g, z %.9g) over %lld target tokens, B=%d T=%d\n"
                  "wrote %s\n",
                  r->loss.loss, r->loss.lm_loss, r->loss.balance_loss, r->loss.z_loss,
                  static_cast<long long>(r->loss.target_tokens), r->B, r->T, job->out.c_str());
    }
    SetExitCode(0);
  });
}

// "2GB", "500MB", "1048576": decimal units as transformers' max_shard_size. nullopt if malformed.
std::optional<int64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15) return std::nullopt;
  const int64_t n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  for (char& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (unit.empty() || unit == "B") return n;
  if (unit == "KB") return n * 1000;
  if (unit == "MB") return n * 1000 * 1000;
  if (unit == "GB") return n * 1000 * 1000 * 1000;
  return std::nullopt;
}

void SetupExportHf(CLI::App& model) {
  auto o = std::make_shared<trainer::HfExportOptions>();
  auto shard = std::make_shared<std::string>("2GB");
  auto json = std::make_shared<bool>(false);
  auto* e = model.add_subcommand(
      "export-hf", "write a checkpoint as a Hugging Face model directory (BailingMoeForCausalLM)");
  e->add_option("checkpoint", o->checkpoint, "checkpoint dir or run dir (newest valid checkpoint)")
      ->required();
  e->add_option("--out", o->out, "new directory (absent or empty)")->required();
  e->add_option("--dtype", o->dtype, "weights as bf16 or f32")
      ->check(CLI::IsMember({"bf16", "f32"}))
      ->capture_default_str();
  e->add_option("--shard-size", *shard, "split larger weights into shards (2GB, 500MB, bytes)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return ParseByteSize(v) ? "" : "'" + v + "' is not a size such as 2GB, 500MB or 1048576";
          },
          "SIZE"))
      ->capture_default_str();
  e->add_option("--corpus", o->corpus,
                "corpus folder the model trained on: its tokenizer and chat template (default: "
                "the one the run recorded)");
  e->add_option("--tokenizer", o->tokenizer,
                "sentencepiece model to ship instead (a run trained on raw token files)");
  e->add_option("--hub-repo", o->hub_repo, "Hub repository auto_map points at for Ling's code")
      ->capture_default_str();
  e->add_flag("--json", *json, "Print the summary as JSON");
  e->callback([o, shard, json] {
    o->shard_bytes = *ParseByteSize(*shard);  // the validator accepted it
    auto r = trainer::ExportHf(*o);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    if (*json) {
      JsonWriter w;
      w.BeginObject().Key("out").String(r->out).Key("checkpoint").String(r->checkpoint);
      w.Key("step").Int(r->step).Key("tensors").Int(r->tensors);
      w.Key("weight_bytes").Int(r->weight_bytes).Key("shards").Int(r->shards);
      w.Key("files").BeginArray();
      for (const std::string& f : r->files) w.String(f);
      w.EndArray().EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf("exported %s (step %lld): %lld tensors, %.1f MB of %s weights in %d shard(s)\n"
                  "wrote %s:",
                  r->checkpoint.c_str(), static_cast<long long>(r->step),
                  static_cast<long long>(r->tensors), r->weight_bytes / 1e6, o->dtype.c_str(),
                  r->shards, r->out.c_str());
      for (const std::string& f : r->files) std::printf(" %s", f.c_str());
      std::printf("\n");
    }
    SetExitCode(0);
  });
}

void SetupAverage(CLI::App& model) {
  auto o = std::make_shared<trainer::AverageOptions>();
  auto json = std::make_shared<bool>(false);
  auto* a = model.add_subcommand(
      "average", "average the parameters of checkpoints of one run into a new checkpoint");
  a->add_option("inputs", o->inputs, "checkpoint dirs, or one run dir with --last")->required();
  a->add_option("--last", o->last, "average the run dir's newest N checkpoints")
      ->check(CLI::PositiveNumber);
  a->add_option("--out", o->out, "new run directory (absent or empty) for the average")
      ->required();
  a->add_flag("--json", *json, "Print the summary as JSON");
  a->callback([o, json] {
    auto r = trainer::AverageCheckpoints(*o);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    if (*json) {
      JsonWriter w;
      w.BeginObject().Key("checkpoint").String(r->checkpoint).Key("step").Int(r->step);
      w.Key("tensors").Int(r->tensors).Key("parameters").Int(r->parameters);
      w.Key("sources").BeginArray();
      for (const std::string& s : r->sources) w.String(s);
      w.EndArray().EndObject();
      std::printf("%s\n", w.str().c_str());
    } else {
      std::printf("averaged %zu checkpoints (%lld tensors, %lld parameters) into %s:",
                  r->sources.size(), static_cast<long long>(r->tensors),
                  static_cast<long long>(r->parameters), r->checkpoint.c_str());
      for (const std::string& s : r->sources) std::printf(" %s", s.c_str());
      std::printf("\n");
    }
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(model, kgf::cli::SetupModelCommand);
