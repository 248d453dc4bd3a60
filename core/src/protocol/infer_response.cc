#include "skiff/protocol/infer_response.h"

#include <algorithm>

#include "json_writer.h"
#include "skiff/protocol/infer_request.h"

namespace skiff::protocol {

void AppendTensorList(const std::vector<Tensor>& tensors, const std::vector<std::string>& only,
                      std::string* out) {
  out->push_back('[');
  bool first = true;
  for (const Tensor& t : tensors) {
    if (!only.empty() && std::find(only.begin(), only.end(), t.name) == only.end()) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"name\":");
    AppendJsonString(t.name, out);
    out->append(",\"datatype\":\"");
    out->append(DataTypeName(t.dtype));
    out->append("\",\"shape\":[");
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) out->push_back(',');
      out->append(std::to_string(t.shape[i]));
    }
    out->append("],\"data\":");
    AppendFlatData(t, out);
    out->push_back('}');
  }
  out->push_back(']');
}

std::string EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs) {
  std::string out;
  out.append("{\"model_name\":");
  AppendJsonString(model_name, &out);
  out.append(",\"model_version\":");
  AppendJsonString(model_version, &out);
  if (id) {
    out.append(",\"id\":");
    AppendJsonString(*id, &out);
  }
  out.append(",\"outputs\":");
  AppendTensorList(outputs, requested_outputs, &out);
  out.push_back('}');
  return out;
}

std::string EncodeInferRequest(const std::vector<Tensor>& inputs,
                               const std::optional<std::string>& id,
                               const std::vector<std::string>& requested_outputs) {
  std::string out = "{";
  if (id) {
    out.append("\"id\":");
    AppendJsonString(*id, &out);
    out.push_back(',');
  }
  out.append("\"inputs\":");
  AppendTensorList(inputs, {}, &out);
  if (!requested_outputs.empty()) {
    out.append(",\"outputs\":[");
    for (size_t i = 0; i < requested_outputs.size(); ++i) {
      if (i) out.push_back(',');
      out.append("{\"name\":");
      AppendJsonString(requested_outputs[i], &out);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string EncodeTensorList(const std::vector<Tensor>& tensors) {
  std::string out;
  AppendTensorList(tensors, {}, &out);
  return out;
}

std::string EncodeError(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  out.push_back('}');
  return out;
}

}  // namespace skiff::protocol
