// SPDX-License-Identifier: Apache-2.0
#include "data_array_decoder.h"

#include <algorithm>

#include "element_codec.h"

namespace skiff::protocol {

void DataArrayDecoder::Begin(std::optional<DataType> dtype, std::vector<uint8_t>* out,
                             size_t max_bytes, size_t expected_elements) {
  dtype_ = dtype;
  out_ = out;
  max_bytes_ = max_bytes;
  element_size_ = dtype ? MinElementSize(*dtype) : 1;
  fp32_ = dtype == DataType::kFp32;
  deferred_.clear();
  deferred_strings_.clear();
  deferred_string_bytes_ = 0;
  first_number_ = first_string_ = SIZE_MAX;
  started_ = false;
  depth_ = 0;
  max_depth_seen_ = 0;
  leaf_depth_ = 0;
  rank_ = 0;
  num_elements_ = 0;
  error_.clear();
  base_ = out_->size();
  written_ = base_;
  if (expected_elements > 0 && expected_elements * element_size_ <= max_bytes_) {
    if (dtype_ == DataType::kBytes) {
      out_->reserve(base_ + expected_elements * element_size_);  // appended, never pre-sized
    } else if (dtype_) {
      out_->resize(base_ + expected_elements * element_size_);
    } else {
      deferred_.reserve(expected_elements);
    }
  }
}

bool DataArrayDecoder::Fail(std::string message) {
  error_ = std::move(message);
  return false;
}

bool DataArrayDecoder::StartArray() {
  if (depth_ > 0) {
    if (leaf_depth_ != 0 && depth_ >= leaf_depth_) {
      return Fail("data element " + std::to_string(num_elements_) +
                  ": found an array where a number was expected; nested arrays must be "
                  "rectangular, with numbers only at the innermost level");
    }
    ++counts_[depth_ - 1];
  }
  started_ = true;
  ++depth_;
  if (depth_ > kMaxDepth) {
    return Fail("data is nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (rank_ < depth_) {
    dims_[rank_] = -1;
    ++rank_;
  }
  counts_[depth_ - 1] = 0;
  if (depth_ > max_depth_seen_) max_depth_seen_ = depth_;
  return true;
}

bool DataArrayDecoder::EndArray() {
  const int64_t count = counts_[depth_ - 1];
  int64_t& dim = dims_[depth_ - 1];
  if (dim < 0) {
    dim = count;
  } else if (dim != count) {
    return Fail("data is ragged: an array at nesting level " + std::to_string(depth_) + " has " +
                std::to_string(count) + " elements but an earlier one has " + std::to_string(dim) +
                "; nested arrays must be rectangular");
  }
  --depth_;
  if (depth_ == 0 && dtype_) out_->resize(written_);
  return true;
}

bool DataArrayDecoder::EnterLeaf(const char* what) {
  if (depth_ == 0) return Fail("data must be an array");
  if (leaf_depth_ == 0) {
    if (max_depth_seen_ > depth_) {
      return Fail("data element " + std::to_string(num_elements_) + ": found " + what +
                  " where an array was expected; nested arrays must be rectangular");
    }
    leaf_depth_ = depth_;
  } else if (depth_ != leaf_depth_) {
    return Fail("data element " + std::to_string(num_elements_) + ": found " + what +
                " at nesting level " + std::to_string(depth_) + " but earlier " +
                (std::string(what) == "a number" ? "numbers" : "elements") + " are at level " +
                std::to_string(leaf_depth_) + "; nested arrays must be rectangular");
  }
  ++counts_[depth_ - 1];
  return true;
}

bool DataArrayDecoder::ScalarSlow(const JsonScalar& value) {
  if (!EnterLeaf("a number")) return false;
  return Append(value);
}

bool DataArrayDecoder::String(std::string_view value) {
  if (dtype_ && *dtype_ != DataType::kBytes) return Unexpected("a string");
  if (!EnterLeaf("a string")) return false;
  const size_t used = dtype_ ? written_ - base_ : deferred_string_bytes_;
  if (4 + value.size() > max_bytes_ - std::min(used, max_bytes_)) {
    return Fail("data element " + std::to_string(num_elements_) + " takes the data past the " +
                "request size limit of " + std::to_string(max_bytes_) +
                " bytes; send smaller batches");
  }
  if (dtype_) {
    AppendBytesElement(value, out_);
    written_ = out_->size();
  } else {
    if (first_string_ == SIZE_MAX) first_string_ = num_elements_;
    deferred_strings_.emplace_back(value);
    deferred_string_bytes_ += 4 + value.size();
  }
  ++num_elements_;
  return true;
}

bool DataArrayDecoder::Append(const JsonScalar& value) {
  if ((num_elements_ + 1) * element_size_ > max_bytes_) {
    return Fail("data has more than " + std::to_string(max_bytes_ / element_size_) +
                " elements, over the request size limit of " + std::to_string(max_bytes_) +
                " bytes; send smaller batches");
  }
  if (!dtype_) {
    if (first_number_ == SIZE_MAX) first_number_ = num_elements_;
    deferred_.push_back(value);
    ++num_elements_;
    return true;
  }
  // Fast path: a float into FP32, the common case (no range check needed
  // beyond what WriteElement does for finite doubles: it is a plain cast).
  // out_ grows in steps (not per element); EndArray trims it to size.
  const size_t offset = written_;
  if (out_->size() < offset + element_size_) {
    out_->resize(std::max(offset + element_size_, std::min(2 * out_->size(), max_bytes_ + base_)));
  }
  written_ = offset + element_size_;
  if (*dtype_ == DataType::kFp32 && value.kind == JsonScalar::Kind::kFloat &&
      WriteFp32Fast(value.d, out_->data() + offset)) {
    ++num_elements_;
    return true;
  }
  std::string why;
  if (!WriteElement(*dtype_, value, out_->data() + offset, &why)) {
    return Fail("data element " + std::to_string(num_elements_) + " (row-major): " + why);
  }
  ++num_elements_;
  return true;
}

bool DataArrayDecoder::Unexpected(const char* what) {
  return Fail("data element " + std::to_string(num_elements_) + ": found " + what +
              "; data may hold only numbers (or true/false for BOOL) and arrays");
}

bool DataArrayDecoder::Finish(DataType dtype) {
  if (dtype_) return true;
  if (dtype == DataType::kBytes) {
    if (first_number_ != SIZE_MAX) {
      return Fail("data element " + std::to_string(first_number_) +
                  " (row-major): found a number; BYTES data must be strings");
    }
    out_->reserve(out_->size() + deferred_string_bytes_);
    for (const std::string& e : deferred_strings_) AppendBytesElement(e, out_);
    dtype_ = dtype;
    deferred_strings_.clear();
    return true;
  }
  if (first_string_ != SIZE_MAX) {
    return Fail("data element " + std::to_string(first_string_) + " (row-major): found a " +
                "string; only BYTES data may hold strings");
  }
  const size_t size = DataTypeSize(dtype);
  if (deferred_.size() * size > max_bytes_) {
    return Fail("data has " + std::to_string(deferred_.size()) + " elements, over the request " +
                "size limit of " + std::to_string(max_bytes_) + " bytes; send smaller batches");
  }
  const size_t offset = out_->size();
  out_->resize(offset + deferred_.size() * size);
  std::string why;
  for (size_t i = 0; i < deferred_.size(); ++i) {
    if (!WriteElement(dtype, deferred_[i], out_->data() + offset + i * size, &why)) {
      return Fail("data element " + std::to_string(i) + " (row-major): " + why);
    }
  }
  dtype_ = dtype;
  deferred_.clear();
  return true;
}

}  // namespace skiff::protocol
