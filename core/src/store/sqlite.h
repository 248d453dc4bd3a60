// SPDX-License-Identifier: Apache-2.0
// Minimal RAII wrappers over the SQLite C API: a connection, a prepared
// statement with bound parameters, and an IMMEDIATE transaction that rolls
// back unless committed. Errors come back as Status, never exceptions.
// Threading: none of these is thread-safe; WorkspaceStore serialises use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "skiff/status.h"

namespace skiff::store {

// Owns one sqlite3* connection.
class Db {
 public:
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs SQL without parameters (pragmas, DDL, BEGIN/COMMIT).
  Status Exec(const std::string& sql);
  // A Status for the connection's last error, with `what` as context.
  Status Error(const std::string& what) const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// Owns one sqlite3_stmt*. Bind() errors are remembered and returned by Step().
class Stmt {
 public:
  static StatusOr<Stmt> Prepare(Db& db, const char* sql);
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  // 1-based parameter index, like sqlite3_bind_*.
  Stmt& Bind(int index, const std::string& value);
  Stmt& Bind(int index, int64_t value);

  // true: a row is ready; false: done.
  StatusOr<bool> Step();
  // Steps to completion (for INSERT/UPDATE/DELETE).
  Status Run();

  std::string Text(int column) const;  // "" for NULL
  int64_t Int(int column) const;
  bool IsNull(int column) const;

 private:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBind(int rc);
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE ... COMMIT; the destructor rolls back an uncommitted one.
class Transaction {
 public:
  static StatusOr<std::unique_ptr<Transaction>> Begin(Db& db);
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

}  // namespace skiff::store
