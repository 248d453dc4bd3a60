#include "manifest.h"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "blob_store.h"

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

}  // namespace

StatusOr<StoredFolder> StoreFolder(const std::string& blob_dir, const std::string& folder) {
  StoredFolder out;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    if (!it->is_regular_file(type_ec)) {
      return InvalidArgument("model folder '" + folder + "' contains '" + path.string() +
                             "', which is not a regular file; remove it or register files only");
    }
    std::string rel = path.lexically_relative(folder).generic_string();
    SKIFF_ASSIGN_OR_RETURN(BlobInfo info, PutBlobFromFile(blob_dir, path.string()));
    out.total_size += info.size;
    out.manifest[rel] = info.sha256;
  }
  if (ec) return InvalidArgument("cannot read model folder '" + folder + "': " + ec.message());
  if (out.manifest.empty()) {
    return InvalidArgument("model folder '" + folder + "' contains no files; add the model files");
  }
  SKIFF_ASSIGN_OR_RETURN(BlobInfo manifest,
                         PutBlobFromBytes(blob_dir, nlohmann::json(out.manifest).dump()));
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
