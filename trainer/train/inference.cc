#include "trainer/train/inference.h"

#include <cstring>

#include "base/file_util.h"
#include "corpus/tokenizer.h"
#include "trainer/io/checkpoint.h"
#include "trainer/model/model_config.h"
#include "trainer/io/safetensors.h"
#include "trainer/io/state_json.h"

namespace kgf::trainer {
namespace {

Result<std::vector<int32_t>> ParseIds(const std::string& text, int vocab) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\n' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j - i > 9) {
      return InvalidArgumentError("--prompt must be token ids (\"5 17 3\") when no --tokenizer is "
                                  "given; found '" + text.substr(i, 20) + "'");
    }
    ids.push_back(static_cast<int32_t>(std::stol(text.substr(i, j - i))));
    i = j;
  }
  for (int32_t id : ids) {
    if (id >= vocab) {
      return InvalidArgumentError("token id " + std::to_string(id) + " >= the model's vocab_size " +
                                  std::to_string(vocab));
    }
  }
  return ids;
}

}  // namespace

Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path) {
  KGF_ASSIGN_OR_RETURN(Checkpoint ck, ReadCheckpointOrLatest(path));
  KGF_ASSIGN_OR_RETURN(ModelConfig config,
                       ModelConfig::FromJson(ck.config_json, JoinPath(ck.dir, kConfigFile)));
  KGF_ASSIGN_OR_RETURN(Model model, Model::Create(config, 1));
  KGF_RETURN_IF_ERROR(LoadParameters(ck.model, model.parameters(), ParameterField::kValue,
                                     JoinPath(ck.dir, kModelFile)));
  // A Hugging Face directory carries no routing-warmup statistics (they only matter while
  // training within the warmup).
  if (!ck.from_hf) KGF_RETURN_IF_ERROR(model.SetRouterState(ck.state.router_state));
  LoadedModel out;
  out.model = std::make_unique<Model>(std::move(model));
  out.dir = ck.dir;
  out.step = ck.step;
  return out;
}

Result<GenerateResult> GenerateFromCheckpoint(const GenerateJob& job) {
  KGF_ASSIGN_OR_RETURN(LoadedModel lm, LoadModelFromCheckpoint(job.checkpoint));
  const int vocab = lm.model->config().vocab_size;
  GenerateResult r;
  std::optional<corpus::Tokenizer> tok;
  if (!job.tokenizer.empty()) {
    KGF_ASSIGN_OR_RETURN(corpus::Tokenizer t, corpus::Tokenizer::Load(job.tokenizer));
    if (t.vocab_size() > vocab) {
      return FailedPreconditionError(job.tokenizer + " has " + std::to_string(t.vocab_size()) +
                                     " tokens but the model's vocab_size is " + std::to_string(vocab));
    }
    KGF_ASSIGN_OR_RETURN(r.prompt_ids, t.Encode(job.prompt));
    tok = std::move(t);
  } else {
    KGF_ASSIGN_OR_RETURN(r.prompt_ids, ParseIds(job.prompt, vocab));
  }
  if (r.prompt_ids.empty()) return InvalidArgumentError("--prompt is empty");
  if (static_cast<int>(r.prompt_ids.size()) >= lm.model->config().max_position_embeddings) {
    return InvalidArgumentError("the prompt has " + std::to_string(r.prompt_ids.size()) +
                                " tokens; the model holds " +
                                std::to_string(lm.model->config().max_position_embeddings));
  }
  Model::GenerateOptions g;
  g.max_new_tokens = job.max_new_tokens;
  g.temperature = job.temperature;
  g.top_p = job.top_p;
  g.seed = job.seed;
  if (job.stop_at_end_of_text) {
    const int32_t eot = corpus::SpecialId(corpus::Special::kEndOfText);
    if (eot < vocab) g.stop_tokens.push_back(eot);
  }
  r.new_ids = lm.model->Generate(r.prompt_ids, g);
  if (tok) {
    KGF_ASSIGN_OR_RETURN(r.text, tok->Decode(r.new_ids));
  } else {
    for (size_t i = 0; i < r.new_ids.size(); ++i) r.text += (i ? " " : "") + std::to_string(r.new_ids[i]);
  }
  return r;
}

Result<GradsResult> ComputeGradients(const GradsJob& job) {
  if (job.batch_size <= 0) return InvalidArgumentError("--batch-size must be > 0");
  KGF_ASSIGN_OR_RETURN(LoadedModel lm, LoadModelFromCheckpoint(job.checkpoint));
  KGF_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(job.tokens));
  if (bytes.size() % 4 != 0) {
    return InvalidArgumentError(job.tokens + ": not a whole number of int32 tokens");
  }
  std::vector<int32_t> tokens(bytes.size() / 4);
  if (!bytes.empty()) std::memcpy(tokens.data(), bytes.data(), bytes.size());
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n % job.batch_size != 0 || n / job.batch_size < 2) {
    return InvalidArgumentError(job.tokens + ": " + std::to_string(n) +
                                " tokens do not split into " + std::to_string(job.batch_size) +
                                " rows of at least 2");
  }
  const ModelConfig& config = lm.model->config();
  const int L = static_cast<int>(n / job.batch_size);
  Batch b;
  b.B = job.batch_size;
  b.T = L - 1;
  if (b.T > config.max_position_embeddings) {
    return InvalidArgumentError(job.tokens + ": rows of " + std::to_string(b.T) +
                                " positions exceed max_position_embeddings " +
                                std::to_string(config.max_position_embeddings));
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= config.vocab_size) {
      return InvalidArgumentError(job.tokens + ": token id " + std::to_string(t) +
                                  " outside the model's vocabulary [0, " +
                                  std::to_string(config.vocab_size) + ")");
    }
  }
  for (int r = 0; r < b.B; ++r) {
    for (int t = 0; t < b.T; ++t) {
      b.tokens.push_back(tokens[r * L + t]);
      b.targets.push_back(tokens[r * L + t + 1]);
      b.loss_mask.push_back(1.0f);
    }
  }
  ParameterList params = lm.model->parameters();
  for (Parameter* p : params) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
  const int64_t step = job.step >= 0 ? job.step : lm.step;
  GradsResult res;
  res.loss = lm.model->ForwardBackward(b, step, 1.0f);
  res.B = b.B;
  res.T = b.T;
  res.checkpoint_dir = lm.dir;
  KGF_RETURN_IF_ERROR(WriteParameters(
      job.out, params, ParameterField::kGrad,
      {{"loss", JsonDouble(res.loss.loss)},
       {"lm_loss", JsonDouble(res.loss.lm_loss)},
       {"balance_loss", JsonDouble(res.loss.balance_loss)},
       {"z_loss", JsonDouble(res.loss.z_loss)},
       {"target_tokens", std::to_string(res.loss.target_tokens)},
       {"B", std::to_string(b.B)},
       {"T", std::to_string(b.T)},
       {"step", std::to_string(step)}}));
  return res;
}

}  // namespace kgf::trainer
