#include "skiff/batching/signature_check.h"

#include <string>

namespace skiff {
namespace {

bool ShapeMatches(const std::vector<int64_t>& spec, const std::vector<int64_t>& got) {
  if (spec.size() != got.size()) return false;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (got[i] < 0) return false;
    if (spec[i] >= 0 && spec[i] != got[i]) return false;
  }
  return true;
}

// `what` is "input" or "output"; `make` builds the Status of the right code.
Status CheckTensors(const char* what, Status (*make)(std::string),
                    const std::vector<TensorSpec>& specs, const std::vector<Tensor>& tensors) {
  if (specs.size() != tensors.size()) {
    return make(std::string("expected ") + std::to_string(specs.size()) + " " + what +
                (specs.size() == 1 ? "" : "s") + ", got " + std::to_string(tensors.size()));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    const Tensor& t = tensors[i];
    const std::string where = std::string(what) + " '" + spec.name + "'";
    if (!t.name.empty() && t.name != spec.name) {
      return make(std::string(what) + " " + std::to_string(i) + ": expected '" + spec.name +
                  "', got '" + t.name + "' (" + what + "s go in signature order)");
    }
    if (t.dtype != spec.dtype) {
      return make(where + ": expected dtype " + DataTypeName(spec.dtype) + ", got " +
                  DataTypeName(t.dtype));
    }
    if (!ShapeMatches(spec.shape, t.shape)) {
      return make(where + ": expected shape " + ShapeToString(spec.shape) + ", got " +
                  ShapeToString(t.shape));
    }
    const size_t want = static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype);
    if (t.data.size() != want) {
      return make(where + ": shape " + ShapeToString(t.shape) + " of " + DataTypeName(t.dtype) +
                  " needs " + std::to_string(want) + " bytes, got " +
                  std::to_string(t.data.size()));
    }
  }
  return OkStatus();
}

}  // namespace

Status CheckInputs(const Signature& signature, const std::vector<Tensor>& inputs) {
  return CheckTensors("input", &InvalidArgument, signature.inputs, inputs);
}

Status CheckOutputs(const Signature& signature, const std::vector<Tensor>& outputs) {
  return CheckTensors("output", &FailedPrecondition, signature.outputs, outputs);
}

}  // namespace skiff
