// SPDX-License-Identifier: Apache-2.0
#include "skiff/signature_check.h"

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
    // The tensor's name for a refusal; built only for one (this runs on
    // every scored request, in the plugin's Score).
    auto where = [&] { return std::string(what) + " '" + spec.name + "'"; };
    if (!t.name.empty() && t.name != spec.name) {
      return make(std::string(what) + " " + std::to_string(i) + ": expected '" + spec.name +
                  "', got '" + t.name + "' (" + what + "s go in signature order)");
    }
    if (t.dtype != spec.dtype) {
      return make(where() + ": expected dtype " + DataTypeName(spec.dtype) + ", got " +
                  DataTypeName(t.dtype));
    }
    if (!ShapeMatches(spec.shape, t.shape)) {
      return make(where() + ": expected shape " + ShapeToString(spec.shape) + ", got " +
                  ShapeToString(t.shape));
    }
    if (t.dtype == DataType::kBytes) {
      const int64_t got = CountBytesElements(t.data.data(), t.data.size());
      if (got != t.NumElements()) {
        return make(where() + ": shape " + ShapeToString(t.shape) + " of BYTES needs " +
                    std::to_string(t.NumElements()) + " length-prefixed elements, got " +
                    (got < 0 ? std::string("a buffer whose last length runs past its end")
                             : std::to_string(got)));
      }
      continue;
    }
    const size_t want = static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype);
    if (t.data.size() != want) {
      return make(where() + ": shape " + ShapeToString(t.shape) + " of " + DataTypeName(t.dtype) +
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

int FindSpec(const std::vector<TensorSpec>& specs, std::string_view name) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string SpecNames(const std::vector<TensorSpec>& specs) {
  std::string names;
  for (const TensorSpec& spec : specs) {
    if (!names.empty()) names += ", ";
    names += spec.name;
  }
  return names;
}

std::string DescribeSpec(const TensorSpec& spec) {
  return "'" + spec.name + "' (" + DataTypeName(spec.dtype) + " " + ShapeToString(spec.shape) + ")";
}

Status CheckDataType(const TensorSpec& spec, DataType dtype) {
  if (dtype == spec.dtype) return OkStatus();
  return InvalidArgument("input '" + spec.name + "': datatype " + DataTypeName(dtype) +
                         " does not match the model's " + DataTypeName(spec.dtype) + "; send " +
                         DataTypeName(spec.dtype));
}

Status CheckShape(const TensorSpec& spec, const std::vector<int64_t>& shape) {
  if (shape.size() != spec.shape.size()) {
    return InvalidArgument("input '" + spec.name + "': shape " + ShapeToString(shape) +
                           " has rank " + std::to_string(shape.size()) +
                           " but the model expects rank " + std::to_string(spec.shape.size()) +
                           " " + ShapeToString(spec.shape) + " (-1 = any size)");
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (spec.shape[i] >= 0 && shape[i] != spec.shape[i]) {
      return InvalidArgument("input '" + spec.name + "': shape " + ShapeToString(shape) +
                             " does not match the model's " + ShapeToString(spec.shape) +
                             ": dimension " + std::to_string(i) + " must be " +
                             std::to_string(spec.shape[i]) + " (-1 = any size)");
    }
  }
  return OkStatus();
}

StatusOr<size_t> CheckedByteSize(const std::string& what, const std::vector<int64_t>& shape,
                                 DataType dtype, size_t max_bytes) {
  size_t bytes = MinElementSize(dtype);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return InvalidArgument(what + ": shape " + ShapeToString(shape) + " has negative dimension " +
                             std::to_string(i) + "; dimensions must be >= 0");
    }
    const auto dim = static_cast<size_t>(shape[i]);
    if (dim != 0 && bytes > max_bytes / dim) {
      return InvalidArgument(what + ": shape " + ShapeToString(shape) + " of " +
                             DataTypeName(dtype) + " is over the request size limit of " +
                             std::to_string(max_bytes) + " bytes; send smaller batches");
    }
    bytes *= dim;
  }
  if (bytes > max_bytes) {
    return InvalidArgument(what + ": shape " + ShapeToString(shape) + " of " + DataTypeName(dtype) +
                           " is over the request size limit of " + std::to_string(max_bytes) +
                           " bytes; send smaller batches");
  }
  return bytes;
}

namespace {

Status CompareSpecs(const char* kind, const std::vector<TensorSpec>& reference,
                    const std::string& reference_name, const std::vector<TensorSpec>& candidate,
                    const std::string& candidate_name) {
  const auto brief = [](const TensorSpec& t) {
    return std::string(DataTypeName(t.dtype)) + " " + ShapeToString(t.shape);
  };
  for (size_t i = 0; i < reference.size() || i < candidate.size(); ++i) {
    if (i >= candidate.size()) {
      return FailedPrecondition(std::string(kind) + " " + DescribeSpec(reference[i]) + " of " +
                                reference_name + " is not in " + candidate_name);
    }
    if (i >= reference.size()) {
      return FailedPrecondition(std::string(kind) + " " + DescribeSpec(candidate[i]) + " of " +
                                candidate_name + " is not in " + reference_name);
    }
    const TensorSpec& r = reference[i];
    const TensorSpec& c = candidate[i];
    if (r.name != c.name) {
      return FailedPrecondition(std::string(kind) + " " + std::to_string(i + 1) + " is " +
                                DescribeSpec(r) + " in " + reference_name + " but " +
                                DescribeSpec(c) + " in " + candidate_name);
    }
    if (r.dtype != c.dtype || r.shape != c.shape) {
      return FailedPrecondition(std::string(kind) + " '" + r.name + "': " + brief(r) + " in " +
                                reference_name + ", " + brief(c) + " in " + candidate_name);
    }
  }
  return OkStatus();
}

}  // namespace

Status CompareSignatures(const Signature& reference, const std::string& reference_name,
                         const Signature& candidate, const std::string& candidate_name) {
  SKIFF_RETURN_IF_ERROR(
      CompareSpecs("input", reference.inputs, reference_name, candidate.inputs, candidate_name));
  return CompareSpecs("output", reference.outputs, reference_name, candidate.outputs,
                      candidate_name);
}

}  // namespace skiff
