#include "secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "skiff/util/atomic_file.h"
#include "skiff/util/private_path.h"

namespace skiff::auth {

namespace {

std::string Errno() { return std::strerror(errno); }

}  // namespace

Status WriteSecretFileAtomically(const std::string& path, const std::string& contents) {
  return WriteFileAtomically(path, contents, 0600);
}

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  // No symlink, and only the user's own file: a key another user planted
  // would open the service to them (OpenPrivateFile refuses both).
  SKIFF_ASSIGN_OR_RETURN(const int fd, OpenPrivateFile(path, O_RDONLY));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Internal("stat " + path + ": " + Errno());
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
  return ::skiff::EnsurePrivateDirectory(dir);
}

}  // namespace skiff::auth
