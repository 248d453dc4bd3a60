// Compute targets (mirrors azureml.core.compute): where services run.
// `local` is built in (plugins/compute-local); others come from compute
// plugins (libskiff_compute_<type>.so).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "skiff/compute_target.h"
#include "skiff/sdk/workspace.h"
#include "skiff/store/records.h"

namespace skiff::sdk {

class ComputeTarget {
 public:
  // Registers a target of `type` ("local", ...) and provisions it through
  // its plugin. kAlreadyExists for a taken name.
  static StatusOr<ComputeTarget> create(const Workspace& ws, const std::string& name,
                                        const std::string& type,
                                        const std::string& config_json = "{}");
  static StatusOr<ComputeTarget> get(const Workspace& ws, const std::string& name);
  static StatusOr<std::vector<ComputeTarget>> list(const Workspace& ws);
  // Deletes the target (refused while a service runs on it).
  Status delete_target() const;

  const std::string& name() const { return record_.name; }
  const std::string& type() const { return record_.type; }
  const store::ComputeTargetRecord& record() const { return record_; }

  // The plugin object driving this target. Threading: see skiff::ComputeTarget.
  StatusOr<std::shared_ptr<skiff::ComputeTarget>> plugin() const;

 private:
  ComputeTarget(Workspace ws, store::ComputeTargetRecord record)
      : ws_(std::move(ws)), record_(std::move(record)) {}
  Workspace ws_;
  store::ComputeTargetRecord record_;
};

// azureml.core.compute.LocalCompute-style helper: the embedded local target.
struct LocalCompute {
  static StatusOr<ComputeTarget> create(const Workspace& ws, const std::string& name) {
    return ComputeTarget::create(ws, name, "local");
  }
};

}  // namespace skiff::sdk
