// Communicator: what the distributed commands need from a process group, in one interface:
// rank and size, a barrier, an integer sum (the synth runner's agreement on targets and
// errors), and a mean all-reduce over float / double spans (data-parallel gradients, losses).
// MPI stays behind it: dist/mpi_communicator.cc is the only file of the project that includes
// mpi.h, so synth, filters and the training loop link no MPI of their own. LocalCommunicator
// is the group of one. The CLI creates the world once per process (cli/command.h World()).
#ifndef KGF_DIST_COMMUNICATOR_H_
#define KGF_DIST_COMMUNICATOR_H_

#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"

namespace kgf::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective: returns when every rank has called it.
  virtual Status Barrier() = 0;
  // Collective: the sum of `value` over all ranks.
  virtual Result<int64_t> SumAll(int64_t value) = 0;
  // Collective: replaces `data` on every rank by its element-wise mean over the ranks, summed
  // in rank order (the same bits on every rank and in every run). Errors: the transport's
  // failure (Internal, naming the call).
  virtual Status AllReduceMean(std::span<float> data) = 0;
  virtual Status AllReduceMean(std::span<double> data) = 0;
};

// One process: every collective is the identity.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status Barrier() override { return Status::Ok(); }
  Result<int64_t> SumAll(int64_t value) override { return value; }
  Status AllReduceMean(std::span<float>) override { return Status::Ok(); }
  Status AllReduceMean(std::span<double>) override { return Status::Ok(); }
};

// True when the process was started by mpirun / mpiexec (OpenMPI, PMI or PMIx environment).
bool LaunchedByMpi();

// The MPI world (OpenMPI) when LaunchedByMpi(), else a LocalCommunicator. Initialises MPI if
// needed and finalises it (if it initialised it) when the returned object is destroyed. The
// mean all-reduce gathers every rank's values (1M-value chunks: memory size() x 1M values) and
// sums them in rank order. Not thread-safe: use from the main thread.
std::unique_ptr<Communicator> WorldCommunicator();

}  // namespace kgf::dist

#endif  // KGF_DIST_COMMUNICATOR_H_
