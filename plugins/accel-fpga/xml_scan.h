// SPDX-License-Identifier: Apache-2.0
// A small, bounded XML element scanner for the xclbin EMBEDDED_METADATA
// section: enough of XML to find elements and their attributes, nothing more
// (no DTDs, namespaces or entities beyond the five predefined ones). It reads
// untrusted bytes, so every loop is bounded by the input and by kMaxDepth.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"

namespace skiff::accel_fpga {

// One start (or empty-element) tag: its name, attributes, and the names of
// its open ancestors, outermost first.
struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<std::string> ancestors;
};

// Calls `on_element` for every start tag in document order. Errors
// (kInvalidArgument) name the byte offset: unterminated tag, comment or
// attribute value, mismatched end tag, nesting deeper than kMaxDepth.
// Threading: safe to call concurrently.
inline constexpr size_t kXmlMaxDepth = 64;
Status ScanXml(std::string_view xml, const std::function<void(const XmlElement&)>& on_element);

}  // namespace skiff::accel_fpga
