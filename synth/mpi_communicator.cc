// MPI implementation of Communicator (OpenMPI). Only this file includes mpi.h.
// The C API only: keep OpenMPI's deprecated C++ bindings (and their link dependency) out.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <cstdlib>

#include "synth/communicator.h"

namespace kgf::synth {
namespace {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init(nullptr, nullptr);
      owns_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_ && !finalized) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status Barrier() override {
    if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS) {
      return InternalError("MPI_Barrier failed; check that every rank is alive");
    }
    return Status::Ok();
  }
  Result<int64_t> SumAll(int64_t value) override {
    long long in = value, out = 0;
    if (MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) {
      return InternalError("MPI_Allreduce failed; check that every rank is alive");
    }
    return static_cast<int64_t>(out);
  }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};

bool LaunchedByMpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<Communicator> WorldCommunicator() {
  if (LaunchedByMpi()) return std::make_unique<MpiCommunicator>();
  return std::make_unique<LocalCommunicator>();
}

}  // namespace kgf::synth
