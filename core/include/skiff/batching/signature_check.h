// Checks request tensors against a model signature. Std-only, so the data
// plane uses it for every accelerator and plugins may reuse it.
#pragma once

#include <vector>

#include "skiff/status.h"
#include "skiff/tensor.h"

namespace skiff {

// OK when `inputs` match `signature.inputs` in count and, position by
// position, in name (an empty tensor name is accepted), dtype, rank, every
// fixed dimension (-1 in the spec matches any size >= 0) and byte size.
// Otherwise kInvalidArgument naming the input, e.g.
//   "input 'x': expected shape [-1, 4], got [2, 5]".
// Threading: pure function; safe to call concurrently.
Status CheckInputs(const Signature& signature, const std::vector<Tensor>& inputs);

// Same checks for a model's outputs against `signature.outputs`. A mismatch
// means the model does not do what its config says: kFailedPrecondition
// naming the output.
// Threading: pure function; safe to call concurrently.
Status CheckOutputs(const Signature& signature, const std::vector<Tensor>& outputs);

}  // namespace skiff
