// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/private_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace skiff {
namespace {

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Status Refuse(const std::string& path, const std::string& why, const std::string& fix) {
  return FailedPrecondition("refusing '" + path + "': " + why + "; " + fix);
}

// The rule, on a stat of the thing itself (never of a link).
Status CheckStat(const std::string& path, const struct stat& st, PrivatePathKind kind) {
  const bool dir = kind == PrivatePathKind::kDirectory;
  if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return Refuse(path, std::string("it is not a ") + (dir ? "directory" : "regular file"),
                  "move it away and rerun");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return Refuse(path,
                  "it is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                      std::to_string(me) + "), so its owner could change what skiff trusts",
                  "use a workspace of your own (--workspace DIR) or `chown " + std::to_string(me) +
                      " " + path + "`");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Refuse(path, "mode " + Octal(st.st_mode) + " lets group or others write it",
                  std::string("`chmod ") + (dir ? "700 " : "600 ") + path + "`");
  }
  return OkStatus();
}

Status StatError(const std::string& path) {
  if (errno == ENOENT) return NotFound("'" + path + "' does not exist");
  return Internal("cannot stat '" + path + "': " + std::strerror(errno));
}

}  // namespace

Status CheckPrivatePath(const std::string& path, const PrivatePathOptions& options) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return StatError(path);
  if (S_ISLNK(st.st_mode)) {
    if (!options.follow_own_symlink) {
      return Refuse(path, "it is a symbolic link, which skiff does not follow in its workspace",
                    "remove the link (`rm " + path + "`) and rerun");
    }
    if (st.st_uid != ::geteuid()) {
      return Refuse(path,
                    "it is a symbolic link owned by uid " + std::to_string(st.st_uid) +
                        ", not by you (uid " + std::to_string(::geteuid()) + ")",
                    "remove the link (`rm " + path + "`) or pass the directory it points to");
    }
    if (::stat(path.c_str(), &st) != 0) return StatError(path);
  }
  return CheckStat(path, st, options.kind);
}

Status EnsurePrivateDirectory(const std::string& path, bool follow_own_symlink) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("cannot create directory '" + path + "': " + std::strerror(errno) +
                    "; check the permissions of its parent");
  }
  return CheckPrivatePath(path, {PrivatePathKind::kDirectory, follow_own_symlink});
}

StatusOr<int> OpenPrivateFile(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("'" + path + "' does not exist");
    if (errno == ELOOP) {
      return Refuse(path, "it is a symbolic link, which skiff does not follow in its workspace",
                    "remove the link (`rm " + path + "`) and rerun");
    }
    return Internal("cannot open '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  Status s = ::fstat(fd, &st) == 0
                 ? CheckStat(path, st, PrivatePathKind::kFile)
                 : Internal("cannot stat '" + path + "': " + std::strerror(errno));
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return fd;
}

}  // namespace skiff
