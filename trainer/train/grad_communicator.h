// Data-parallel gradient reduction over a dist::Communicator (dist/communicator.h): the trainer
// talks only to that interface, so OpenMPI data parallel and EDiT local SGD (SPEC §5) slot in
// without touching the model or the loop.
#ifndef KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_
#define KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_

#include "base/status.h"
#include "dist/communicator.h"
#include "trainer/model/parameter.h"

namespace kgf::trainer {

// Replaces every parameter's gradient by its mean over the ranks (one call per parameter, in
// list order). A no-op for a group of one.
Status AllReduceGradients(dist::Communicator& comm, const ParameterList& params);

}  // namespace kgf::trainer

#endif  // KGF_TRAINER_TRAIN_GRAD_COMMUNICATOR_H_
