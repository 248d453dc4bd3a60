// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the protocol tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "skiff/tensor.h"

namespace skiff::protocol::testing {

template <typename T>
std::vector<uint8_t> Bytes(std::initializer_list<T> values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  size_t i = 0;
  for (T v : values) std::memcpy(out.data() + sizeof(T) * i++, &v, sizeof(T));
  return out;
}

inline TensorSpec Spec(std::string name, DataType dtype, std::vector<int64_t> shape) {
  return TensorSpec{std::move(name), dtype, std::move(shape)};
}

inline Tensor MakeTensor(std::string name, DataType dtype, std::vector<int64_t> shape,
                         std::vector<uint8_t> data) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

}  // namespace skiff::protocol::testing
