// SPDX-License-Identifier: Apache-2.0
#include "skiff/protocol/swagger.h"

#include <nlohmann/json.hpp>

namespace skiff::protocol {
namespace {

using json = nlohmann::json;

const char* JsonTypeOf(DataType dtype) {
  switch (dtype) {
    case DataType::kFp32:
    case DataType::kFp64:
    case DataType::kFp16:
    case DataType::kBf16:
      return "number";
    case DataType::kBool:
      return "boolean";
    case DataType::kBytes:
      return "string";
    default:
      return "integer";
  }
}

// Schema for arrays nested by spec.shape[axis...].
json ArraySchema(const TensorSpec& spec, size_t axis) {
  if (axis == spec.shape.size()) {
    json leaf = {{"type", JsonTypeOf(spec.dtype)}};
    if (spec.dtype == DataType::kFp32) leaf["format"] = "float";
    if (spec.dtype == DataType::kFp64) leaf["format"] = "double";
    if (spec.dtype == DataType::kInt64) leaf["format"] = "int64";
    if (spec.dtype == DataType::kInt32) leaf["format"] = "int32";
    return leaf;
  }
  json schema = {{"type", "array"}, {"items", ArraySchema(spec, axis + 1)}};
  if (spec.shape[axis] >= 0) {
    schema["minItems"] = spec.shape[axis];
    schema["maxItems"] = spec.shape[axis];
  }
  return schema;
}

json ExampleValue(const TensorSpec& spec, size_t axis) {
  if (axis == spec.shape.size()) {
    if (spec.dtype == DataType::kBool) return false;
    if (spec.dtype == DataType::kBytes) return "";
    if (JsonTypeOf(spec.dtype) == std::string("number")) return 0.0;
    return 0;
  }
  const int64_t n = spec.shape[axis] < 0 ? 1 : spec.shape[axis];
  json items = json::array();
  for (int64_t i = 0; i < n; ++i) items.push_back(ExampleValue(spec, axis + 1));
  return items;
}

// {"type": "object", "properties": {"<key>": ...}, "example": {"<key>": ...}}
// with one tensor, or an object keyed by tensor name for several.
json PayloadSchema(const char* key, const std::vector<TensorSpec>& specs) {
  json value_schema;
  json example;
  if (specs.size() == 1) {
    value_schema = ArraySchema(specs[0], 0);
    example = ExampleValue(specs[0], 0);
  } else {
    json properties = json::object();
    example = json::object();
    json required = json::array();
    for (const TensorSpec& spec : specs) {
      properties[spec.name] = ArraySchema(spec, 0);
      example[spec.name] = ExampleValue(spec, 0);
      required.push_back(spec.name);
    }
    value_schema = {{"type", "object"}, {"properties", properties}, {"required", required}};
  }
  return {{"type", "object"},
          {"properties", {{key, value_schema}}},
          {"required", {key}},
          {"example", {{key, example}}}};
}

}  // namespace

std::string SwaggerJson(std::string_view service_name, const Signature& signature,
                        std::string_view version) {
  const std::string name(service_name);
  const json error_response = {{"description", "The request failed; 'error' says why."},
                               {"schema", {{"$ref", "#/definitions/ErrorResponse"}}}};
  json doc = {
      {"swagger", "2.0"},
      {"info",
       {{"title", name},
        {"description", "API for the skiff web service " + name + "."},
        {"version", std::string(version)}}},
      {"basePath", "/api/v1/service/" + name},
      {"schemes", {"https", "http"}},
      {"consumes", {"application/json"}},
      {"produces", {"application/json"}},
      {"securityDefinitions",
       {{"Bearer",
         {{"type", "apiKey"},
          {"name", "Authorization"},
          {"in", "header"},
          {"description",
           "For example: Bearer abc123 (a service key or an Azure AD / OIDC token)."}}}}},
      {"paths",
       {{"/",
         {{"get",
           {{"operationId", "ServiceHealthCheck"},
            {"description", "Health check: 200 when the service is up."},
            {"responses",
             {{"200",
               {{"description", "The service is up."},
                {"schema", {{"type", "string"}}},
                {"examples", {{"application/json", "Healthy"}}}}},
              {"default", error_response}}}}}}},
        {"/score",
         {{"post",
           {{"operationId", "RunMLService"},
            {"description", "Scores the input with the service's model."},
            {"security", json::array({{{"Bearer", json::array()}}})},
            {"parameters", json::array({{{"name", "serviceInputPayload"},
                                         {"in", "body"},
                                         {"description", "The input payload."},
                                         {"required", true},
                                         {"schema", {{"$ref", "#/definitions/ServiceInput"}}}}})},
            {"responses",
             {{"200",
               {{"description", "The model's prediction."},
                {"schema", {{"$ref", "#/definitions/ServiceOutput"}}}}},
              {"default", error_response}}}}}}}}},
      {"definitions",
       {{"ServiceInput", PayloadSchema("data", signature.inputs)},
        {"ServiceOutput", PayloadSchema("result", signature.outputs)},
        {"ErrorResponse",
         {{"type", "object"}, {"properties", {{"error", {{"type", "string"}}}}}}}}}};
  return doc.dump(2);
}

}  // namespace skiff::protocol
