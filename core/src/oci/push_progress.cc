// SPDX-License-Identifier: Apache-2.0
#include "skiff/oci/push_progress.h"

#include <cstdio>

namespace skiff::oci {

std::string ShortDigest(const std::string& digest) {
  const auto colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof kUnits / sizeof kUnits[0]) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string BlobName(const Descriptor& blob) {
  const std::string& type = blob.media_type;
  const char* kind = type.find("layer") != std::string::npos      ? "layer"
                     : type.find("config") != std::string::npos   ? "config"
                     : type.find("manifest") != std::string::npos ? "manifest"
                                                                  : "blob";
  return std::string(kind) + " " + ShortDigest(blob.digest);
}

std::string DescribeBlobProgress(const BlobProgress& progress) {
  const Descriptor& blob = *progress.blob;
  const std::string name = BlobName(blob);
  switch (progress.event) {
    case BlobProgress::Event::kSending:
      return name + ": " + HumanBytes(progress.bytes_sent) + " / " + HumanBytes(blob.size);
    case BlobProgress::Event::kUploaded:
      return name + ": pushed " + HumanBytes(blob.size);
    case BlobProgress::Event::kSkipped:
      return name + ": exists";
    case BlobProgress::Event::kMounted:
      return name + ": mounted";
  }
  return name;
}

}  // namespace skiff::oci
