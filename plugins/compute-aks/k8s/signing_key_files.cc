#include "k8s/signing_key_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace skiff::compute_aks::k8s {

namespace fs = std::filesystem;

StatusOr<std::map<std::string, std::string>> ReadSigningKeyFiles(const std::string& keys_dir) {
  std::error_code ec;
  if (!fs::is_directory(keys_dir, ec)) {
    return NotFound("signing keys directory '" + keys_dir +
                    "' does not exist; issue a token once so the workspace has a key");
  }
  std::map<std::string, std::string> files;
  for (fs::directory_iterator it(keys_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name.find(".tmp") != std::string::npos) continue;
    if (files.size() >= 64) return InvalidArgument("'" + keys_dir + "' holds over 64 key files");
    if (it->file_size(ec) > (1u << 20)) {
      return InvalidArgument("signing key file '" + it->path().string() + "' is over 1 MiB");
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return Internal("cannot read '" + it->path().string() + "'");
    files[name] = text.str();
  }
  if (ec) return Internal("cannot list '" + keys_dir + "': " + ec.message());
  return files;
}

}  // namespace skiff::compute_aks::k8s
