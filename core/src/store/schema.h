// SPDX-License-Identifier: Apache-2.0
// The workspace database schema as an ordered list of forward migrations.
// Migration i (1-based) takes `PRAGMA user_version` from i-1 to i; each runs
// in its own transaction together with the user_version bump. Never edit a
// released migration: append a new one.
#pragma once

#include "skiff/status.h"

namespace skiff::store {

class Db;

// The number of migrations, i.e. the user_version this binary writes.
int LatestSchemaVersion();

// Applies every migration the database lacks. FailedPrecondition when the
// database's user_version is newer than LatestSchemaVersion().
Status MigrateSchema(Db& db);

}  // namespace skiff::store
