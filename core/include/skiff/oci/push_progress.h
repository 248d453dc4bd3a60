// SPDX-License-Identifier: Apache-2.0
// The words of a push's progress, one blob at a time, shared by `skiff image
// push` and compute-aks's deploy (which pushes the same way): a short
// digest, a human-readable size, and one line per step of a blob.
#pragma once

#include <cstdint>
#include <string>

#include "skiff/oci/registry_client.h"

namespace skiff::oci {

// "sha256:0123456789abcdef..." -> "0123456789ab" (docker's short form).
std::string ShortDigest(const std::string& digest);

// 512 -> "512 B", 50000 -> "48.8 KiB", 3355443 -> "3.2 MiB", then GiB.
std::string HumanBytes(int64_t bytes);

// "layer 0123456789ab" (or "config ...", "manifest ...", by media type).
std::string BlobName(const Descriptor& blob);

// One step of a blob's push, for a progress line:
//   kSending:  "layer 0123456789ab: 3.2 MiB / 10.0 MiB"
//   kUploaded: "layer 0123456789ab: pushed 10.0 MiB"
//   kSkipped:  "layer 0123456789ab: exists" (the registry has it)
//   kMounted:  "layer 0123456789ab: mounted" (from another repository)
std::string DescribeBlobProgress(const BlobProgress& progress);

}  // namespace skiff::oci
