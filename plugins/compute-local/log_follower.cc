// SPDX-License-Identifier: Apache-2.0
#include "log_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace skiff::compute_local {
namespace {

int OpenForReading(const std::string& path, ino_t* inode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0) *inode = st.st_ino;
  return fd;
}

}  // namespace

LogFollower::LogFollower(std::vector<std::string> paths) {
  for (auto& p : paths) {
    files_.emplace_back();
    files_.back().path = std::move(p);
  }
}

LogFollower::~LogFollower() {
  for (File& f : files_) {
    if (f.fd >= 0) ::close(f.fd);
  }
}

void LogFollower::Start() {
  for (File& f : files_) {
    f.fd = OpenForReading(f.path, &f.inode);
    if (f.fd >= 0) ::lseek(f.fd, 0, SEEK_END);
  }
}

void LogFollower::ReadAvailable(File& f, std::string* out) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    f.partial.append(buf, static_cast<size_t>(n));
  }
  const size_t end = f.partial.rfind('\n');
  if (end == std::string::npos) return;
  out->append(f.partial, 0, end + 1);
  f.partial.erase(0, end + 1);
}

std::string LogFollower::Poll() {
  std::string out;
  for (File& f : files_) {
    if (f.fd >= 0) ReadAvailable(f, &out);
    struct stat now {};
    const bool exists = ::stat(f.path.c_str(), &now) == 0;
    if (f.fd >= 0 && exists && now.st_ino == f.inode) {
      // Same file; truncated below what was read: start again at its head.
      const off_t at = ::lseek(f.fd, 0, SEEK_CUR);
      if (now.st_size < at) {
        ::lseek(f.fd, 0, SEEK_SET);
        f.partial.clear();
        ReadAvailable(f, &out);
      }
      continue;
    }
    if (!exists) continue;  // rotated away and not made again yet
    // A new file under the name (rotation, or the first one): the old one
    // was read to its end above; the new one is read from its start.
    if (f.fd >= 0) ::close(f.fd);
    f.partial.clear();
    f.fd = OpenForReading(f.path, &f.inode);
    if (f.fd >= 0) ReadAvailable(f, &out);
  }
  return out;
}

}  // namespace skiff::compute_local
