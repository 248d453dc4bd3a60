// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: compute target rows.
#include "skiff/store/workspace_store.h"
#include "sqlite.h"
#include "util.h"

namespace skiff::store {
namespace {

constexpr const char* kSelect =
    "SELECT name, type, config_json, state, created_time, updated_time FROM compute_targets";

ComputeTargetRecord ReadTarget(const Stmt& s) {
  return ComputeTargetRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)};
}

Status NoSuchTarget(const std::string& name) {
  return NotFound("compute target '" + name +
                  "' does not exist; run `skiff computetarget list` to see targets");
}

}  // namespace

Status WorkspaceStore::CreateComputeTarget(const ComputeTargetRecord& record) {
  if (record.name.empty()) return InvalidArgument("compute target name is empty; pass a name");
  SKIFF_RETURN_IF_ERROR(ValidateJson(record.config_json, "compute target config"));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt exists,
                         Stmt::Prepare(*db_, "SELECT 1 FROM compute_targets WHERE name = ?"));
  exists.Bind(1, record.name);
  SKIFF_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (found) {
    return AlreadyExists("compute target '" + record.name +
                         "' already exists; choose another name or delete it first");
  }
  std::string now = NowIso8601();
  SKIFF_ASSIGN_OR_RETURN(Stmt insert,
                         Stmt::Prepare(*db_,
                                       "INSERT INTO compute_targets (name, type, config_json, "
                                       "state, created_time, updated_time) "
                                       "VALUES (?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, record.name)
      .Bind(2, record.type)
      .Bind(3, record.config_json)
      .Bind(4, record.state)
      .Bind(5, now)
      .Bind(6, now);
  SKIFF_RETURN_IF_ERROR(insert.Run());
  return txn->Commit();
}

Status WorkspaceStore::UpdateComputeTarget(const ComputeTargetRecord& record) {
  SKIFF_RETURN_IF_ERROR(ValidateJson(record.config_json, "compute target config"));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt update,
                         Stmt::Prepare(*db_,
                                       "UPDATE compute_targets SET type = ?, config_json = ?, "
                                       "state = ?, updated_time = ? WHERE name = ?"));
  update.Bind(1, record.type)
      .Bind(2, record.config_json)
      .Bind(3, record.state)
      .Bind(4, NowIso8601())
      .Bind(5, record.name);
  SKIFF_RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_->get()) == 0) return NoSuchTarget(record.name);
  return OkStatus();
}

StatusOr<ComputeTargetRecord> WorkspaceStore::GetComputeTarget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_, (std::string(kSelect) + " WHERE name = ?").c_str()));
  stmt.Bind(1, name);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchTarget(name);
  return ReadTarget(stmt);
}

StatusOr<std::vector<ComputeTargetRecord>> WorkspaceStore::ListComputeTargets() {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_, (std::string(kSelect) + " ORDER BY name").c_str()));
  std::vector<ComputeTargetRecord> out;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(ReadTarget(stmt));
  }
}

Status WorkspaceStore::DeleteComputeTarget(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt users, Stmt::Prepare(*db_,
                                                   "SELECT 'service ' || name FROM services "
                                                   "WHERE compute_target = ?1 UNION ALL "
                                                   "SELECT 'endpoint ' || name FROM endpoints "
                                                   "WHERE compute_target = ?1 ORDER BY 1"));
  users.Bind(1, name);
  std::vector<std::string> in_use;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, users.Step());
    if (!row) break;
    in_use.push_back(users.Text(0));
  }
  if (!in_use.empty()) {
    return FailedPrecondition("compute target '" + name + "' is used by " + QuotedList(in_use) +
                              "; delete those first");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt del,
                         Stmt::Prepare(*db_, "DELETE FROM compute_targets WHERE name = ?"));
  del.Bind(1, name);
  SKIFF_RETURN_IF_ERROR(del.Run());
  if (sqlite3_changes(db_->get()) == 0) return NoSuchTarget(name);
  return txn->Commit();
}

}  // namespace skiff::store
