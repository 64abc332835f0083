// Communicator: the little the batch runner needs from a process group (rank, size, barrier,
// a sum). MPI stays behind this interface (mpi_communicator.cc); LocalCommunicator is one rank.
#ifndef KGF_SYNTH_COMMUNICATOR_H_
#define KGF_SYNTH_COMMUNICATOR_H_

#include <cstdint>
#include <memory>

#include "base/status.h"

namespace kgf::synth {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective: returns when every rank has called it.
  virtual Status Barrier() = 0;
  // Collective: the sum of `value` over all ranks.
  virtual Result<int64_t> SumAll(int64_t value) = 0;
};

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status Barrier() override { return Status::Ok(); }
  Result<int64_t> SumAll(int64_t value) override { return value; }
};

// The MPI world when the process was started by mpirun/mpiexec (detected from the launcher's
// environment), else a LocalCommunicator. Initialises MPI on first use and finalises it when
// the returned object is destroyed. Not thread-safe: use from the main thread.
std::unique_ptr<Communicator> WorldCommunicator();

}  // namespace kgf::synth

#endif  // KGF_SYNTH_COMMUNICATOR_H_
