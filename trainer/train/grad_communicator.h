// GradCommunicator: what data-parallel training needs from a process group: rank, size and a
// mean all-reduce of the flattened gradient (and of a few scalars, e.g. the loss). The trainer
// talks only to this interface, so OpenMPI data parallel and EDiT local SGD (SPEC §5) slot in
// without touching the model or the loop. LocalCommunicator is the single-process group.
#ifndef KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_
#define KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_

#include <memory>
#include <span>

#include "base/status.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

class GradCommunicator {
 public:
  virtual ~GradCommunicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective: replaces `data` on every rank by its element-wise mean over the ranks. The
  // reduction order must be fixed (results identical on every rank and across runs).
  // Errors: the transport's failure (IoError / Internal naming it).
  virtual Status AllReduceMean(std::span<float> data) = 0;
  // Same for doubles (loss, token counts).
  virtual Status AllReduceMean(std::span<double> data) = 0;
};

// One process: the mean of one value is the value.
class LocalCommunicator final : public GradCommunicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status AllReduceMean(std::span<float>) override { return Status::Ok(); }
  Status AllReduceMean(std::span<double>) override { return Status::Ok(); }
};

// The MPI world (OpenMPI, mpi_grad_communicator.cc) when the process was started by
// mpirun/mpiexec, else a LocalCommunicator. Initialises MPI if needed and finalises it (if it
// initialised it) when destroyed. The MPI AllReduceMean gathers every rank's values and sums
// them in rank order, so results are identical on all ranks and reproducible run to run
// (memory: size() x one 1M-value chunk). Use from one thread.
std::unique_ptr<GradCommunicator> WorldGradCommunicator();

// Reduces every parameter's gradient through `comm` (one call per parameter, in list order).
// A no-op for a group of one.
Status AllReduceGradients(GradCommunicator& comm, const ParameterList& params);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_
