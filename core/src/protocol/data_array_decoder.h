// SPDX-License-Identifier: Apache-2.0
// Decodes one tensor's JSON `data` array (flat or nested) from SAX events,
// writing each element straight into the tensor's byte buffer and inferring
// the shape from the nesting. Nested arrays must be rectangular.
//
// When the element type is not yet known (an OIP input whose "datatype" comes
// after its "data"), values are kept as JsonScalars and converted by Finish().
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_scalar.h"
#include "skiff/tensor.h"

namespace skiff::protocol {

class DataArrayDecoder {
 public:
  // Starts a new array. `dtype` nullopt = deferred. `out` receives the
  // elements (appended); `max_bytes` caps what may be appended.
  // `expected_elements` (0 = unknown) only sizes the buffer up front.
  void Begin(std::optional<DataType> dtype, std::vector<uint8_t>* out, size_t max_bytes,
             size_t expected_elements);

  // SAX events for the array, starting with its opening '['. Each returns
  // false on an error, described by error(); the message is relative, e.g.
  // "data element 5: 300 is out of range for UINT8 (0 to 255)".
  bool StartArray();
  bool EndArray();
  bool Scalar(const JsonScalar& value) {
    // Hot path, inline: a float into FP32 at the leaf level, with room
    // already made in the buffer. Everything else (and every error) goes
    // through ScalarSlow, which checks and explains.
    if (fp32_ && value.kind == JsonScalar::Kind::kFloat && depth_ != 0 && depth_ == leaf_depth_ &&
        written_ + 4 <= out_->size() && (num_elements_ + 1) * 4 <= max_bytes_) {
      const float f = static_cast<float>(value.d);
      if (f - f == 0) {  // finite (an out-of-range double became inf)
        std::memcpy(out_->data() + written_, &f, 4);
        written_ += 4;
        ++counts_[depth_ - 1];
        ++num_elements_;
        return true;
      }
    }
    return ScalarSlow(value);
  }
  // A string: one BYTES element (any other datatype refuses it).
  bool String(std::string_view value);
  // Any other JSON value (null, object) inside the array.
  bool Unexpected(const char* what);

  // True once the outermost array has closed.
  bool done() const { return started_ && depth_ == 0; }
  // The shape the nesting describes: [n] for a flat array.
  std::vector<int64_t> shape() const { return std::vector<int64_t>(dims_, dims_ + rank_); }
  // Its rank, and whether it is `shape` (neither allocates).
  size_t rank() const { return static_cast<size_t>(rank_); }
  bool ShapeIs(const std::vector<int64_t>& shape) const {
    return shape.size() == rank() && std::equal(shape.begin(), shape.end(), dims_);
  }
  size_t num_elements() const { return num_elements_; }
  const std::string& error() const { return error_; }

  // For a deferred decode: converts the kept values to `dtype`. Returns false
  // with error() set on a type or range error.
  bool Finish(DataType dtype);

 private:
  bool ScalarSlow(const JsonScalar& value);
  // Checks a scalar sits at the leaf level and counts it; false on ragged data.
  bool EnterLeaf(const char* what);
  bool Fail(std::string message);
  bool Append(const JsonScalar& value);

  static constexpr int kMaxDepth = 32;

  std::optional<DataType> dtype_;
  std::vector<uint8_t>* out_ = nullptr;
  size_t max_bytes_ = 0;
  size_t element_size_ = 1;
  bool fp32_ = false;   // dtype_ is FP32
  size_t base_ = 0;     // out_->size() at Begin
  size_t written_ = 0;  // bytes of out_ holding elements (out_ may be larger until EndArray)
  std::vector<JsonScalar> deferred_;
  // Deferred strings (BYTES, if the datatype turns out so) and their bytes;
  // the element index of the first deferred number and string, for Finish's
  // message when they meet the wrong datatype.
  std::vector<std::string> deferred_strings_;
  size_t deferred_string_bytes_ = 0;
  size_t first_number_ = SIZE_MAX, first_string_ = SIZE_MAX;

  bool started_ = false;
  int depth_ = 0;  // arrays open now
  int max_depth_seen_ = 0;
  int leaf_depth_ = 0;           // depth at which scalars sit; 0 until the first one
  // Bounded by kMaxDepth (deeper data is refused before it is indexed),
  // so held in place: no allocation per data array.
  int rank_ = 0;                // entries of dims_ and counts_ in use
  int64_t dims_[kMaxDepth];    // dims_[k]: length of arrays at depth k+1, -1 until known
  int64_t counts_[kMaxDepth];  // counts_[k]: children so far of the open array at depth k+1
  size_t num_elements_ = 0;
  std::string error_;
};

}  // namespace skiff::protocol
