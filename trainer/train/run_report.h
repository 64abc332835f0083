// RunReport: one self-contained HTML page for a training run (`kgforge report RUN --out F`):
// inline SVG charts of loss, LM / balance / z loss, learning rate, grad norm, tokens/s, expert
// load per MoE layer (max/mean over time), spike events, and the eval scores logged by
// `--eval-every` against steps. No scripts, no network: it opens anywhere.
#ifndef KGF_TRAINER_TRAIN_RUN_REPORT_H_
#define KGF_TRAINER_TRAIN_RUN_REPORT_H_

#include <string>

#include "base/status.h"

namespace kgf::trainer {

// Reads <run>/metrics.jsonl. Errors: NotFound (no metrics file), InvalidArgument naming
// file:line for a line that is not a metrics or eval object, or a file without any step.
Result<std::string> RenderRunReport(const std::string& run_dir);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_RUN_REPORT_H_
