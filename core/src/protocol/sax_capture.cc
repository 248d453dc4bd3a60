// SPDX-License-Identifier: Apache-2.0
#include "sax_capture.h"

namespace skiff::protocol {

std::string JsonParseErrorMessage(size_t position, const std::string& what) {
  // nlohmann's what() reads "[json.exception.parse_error.101] parse error at
  // line 1, column 18: syntax error ..."; keep the part after the location.
  std::string detail = what;
  const size_t colon = detail.find(": ");
  if (detail.rfind("[json.exception", 0) == 0 && colon != std::string::npos) {
    detail = detail.substr(colon + 2);
  }
  // nlohmann reports the position one past the offending character.
  return "body is not valid JSON: at byte " + std::to_string(position > 0 ? position - 1 : 0) +
         ": " + detail;
}

}  // namespace skiff::protocol
