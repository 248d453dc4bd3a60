// SPDX-License-Identifier: Apache-2.0
#include "config_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace skiff::config::internal {

StatusOr<std::string> ReadConfigFile(const std::string& path) {
  errno = 0;
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int err = errno;
    const std::string why = std::strerror(err);
    if (err == ENOENT) return NotFound("config file '" + path + "' does not exist (" + why + ")");
    if (err == EACCES) return PermissionDenied("cannot read config file '" + path + "': " + why);
    return InvalidArgument("cannot open config file '" + path + "': " + why);
  }
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    content.append(buffer, n);
    if (content.size() > kMaxConfigFileBytes) {
      return InvalidArgument("config file '" + path + "' is larger than " +
                             std::to_string(kMaxConfigFileBytes) +
                             " bytes; pass the JSON config, not a model artifact");
    }
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(file.get())) {
    // A directory opens fine on Linux and fails here with EISDIR.
    return InvalidArgument("cannot read config file '" + path + "': " + std::strerror(errno));
  }
  return content;
}

}  // namespace skiff::config::internal
