// SPDX-License-Identifier: Apache-2.0
#include "schema.h"

#include <string>
#include <vector>

#include "sqlite.h"

namespace skiff::store {
namespace {

// Times are ISO-8601 UTC text; JSON columns hold serialized JSON.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      // 1: models and compute targets.
      R"sql(
CREATE TABLE models (
  name TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  sha256 TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
  size_bytes INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  tags_json TEXT NOT NULL DEFAULT '{}',
  properties_json TEXT NOT NULL DEFAULT '{}',
  created_time TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE INDEX models_sha256 ON models (sha256);
CREATE TABLE compute_targets (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  config_json TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT '',
  created_time TEXT NOT NULL,
  updated_time TEXT NOT NULL
);
)sql",
      // 2: services, the models they use, endpoints and their versions.
      R"sql(
CREATE TABLE services (
  name TEXT PRIMARY KEY,
  compute_target TEXT NOT NULL REFERENCES compute_targets (name) ON DELETE RESTRICT,
  state TEXT NOT NULL DEFAULT '',
  deployment_config_json TEXT NOT NULL DEFAULT '{}',
  inference_config_json TEXT NOT NULL DEFAULT '{}',
  scoring_uri TEXT NOT NULL DEFAULT '',
  operation TEXT,
  operation_started_time TEXT,
  created_time TEXT NOT NULL,
  updated_time TEXT NOT NULL
);
CREATE TABLE service_models (
  service TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
  model_name TEXT NOT NULL,
  model_version INTEGER NOT NULL,
  PRIMARY KEY (service, model_name, model_version),
  FOREIGN KEY (model_name, model_version) REFERENCES models (name, version) ON DELETE RESTRICT
);
CREATE INDEX service_models_model ON service_models (model_name, model_version);
CREATE TABLE endpoints (
  name TEXT PRIMARY KEY,
  compute_target TEXT NOT NULL REFERENCES compute_targets (name) ON DELETE RESTRICT,
  state TEXT NOT NULL DEFAULT '',
  config_json TEXT NOT NULL DEFAULT '{}',
  scoring_uri TEXT NOT NULL DEFAULT '',
  created_time TEXT NOT NULL,
  updated_time TEXT NOT NULL
);
CREATE TABLE endpoint_versions (
  endpoint TEXT NOT NULL REFERENCES endpoints (name) ON DELETE CASCADE,
  version_name TEXT NOT NULL,
  traffic_percentile INTEGER NOT NULL DEFAULT 0
    CHECK (traffic_percentile BETWEEN 0 AND 100),
  is_default INTEGER NOT NULL DEFAULT 0,
  is_control INTEGER NOT NULL DEFAULT 0,
  deployment_config_json TEXT NOT NULL DEFAULT '{}',
  inference_config_json TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT '',
  created_time TEXT NOT NULL,
  updated_time TEXT NOT NULL,
  PRIMARY KEY (endpoint, version_name)
);
CREATE TABLE endpoint_version_models (
  endpoint TEXT NOT NULL,
  version_name TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version INTEGER NOT NULL,
  PRIMARY KEY (endpoint, version_name, model_name, model_version),
  FOREIGN KEY (endpoint, version_name)
    REFERENCES endpoint_versions (endpoint, version_name) ON DELETE CASCADE,
  FOREIGN KEY (model_name, model_version) REFERENCES models (name, version) ON DELETE RESTRICT
);
CREATE INDEX endpoint_version_models_model
  ON endpoint_version_models (model_name, model_version);
)sql",
      // 3: who holds a service's operation lock (process_identity.h), so a
      // lock left by a killed CLI can be taken over.
      R"sql(
ALTER TABLE services ADD COLUMN operation_owner TEXT;
)sql",
      // 4: an endpoint version's shadow share (docs/rollout.md#shadow-traffic).
      R"sql(
ALTER TABLE endpoint_versions ADD COLUMN shadow_percentile INTEGER NOT NULL DEFAULT 0
  CHECK (shadow_percentile BETWEEN 0 AND 100);
)sql",
      // 5: an endpoint's progressive rollout (issue 22.1): its state as one
      // typed JSON document (skiff/rollout/rollout_state.h), the status
      // beside it so "is one running" needs no JSON, a revision for
      // compare-and-set updates, and the controller's lease.
      R"sql(
CREATE TABLE rollouts (
  endpoint TEXT PRIMARY KEY REFERENCES endpoints (name) ON DELETE CASCADE,
  status TEXT NOT NULL,
  state_json TEXT NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  owner TEXT NOT NULL DEFAULT '',
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  updated_time TEXT NOT NULL
);
)sql",
  };
  return kMigrations;
}

StatusOr<int> UserVersion(Db& db) {
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, "PRAGMA user_version"));
  SKIFF_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal("PRAGMA user_version returned no row");
  return static_cast<int>(stmt.Int(0));
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status MigrateSchema(Db& db) {
  const int latest = LatestSchemaVersion();
  for (;;) {
    // Re-read inside the transaction: another process may have migrated.
    SKIFF_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db));
    SKIFF_ASSIGN_OR_RETURN(int current, UserVersion(db));
    if (current > latest) {
      return FailedPrecondition("workspace database '" + db.path() + "' has schema version " +
                                std::to_string(current) + " but this skiff understands up to " +
                                std::to_string(latest) + "; upgrade skiff to open this workspace");
    }
    if (current == latest) return OkStatus();  // the transaction rolls back: nothing written
    SKIFF_RETURN_IF_ERROR(
        db.Exec(Migrations()[static_cast<size_t>(current)])
            .WithContext("migrating to schema version " + std::to_string(current + 1)));
    SKIFF_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(current + 1)));
    SKIFF_RETURN_IF_ERROR(txn->Commit());
  }
}

}  // namespace skiff::store
