// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace skiff {
namespace {

std::string DirName(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

StatusOr<StagedFile> StagedFile::Stage(const std::string& path, std::string_view contents,
                                       mode_t mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // 0600 whatever the umask
  if (fd < 0)
    return Internal("cannot create a temp file for " + path + ": " + std::strerror(errno));
  const auto fail = [&](const char* what) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Internal(std::string("cannot ") + what + " " + path + ": " + std::strerror(e));
  };
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail("set the mode of");
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Internal("cannot write " + path + ": " + std::strerror(e));
  }
  return StagedFile(path, std::move(tmp));
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::exchange(other.tmp_, std::string())) {}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    path_ = std::move(other.path_);
    tmp_ = std::exchange(other.tmp_, std::string());
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Status StagedFile::Commit() {
  if (tmp_.empty()) return FailedPrecondition("nothing staged for " + path_);
  const std::string tmp = std::exchange(tmp_, std::string());
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Internal("cannot replace " + path_ + ": " + std::strerror(e));
  }
  const int dfd = ::open(DirName(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  SKIFF_ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Stage(path, contents, mode));
  return staged.Commit();
}

}  // namespace skiff
