// SPDX-License-Identifier: Apache-2.0
#include "json_writer.h"

#include <cstdio>

#include "element_codec.h"

namespace skiff::protocol {
namespace {

// Writes dims [axis, rank) of the elements starting at *element.
void AppendNestedAxis(const Tensor& t, size_t axis, size_t element_size, size_t* element,
                      std::string* out) {
  if (axis == t.shape.size()) {
    AppendElementJson(t.dtype, t.data.data() + *element * element_size, out);
    ++*element;
    return;
  }
  out->push_back('[');
  for (int64_t i = 0; i < t.shape[axis]; ++i) {
    if (i) out->push_back(',');
    AppendNestedAxis(t, axis + 1, element_size, element, out);
  }
  out->push_back(']');
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

namespace {

// BYTES: each element a JSON string (bytes as they are; a client that sends
// other than UTF-8 text asks for binary outputs). A malformed buffer (a model
// bug) writes the elements that parse.
std::vector<std::string_view> BytesElements(const Tensor& t) {
  auto elements = SplitBytesElements(t.data.data(), t.data.size());
  return elements ? std::move(*elements) : std::vector<std::string_view>{};
}

void AppendNestedBytes(const Tensor& t, const std::vector<std::string_view>& elements, size_t axis,
                       size_t* element, std::string* out) {
  if (axis == t.shape.size()) {
    AppendJsonString(elements[(*element)++], out);
    return;
  }
  out->push_back('[');
  for (int64_t i = 0; i < t.shape[axis]; ++i) {
    if (i) out->push_back(',');
    AppendNestedBytes(t, elements, axis + 1, element, out);
  }
  out->push_back(']');
}

}  // namespace

void AppendFlatData(const Tensor& t, std::string* out) {
  if (t.dtype == DataType::kBytes) {
    out->push_back('[');
    bool first = true;
    for (std::string_view e : BytesElements(t)) {
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(e, out);
    }
    out->push_back(']');
    return;
  }
  const size_t size = DataTypeSize(t.dtype);
  const size_t n = size ? t.data.size() / size : 0;
  out->reserve(out->size() + n * 4 + 2);
  out->push_back('[');
  for (size_t i = 0; i < n; ++i) {
    if (i) out->push_back(',');
    AppendElementJson(t.dtype, t.data.data() + i * size, out);
  }
  out->push_back(']');
}

void AppendNestedData(const Tensor& t, std::string* out) {
  if (t.dtype == DataType::kBytes) {
    const std::vector<std::string_view> elements = BytesElements(t);
    if (t.NumElements() < 0 || static_cast<size_t>(t.NumElements()) != elements.size()) {
      AppendFlatData(t, out);
      return;
    }
    size_t element = 0;
    AppendNestedBytes(t, elements, 0, &element, out);
    return;
  }
  const size_t size = DataTypeSize(t.dtype);
  const int64_t n = t.NumElements();
  if (n < 0 || static_cast<size_t>(n) * size != t.data.size()) {
    // A tensor whose bytes disagree with its shape is a model bug; write it
    // flat rather than read past the buffer.
    AppendFlatData(t, out);
    return;
  }
  size_t element = 0;
  AppendNestedAxis(t, 0, size, &element, out);
}

}  // namespace skiff::protocol
