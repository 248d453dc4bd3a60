#include "skiff/protocol/infer_response.h"

#include <algorithm>

#include "json_writer.h"

namespace skiff::protocol {

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
  out.append(",\"outputs\":[");
  bool first = true;
  for (const Tensor& t : outputs) {
    if (!requested_outputs.empty() && std::find(requested_outputs.begin(), requested_outputs.end(),
                                                t.name) == requested_outputs.end()) {
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"name\":");
    AppendJsonString(t.name, &out);
    out.append(",\"datatype\":\"");
    out.append(DataTypeName(t.dtype));
    out.append("\",\"shape\":[");
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) out.push_back(',');
      out.append(std::to_string(t.shape[i]));
    }
    out.append("],\"data\":");
    AppendFlatData(t, &out);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

std::string EncodeError(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  out.push_back('}');
  return out;
}

}  // namespace skiff::protocol
