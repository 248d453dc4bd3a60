// SPDX-License-Identifier: Apache-2.0
#include "skiff/store/workspace_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "schema.h"
#include "skiff/util/private_path.h"
#include "sqlite.h"

namespace skiff::store {
namespace fs = std::filesystem;

namespace {

constexpr int kBusyTimeoutMs = 10000;

// The workspace directory: missing parents are created (umask mode), the
// directory itself 0700; an existing one must pass CheckPrivatePath (the
// user's own symlink to it is followed) and is never chmod'ed.
Status MakeWorkspaceDir(const std::string& dir) {
  std::error_code ec;
  fs::path path(dir);
  if (!path.has_filename()) path = path.parent_path();  // "ws/" is "ws"
  const fs::path parent = path.parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      return Internal("cannot create workspace directory '" + dir + "': " + ec.message() +
                      "; check permissions or pass another --workspace");
    }
  }
  return EnsurePrivateDirectory(path.string(), /*follow_own_symlink=*/true);
}

StatusOr<std::string> PragmaText(Db& db, const char* sql) {
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, sql));
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Text(0) : std::string();
}

}  // namespace

const char* ModelKindName(ModelKind kind) { return kind == ModelKind::kFolder ? "folder" : "file"; }

int WorkspaceStore::SchemaVersion() { return LatestSchemaVersion(); }

StatusOr<std::unique_ptr<WorkspaceStore>> WorkspaceStore::Open(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("workspace directory is empty; pass --workspace DIR");
  // The workspace, its artifacts and the store are trusted only when they
  // are the user's own (issue 16 item 5): a co-tenant's folder could hold a
  // planted model or key.
  SKIFF_RETURN_IF_ERROR(MakeWorkspaceDir(dir));
  for (const char* sub : {"/artifacts", "/artifacts/sha256", "/artifacts/materialized"}) {
    SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(dir + sub));
  }
  // SQLite follows links and creates with the umask: the database file is
  // created 0600 here first, and an existing one is checked.
  const std::string db_path = dir + "/workspace.db";
  SKIFF_ASSIGN_OR_RETURN(int db_fd, OpenPrivateFile(db_path, O_RDWR | O_CREAT));
  ::close(db_fd);
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(db_path));
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
  SKIFF_ASSIGN_OR_RETURN(std::string mode, PragmaText(*db, "PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return Internal("workspace database '" + db->path() + "' could not switch to WAL mode (got '" +
                    mode + "'); put the workspace on a local filesystem");
  }
  SKIFF_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  SKIFF_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  SKIFF_RETURN_IF_ERROR(MigrateSchema(*db));
  return std::unique_ptr<WorkspaceStore>(new WorkspaceStore(dir, std::move(db)));
}

WorkspaceStore::WorkspaceStore(std::string dir, std::unique_ptr<Db> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

WorkspaceStore::~WorkspaceStore() = default;

std::string WorkspaceStore::db_path() const { return dir_ + "/workspace.db"; }
std::string WorkspaceStore::BlobDir() const { return dir_ + "/artifacts/sha256"; }
std::string WorkspaceStore::MaterializedDir() const { return dir_ + "/artifacts/materialized"; }

}  // namespace skiff::store
