// Open Inference Protocol v2 response and error bodies (docs/protocols.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/tensor.h"

namespace skiff::protocol {

// {"model_name": ..., "model_version": ..., "id"?: ..., "outputs": [{"name",
// "datatype", "shape", "data": [flat, row-major]}]}.
// Only the outputs named in `requested_outputs` are written, in the model's
// order; empty = all. "id" is present only when `id` is. Floats are printed
// with the shortest digits that round-trip at the element's precision (FP16
// decoded to float); BOOL as true/false; NaN and inf as null.
// Writes straight into the returned string (no JSON DOM).
std::string EncodeInferResponse(std::string_view model_name, std::string_view model_version,
                                const std::optional<std::string>& id,
                                const std::vector<Tensor>& outputs,
                                const std::vector<std::string>& requested_outputs = {});

// {"error": "<message>"} - the OIP error body, also used by the Azure route.
std::string EncodeError(std::string_view message);

}  // namespace skiff::protocol
