// SPDX-License-Identifier: Apache-2.0
// Content-addressed blobs under one directory (<ws>/artifacts/sha256/):
// each blob is named by the lowercase hex SHA-256 of its bytes.
// Writes go to ".tmp-<pid>-<n>" in the same directory, are fsync'ed, renamed
// into place and the directory fsync'ed, so a blob either exists whole and
// durable or not at all. Safe for concurrent writers (threads or processes):
// the same content renames onto the same name.
#pragma once

#include <cstdint>
#include <string>

#include "skiff/status.h"

namespace skiff::store {

inline constexpr const char* kTempPrefix = ".tmp-";

struct BlobInfo {
  std::string sha256;
  int64_t size = 0;
};

// SHA-256 of a file's contents.
StatusOr<BlobInfo> HashFile(const std::string& path);

// Copies `src` into the blob dir; dedupes identical content.
StatusOr<BlobInfo> PutBlobFromFile(const std::string& blob_dir, const std::string& src);
// Stores `bytes` as a blob.
StatusOr<BlobInfo> PutBlobFromBytes(const std::string& blob_dir, const std::string& bytes);

// Reads a whole blob, checking it hashes to `sha256` (DataLoss otherwise).
StatusOr<std::string> ReadBlobVerified(const std::string& blob_dir, const std::string& sha256);
// Copies a blob to `dest` (created exclusively), checking its hash on the way.
Status CopyBlobVerified(const std::string& blob_dir, const std::string& sha256,
                        const std::string& dest);
// DataLoss unless the blob exists and hashes to its name.
Status VerifyBlob(const std::string& blob_dir, const std::string& sha256);

// fsync() on a directory so a rename/create in it is durable.
Status FsyncDir(const std::string& dir);

}  // namespace skiff::store
