// SPDX-License-Identifier: Apache-2.0
// The OpenAPI (Swagger 2.0) document a service serves at GET .../swagger.json,
// as Azure ML does: POST /score (Bearer) and GET / (health).
#pragma once

#include <string>
#include <string_view>

#include "skiff/tensor.h"

namespace skiff::protocol {

// Describes the Azure-style routes of `service_name` (basePath
// /api/v1/service/<name>): the request and response schemas follow
// azure_score.h, with example payloads built from `signature` (dynamic dims
// shown as 1, values 0 / false). `version` goes into info.version.
std::string SwaggerJson(std::string_view service_name, const Signature& signature,
                        std::string_view version);

}  // namespace skiff::protocol
