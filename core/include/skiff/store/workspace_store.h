// SPDX-License-Identifier: Apache-2.0
// WorkspaceStore: the durable state of one workspace directory.
//
//   <ws>/workspace.db                 SQLite (WAL, synchronous=FULL, foreign keys on)
//   <ws>/artifacts/sha256/<hex>       content-addressed blobs (read-only files)
//   <ws>/artifacts/sha256/.tmp-*      blobs being written (removed by GarbageCollect)
//   <ws>/artifacts/materialized/<hex> folder models laid out for loaders (hard links)
//
// Durability: a blob is written to a temp file in its final directory,
// fsync'ed, renamed, and the directory fsync'ed before any row refers to it,
// so a crash never leaves a row pointing at a missing blob. A crash can leave
// blobs no row refers to; GarbageCollect() removes them. Deleting a model
// removes its row only; its blobs go at the next GarbageCollect().
//
// Threading: one SQLite connection per WorkspaceStore, guarded by an internal
// mutex, so one WorkspaceStore may be used from several threads (calls are
// serialised on the connection; hashing and copying run outside the lock).
// Several processes may open the same workspace at once: SQLite's file
// locking (with a busy timeout) serialises writers, and every
// read-modify-write runs in one BEGIN IMMEDIATE transaction.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "skiff/status.h"
#include "skiff/store/records.h"

struct sqlite3;

namespace skiff::store {

class Db;

// What GarbageCollect() removed.
struct GarbageCollectResult {
  int64_t blobs_removed = 0;
  int64_t temp_files_removed = 0;
  int64_t materialized_removed = 0;
  int64_t bytes_freed = 0;
};

class WorkspaceStore {
 public:
  // The schema version this binary writes; Open() migrates older databases
  // forward and refuses newer ones.
  static int SchemaVersion();

  // Opens (creating when missing, mode 0700) the workspace at `dir` and
  // migrates its database to SchemaVersion(). FailedPrecondition when the
  // database is newer than this binary.
  static StatusOr<std::unique_ptr<WorkspaceStore>> Open(const std::string& dir);

  ~WorkspaceStore();
  WorkspaceStore(const WorkspaceStore&) = delete;
  WorkspaceStore& operator=(const WorkspaceStore&) = delete;

  const std::string& dir() const { return dir_; }
  std::string db_path() const;

  // --- Models -------------------------------------------------------------

  // Stores the file or folder at request.path content-addressed, then adds
  // row name:(latest+1). InvalidArgument for a bad name or missing path.
  StatusOr<ModelRecord> RegisterModel(const RegisterModelRequest& request);
  // All versions, ordered by name then version; only `name`'s when set.
  StatusOr<std::vector<ModelRecord>> ListModels(const std::optional<std::string>& name = {});
  // version <= 0 means the latest. NotFound naming the model otherwise.
  StatusOr<ModelRecord> GetModel(const std::string& name, int64_t version = 0);
  // Removes the row (blobs stay until GarbageCollect). FailedPrecondition
  // naming the services/endpoint versions that still use it.
  Status DeleteModel(const std::string& name, int64_t version);
  // Recreates the file or folder at `dest` (which must not exist), checking
  // every byte against its hash. Returns the record downloaded.
  StatusOr<ModelRecord> DownloadModel(const std::string& name, int64_t version,
                                      const std::string& dest);
  // DataLoss when the stored bytes no longer hash to what was recorded.
  Status VerifyArtifact(const ModelRecord& record) const;
  // The path a loader opens, after VerifyArtifact(): the blob for a file
  // model; for a folder model, <ws>/artifacts/materialized/<sha256>/, a
  // directory of read-only hard links to the blobs laid out as registered
  // (built once, atomically). Loaders must not write into it.
  StatusOr<std::string> ResolveArtifactPath(const ModelRecord& record) const;

  // Removes blobs no model refers to, materialized folders of deleted
  // models, and temp files, when older than `min_age` (so writers in flight
  // in other processes are left alone). Holds the database write lock.
  StatusOr<GarbageCollectResult> GarbageCollect(
      std::chrono::seconds min_age = std::chrono::hours(1));

  // --- Compute targets ----------------------------------------------------

  // AlreadyExists when the name is taken.
  Status CreateComputeTarget(const ComputeTargetRecord& record);
  // Updates type/config/state of an existing target. NotFound otherwise.
  Status UpdateComputeTarget(const ComputeTargetRecord& record);
  StatusOr<ComputeTargetRecord> GetComputeTarget(const std::string& name);
  StatusOr<std::vector<ComputeTargetRecord>> ListComputeTargets();
  // FailedPrecondition while services or endpoints use the target.
  Status DeleteComputeTarget(const std::string& name);

  // --- Services -----------------------------------------------------------

  // Inserts the service and its model refs (which must be registered).
  Status CreateService(const ServiceRecord& record);
  // Replaces state, configs, scoring URI and models. The operation marker is
  // left alone (use BeginOperation/EndOperation).
  Status UpdateService(const ServiceRecord& record);
  StatusOr<ServiceRecord> GetService(const std::string& name);
  StatusOr<std::vector<ServiceRecord>> ListServices();
  Status DeleteService(const std::string& name);

  // Atomically marks `op` as running on `service`, owned by this process.
  // FailedPrecondition "operation in progress: <op> on service 'x' since
  // <time> (pid N)" when one is, unless its owner is provably gone (killed
  // on this host, or the host rebooted): then the marker is taken over.
  Status BeginOperation(const std::string& service, const std::string& op);
  // Clears the marker (a no-op when none is set). NotFound for no service.
  Status EndOperation(const std::string& service);

  // --- Endpoints ----------------------------------------------------------

  Status CreateEndpoint(const EndpointRecord& record);
  StatusOr<EndpointRecord> GetEndpoint(const std::string& name);
  // Deletes the endpoint and its versions.
  Status DeleteEndpoint(const std::string& name);

  // Inserts or replaces one version (keyed by endpoint + version_name).
  Status PutEndpointVersion(const EndpointVersionRecord& record);
  StatusOr<std::vector<EndpointVersionRecord>> ListEndpointVersions(const std::string& endpoint);
  Status DeleteEndpointVersion(const std::string& endpoint, const std::string& version_name);

  // --- Progressive rollouts (skiff endpoint rollout) -------------------------

  // Records a new rollout of `record.endpoint` (replacing an ended one),
  // with the lease held by `record.owner` until `record.lease_expires_ms`.
  // FailedPrecondition naming the running rollout and its controller when
  // one is Running or Paused. One transaction.
  Status StartRollout(const RolloutRecord& record);
  // NotFound when the endpoint never had a rollout.
  StatusOr<RolloutRecord> GetRollout(const std::string& endpoint);
  // Compare-and-set: writes status and state_json when the row's revision is
  // still `record.revision` and bumps it; kAborted when another process
  // changed the rollout since it was read (read it again). The lease is
  // left alone.
  Status UpdateRollout(const RolloutRecord& record);
  // Takes or renews the controller lease of `endpoint` for `owner` until
  // `now_ms + ttl_ms`, in one transaction. FailedPrecondition naming the
  // holder (pid) and its expiry while another owner holds an unexpired
  // lease and may still run (process_identity.h: a holder killed on this
  // host is known gone at once).
  Status AcquireRolloutLease(const std::string& endpoint, const std::string& owner,
                             int64_t now_ms, int64_t ttl_ms);
  // This process as lease and lock holders are named ("host=... pid=...").
  static std::string CurrentOwner();
  // False only when `owner` is provably gone (killed on this host).
  static bool OwnerMayBeRunning(const std::string& owner);
  // Gives the lease up when `owner` holds it (a no-op otherwise).
  Status ReleaseRolloutLease(const std::string& endpoint, const std::string& owner);

 private:
  WorkspaceStore(std::string dir, std::unique_ptr<Db> db);

  std::string BlobDir() const;
  std::string MaterializedDir() const;

  const std::string dir_;
  mutable std::mutex mu_;   // guards db_ (one connection, not thread-safe on its own)
  std::unique_ptr<Db> db_;  // GUARDED_BY(mu_)
};

}  // namespace skiff::store
