// SPDX-License-Identifier: Apache-2.0
#include "refs.h"

#include "sqlite.h"

namespace skiff::store {

Status RequireComputeTarget(Db& db, const std::string& name, const std::string& user) {
  SKIFF_ASSIGN_OR_RETURN(Stmt stmt,
                         Stmt::Prepare(db, "SELECT 1 FROM compute_targets WHERE name = ?"));
  stmt.Bind(1, name);
  SKIFF_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (found) return OkStatus();
  return NotFound(user + " names compute target '" + name +
                  "', which does not exist; create or attach it first");
}

Status RequireModels(Db& db, const std::vector<ModelVersionRef>& models, const std::string& user) {
  for (const auto& model : models) {
    SKIFF_ASSIGN_OR_RETURN(
        Stmt stmt, Stmt::Prepare(db, "SELECT 1 FROM models WHERE name = ? AND version = ?"));
    stmt.Bind(1, model.name).Bind(2, model.version);
    SKIFF_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) {
      return NotFound(user + " uses model '" + model.name + ":" + std::to_string(model.version) +
                      "', which is not registered; register it or pick a registered version");
    }
  }
  return OkStatus();
}

}  // namespace skiff::store
