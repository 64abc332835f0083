// RunSynthJob: what `kgforge synth` does: open the graph store, load the in-memory graph, and
// run RunSynth over the given process group (the CLI passes its world: the MPI ranks when
// started by mpirun, else this process alone).
#ifndef KGF_SYNTH_SYNTH_JOB_H_
#define KGF_SYNTH_SYNTH_JOB_H_

#include <string>

#include "base/status.h"
#include "dist/communicator.h"
#include "synth/synth_runner.h"

namespace kgf::synth {

struct SynthJobOptions {
  std::string kg_path;  // graph store file
  SynthOptions synth;
};

struct SynthJobResult {
  SynthSummary summary;
  bool is_root = true;  // rank 0 (or the only process): the one that reports
};

// Errors: InvalidArgument for a missing --kg/--out, NotFound/DataLoss from the store, and every
// error of RunSynth.
Result<SynthJobResult> RunSynthJob(const SynthJobOptions& options, dist::Communicator& comm);

}  // namespace kgf::synth

#endif  // KGF_SYNTH_SYNTH_JOB_H_
