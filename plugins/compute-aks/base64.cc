#include "base64.h"

#include "skiff/util/base64.h"

namespace skiff::compute_aks {

StatusOr<std::string> DecodeBase64Value(const std::string& text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') compact += c;
  }
  auto bytes = Base64Decode(compact, Base64Alphabet::kStandard);
  if (!bytes) return DataLoss("base64: not canonical padded base64 (RFC 4648 section 4)");
  return std::move(*bytes);
}

}  // namespace skiff::compute_aks
