// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "skiff/util/private_path.h"

namespace skiff {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int Fd::release() { return std::exchange(fd_, -1); }

StatusOr<std::string> ReadAll(int fd, const std::string& path, std::size_t max_bytes) {
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal("cannot read '" + path + "': " + std::strerror(errno));
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return FailedPrecondition("'" + path + "' is larger than " + std::to_string(max_bytes) +
                                " bytes; is it the right file?");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

StatusOr<std::string> ReadFile(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("'" + path + "' does not exist");
    return Internal("cannot open '" + path + "': " + std::strerror(errno));
  }
  return ReadAll(fd.get(), path, max_bytes);
}

StatusOr<std::string> ReadPrivateFile(const std::string& path, const PrivateReadOptions& options) {
  SKIFF_ASSIGN_OR_RETURN(const int raw, OpenPrivateFile(path, O_RDONLY));
  Fd fd(raw);
  if (options.owner_only) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      return Internal("cannot stat '" + path + "': " + std::strerror(errno));
    }
    if ((st.st_mode & 077) != 0) {
      return FailedPrecondition(path + " is accessible by group or others; chmod 600 it");
    }
  }
  return ReadAll(fd.get(), path, options.max_bytes);
}

}  // namespace skiff
