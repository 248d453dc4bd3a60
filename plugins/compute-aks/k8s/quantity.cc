// SPDX-License-Identifier: Apache-2.0
#include "k8s/quantity.h"

#include <cmath>
#include <cstdint>

namespace skiff::compute_aks::k8s {

std::string CpuQuantity(double cores) {
  // The epsilon keeps 0.1 * 1000 = 100.00000000000001 at 100m.
  const auto milli = static_cast<int64_t>(std::ceil(cores * 1000.0 - 1e-6));
  return std::to_string(milli < 1 ? 1 : milli) + "m";
}

std::string MemoryQuantity(double gib) {
  const auto mib = static_cast<int64_t>(std::ceil(gib * 1024.0 - 1e-6));
  return std::to_string(mib < 1 ? 1 : mib) + "Mi";
}

}  // namespace skiff::compute_aks::k8s
