// SPDX-License-Identifier: Apache-2.0
// LocalComputeTarget: the built-in "local" compute target. Each service runs
// as a skiff-server on this machine under its own skiff-supervisor, with all
// its state in <workspace>/services/<name>/ (docs/compute-local.md).
//
// The object holds no per-service state: everything lives in the service
// directory, so a fresh CLI process sees what an earlier one deployed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "options.h"
#include "service_dir.h"
#include "skiff/compute_target.h"

namespace skiff::compute_local {

class LocalComputeTarget final : public ComputeTarget {
 public:
  static StatusOr<std::unique_ptr<LocalComputeTarget>> Create(LocalComputeOptions options);
  ~LocalComputeTarget() override;

  // The machine is already there: nothing to create, attach, forget or
  // delete, so these only validate the spec (and remember its workspace).
  // Threading: any thread; they touch no shared state but the workspace path.
  Status Provision(const ComputeSpec& spec) override;
  Status Attach(const ComputeSpec& spec) override;
  Status Detach(const ComputeSpec& spec) override;
  Status Delete(const ComputeSpec& spec) override;

  // Writes server.json and starts a supervisor; returns once it runs.
  // kAlreadyExists if the service's supervisor is running.
  // Threading: concurrent for different services; the caller serialises
  // operations on one service.
  Status DeployService(const ServiceSpec& spec) override;
  // Rewrites server.json (keeping the bound port) and SIGHUPs the
  // supervisor: the server reloads without a restart. kNotFound if not
  // running. Threading: as DeployService().
  Status UpdateService(const ServiceSpec& spec) override;
  // SIGTERM, bounded wait (then SIGKILL), then removes the directory.
  // kNotFound if there is no service directory. Threading: as DeployService().
  Status DeleteService(const std::string& service) override;

  // Starts a new supervisor on the server.json in place when none runs (it
  // was SIGKILLed, or the machine rebooted), keeping the port when it is
  // free; counts a revival in restarts.json. Returns false if one runs.
  // Threading: as DeployService().
  StatusOr<bool> ReviveService(const std::string& service) override;
  // SIGTERM to the supervisor (its server drains), then a new supervisor on
  // the same server.json and port. Threading: as DeployService().
  Status RestartService(const std::string& service) override;

  // Reads supervisor.json and probes /v2/health/ready. Threading: any
  // thread, concurrently with anything (it only reads, plus an atomic
  // rename of the "was ready" marker).
  StatusOr<ServiceStatus> GetState(const std::string& service) override;
  // The tail of logs/server.log. Threading: as GetState().
  StatusOr<std::string> GetLogs(const std::string& service, int32_t num_lines) override;
  // The tail of logs/server.log, then what is appended to it and to
  // logs/access.jsonl (every answered request), across rotation, checked
  // every 200 ms, until `sink` says stop. Threading: as GetState().
  Status FollowLogs(const std::string& service, int32_t num_lines, LogSink* sink) override;

 private:
  explicit LocalComputeTarget(LocalComputeOptions options);

  Status RememberWorkspace(const std::string& workspace_dir);
  StatusOr<ServiceDir> DirOf(const std::string& service) const;
  // The pid of the service's supervisor if it is running.
  std::optional<pid_t> RunningSupervisor(const ServiceDir& dir) const;
  // Stops the supervisor (SIGTERM, bounded wait, SIGKILL) and a server it left behind.
  void StopProcesses(const ServiceDir& dir) const;
  // Starts a supervisor on the server.json in place, folding the previous
  // supervisor's restart count into restarts.json (plus one revival when
  // `revival`). The caller has made sure no supervisor runs.
  Status Relaunch(const std::string& service, const ServiceDir& dir, bool revival);

  const LocalComputeOptions options_;
  mutable std::mutex mu_;
  std::string workspace_dir_;  // guarded by mu_; from the options or the last spec
};

}  // namespace skiff::compute_local
