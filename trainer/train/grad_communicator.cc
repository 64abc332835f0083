#include "trainer/train/grad_communicator.h"

namespace kgf::trainer {

Status AllReduceGradients(dist::Communicator& comm, const ParameterList& params) {
  if (comm.size() == 1) return Status::Ok();
  for (Parameter* p : params) KGF_RETURN_IF_ERROR(comm.AllReduceMean(std::span<float>(p->grad)));
  return Status::Ok();
}

}  // namespace kgf::trainer
