// SPDX-License-Identifier: Apache-2.0
// Small helpers for writing JSON text straight into a std::string; used by
// the response encoders on the hot path instead of building a DOM.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "skiff/tensor.h"

namespace skiff::protocol {

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view text, std::string* out);

// Appends the tensor's elements as a flat JSON array.
void AppendFlatData(const Tensor& tensor, std::string* out);

// Appends the tensor's elements as arrays nested by its shape ("[[1,2],[3,4]]");
// a scalar (shape []) is written bare.
void AppendNestedData(const Tensor& tensor, std::string* out);

// Appends `[{"name","datatype","shape","data"}, ...]`, the OIP v2 tensor list
// of requests ("inputs") and responses ("outputs"); only the tensors named in
// `only` when it is not empty. Defined in infer_response.cc.
// Tensors named in `binary` get parameters.binary_data_size instead of data
// and are added to *binary_tensors, for their bytes to follow the JSON.
void AppendTensorList(const std::vector<Tensor>& tensors, const std::vector<std::string>& only,
                      std::string* out, const std::vector<std::string>& binary = {},
                      std::vector<const Tensor*>* binary_tensors = nullptr);

}  // namespace skiff::protocol
