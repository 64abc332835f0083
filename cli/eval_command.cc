// `kgforge eval`: run a trained model as a tool-using agent on held-out records, execute its
// calls on the graph, and score them (eval/evaluator.h). Flags map 1:1 onto eval::EvalOptions.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "eval/evaluator.h"
#include "trainer/model/bf16_gemm.h"

namespace kgf::cli {
namespace {

struct EvalFlags {
  eval::EvalOptions options;
  bool json = false;
  std::string precision = "auto";
};

void SetupEvalCommand(CLI::App& root) {
  auto f = std::make_shared<EvalFlags>();
  eval::EvalOptions& o = f->options;
  auto* c = root.add_subcommand(
      "eval", "Run a checkpoint as a tool-using agent on held-out records and score its calls");
  c->add_option("--checkpoint", o.checkpoint,
                "Checkpoint or run dir (omit: only the gold replay and the baseline)");
  c->add_option("--kg", o.kg, "Graph store the records were made from")->required();
  c->add_option("--in", o.inputs,
                "Record files (.jsonl[.zst]) or folders; default: the corpus's eval/<split>.jsonl");
  c->add_option("--corpus", o.corpus,
                "Training corpus: its tokenizer, chat template and held-out records");
  c->add_option("--tokenizer", o.tokenizer, "Tokenizer (default: the corpus's tokenizer.model)");
  c->add_flag("--compact-prompts", o.chat.compact_prompts,
              "Without --corpus: render prompts compactly (compact_prompts)");
  c->add_option("--split", o.split, "Records of this split only (any = all)")->capture_default_str();
  c->add_option("--patterns", o.patterns, "Patterns to evaluate (all, 1p,2p,2i, ...)")
      ->capture_default_str();
  c->add_option("--limit", o.limit, "At most this many records (0 = all)")->capture_default_str();
  c->add_option("--per-pattern", o.per_pattern, "At most this many records per pattern (0 = all)")
      ->capture_default_str();
  c->add_option("--max-turns", o.max_turns, "Assistant turns per dialogue")->capture_default_str();
  c->add_flag("--constrain-calls", o.constrain_calls,
              "Constrained decoding of calls: tool names from the record's tools, arguments from "
              "the graph entities named in the dialogue so far or result references #k (report "
              "beside unconstrained scores)");
  c->add_option("--max-new-tokens", o.max_new_tokens, "Generated tokens per turn")
      ->capture_default_str();
  c->add_option("--threads", o.threads,
                "Dialogues played at once, one model copy each (0 = one per core); never changes "
                "the scores")
      ->capture_default_str();
  c->add_option("--transcript", o.transcript,
                "Write every model dialogue (calls, graph results, verdict) to this JSONL file");
  c->add_flag("--json", f->json, "Print the report as JSON on stdout");
  c->add_option("--precision", f->precision,
                "matrix products in fp32, bf16 or auto (bf16 where it beats fp32 here: AMX, "
                "or AVX-512 BF16 on AMD)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  c->callback([f] {
    Result<trainer::MatmulPrecision> precision = trainer::ResolveMatmulPrecision(f->precision);
    if (!precision.ok()) {
      ReportError(precision.status());
      return;
    }
    trainer::ScopedMatmulPrecision scoped(*precision);
    Result<eval::EvalReport> r = eval::RunEval(f->options);
    if (!r.ok()) {
      ReportError(r.status());
      return;
    }
    std::fputs((f->json ? r->ToJson() : r->ToText()).c_str(), stdout);
    SetExitCode(0);
  });
}

}  // namespace
}  // namespace kgf::cli

KGF_REGISTER_COMMAND(eval, kgf::cli::SetupEvalCommand);
