// SPDX-License-Identifier: Apache-2.0
// Kubernetes resource quantities from deploymentconfig.json numbers.
#pragma once

#include <string>

namespace skiff::compute_aks::k8s {

// CPU cores as millicores, rounded up: 0.1 -> "100m", 2 -> "2000m".
std::string CpuQuantity(double cores);

// Memory "in GB" as Azure ML means it (GiB) in MiB, rounded up:
// 0.5 -> "512Mi", 1.5 -> "1536Mi".
std::string MemoryQuantity(double gib);

}  // namespace skiff::compute_aks::k8s
