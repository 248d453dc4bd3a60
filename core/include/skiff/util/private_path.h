// SPDX-License-Identifier: Apache-2.0
// The one ownership check for what skiff trusts on disk: the workspace
// directory, its keys/ and signing-keys/, the store (workspace.db) and the
// artifacts folder. Another user who owns one of them, or may write it,
// could plant a key that opens a service or a model that runs in it, so each
// is trusted only when it is the effective user's own and nobody else may
// write it (what ssh demands of ~/.ssh). Standard library + POSIX only:
// lives in skiff_abi so the store, the SDK and every plugin call this one
// function rather than re-learning the rule.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff {

enum class PrivatePathKind { kDirectory, kFile };

struct PrivatePathOptions {
  PrivatePathKind kind = PrivatePathKind::kDirectory;
  // The workspace root may be the user's own symlink (~/.skiff -> /data/...):
  // followed only when the link itself is owned by the effective user.
  // Everything inside the workspace is refused when it is a link.
  bool follow_own_symlink = false;
};

// OK when `path` is a `kind` owned by geteuid() that group and others cannot
// write. Otherwise FailedPrecondition with one line naming the path, what is
// wrong (owner uid, mode, a symlink) and the fix (`chown`, `chmod 700`,
// remove the link); NotFound when it does not exist. Never changes `path`.
// Threading: may be called concurrently.
Status CheckPrivatePath(const std::string& path, const PrivatePathOptions& options = {});

// Creates the directory `path` (one level) with mode 0700 when missing, then
// CheckPrivatePath(): an existing directory is never chmod'ed or chown'ed,
// only accepted or refused, and a symlink is never followed.
Status EnsurePrivateDirectory(const std::string& path, bool follow_own_symlink = false);

// open(path, flags | O_NOFOLLOW | O_CLOEXEC) (mode 0600 when it creates),
// then fstat of what was opened: a regular file owned by geteuid() that
// group and others cannot write, or FailedPrecondition (ELOOP: "is a
// symbolic link"). NotFound when missing. The caller closes the returned fd.
StatusOr<int> OpenPrivateFile(const std::string& path, int flags);

}  // namespace skiff
