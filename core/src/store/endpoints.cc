// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: endpoint rows and their versions.
#include "refs.h"
#include "skiff/store/workspace_store.h"
#include "sqlite.h"
#include "util.h"

namespace skiff::store {
namespace {

constexpr const char* kSelect =
    "SELECT name, compute_target, state, config_json, scoring_uri, created_time, updated_time "
    "FROM endpoints";

EndpointRecord ReadEndpoint(const Stmt& s) {
  return EndpointRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3),
                        s.Text(4), s.Text(5), s.Text(6)};
}

Status NoSuchEndpoint(const std::string& name) {
  return NotFound("endpoint '" + name + "' does not exist; run `skiff endpoint list`");
}

}  // namespace

Status WorkspaceStore::CreateEndpoint(const EndpointRecord& r) {
  if (r.name.empty()) return InvalidArgument("endpoint name is empty; pass a name");
  SKIFF_RETURN_IF_ERROR(ValidateJson(r.config_json, "endpoint config"));
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt exists,
                         Stmt::Prepare(*db_, "SELECT 1 FROM endpoints WHERE name = ?"));
  exists.Bind(1, r.name);
  SKIFF_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (found) return AlreadyExists("endpoint '" + r.name + "' already exists; choose another name");
  SKIFF_RETURN_IF_ERROR(RequireComputeTarget(*db_, r.compute_target, "endpoint '" + r.name + "'"));
  std::string now = NowIso8601();
  SKIFF_ASSIGN_OR_RETURN(Stmt insert,
                         Stmt::Prepare(*db_,
                                       "INSERT INTO endpoints (name, compute_target, state, "
                                       "config_json, scoring_uri, created_time, updated_time) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, r.name)
      .Bind(2, r.compute_target)
      .Bind(3, r.state)
      .Bind(4, r.config_json)
      .Bind(5, r.scoring_uri)
      .Bind(6, now)
      .Bind(7, now);
  SKIFF_RETURN_IF_ERROR(insert.Run());
  return txn->Commit();
}

StatusOr<EndpointRecord> WorkspaceStore::GetEndpoint(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(*db_, (std::string(kSelect) + " WHERE name = ?").c_str()));
  stmt.Bind(1, name);
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchEndpoint(name);
  return ReadEndpoint(stmt);
}

Status WorkspaceStore::DeleteEndpoint(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(*db_, "DELETE FROM endpoints WHERE name = ?"));
  del.Bind(1, name);
  SKIFF_RETURN_IF_ERROR(del.Run());  // versions and their model refs cascade
  if (sqlite3_changes(db_->get()) == 0) return NoSuchEndpoint(name);
  return OkStatus();
}

Status WorkspaceStore::PutEndpointVersion(const EndpointVersionRecord& r) {
  if (r.version_name.empty()) return InvalidArgument("endpoint version name is empty; pass one");
  if (r.traffic_percentile < 0 || r.traffic_percentile > 100) {
    return InvalidArgument("traffic_percentile of endpoint version '" + r.version_name + "' is " +
                           std::to_string(r.traffic_percentile) + "; use 0..100");
  }
  if (r.shadow_percentile < 0 || r.shadow_percentile > 100) {
    return InvalidArgument("shadow_percentile of endpoint version '" + r.version_name + "' is " +
                           std::to_string(r.shadow_percentile) + "; use 0..100");
  }
  SKIFF_RETURN_IF_ERROR(
      ValidateJson(r.deployment_config_json, "endpoint version deployment config"));
  SKIFF_RETURN_IF_ERROR(ValidateJson(r.inference_config_json, "endpoint version inference config"));
  const std::string user = "endpoint '" + r.endpoint + "' version '" + r.version_name + "'";
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  SKIFF_ASSIGN_OR_RETURN(Stmt exists,
                         Stmt::Prepare(*db_, "SELECT 1 FROM endpoints WHERE name = ?"));
  exists.Bind(1, r.endpoint);
  SKIFF_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) return NoSuchEndpoint(r.endpoint);
  SKIFF_RETURN_IF_ERROR(RequireModels(*db_, r.models, user));
  std::string now = NowIso8601();
  SKIFF_ASSIGN_OR_RETURN(
      Stmt upsert,
      Stmt::Prepare(*db_,
                    "INSERT INTO endpoint_versions (endpoint, version_name, traffic_percentile, "
                    "is_default, is_control, deployment_config_json, inference_config_json, state, "
                    "created_time, updated_time, shadow_percentile) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10) "
                    "ON CONFLICT (endpoint, version_name) DO UPDATE SET "
                    "traffic_percentile = ?3, is_default = ?4, is_control = ?5, "
                    "deployment_config_json = ?6, inference_config_json = ?7, state = ?8, "
                    "updated_time = ?9, shadow_percentile = ?10"));
  upsert.Bind(1, r.endpoint)
      .Bind(2, r.version_name)
      .Bind(3, int64_t{r.traffic_percentile})
      .Bind(4, int64_t{r.is_default ? 1 : 0})
      .Bind(5, int64_t{r.is_control ? 1 : 0})
      .Bind(6, r.deployment_config_json)
      .Bind(7, r.inference_config_json)
      .Bind(8, r.state)
      .Bind(9, now)
      .Bind(10, int64_t{r.shadow_percentile});
  SKIFF_RETURN_IF_ERROR(upsert.Run());
  SKIFF_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(*db_,
                                                 "DELETE FROM endpoint_version_models "
                                                 "WHERE endpoint = ? AND version_name = ?"));
  del.Bind(1, r.endpoint).Bind(2, r.version_name);
  SKIFF_RETURN_IF_ERROR(del.Run());
  for (const auto& model : r.models) {
    SKIFF_ASSIGN_OR_RETURN(Stmt insert,
                           Stmt::Prepare(*db_,
                                         "INSERT OR IGNORE INTO endpoint_version_models "
                                         "(endpoint, version_name, model_name, model_version) "
                                         "VALUES (?, ?, ?, ?)"));
    insert.Bind(1, r.endpoint).Bind(2, r.version_name).Bind(3, model.name).Bind(4, model.version);
    SKIFF_RETURN_IF_ERROR(insert.Run());
  }
  return txn->Commit();
}

StatusOr<std::vector<EndpointVersionRecord>> WorkspaceStore::ListEndpointVersions(
    const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(
      Stmt stmt, Stmt::Prepare(*db_,
                               "SELECT endpoint, version_name, traffic_percentile, is_default, "
                               "is_control, deployment_config_json, inference_config_json, state, "
                               "created_time, updated_time, shadow_percentile FROM endpoint_versions "
                               "WHERE endpoint = ? ORDER BY version_name"));
  stmt.Bind(1, endpoint);
  std::vector<EndpointVersionRecord> out;
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    EndpointVersionRecord r;
    r.endpoint = stmt.Text(0);
    r.version_name = stmt.Text(1);
    r.traffic_percentile = static_cast<int32_t>(stmt.Int(2));
    r.is_default = stmt.Int(3) != 0;
    r.is_control = stmt.Int(4) != 0;
    r.deployment_config_json = stmt.Text(5);
    r.inference_config_json = stmt.Text(6);
    r.state = stmt.Text(7);
    r.created_time = stmt.Text(8);
    r.updated_time = stmt.Text(9);
    r.shadow_percentile = static_cast<int32_t>(stmt.Int(10));
    out.push_back(std::move(r));
  }
  for (auto& r : out) {
    SKIFF_ASSIGN_OR_RETURN(Stmt models,
                           Stmt::Prepare(*db_,
                                         "SELECT model_name, model_version FROM "
                                         "endpoint_version_models WHERE endpoint = ? AND "
                                         "version_name = ? ORDER BY model_name, model_version"));
    models.Bind(1, r.endpoint).Bind(2, r.version_name);
    for (;;) {
      SKIFF_ASSIGN_OR_RETURN(bool row, models.Step());
      if (!row) break;
      r.models.push_back(ModelVersionRef{models.Text(0), models.Int(1)});
    }
  }
  return out;
}

Status WorkspaceStore::DeleteEndpointVersion(const std::string& endpoint,
                                             const std::string& version_name) {
  std::lock_guard<std::mutex> lock(mu_);
  SKIFF_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(*db_,
                                                 "DELETE FROM endpoint_versions "
                                                 "WHERE endpoint = ? AND version_name = ?"));
  del.Bind(1, endpoint).Bind(2, version_name);
  SKIFF_RETURN_IF_ERROR(del.Run());
  if (sqlite3_changes(db_->get()) == 0) {
    return NotFound("endpoint '" + endpoint + "' has no version '" + version_name + "'");
  }
  return OkStatus();
}

}  // namespace skiff::store
