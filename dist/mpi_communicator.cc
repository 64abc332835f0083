// MPI implementation of dist::Communicator (OpenMPI). The only file that includes mpi.h.
// The C API only: keep OpenMPI's deprecated C++ bindings (and their link dependency) out.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "dist/communicator.h"

namespace kgf::dist {
namespace {

constexpr int64_t kChunk = 1 << 20;  // values per Allgather

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
  Status AllReduceMean(std::span<float> data) override { return Mean(data, MPI_FLOAT); }
  Status AllReduceMean(std::span<double> data) override { return Mean(data, MPI_DOUBLE); }

 private:
  // Allgather + a sum in rank order (MPI_Allreduce's order is implementation-defined).
  template <typename T>
  Status Mean(std::span<T> data, MPI_Datatype type) {
    if (size_ == 1) return Status::Ok();
    std::vector<T> all;
    for (int64_t begin = 0; begin < static_cast<int64_t>(data.size()); begin += kChunk) {
      const int64_t n = std::min<int64_t>(kChunk, static_cast<int64_t>(data.size()) - begin);
      all.resize(static_cast<size_t>(n) * size_);
      if (MPI_Allgather(data.data() + begin, static_cast<int>(n), type, all.data(),
                        static_cast<int>(n), type, MPI_COMM_WORLD) != MPI_SUCCESS) {
        return InternalError("MPI_Allgather failed in a mean all-reduce; check that every rank "
                             "is alive");
      }
      const T inv = T(1) / static_cast<T>(size_);
      for (int64_t i = 0; i < n; ++i) {
        T sum = 0;
        for (int r = 0; r < size_; ++r) sum += all[static_cast<size_t>(r) * n + i];
        data[begin + i] = sum * inv;
      }
    }
    return Status::Ok();
  }

  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};

}  // namespace

bool LaunchedByMpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

std::unique_ptr<Communicator> WorldCommunicator() {
  if (LaunchedByMpi()) return std::make_unique<MpiCommunicator>();
  return std::make_unique<LocalCommunicator>();
}

}  // namespace kgf::dist
