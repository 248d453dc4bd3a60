// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "skiff/store/workspace_store.h"
#include "test_util.h"

namespace skiff::store {
namespace {

using testing::TempDir;

void ExecRaw(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// Schema version 1 exactly as released; written by hand, not by the store.
constexpr const char* kV1Schema = R"sql(
CREATE TABLE models (
  name TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1), sha256 TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')), size_bytes INTEGER NOT NULL,
  file_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  tags_json TEXT NOT NULL DEFAULT '{}', properties_json TEXT NOT NULL DEFAULT '{}',
  created_time TEXT NOT NULL, PRIMARY KEY (name, version));
CREATE INDEX models_sha256 ON models (sha256);
CREATE TABLE compute_targets (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, config_json TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT '', created_time TEXT NOT NULL, updated_time TEXT NOT NULL);
INSERT INTO models VALUES ('old', 1, 'abc', 'file', 3, 'old.bin', 'from v1', '{"k":"v"}', '{}',
  '2023-01-01T00:00:00Z');
INSERT INTO compute_targets VALUES ('local', 'local', '{}', 'Succeeded', 't', 't');
PRAGMA user_version = 1;
)sql";

TEST(StoreSchema, OpenMigratesAVersion1Database) {
  TempDir dir;
  std::filesystem::create_directories(dir / "ws");
  ExecRaw(dir / "ws/workspace.db", kV1Schema);
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto old = (*store)->GetModel("old", 1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->description, "from v1");
  EXPECT_EQ(old->tags.at("k"), "v");
  // Version-2 tables now exist and work.
  ServiceRecord svc;
  svc.name = "svc";
  svc.compute_target = "local";
  svc.models = {{"old", 1}};
  EXPECT_TRUE((*store)->CreateService(svc).ok());
  EXPECT_EQ((*store)->DeleteModel("old", 1).code(), StatusCode::kFailedPrecondition);
  store->reset();
  // Re-opening an up-to-date database changes nothing.
  EXPECT_TRUE(WorkspaceStore::Open(dir / "ws").ok());
}

TEST(StoreSchema, NewerDatabaseIsRefused) {
  TempDir dir;
  ASSERT_TRUE(WorkspaceStore::Open(dir / "ws").ok());
  ExecRaw(dir / "ws/workspace.db",
          "PRAGMA user_version = " + std::to_string(WorkspaceStore::SchemaVersion() + 7));
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("upgrade skiff"), std::string::npos)
      << store.status().message();
}

TEST(StoreSchema, UsesWalAndForeignKeys) {
  TempDir dir;
  auto store = WorkspaceStore::Open(dir / "ws");
  ASSERT_TRUE(store.ok());
  // A service naming a missing compute target is refused.
  ServiceRecord svc;
  svc.name = "svc";
  svc.compute_target = "nowhere";
  EXPECT_EQ((*store)->CreateService(svc).code(), StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::exists(dir / "ws/workspace.db-wal"));
}

}  // namespace
}  // namespace skiff::store
