// SPDX-License-Identifier: Apache-2.0
#include "file_checks.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace skiff::plugin_host_internal {

Status CheckPluginFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound(std::string("cannot stat: ") + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return FailedPrecondition("not a regular file");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return PermissionDenied("group- or world-writable; fix with: chmod go-w " + path);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PermissionDenied(std::string("cannot open: ") + std::strerror(errno));
  Elf64_Ehdr header{};
  ssize_t got = ::read(fd, &header, sizeof(header));
  ::close(fd);
  if (got != static_cast<ssize_t>(sizeof(header)) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return InvalidArgument("not a shared library (no ELF header)");
  }
  if (header.e_type != ET_DYN) {
    return InvalidArgument("not a shared library (ELF type is not ET_DYN)");
  }
  return OkStatus();
}

bool ParsePluginFileName(const std::string& file_name, std::string* kind, std::string* name) {
  static const std::string kPrefix = "libskiff_";
  static const std::string kSuffix = ".so";
  if (file_name.size() <= kPrefix.size() + kSuffix.size() ||
      file_name.compare(0, kPrefix.size(), kPrefix) != 0 ||
      file_name.compare(file_name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  std::string stem = file_name.substr(kPrefix.size(),
                                      file_name.size() - kPrefix.size() - kSuffix.size());
  size_t sep = stem.find('_');
  if (sep == std::string::npos || sep == 0 || sep + 1 == stem.size()) return false;
  *kind = stem.substr(0, sep);
  *name = stem.substr(sep + 1);
  return true;
}

}  // namespace skiff::plugin_host_internal
