// SPDX-License-Identifier: Apache-2.0
#include "skiff/store/model_name.h"

#include <cctype>

namespace skiff::store {

Status ValidateModelName(const std::string& name) {
  auto fix = "; use 1-255 letters, digits, '-', '_' or '.', starting with a letter or digit";
  if (name.empty()) return InvalidArgument(std::string("model name is empty") + fix);
  if (name.size() > 255) {
    return InvalidArgument("model name is " + std::to_string(name.size()) + " characters" + fix);
  }
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return InvalidArgument("model name '" + name + "' must start with a letter or digit" + fix);
  }
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '-' || c == '_' || c == '.')) {
      return InvalidArgument("model name '" + name + "' contains '" + std::string(1, c) + "'" +
                             fix);
    }
  }
  return OkStatus();
}

Status ValidateModelFileName(const std::string& model_id, const std::string& file_name) {
  const bool plain = !file_name.empty() && file_name != "." && file_name != ".." &&
                     file_name.find('/') == std::string::npos &&
                     file_name.find('\0') == std::string::npos;
  if (plain) return OkStatus();
  return DataLoss("model '" + model_id + "' has the stored file name '" + file_name +
                  "', which is not a plain file name: downloading it would write outside the "
                  "target directory, so nothing was written or removed; the workspace database "
                  "was altered: re-register the model");
}

StatusOr<std::pair<std::string, int64_t>> ParseModelId(const std::string& id) {
  size_t colon = id.rfind(':');
  if (colon == std::string::npos) return std::make_pair(id, int64_t{0});
  std::string name = id.substr(0, colon);
  std::string version = id.substr(colon + 1);
  int64_t v = 0;
  bool ok = !version.empty() && version.size() <= 18;
  for (char c : version) {
    if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
  }
  if (ok) v = std::stoll(version);
  if (!ok || v <= 0) {
    return InvalidArgument("model id '" + id +
                           "' has no valid version; write NAME:VERSION with VERSION >= 1, "
                           "e.g. mymodel:2");
  }
  return std::make_pair(name, v);
}

}  // namespace skiff::store
