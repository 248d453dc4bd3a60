// SPDX-License-Identifier: Apache-2.0
// Folder models: every file is a blob, and a manifest (a JSON object of
// relative path -> sha256, keys sorted, compact) is itself a blob whose hash
// is the model's hash.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "skiff/status.h"

namespace skiff::store {

using Manifest = std::map<std::string, std::string>;  // relative path -> sha256

struct StoredFolder {
  std::string manifest_sha256;
  int64_t total_size = 0;
  Manifest manifest;
};

// Stores every regular file under `folder` and then the manifest.
// InvalidArgument for special files or an empty folder.
StatusOr<StoredFolder> StoreFolder(const std::string& blob_dir, const std::string& folder);

// Reads and verifies the manifest blob; DataLoss when it was altered or
// names a path outside its folder.
StatusOr<Manifest> LoadManifest(const std::string& blob_dir, const std::string& sha256);

// Recreates the folder at `dest` (which must not exist) from blobs: by hard
// link when `link`, else by verified copy.
Status MaterializeFolder(const std::string& blob_dir, const Manifest& manifest,
                         const std::string& dest, bool link);

}  // namespace skiff::store
