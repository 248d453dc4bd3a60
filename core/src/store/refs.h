// SPDX-License-Identifier: Apache-2.0
// Checks that rows a service or endpoint refers to exist, with messages that
// say what is missing (the foreign keys enforce it too, but tersely).
// Call inside a transaction.
#pragma once

#include <string>
#include <vector>

#include "skiff/status.h"
#include "skiff/store/records.h"

namespace skiff::store {

class Db;

Status RequireComputeTarget(Db& db, const std::string& name, const std::string& user);
Status RequireModels(Db& db, const std::vector<ModelVersionRef>& models, const std::string& user);

}  // namespace skiff::store
