// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore's model registry: register, list, get, delete, download,
// verify and resolve models.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "blob_store.h"
#include "manifest.h"
#include "skiff/store/model_name.h"
#include "skiff/store/workspace_store.h"
#include "sqlite.h"
#include "util.h"

namespace skiff::store {
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelColumns =
    "name, version, sha256, kind, size_bytes, file_name, description, tags_json, "
    "properties_json, created_time";

ModelRecord ReadModel(const Stmt& s) {
  ModelRecord r;
  r.name = s.Text(0);
  r.version = s.Int(1);
  r.sha256 = s.Text(2);
  r.kind = s.Text(3) == "folder" ? ModelKind::kFolder : ModelKind::kFile;
  r.size_bytes = s.Int(4);
  r.file_name = s.Text(5);
  r.description = s.Text(6);
  r.tags = MapFromJson(s.Text(7));
  r.properties = MapFromJson(s.Text(8));
  r.created_time = s.Text(9);
  return r;
}

Status NoSuchModel(const std::string& name, int64_t version) {
  std::string id = version > 0 ? name + ":" + std::to_string(version) : name;
  return NotFound("model '" + id + "' is not registered; run `skiff model list` to see models");
}

// The artifact of a model about to be registered.
struct Stored {
  std::string sha256;
  int64_t size = 0;
  ModelKind kind = ModelKind::kFile;
  std::vector<std::string> blobs;  // every blob the row will depend on
};

StatusOr<Stored> StoreArtifact(const std::string& blob_dir, const std::string& path) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return InvalidArgument("model path '" + path +
                           "' does not exist; pass the file or folder to register");
  }
  Stored out;
  if (fs::is_directory(st)) {
    SKIFF_ASSIGN_OR_RETURN(StoredFolder folder, StoreFolder(blob_dir, path));
    out.sha256 = folder.manifest_sha256;
    out.size = folder.total_size;
    out.kind = ModelKind::kFolder;
    out.blobs.push_back(folder.manifest_sha256);
    for (const auto& entry : folder.manifest) out.blobs.push_back(entry.second);
    return out;
  }
  if (!fs::is_regular_file(st)) {
    return InvalidArgument("model path '" + path +
                           "' is neither a regular file nor a folder; pass a file or folder");
  }
  SKIFF_ASSIGN_OR_RETURN(BlobInfo info, PutBlobFromFile(blob_dir, path));
  out.sha256 = info.sha256;
  out.size = info.size;
  out.blobs.push_back(info.sha256);
  return out;
}

bool AllPresent(const std::string& blob_dir, const std::vector<std::string>& blobs) {
  for (const auto& sha : blobs) {
    struct stat st;
    if (::stat((blob_dir + "/" + sha).c_str(), &st) != 0) return false;
  }
  return true;
}

std::string BaseName(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() || name == "." || name == ".." ? "model" : name;
}

}  // namespace

StatusOr<ModelRecord> WorkspaceStore::RegisterModel(const RegisterModelRequest& request) {
  SKIFF_RETURN_IF_ERROR(ValidateModelName(request.name));
  ModelRecord record;
  record.name = request.name;
  record.file_name = BaseName(request.path);
  record.description = request.description;
  record.tags = request.tags;
  record.properties = request.properties;
  // GarbageCollect() in another process may remove a blob between its write
  // and our insert; the blobs are re-checked under the write lock and
  // re-stored when that happened.
  for (int attempt = 0; attempt < 3; ++attempt) {
    // Blobs are durable before any row can refer to them.
    SKIFF_ASSIGN_OR_RETURN(Stored stored, StoreArtifact(BlobDir(), request.path));
    record.sha256 = stored.sha256;
    record.size_bytes = stored.size;
    record.kind = stored.kind;
    std::lock_guard<std::mutex> lock(mu_);
    SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
    if (!AllPresent(BlobDir(), stored.blobs)) continue;  // rolls back, stores again
    SKIFF_ASSIGN_OR_RETURN(Stmt next,
                           Stmt::Prepare(*db_,
                                         "SELECT COALESCE(MAX(version), 0) + 1 FROM models "
                                         "WHERE name = ?"));
    next.Bind(1, record.name);
    SKIFF_ASSIGN_OR_RETURN(bool row, next.Step());
    record.version = row ? next.Int(0) : 1;
    record.created_time = NowIso8601();
    SKIFF_ASSIGN_OR_RETURN(Stmt insert,
                           Stmt::Prepare(*db_,
                                         "INSERT INTO models (name, version, sha256, kind, "
                                         "size_bytes, file_name, description, tags_json, "
                                         "properties_json, created_time) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, record.name)
        .Bind(2, record.version)
        .Bind(3, record.sha256)
        .Bind(4, std::string(ModelKindName(record.kind)))
        .Bind(5, record.size_bytes)
        .Bind(6, record.file_name)
        .Bind(7, record.description)
        .Bind(8, MapToJson(record.tags))
        .Bind(9, MapToJson(record.properties))
        .Bind(10, record.created_time);
    SKIFF_RETURN_IF_ERROR(insert.Run());
    SKIFF_RETURN_IF_ERROR(txn->Commit());
    return record;
  }
  return Aborted("artifacts for model '" + request.name +
                 "' kept disappearing while registering (a concurrent garbage collection?); "
                 "retry the registration");
}

StatusOr<std::vector<ModelRecord>> WorkspaceStore::ListModels(
    const std::optional<std::string>& name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kModelColumns + " FROM models";
  if (name) sql += " WHERE name = ?";
  sql += " ORDER BY name, version";
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_, sql.c_str()));
  if (name) stmt.Bind(1, *name);
  std::vector<ModelRecord> out;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(ReadModel(stmt));
  }
}

StatusOr<ModelRecord> WorkspaceStore::GetModel(const std::string& name, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kModelColumns + " FROM models WHERE name = ?" +
                    (version > 0 ? " AND version = ?" : " ORDER BY version DESC LIMIT 1");
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_, sql.c_str()));
  stmt.Bind(1, name);
  if (version > 0) stmt.Bind(2, version);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchModel(name, version);
  return ReadModel(stmt);
}

Status WorkspaceStore::DeleteModel(const std::string& name, int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(
      Stmt users,
      Stmt::Prepare(*db_,
                    "SELECT 'service ' || service FROM service_models "
                    "WHERE model_name = ?1 AND model_version = ?2 "
                    "UNION ALL SELECT 'endpoint ' || endpoint || ' version ' || version_name "
                    "FROM endpoint_version_models WHERE model_name = ?1 AND model_version = ?2 "
                    "ORDER BY 1"));
  users.Bind(1, name).Bind(2, version);
  std::vector<std::string> in_use;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, users.Step());
    if (!row) break;
    in_use.push_back(users.Text(0));
  }
  const std::string id = name + ":" + std::to_string(version);
  if (!in_use.empty()) {
    return FailedPrecondition("model '" + id + "' is used by " + QuotedList(in_use) +
                              "; delete those or update them to another model first");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt del,
                         Stmt::Prepare(*db_, "DELETE FROM models WHERE name = ? AND version = ?"));
  del.Bind(1, name).Bind(2, version);
  SKIFF_RETURN_IF_ERROR(del.Run());
  if (sqlite3_changes(db_->get()) == 0) return NoSuchModel(name, version);
  return txn->Commit();
}

StatusOr<ModelRecord> WorkspaceStore::DownloadModel(const std::string& name, int64_t version,
                                                    const std::string& dest) {
  SKIFF_ASSIGN_OR_RETURN(ModelRecord record, GetModel(name, version));
  SKIFF_RETURN_IF_ERROR(ValidateModelFileName(record.id(), record.file_name));
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec))) {
    return AlreadyExists("download destination '" + dest +
                         "' already exists; remove it or choose another path");
  }
  Status s;
  if (record.kind == ModelKind::kFile) {
    s = CopyBlobVerified(BlobDir(), record.sha256, dest);
  } else {
    auto manifest = LoadManifest(BlobDir(), record.sha256);
    s = manifest.ok() ? MaterializeFolder(BlobDir(), *manifest, dest, /*link=*/false)
                      : manifest.status();
    if (!s.ok()) fs::remove_all(dest, ec);  // it did not exist before
  }
  if (!s.ok()) return s.WithContext("downloading model '" + record.id() + "'");
  return record;
}

Status WorkspaceStore::VerifyArtifact(const ModelRecord& record) const {
  Status s;
  if (record.kind == ModelKind::kFile) {
    s = VerifyBlob(BlobDir(), record.sha256);
  } else {
    auto manifest = LoadManifest(BlobDir(), record.sha256);
    s = manifest.status();
    if (manifest.ok()) {
      for (const auto& entry : *manifest) {
        s = VerifyBlob(BlobDir(), entry.second).WithContext("file '" + entry.first + "'");
        if (!s.ok()) break;
      }
    }
  }
  return s.WithContext("model '" + record.id() + "'");
}

StatusOr<std::string> WorkspaceStore::ResolveArtifactPath(const ModelRecord& record) const {
  SKIFF_RETURN_IF_ERROR(VerifyArtifact(record));
  if (record.kind == ModelKind::kFile) return BlobDir() + "/" + record.sha256;
  SKIFF_ASSIGN_OR_RETURN(Manifest manifest, LoadManifest(BlobDir(), record.sha256));
  const std::string dir = MaterializedDir() + "/" + record.sha256;
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(dir, ec))) {
    fs::remove(dir, ec);  // the link only: skiff-server must load the copy it verifies
  }
  if (fs::exists(fs::symlink_status(dir, ec))) {
    // Checked every time: the loader reads these files, not the blobs.
    bool intact = true;
    for (const auto& [rel, sha] : manifest) {
      auto info = HashFile(dir + "/" + rel);
      if (!info.ok() || info->sha256 != sha) intact = false;
    }
    if (intact) return dir;
    fs::remove_all(dir, ec);  // rebuilt below from the verified blobs
  }
  const std::string tmp =
      MaterializedDir() + "/" + kTempPrefix + record.sha256 + "-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  SKIFF_RETURN_IF_ERROR(MaterializeFolder(BlobDir(), manifest, tmp, /*link=*/true));
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    fs::remove_all(tmp, ec);  // another process won the race; use its copy
    if (!fs::exists(dir, ec)) return Internal("cannot materialize model folder at '" + dir + "'");
  }
  return dir;
}

}  // namespace skiff::store
