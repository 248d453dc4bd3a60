// SPDX-License-Identifier: Apache-2.0
#include "manifest.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "blob_store.h"
#include "skiff/util/artifact_digest.h"

namespace skiff::store {
namespace fs = std::filesystem;

namespace {

bool SafeRelativePath(const std::string& rel) {
  fs::path p(rel);
  if (rel.empty() || p.is_absolute()) return false;
  for (const auto& part : p) {
    if (part == ".." || part == "." || part.empty()) return false;
  }
  return true;
}

// A symlink inside a model folder is followed only to a regular file inside
// the same folder: one that leaves it would copy a file the user never meant
// to register (another project's weights, ~/.ssh/id_rsa) into the store, and
// one to a directory would be skipped with its files.
StatusOr<fs::path> LinkTargetInside(const std::string& folder, const fs::path& root,
                                    const fs::path& link) {
  std::error_code ec;
  const fs::path target = fs::canonical(link, ec);
  const fs::path rel = ec ? fs::path() : target.lexically_relative(root);
  const bool inside = !ec && !rel.empty() && *rel.begin() != ".." && rel != ".";
  if (!inside) {
    return InvalidArgument("model folder '" + folder + "' contains the symlink '" + link.string() +
                           "', which points outside the folder" +
                           (ec ? std::string(" (or nowhere)") : " (to '" + target.string() + "')") +
                           "; copy the file into the folder instead of linking it");
  }
  if (fs::is_directory(target, ec)) {
    return InvalidArgument("model folder '" + folder + "' contains the symlink '" + link.string() +
                           "' to a directory; replace it with a copy of that directory");
  }
  return target;
}

}  // namespace

StatusOr<StoredFolder> StoreFolder(const std::string& blob_dir, const std::string& folder) {
  StoredFolder out;
  std::error_code ec;
  const fs::path root = fs::canonical(folder, ec);
  if (ec) return InvalidArgument("cannot read model folder '" + folder + "': " + ec.message());
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code type_ec;
    fs::path source = path;  // what is read: the file, or a link's target inside the folder
    if (it->is_symlink(type_ec)) {
      SKIFF_ASSIGN_OR_RETURN(source, LinkTargetInside(folder, root, path));
    } else if (it->is_directory(type_ec)) {
      continue;
    }
    if (!fs::is_regular_file(fs::symlink_status(source, type_ec))) {
      return InvalidArgument("model folder '" + folder + "' contains '" + path.string() +
                             "', which is not a regular file; remove it or register files only");
    }
    std::string rel = path.lexically_relative(root).generic_string();
    SKIFF_ASSIGN_OR_RETURN(BlobInfo info, PutBlobFromFile(blob_dir, source.string()));
    out.total_size += info.size;
    out.manifest[rel] = info.sha256;
  }
  if (ec) return InvalidArgument("cannot read model folder '" + folder + "': " + ec.message());
  if (out.manifest.empty()) {
    return InvalidArgument("model folder '" + folder + "' contains no files; add the model files");
  }
  // The bytes skiff-server hashes the materialized folder to (ArtifactDigest).
  SKIFF_ASSIGN_OR_RETURN(std::string manifest_json, FolderManifestJson(out.manifest));
  SKIFF_ASSIGN_OR_RETURN(BlobInfo manifest, PutBlobFromBytes(blob_dir, manifest_json));
  out.manifest_sha256 = manifest.sha256;
  return out;
}

StatusOr<Manifest> LoadManifest(const std::string& blob_dir, const std::string& sha256) {
  SKIFF_ASSIGN_OR_RETURN(std::string bytes, ReadBlobVerified(blob_dir, sha256));
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) {
    return DataLoss("folder manifest '" + blob_dir + "/" + sha256 + "' " + why +
                    "; re-register the model");
  };
  if (!json.is_object()) return bad("is not a JSON object");
  Manifest manifest;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (!it.value().is_string() || !SafeRelativePath(it.key())) {
      return bad("has an invalid entry '" + it.key() + "'");
    }
    manifest[it.key()] = it.value().get<std::string>();
  }
  return manifest;
}

Status MaterializeFolder(const std::string& blob_dir, const Manifest& manifest,
                         const std::string& dest, bool link) {
  std::error_code ec;
  if (!fs::create_directory(dest, ec) || ec) {
    return FailedPrecondition("cannot create '" + dest +
                              "': " + (ec ? ec.message() : std::string("it already exists")) +
                              "; choose a path that does not exist");
  }
  for (const auto& [rel, sha] : manifest) {
    fs::path target = fs::path(dest) / rel;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return Internal("cannot create '" + target.parent_path().string() + "': " + ec.message());
    if (link && ::link((blob_dir + "/" + sha).c_str(), target.c_str()) == 0) continue;
    SKIFF_RETURN_IF_ERROR(CopyBlobVerified(blob_dir, sha, target.string()));
  }
  return OkStatus();
}

}  // namespace skiff::store
