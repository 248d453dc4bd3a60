// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: service rows, the models they use, and the per-service
// operation lock.
#include "process_identity.h"
#include "refs.h"
#include "skiff/store/workspace_store.h"
#include "sqlite.h"
#include "util.h"

namespace skiff::store {
namespace {

constexpr const char* kSelect =
    "SELECT name, compute_target, state, deployment_config_json, inference_config_json, "
    "scoring_uri, operation, operation_started_time, created_time, updated_time FROM services";

ServiceRecord ReadService(const Stmt& s) {
  ServiceRecord r;
  r.name = s.Text(0);
  r.compute_target = s.Text(1);
  r.state = s.Text(2);
  r.deployment_config_json = s.Text(3);
  r.inference_config_json = s.Text(4);
  r.scoring_uri = s.Text(5);
  r.operation = s.Text(6);
  r.operation_started_time = s.Text(7);
  r.created_time = s.Text(8);
  r.updated_time = s.Text(9);
  return r;
}

Status NoSuchService(const std::string& name) {
  return NotFound("service '" + name +
                  "' does not exist; run `skiff service list` to see services");
}

Status ValidateService(const ServiceRecord& r) {
  if (r.name.empty()) return InvalidArgument("service name is empty; pass a name");
  SKIFF_RETURN_IF_ERROR(ValidateJson(r.deployment_config_json, "service deployment config"));
  return ValidateJson(r.inference_config_json, "service inference config");
}

Status WriteModels(Db& db, const ServiceRecord& r) {
  SKIFF_ASSIGN_OR_RETURN(Stmt del,
                         Stmt::Prepare(db, "DELETE FROM service_models WHERE service = ?"));
  del.Bind(1, r.name);
  SKIFF_RETURN_IF_ERROR(del.Run());
  for (const auto& model : r.models) {
    SKIFF_ASSIGN_OR_RETURN(Stmt insert,
                           Stmt::Prepare(db,
                                         "INSERT OR IGNORE INTO service_models "
                                         "(service, model_name, model_version) VALUES (?, ?, ?)"));
    insert.Bind(1, r.name).Bind(2, model.name).Bind(3, model.version);
    SKIFF_RETURN_IF_ERROR(insert.Run());
  }
  return OkStatus();
}

Status ReadModels(Db& db, ServiceRecord& r) {
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db,
                                                  "SELECT model_name, model_version FROM "
                                                  "service_models WHERE service = ? "
                                                  "ORDER BY model_name, model_version"));
  stmt.Bind(1, r.name);
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return OkStatus();
    r.models.push_back(ModelVersionRef{stmt.Text(0), stmt.Int(1)});
  }
}

}  // namespace

Status WorkspaceStore::CreateService(const ServiceRecord& r) {
  SKIFF_RETURN_IF_ERROR(ValidateService(r));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt exists, Stmt::Prepare(*db_, "SELECT 1 FROM services WHERE name = ?"));
  exists.Bind(1, r.name);
  SKIFF_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (found) {
    return AlreadyExists("service '" + r.name +
                         "' already exists; choose another name or update it instead");
  }
  SKIFF_RETURN_IF_ERROR(RequireComputeTarget(*db_, r.compute_target, "service '" + r.name + "'"));
  SKIFF_RETURN_IF_ERROR(RequireModels(*db_, r.models, "service '" + r.name + "'"));
  std::string now = NowIso8601();
  SKIFF_ASSIGN_OR_RETURN(
      Stmt insert, Stmt::Prepare(*db_,
                                 "INSERT INTO services (name, compute_target, state, "
                                 "deployment_config_json, inference_config_json, scoring_uri, "
                                 "created_time, updated_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, r.name)
      .Bind(2, r.compute_target)
      .Bind(3, r.state)
      .Bind(4, r.deployment_config_json)
      .Bind(5, r.inference_config_json)
      .Bind(6, r.scoring_uri)
      .Bind(7, now)
      .Bind(8, now);
  SKIFF_RETURN_IF_ERROR(insert.Run());
  SKIFF_RETURN_IF_ERROR(WriteModels(*db_, r));
  return txn->Commit();
}

Status WorkspaceStore::UpdateService(const ServiceRecord& r) {
  SKIFF_RETURN_IF_ERROR(ValidateService(r));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_RETURN_IF_ERROR(RequireModels(*db_, r.models, "service '" + r.name + "'"));
  SKIFF_ASSIGN_OR_RETURN(
      Stmt update, Stmt::Prepare(*db_,
                                 "UPDATE services SET state = ?, deployment_config_json = ?, "
                                 "inference_config_json = ?, scoring_uri = ?, updated_time = ? "
                                 "WHERE name = ?"));
  update.Bind(1, r.state)
      .Bind(2, r.deployment_config_json)
      .Bind(3, r.inference_config_json)
      .Bind(4, r.scoring_uri)
      .Bind(5, NowIso8601())
      .Bind(6, r.name);
  SKIFF_RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_->get()) == 0) return NoSuchService(r.name);
  SKIFF_RETURN_IF_ERROR(WriteModels(*db_, r));
  return txn->Commit();
}

StatusOr<ServiceRecord> WorkspaceStore::GetService(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_, (std::string(kSelect) + " WHERE name = ?").c_str()));
  stmt.Bind(1, name);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchService(name);
  ServiceRecord r = ReadService(stmt);
  SKIFF_RETURN_IF_ERROR(ReadModels(*db_, r));
  return r;
}

StatusOr<std::vector<ServiceRecord>> WorkspaceStore::ListServices() {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_, (std::string(kSelect) + " ORDER BY name").c_str()));
  std::vector<ServiceRecord> out;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadService(stmt));
  }
  for (auto& r : out) SKIFF_RETURN_IF_ERROR(ReadModels(*db_, r));
  return out;
}

Status WorkspaceStore::DeleteService(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(*db_, "DELETE FROM services WHERE name = ?"));
  del.Bind(1, name);
  SKIFF_RETURN_IF_ERROR(del.Run());  // service_models rows cascade
  if (sqlite3_changes(db_->get()) == 0) return NoSuchService(name);
  return OkStatus();
}

Status WorkspaceStore::BeginOperation(const std::string& service, const std::string& op) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_,
                                       "SELECT operation, operation_started_time, operation_owner "
                                       "FROM services WHERE name = ?"));
  stmt.Bind(1, service);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchService(service);
  // A marker whose holder is provably gone (a CLI killed mid-operation) is
  // stale: take it over rather than lock the service forever.
  if (!stmt.IsNull(0) && ProcessMayBeRunning(stmt.IsNull(2) ? "" : stmt.Text(2))) {
    const long pid = stmt.IsNull(2) ? 0 : ProcessIdentityPid(stmt.Text(2));
    return FailedPrecondition("operation in progress: " + stmt.Text(0) + " on service '" + service +
                              "' since " + stmt.Text(1) +
                              (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "") +
                              "; wait for it to finish and retry");
  }
  SKIFF_ASSIGN_OR_RETURN(Stmt update, Stmt::Prepare(*db_,
                                                    "UPDATE services SET operation = ?, "
                                                    "operation_started_time = ?, "
                                                    "operation_owner = ? WHERE name = ?"));
  update.Bind(1, op).Bind(2, NowIso8601()).Bind(3, CurrentProcessIdentity()).Bind(4, service);
  SKIFF_RETURN_IF_ERROR(update.Run());
  return txn->Commit();
}

Status WorkspaceStore::EndOperation(const std::string& service) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt update,
                         Stmt::Prepare(*db_,
                                       "UPDATE services SET operation = NULL, "
                                       "operation_started_time = NULL, operation_owner = NULL "
                                       "WHERE name = ?"));
  update.Bind(1, service);
  SKIFF_RETURN_IF_ERROR(update.Run());
  if (sqlite3_changes(db_->get()) == 0) return NoSuchService(service);
  return OkStatus();
}

}  // namespace skiff::store
