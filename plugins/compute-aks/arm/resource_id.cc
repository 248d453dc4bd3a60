// SPDX-License-Identifier: Apache-2.0
#include "arm/resource_id.h"

#include <cctype>
#include <sstream>
#include <vector>

namespace skiff::compute_aks {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ValidSegment(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c == '?' || c == '#' || c == '%' || c == '\\') return false;
  }
  return true;
}

}  // namespace

std::string ClusterRef::Id() const {
  return "/subscriptions/" + subscription_id + "/resourceGroups/" + resource_group +
         "/providers/Microsoft.ContainerService/managedClusters/" + name;
}

std::string ClusterRef::Path(const std::string& api_version, const std::string& suffix) const {
  return Id() + (suffix.empty() ? "" : "/" + suffix) + "?api-version=" + api_version;
}

StatusOr<ClusterRef> ParseClusterId(const std::string& resource_id) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgument(
        "resource id '" + resource_id + "' " + why +
        "; expected /subscriptions/{subscription}/resourceGroups/{group}/providers/"
        "Microsoft.ContainerService/managedClusters/{name}");
  };
  if (resource_id.empty() || resource_id[0] != '/') return bad("does not start with '/'");
  std::vector<std::string> parts;
  std::stringstream in(resource_id.substr(1));
  std::string part;
  while (std::getline(in, part, '/')) parts.push_back(part);
  if (!resource_id.empty() && resource_id.back() == '/') return bad("ends with '/'");
  if (parts.size() != 8) return bad("has " + std::to_string(parts.size()) + " segments, not 8");
  if (Lower(parts[0]) != "subscriptions" || Lower(parts[2]) != "resourcegroups" ||
      Lower(parts[4]) != "providers") {
    return bad("is not a resource group resource");
  }
  if (Lower(parts[5]) != "microsoft.containerservice" || Lower(parts[6]) != "managedclusters") {
    return bad("is not an AKS cluster (provider " + parts[5] + "/" + parts[6] + ")");
  }
  for (int i : {1, 3, 7}) {
    if (!ValidSegment(parts[static_cast<size_t>(i)])) return bad("has an empty or invalid name");
  }
  return ClusterRef{parts[1], parts[3], parts[7]};
}

bool SameResourceId(const std::string& a, const std::string& b) { return Lower(a) == Lower(b); }

}  // namespace skiff::compute_aks
