// SPDX-License-Identifier: Apache-2.0
// WriteFileAtomically: the one way skiff replaces a small file (configs,
// keys, kubeconfigs, cluster and service state) so that a reader, or a
// process killed half-way, sees the old file or the new one, never a mix.
// Standard library + POSIX only: lives in skiff_abi so every plugin and the
// SDK can use it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff {

// Writes `contents` to a unique temp file beside `path` (mkstemp, so
// concurrent writers never share one), sets `mode` (0600 for secrets: the
// file is never readable by others, not even briefly), fsyncs it, renames it
// over `path`, then fsyncs the directory so the rename survives a crash. On
// any failure the temp file is removed, `path` is untouched, and the error
// names the file and the errno text (e.g. "No space left on device").
// Threading: safe to call concurrently; the last rename wins.
Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode);

// The first half of WriteFileAtomically, for a change that must wait for
// something else to accept it (a key rotation waits for the running server):
// Stage() writes, sets the mode of and fsyncs the temp file, so a full disk
// fails here, while `path` is untouched; Commit() renames it over `path`
// (needs no new space) and fsyncs the directory. Destroying an uncommitted
// StagedFile removes the temp file, so an abandoned change leaves nothing.
// Move-only. Threading: one StagedFile is used by one thread.
class StagedFile {
 public:
  static StatusOr<StagedFile> Stage(const std::string& path, std::string_view contents,
                                    mode_t mode);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  // Puts the staged contents in place; afterwards the object is empty.
  Status Commit();

 private:
  StagedFile(std::string path, std::string tmp) : path_(std::move(path)), tmp_(std::move(tmp)) {}
  std::string path_;
  std::string tmp_;  // empty once committed, abandoned or moved from
};

}  // namespace skiff
