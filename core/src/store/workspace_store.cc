#include "skiff/store/workspace_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "schema.h"
#include "sqlite.h"

namespace skiff::store {
namespace fs = std::filesystem;

namespace {

constexpr int kBusyTimeoutMs = 10000;

Status MakeDir(const std::string& dir, bool private_mode) {
  std::error_code ec;
  bool created = fs::create_directories(dir, ec);
  if (ec) {
    return Internal("cannot create workspace directory '" + dir + "': " + ec.message() +
                    "; check permissions or pass another --workspace");
  }
  if (created && private_mode) ::chmod(dir.c_str(), 0700);
  return OkStatus();
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
  SKIFF_RETURN_IF_ERROR(MakeDir(dir, /*private_mode=*/true));
  SKIFF_RETURN_IF_ERROR(MakeDir(dir + "/artifacts/sha256", false));
  SKIFF_RETURN_IF_ERROR(MakeDir(dir + "/artifacts/materialized", false));
  SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(dir + "/workspace.db"));
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
