// SPDX-License-Identifier: Apache-2.0
#include "torch_model.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <exception>
#include <fstream>
#include <mutex>

#include "device.h"
#include "skiff/signature_check.h"
#include "tensor_convert.h"

namespace skiff::accel_gpu {
namespace {

// c10::Error::what() carries a C++ backtrace; users need its first line.
std::string FirstLine(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// Intra-op threads are an OpenMP/ATen setting of the calling thread, so it is
// applied on the thread that scores, once per value.
void ApplyIntraOpThreads(int32_t threads) {
  thread_local int32_t applied = -1;
  if (threads <= 0 || threads == applied) return;
  at::set_num_threads(threads);
  applied = threads;
}

// libtorch accepts set_num_interop_threads once per process, and only before
// the inter-op pool has started; afterwards it throws. First caller wins.
void ApplyInterOpThreads(int32_t threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    if (threads <= 0) return;
    try {
      at::set_num_interop_threads(threads);
    } catch (const std::exception&) {
      // The pool is already running (set elsewhere in this process); keep it.
    }
  });
}

Status CheckSignature(const ModelLoadOptions& options) {
  if (options.signature.inputs.empty() || options.signature.outputs.empty()) {
    return InvalidArgument("model '" + options.artifact_path +
                           "': the inference config must declare at least one input and one "
                           "output");
  }
  for (const std::vector<TensorSpec>* specs :
       {&options.signature.inputs, &options.signature.outputs}) {
    for (const TensorSpec& spec : *specs) {
      if (spec.dtype == DataType::kBytes && spec.shape.size() != 1) {
        return InvalidArgument("model '" + options.artifact_path + "': BYTES tensor '" + spec.name +
                               "' has shape " + ShapeToString(spec.shape) +
                               "; a TorchScript model takes and returns BYTES as List[str], so "
                               "declare it with rank 1 ([-1])");
      }
      if (spec.dtype != DataType::kBytes && !ToScalarType(spec.dtype)) {
        return InvalidArgument(
            "model '" + options.artifact_path + "': tensor '" + spec.name + "' is " +
            DataTypeName(spec.dtype) + ", which libtorch " + TORCH_VERSION +
            " has no type for; declare INT64 or INT32 (and send that), or serve the model "
            "with a runtime that takes it");
      }
      for (int64_t d : spec.shape) {
        if (d < -1) {
          return InvalidArgument("model '" + options.artifact_path + "': tensor '" + spec.name +
                                 "' has dimension " + std::to_string(d) +
                                 " (use -1 for a dynamic dimension)");
        }
      }
    }
  }
  return OkStatus();
}

}  // namespace

TorchModel::TorchModel(torch::jit::Module module, const ModelLoadOptions& options,
                       c10::Device device)
    : module_(std::move(module)),
      signature_(options.signature),
      artifact_path_(options.artifact_path),
      device_(device),
      intra_op_threads_(options.intra_op_threads) {}

StatusOr<std::unique_ptr<TorchModel>> TorchModel::Load(const ModelLoadOptions& options) {
  const std::string& path = options.artifact_path;
  try {
    SKIFF_RETURN_IF_ERROR(CheckSignature(options));
    if (!std::ifstream(path).good()) {
      return NotFound("model file '" + path + "' does not exist or cannot be read");
    }
    SKIFF_ASSIGN_OR_RETURN(c10::Device device, SelectDevice(options.device, options.replica_index));
    ApplyInterOpThreads(options.inter_op_threads);
    ApplyIntraOpThreads(options.intra_op_threads);
    torch::jit::Module module;
    try {
      module = torch::jit::load(path, device);
    } catch (const c10::Error& e) {
      return InvalidArgument("'" + path + "' is not a loadable TorchScript model: " +
                             FirstLine(e.what_without_backtrace()) +
                             " (save it with torch.jit.script(model).save(path))");
    }
    module.eval();
    const auto method = module.find_method("forward");
    if (!method) {
      return InvalidArgument("TorchScript model '" + path + "' has no forward() method");
    }
    // The schema's first argument is `self`.
    const auto& arguments = method->function().getSchema().arguments();
    const size_t arity = arguments.size() - 1;
    if (arity != options.signature.inputs.size()) {
      return FailedPrecondition("TorchScript model '" + path + "': forward() takes " +
                                std::to_string(arity) +
                                " input(s) but the inference config "
                                "declares " +
                                std::to_string(options.signature.inputs.size()));
    }
    // BYTES inputs go in as List[str]; every other input as a Tensor.
    for (size_t i = 0; i < options.signature.inputs.size(); ++i) {
      const TensorSpec& spec = options.signature.inputs[i];
      const bool wants_strings = arguments[i + 1].type()->isSubtypeOf(*c10::ListType::ofStrings());
      if ((spec.dtype == DataType::kBytes) != wants_strings) {
        return InvalidArgument("TorchScript model '" + path + "': forward()'s argument " +
                               std::to_string(i + 1) + " ('" + arguments[i + 1].name() + "') is " +
                               arguments[i + 1].type()->str() + " but input '" + spec.name +
                               "' is " + DataTypeName(spec.dtype) +
                               "; BYTES inputs need List[str] arguments, other inputs "
                               "Tensor arguments");
      }
    }
    return std::unique_ptr<TorchModel>(new TorchModel(std::move(module), options, device));
  } catch (const c10::Error& e) {
    return InvalidArgument("cannot load TorchScript model '" + path +
                           "': " + FirstLine(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return InvalidArgument("cannot load TorchScript model '" + path + "': " + e.what());
  }
}

Status TorchModel::Warmup() {
  std::vector<Tensor> zeros;
  for (const TensorSpec& spec : signature_.inputs) {
    Tensor t;
    t.name = spec.name;
    t.dtype = spec.dtype;
    for (int64_t d : spec.shape) t.shape.push_back(d < 0 ? 1 : d);
    if (t.dtype == DataType::kBytes) {
      for (int64_t i = 0; i < t.NumElements(); ++i) AppendBytesElement("", &t.data);
    } else {
      t.data.assign(static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype), 0);
    }
    zeros.push_back(std::move(t));
  }
  StatusOr<std::vector<Tensor>> out = Score(zeros);
  return out.ok() ? OkStatus() : out.status().WithContext("warm-up of '" + artifact_path_ + "'");
}

StatusOr<std::vector<Tensor>> TorchModel::Score(const std::vector<Tensor>& inputs) {
  SKIFF_RETURN_IF_ERROR(CheckInputs(signature_, inputs));
  try {
    return Forward(inputs);
  } catch (const c10::Error& e) {
    return Internal("TorchScript model '" + artifact_path_ +
                    "' failed: " + FirstLine(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return Internal("TorchScript model '" + artifact_path_ + "' failed: " + e.what());
  }
}

StatusOr<std::vector<Tensor>> TorchModel::Forward(const std::vector<Tensor>& inputs) {
  ApplyIntraOpThreads(intra_op_threads_);
  c10::InferenceMode guard;
  std::vector<c10::IValue> args;
  args.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    args.emplace_back(t.dtype == DataType::kBytes ? ToTorchStrings(t) : ToTorch(t, device_));
  }
  const c10::IValue result = module_.forward(std::move(args));
  SKIFF_ASSIGN_OR_RETURN(std::vector<c10::IValue> values, MapOutputs(result));
  std::vector<Tensor> outputs;
  outputs.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const TensorSpec& spec = signature_.outputs[i];
    StatusOr<Tensor> out = spec.dtype == DataType::kBytes
                               ? FromTorchStrings(values[i], spec.name)
                               : FromTorch(values[i].toTensor(), spec.name);
    if (!out.ok()) return out.status().WithContext("output '" + spec.name + "'");
    outputs.push_back(std::move(out).value());
  }
  Status valid = CheckOutputs(signature_, outputs);
  if (!valid.ok()) {
    return valid.WithContext("TorchScript model '" + artifact_path_ +
                             "' does not match its inference config");
  }
  return outputs;
}

StatusOr<std::vector<c10::IValue>> TorchModel::MapOutputs(const c10::IValue& result) const {
  const std::vector<TensorSpec>& specs = signature_.outputs;
  // Built only for an error message (this runs on every request).
  auto model_name = [this] { return "TorchScript model '" + artifact_path_ + "'"; };
  std::vector<c10::IValue> items;
  const bool one_bytes_output = specs.size() == 1 && specs[0].dtype == DataType::kBytes;
  if (result.isTensor() || (one_bytes_output && result.isList())) {
    items.push_back(result);
  } else if (result.isTuple()) {
    for (const c10::IValue& v : result.toTupleRef().elements()) items.push_back(v);
  } else if (result.isList()) {
    for (const c10::IValue& v : result.toListRef()) items.push_back(v);
  } else if (result.isGenericDict()) {
    const c10::Dict<c10::IValue, c10::IValue> dict = result.toGenericDict();
    if (dict.size() != specs.size()) {
      return FailedPrecondition(
          model_name() + " returned a dict of " + std::to_string(dict.size()) +
          " outputs but the inference config declares " + std::to_string(specs.size()));
    }
    for (const TensorSpec& spec : specs) {
      auto it = dict.find(c10::IValue(spec.name));
      if (it == dict.end()) {
        return FailedPrecondition(model_name() + " returned a dict without output '" + spec.name +
                                  "' (dict outputs are matched by output name)");
      }
      items.push_back(it->value());
    }
  } else {
    return FailedPrecondition(model_name() + " returned a " + result.tagKind() +
                              "; expected a tensor, or a tuple, list or dict of tensors");
  }
  if (items.size() != specs.size()) {
    return FailedPrecondition(model_name() + " returned " + std::to_string(items.size()) +
                              " output(s) but the inference config declares " +
                              std::to_string(specs.size()));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    // BYTES outputs are lists of str, checked by FromTorchStrings.
    if (specs[i].dtype != DataType::kBytes && !items[i].isTensor()) {
      return FailedPrecondition(model_name() + ": output '" + specs[i].name + "' is a " +
                                items[i].tagKind() + ", not a tensor");
    }
  }
  return items;
}

}  // namespace skiff::accel_gpu
