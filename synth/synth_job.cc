// RunSynthJob: store -> in-memory graph -> RunSynth over the MPI world (or this process).
#include "synth/synth_job.h"

#include "kg/graph_store.h"

namespace kgf::synth {

Result<SynthJobResult> RunSynthJob(const SynthJobOptions& options, dist::Communicator& comm) {
  if (options.kg_path.empty()) return InvalidArgumentError("--kg is required (a graph store)");
  if (options.synth.out_dir.empty()) return InvalidArgumentError("--out is required (a directory)");
  // Every rank loads the graph itself (read-only, no communication needed).
  KGF_ASSIGN_OR_RETURN(kg::OpenedGraph opened, kg::OpenGraph(options.kg_path));
  if (!opened.counterfactual_of.empty() && !options.synth.split.train_only) {
    return FailedPreconditionError(
        options.kg_path + ": a counterfactual copy of the graph " + opened.counterfactual_of +
        " (kg relabel): its facts are not the graph's, so none of its records may be held out "
        "for evaluation; add --train-only");
  }
  const KgRef ref{opened.name, opened.checksum};
  SynthJobResult result;
  KGF_ASSIGN_OR_RETURN(result.summary, RunSynth(opened.graph, ref, options.synth, comm));
  result.is_root = comm.rank() == 0;
  return result;
}

}  // namespace kgf::synth
