// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/infer_response.h"

#include <algorithm>

#include "json_writer.h"
#include "skiff/protocol/infer_request.h"

namespace skiff::protocol {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The JSON, then the binary tensors' bytes.
EncodedBody WithBinary(std::string json, const std::vector<const Tensor*>& binary) {
  EncodedBody encoded;
  if (binary.empty()) {
    encoded.body = std::move(json);
    return encoded;
  }
  encoded.json_length = json.size();
  size_t total = json.size();
  for (const Tensor* t : binary) total += t->data.size();
  encoded.body = std::move(json);
  encoded.body.reserve(total);
  for (const Tensor* t : binary) {
    encoded.body.append(reinterpret_cast<const char*>(t->data.data()), t->data.size());
  }
  return encoded;
}

}  // namespace

void AppendTensorList(const std::vector<Tensor>& tensors, const std::vector<std::string>& only,
                      std::string* out, const std::vector<std::string>& binary,
                      std::vector<const Tensor*>* binary_tensors) {
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
    if (binary_tensors && Contains(binary, t.name)) {
      out->append("],\"parameters\":{\"binary_data_size\":");
      out->append(std::to_string(t.data.size()));
      out->append("}}");
      binary_tensors->push_back(&t);
      continue;
    }
    out->append("],\"data\":");
    AppendFlatData(t, out);
    out->push_back('}');
  }
  out->push_back(']');
}

namespace {

// A first guess of a response's JSON size, so that its body is allocated
// once instead of doubling four or five times as it grows (a small model's
// answer is ~150 bytes: 5 allocations per request, issue 20.5). Generous
// per element (a float's shortest form plus a comma is rarely over 16),
// bounded so a large output does not reserve a multiple of itself at once.
size_t ResponseSizeHint(std::string_view model_name, std::string_view model_version,
                        const std::optional<std::string>& id, const std::vector<Tensor>& outputs) {
  constexpr size_t kMaxHint = 64 * 1024;
  size_t hint = 64 + model_name.size() + model_version.size() + (id ? id->size() + 8 : 0);
  for (const Tensor& t : outputs) {
    const size_t size = DataTypeSize(t.dtype);
    const size_t elements = size ? t.data.size() / size : t.data.size();
    hint += 64 + t.name.size() + 21 * t.shape.size() + 16 * elements;
    if (hint >= kMaxHint) return kMaxHint;
  }
  return hint;
}

// `{"model_name":...,"model_version":...[,"id":...],"outputs":` — the part
// of a response both encoders (JSON only, and with binary outputs) share,
// in a string with room for the outputs.
std::string ResponseHead(std::string_view model_name, std::string_view model_version,
                         const std::optional<std::string>& id, const std::vector<Tensor>& outputs) {
  std::string out;
  out.reserve(ResponseSizeHint(model_name, model_version, id, outputs));
  out.append("{\"model_name\":");
  AppendJsonString(model_name, &out);
  out.append(",\"model_version\":");
  AppendJsonString(model_version, &out);
  if (id) {
    out.append(",\"id\":");
    AppendJsonString(*id, &out);
  }
  out.append(",\"outputs\":");
  return out;
}

}  // namespace

std::string EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs) {
  std::string out = ResponseHead(model_name, model_version, id, outputs);
  AppendTensorList(outputs, requested_outputs, &out);
  out.push_back('}');
  return out;
}

EncodedBody EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs,
                                const std::vector<std::string>& binary_outputs) {
  std::string out = ResponseHead(model_name, model_version, id, outputs);
  std::vector<const Tensor*> binary;
  AppendTensorList(outputs, requested_outputs, &out, binary_outputs, &binary);
  out.push_back('}');
  return WithBinary(std::move(out), binary);
}

EncodedBody EncodeBinaryInferRequest(const std::vector<Tensor>& inputs) {
  std::vector<std::string> names;
  for (const Tensor& t : inputs) names.push_back(t.name);
  std::string out = "{\"parameters\":{\"binary_data_output\":true},\"inputs\":";
  std::vector<const Tensor*> binary;
  AppendTensorList(inputs, {}, &out, names, &binary);
  out.push_back('}');
  EncodedBody encoded = WithBinary(std::move(out), binary);
  // Sent with the header even when no input has a byte, so the upstream
  // answers binary either way (binary_data_output asks for it).
  if (!encoded.json_length) encoded.json_length = encoded.body.size();
  return encoded;
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
