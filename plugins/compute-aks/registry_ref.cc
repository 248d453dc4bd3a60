// SPDX-License-Identifier: Apache-2.0
#include "registry_ref.h"

#include <regex>

namespace skiff::compute_aks {
namespace {

constexpr const char* kAcrSuffix = ".azurecr.io";

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

StatusOr<RegistryRef> ParseRegistry(const std::string& name_or_host) {
  if (name_or_host.empty()) return RegistryRef{};
  // ACR names: 5-50 letters and digits (Azure's rule); DNS is case-blind
  // and ARM returns them as created, so they are compared in lower case.
  static const std::regex acr_name("^[A-Za-z0-9]{5,50}$");
  static const std::regex host_re(
      "^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}"
      "[A-Za-z0-9])?)*(:[0-9]{1,5})?$");
  const std::string lower = Lower(name_or_host);
  std::string name = lower;
  const size_t suffix = std::char_traits<char>::length(kAcrSuffix);
  if (lower.size() > suffix && lower.compare(lower.size() - suffix, suffix, kAcrSuffix) == 0) {
    name = lower.substr(0, lower.size() - suffix);
  }
  if (std::regex_match(name, acr_name)) return RegistryRef{name + kAcrSuffix, name};
  const bool host_like = lower.find_first_of(".:") != std::string::npos || lower == "localhost";
  if (host_like && name == lower && std::regex_match(name_or_host, host_re)) {
    return RegistryRef{name_or_host, ""};
  }
  return InvalidArgument(
      "aks config: `registry` '" + name_or_host +
      "' (--registry) is neither an Azure Container Registry name (5-50 letters and digits, "
      "e.g. myacr or myacr.azurecr.io) nor a registry host (e.g. registry.example.com or "
      "registry.example:5000); give one of those");
}

}  // namespace skiff::compute_aks
