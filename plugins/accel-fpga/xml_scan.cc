// SPDX-License-Identifier: Apache-2.0
#include "xml_scan.h"

namespace skiff::accel_fpga {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

Status Bad(size_t at, const std::string& what) {
  return InvalidArgument("embedded metadata XML: " + what + " at byte " + std::to_string(at));
}

// Decodes the predefined entities; anything else after '&' is kept verbatim.
std::string Unescape(std::string_view raw) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    bool replaced = false;
    if (raw[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (raw.compare(i, entity.size(), entity) == 0) {
          out += c;
          i += entity.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += raw[i];
  }
  return out;
}

}  // namespace

Status ScanXml(std::string_view xml, const std::function<void(const XmlElement&)>& on_element) {
  std::vector<std::string> stack;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    const size_t start = i;
    if (xml.compare(i, 4, "<!--") == 0) {
      const size_t end = xml.find("-->", i + 4);
      if (end == std::string_view::npos) return Bad(start, "unterminated comment");
      i = end + 3;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0 || xml.compare(i, 2, "<!") == 0) {
      const size_t end = xml.find('>', i + 2);
      if (end == std::string_view::npos) return Bad(start, "unterminated declaration");
      i = end + 1;
      continue;
    }
    ++i;
    const bool closing = i < xml.size() && xml[i] == '/';
    if (closing) ++i;
    const size_t name_begin = i;
    while (i < xml.size() && IsNameChar(xml[i])) ++i;
    if (i == name_begin) return Bad(start, "tag without a name");
    XmlElement element;
    element.name = std::string(xml.substr(name_begin, i - name_begin));
    if (closing) {
      while (i < xml.size() && IsSpace(xml[i])) ++i;
      if (i >= xml.size() || xml[i] != '>') return Bad(start, "unterminated end tag");
      ++i;
      if (stack.empty() || stack.back() != element.name) {
        return Bad(start, "end tag </" + element.name + "> does not match " +
                              (stack.empty() ? std::string("any open element")
                                             : "<" + stack.back() + ">"));
      }
      stack.pop_back();
      continue;
    }
    bool self_closing = false;
    while (true) {
      while (i < xml.size() && IsSpace(xml[i])) ++i;
      if (i >= xml.size()) return Bad(start, "unterminated tag <" + element.name + ">");
      if (xml[i] == '>') {
        ++i;
        break;
      }
      if (xml[i] == '/') {
        if (i + 1 >= xml.size() || xml[i + 1] != '>') return Bad(i, "stray '/'");
        i += 2;
        self_closing = true;
        break;
      }
      const size_t attr_begin = i;
      while (i < xml.size() && IsNameChar(xml[i])) ++i;
      if (i == attr_begin) return Bad(i, "unexpected character in tag <" + element.name + ">");
      std::string attr(xml.substr(attr_begin, i - attr_begin));
      while (i < xml.size() && IsSpace(xml[i])) ++i;
      if (i >= xml.size() || xml[i] != '=') return Bad(i, "attribute '" + attr + "' has no value");
      ++i;
      while (i < xml.size() && IsSpace(xml[i])) ++i;
      if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) {
        return Bad(i, "attribute '" + attr + "' value is not quoted");
      }
      const char quote = xml[i++];
      const size_t end = xml.find(quote, i);
      if (end == std::string_view::npos) return Bad(i, "unterminated value of '" + attr + "'");
      element.attributes[attr] = Unescape(xml.substr(i, end - i));
      i = end + 1;
    }
    element.ancestors = stack;
    on_element(element);
    if (!self_closing) {
      if (stack.size() >= kXmlMaxDepth) {
        return Bad(start, "elements nested deeper than " + std::to_string(kXmlMaxDepth));
      }
      stack.push_back(std::move(element.name));
    }
  }
  if (!stack.empty())
    return InvalidArgument("embedded metadata XML: <" + stack.back() + "> is never closed");
  return OkStatus();
}

}  // namespace skiff::accel_fpga
