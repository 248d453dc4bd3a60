// SPDX-License-Identifier: Apache-2.0
// vCPUs of common Azure VM sizes, for the FastProd 12-vCPU rule before any
// call to Azure. Sizes not in the table need an explicit `vcpus`.
#pragma once

#include <optional>
#include <string>

namespace skiff::compute_aks {

// Case-insensitive; "Standard_" may be omitted. nullopt when unknown.
std::optional<int> VcpusOf(const std::string& vm_size);

}  // namespace skiff::compute_aks
