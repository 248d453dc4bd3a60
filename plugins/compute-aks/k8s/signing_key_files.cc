// SPDX-License-Identifier: Apache-2.0
#include "k8s/signing_key_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "skiff/util/private_path.h"

namespace skiff::compute_aks::k8s {

namespace fs = std::filesystem;

StatusOr<std::map<std::string, std::string>> ReadSigningKeyFiles(const std::string& keys_dir) {
  std::error_code ec;
  // These keys go into the cluster's Secret and sign tokens: only the user's
  // own directory and files are read (skiff/util/private_path.h).
  const Status dir_ok = CheckPrivatePath(keys_dir);
  if (dir_ok.code() == StatusCode::kNotFound) {
    return NotFound("signing keys directory '" + keys_dir +
                    "' does not exist; issue a token once so the workspace has a key");
  }
  SKIFF_RETURN_IF_ERROR(dir_ok);
  std::map<std::string, std::string> files;
  for (fs::directory_iterator it(keys_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name.find(".tmp") != std::string::npos) continue;
    if (files.size() >= 64) return InvalidArgument("'" + keys_dir + "' holds over 64 key files");
    if (it->file_size(ec) > (1u << 20)) {
      return InvalidArgument("signing key file '" + it->path().string() + "' is over 1 MiB");
    }
    SKIFF_ASSIGN_OR_RETURN(const int fd, OpenPrivateFile(it->path().string(), O_RDONLY));
    std::string text;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    if (n < 0) return Internal("cannot read '" + it->path().string() + "'");
    files[name] = std::move(text);
  }
  if (ec) return Internal("cannot list '" + keys_dir + "': " + ec.message());
  return files;
}

}  // namespace skiff::compute_aks::k8s
