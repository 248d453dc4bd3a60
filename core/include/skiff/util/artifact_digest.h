// SPDX-License-Identifier: Apache-2.0
// The digest a model artifact is known by: the same function in the store,
// which records it at registration, and in skiff-server, which checks it
// before every load (issue 16 item 8), so the two can never disagree.
//   - a file: the SHA-256 of its bytes;
//   - a folder: the SHA-256 of its manifest, FolderManifestJson() of
//     {relative path -> SHA-256 of that file} (keys sorted, compact JSON).
// Library skiff_sha256.
#pragma once

#include <map>
#include <string>

#include "skiff/status.h"

namespace skiff {

// Relative path ('/'-separated) -> lowercase hex SHA-256 of the file.
using FolderManifest = std::map<std::string, std::string>;

// The manifest's canonical bytes; InvalidArgument for a path that is not
// valid UTF-8 (JSON cannot carry it).
StatusOr<std::string> FolderManifestJson(const FolderManifest& manifest);

// The digest of the file or folder at `path`. Follows no symlink, neither
// `path` itself nor anything inside the folder (FailedPrecondition naming
// it), so what is hashed is what a loader opening the same path reads.
// Threading: may be called concurrently.
StatusOr<std::string> ArtifactDigest(const std::string& path);

// OK when ArtifactDigest(path) is `expected_sha256`; DataLoss naming the
// path and both digests when the artifact was changed on disk.
Status VerifyArtifactDigest(const std::string& path, const std::string& expected_sha256);

}  // namespace skiff
