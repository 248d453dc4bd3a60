#include "signature_check.h"

namespace skiff::protocol {

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
  size_t bytes = DataTypeSize(dtype);
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

}  // namespace skiff::protocol
