#include "secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "skiff/util/atomic_file.h"

namespace skiff::auth {

namespace {

std::string Errno() { return std::strerror(errno); }

}  // namespace

Status WriteSecretFileAtomically(const std::string& path, const std::string& contents) {
  return WriteFileAtomically(path, contents, 0600);
}

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Internal("open " + path + ": " + Errno());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Internal("stat " + path + ": " + Errno());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return FailedPrecondition(path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return FailedPrecondition(path + " is accessible by group or others; chmod 600 it");
  }
  if (st.st_size > (1 << 20)) {
    ::close(fd);
    return FailedPrecondition(path + " is larger than 1 MiB");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

Status EnsurePrivateDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return OkStatus();
  if (errno != EEXIST) return Internal("mkdir " + dir + ": " + Errno());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition(dir + " exists and is not a directory");
  }
  return OkStatus();
}

}  // namespace skiff::auth
