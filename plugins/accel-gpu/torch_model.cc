#include "torch_model.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

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
    const size_t arity = method->function().getSchema().arguments().size() - 1;
    if (arity != options.signature.inputs.size()) {
      return FailedPrecondition("TorchScript model '" + path + "': forward() takes " +
                                std::to_string(arity) +
                                " input(s) but the inference config "
                                "declares " +
                                std::to_string(options.signature.inputs.size()));
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
    t.data.assign(static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype), 0);
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
  for (const Tensor& t : inputs) args.emplace_back(ToTorch(t, device_));
  const c10::IValue result = module_.forward(std::move(args));
  SKIFF_ASSIGN_OR_RETURN(std::vector<at::Tensor> tensors, MapOutputs(result));
  std::vector<Tensor> outputs;
  outputs.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& spec = signature_.outputs[i];
    StatusOr<Tensor> out = FromTorch(tensors[i], spec.name);
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

StatusOr<std::vector<at::Tensor>> TorchModel::MapOutputs(const c10::IValue& result) const {
  const std::vector<TensorSpec>& specs = signature_.outputs;
  // Built only for an error message (this runs on every request).
  auto model_name = [this] { return "TorchScript model '" + artifact_path_ + "'"; };
  std::vector<at::Tensor> tensors;
  std::vector<c10::IValue> items;
  if (result.isTensor()) {
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
    if (!items[i].isTensor()) {
      return FailedPrecondition(model_name() + ": output '" + specs[i].name + "' is a " +
                                items[i].tagKind() + ", not a tensor");
    }
    tensors.push_back(items[i].toTensor());
  }
  return tensors;
}

}  // namespace skiff::accel_gpu
