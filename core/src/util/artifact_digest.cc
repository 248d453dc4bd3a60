// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/artifact_digest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "skiff/util/sha256.h"

namespace skiff {
namespace {

constexpr int kMaxDepth = 64;  // a folder model deeper than this is refused, not walked forever

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

Status NotAFile(const std::string& path) {
  return FailedPrecondition("refusing artifact '" + path +
                            "': it is a symbolic link or a special file, which skiff does not "
                            "load; re-register the model from regular files");
}

// Closes a descriptor on scope exit.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

StatusOr<std::string> HashOpenFile(int fd, const std::string& path) {
  Sha256 hasher;
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal(Errno("reading", path));
    if (r == 0) break;
    hasher.Update(buf, static_cast<size_t>(r));
  }
  return hasher.HexDigest();
}

// Adds every regular file under the open directory `dir_fd` to `out`,
// opening each entry relative to its parent with O_NOFOLLOW.
Status Walk(int dir_fd, const std::string& dir_path, const std::string& prefix, int depth,
            FolderManifest* out) {
  if (depth > kMaxDepth) {
    return FailedPrecondition("artifact folder '" + dir_path + "' is nested deeper than " +
                              std::to_string(kMaxDepth) + " levels");
  }
  const int list_fd = ::dup(dir_fd);
  DIR* dir = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
  if (dir == nullptr) {
    if (list_fd >= 0) ::close(list_fd);
    return Internal(Errno("cannot list", dir_path));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    const std::string path = dir_path + "/" + name;
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Internal(Errno("cannot stat", path));
    }
    if (S_ISDIR(st.st_mode)) {
      Fd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child.fd < 0) return Internal(Errno("cannot open", path));
      SKIFF_RETURN_IF_ERROR(Walk(child.fd, path, prefix + name + "/", depth + 1, out));
      continue;
    }
    if (!S_ISREG(st.st_mode)) return NotAFile(path);
    Fd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (file.fd < 0) return errno == ELOOP ? NotAFile(path) : Internal(Errno("cannot open", path));
    SKIFF_ASSIGN_OR_RETURN((*out)[prefix + name], HashOpenFile(file.fd, path));
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> FolderManifestJson(const FolderManifest& manifest) {
  try {
    return nlohmann::json(manifest).dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("a file name in the model folder is not valid UTF-8 (") +
                           e.what() + "); rename it");
  }
}

StatusOr<std::string> ArtifactDigest(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.fd < 0) {
    if (errno == ELOOP) return NotAFile(path);
    return NotFound(Errno("cannot open artifact", path));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return Internal(Errno("cannot stat", path));
  if (S_ISREG(st.st_mode)) return HashOpenFile(fd.fd, path);
  if (!S_ISDIR(st.st_mode)) return NotAFile(path);
  FolderManifest manifest;
  SKIFF_RETURN_IF_ERROR(Walk(fd.fd, path, "", 0, &manifest));
  SKIFF_ASSIGN_OR_RETURN(std::string json, FolderManifestJson(manifest));
  return Sha256Hex(json);
}

Status VerifyArtifactDigest(const std::string& path, const std::string& expected_sha256) {
  SKIFF_ASSIGN_OR_RETURN(std::string actual, ArtifactDigest(path));
  if (actual == expected_sha256) return OkStatus();
  return DataLoss("artifact '" + path + "' hashes to sha256:" + actual +
                  " but sha256:" + expected_sha256 +
                  " was recorded; it was modified or corrupted on disk, so it is not loaded: "
                  "re-register the model from its source and update the service");
}

}  // namespace skiff
