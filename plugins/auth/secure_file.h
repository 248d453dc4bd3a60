// Files that hold secrets (API keys, signing keys): written owner-only (0600)
// and atomically, so a reader sees the old file or the new one, never half.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::auth {

// Writes `contents` to `path` via a 0600 temp file in the same directory,
// fsync, rename over `path`, then fsync of the directory.
Status WriteSecretFileAtomically(const std::string& path, const std::string& contents);

// Reads a secret file of at most 1 MiB. Refuses a symlink, a file another
// user owns, and one that group or others may read or write (like ssh does
// with private keys); NotFound when missing.
StatusOr<std::string> ReadSecretFile(const std::string& path);

// Creates `dir` (one level) with 0700 if it does not exist; refuses it when
// it is a symlink, another user's or group/world-writable
// (skiff/util/private_path.h).
Status EnsurePrivateDirectory(const std::string& dir);

}  // namespace skiff::auth
