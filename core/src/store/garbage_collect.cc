// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore::GarbageCollect: removes what no model row refers to.
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "blob_store.h"
#include "manifest.h"
#include "skiff/store/workspace_store.h"
#include "sqlite.h"

namespace skiff::store {
namespace fs = std::filesystem;

namespace {

bool OlderThan(const fs::path& path, std::chrono::seconds min_age) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  return ::time(nullptr) - st.st_mtime >= min_age.count();
}

bool IsTemp(const fs::path& path) { return path.filename().string().rfind(kTempPrefix, 0) == 0; }

}  // namespace

StatusOr<GarbageCollectResult> WorkspaceStore::GarbageCollect(std::chrono::seconds min_age) {
  std::lock_guard<std::mutex> lock(mu_);
  // Held (and rolled back, as nothing is written) until we are done, so no
  // registration commits a row for a blob we are about to remove; see
  // RegisterModel() for the other half.
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  std::set<std::string> referenced;
  std::set<std::string> folders;
  bool complete = true;  // false: a manifest is unreadable, so keep every blob
  {
    SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(*db_, "SELECT sha256, kind FROM models"));
    for (;;) {
      SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string sha = stmt.Text(0);
      referenced.insert(sha);
      if (stmt.Text(1) != "folder") continue;
      folders.insert(sha);
      auto manifest = LoadManifest(BlobDir(), sha);
      if (!manifest.ok()) {
        complete = false;
        continue;
      }
      for (const auto& entry : *manifest) referenced.insert(entry.second);
    }
  }
  GarbageCollectResult result;
  std::error_code ec;
  for (fs::directory_iterator it(BlobDir(), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    bool temp = IsTemp(path);
    if (!temp && (!complete || referenced.count(path.filename().string()) > 0)) continue;
    if (!OlderThan(path, min_age)) continue;
    std::error_code size_ec;
    auto size = fs::file_size(path, size_ec);
    if (!fs::remove(path, size_ec)) continue;
    if (temp)
      ++result.temp_files_removed;
    else
      ++result.blobs_removed;
    result.bytes_freed += static_cast<int64_t>(size);
  }
  if (ec) return Internal("cannot list '" + BlobDir() + "': " + ec.message());
  for (fs::directory_iterator it(MaterializedDir(), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    bool temp = IsTemp(path);
    if (!temp && folders.count(path.filename().string()) > 0) continue;
    if (!OlderThan(path, min_age)) continue;
    std::error_code rm_ec;
    if (fs::remove_all(path, rm_ec) > 0) {
      if (temp)
        ++result.temp_files_removed;
      else
        ++result.materialized_removed;
    }
  }
  SKIFF_RETURN_IF_ERROR(FsyncDir(BlobDir()));
  return result;
}

}  // namespace skiff::store
