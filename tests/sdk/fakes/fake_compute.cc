// SPDX-License-Identifier: Apache-2.0
// libskiff_compute_fakecloud.so: a compute plugin the SDK and CLI know
// nothing about (issue 17 item 3). It keeps one file per target under the
// workspace, describes it from its own options, and refuses services.
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "skiff/compute_target.h"
#include "skiff/plugin_export.h"

namespace {

class FakeCloud final : public skiff::ComputeTarget {
 public:
  explicit FakeCloud(std::string region) : region_(std::move(region)) {}

  skiff::Status Provision(const skiff::ComputeSpec& spec) override {
    std::ofstream(StateFile(spec)) << "Succeeded";
    return skiff::OkStatus();
  }
  skiff::Status Attach(const skiff::ComputeSpec& spec) override { return Provision(spec); }
  skiff::Status Detach(const skiff::ComputeSpec&) override { return skiff::OkStatus(); }
  skiff::Status Delete(const skiff::ComputeSpec&) override { return skiff::OkStatus(); }
  skiff::StatusOr<skiff::ComputeDescription> Describe(const skiff::ComputeSpec& spec) override {
    std::ifstream in(StateFile(spec));
    std::stringstream state;
    state << in.rdbuf();
    skiff::ComputeDescription d;
    d.state = state.str();
    d.properties = {{"region", region_, skiff::ComputeProperty::Kind::kText},
                    {"nodes", "5", skiff::ComputeProperty::Kind::kNumber},
                    {"spot", "true", skiff::ComputeProperty::Kind::kBool}};
    d.warnings = {"this cloud is pretend"};
    return d;
  }
  skiff::Status DeployService(const skiff::ServiceSpec&) override { return Refuse(); }
  skiff::Status UpdateService(const skiff::ServiceSpec&) override { return Refuse(); }
  skiff::Status DeleteService(const std::string&) override { return skiff::OkStatus(); }
  skiff::StatusOr<skiff::ServiceStatus> GetState(const std::string&) override { return Refuse(); }
  skiff::StatusOr<std::string> GetLogs(const std::string&, int32_t) override { return Refuse(); }

 private:
  static std::string StateFile(const skiff::ComputeSpec& spec) {
    return spec.workspace_dir + "/fakecloud-" + spec.name;
  }
  static skiff::Status Refuse() { return skiff::Unimplemented("fakecloud runs no services"); }
  std::string region_;
};

skiff::StatusOr<std::unique_ptr<skiff::ComputeTarget>> MakeFakeCloud(const std::string& options) {
  const nlohmann::json o = nlohmann::json::parse(options, nullptr, false);
  if (!o.is_object() || !o.contains(skiff::kComputeOptionTargetName) ||
      !o.contains(skiff::kComputeOptionWorkspaceDir)) {
    return skiff::InvalidArgument("fakecloud: the host keys are missing from " + options);
  }
  return std::unique_ptr<skiff::ComputeTarget>(new FakeCloud(o.value("region", "nowhere")));
}

}  // namespace

SKIFF_DEFINE_PLUGIN(skiff::ComputeTarget, "fakecloud", "0.0.1", "a pretend cloud for tests",
                    MakeFakeCloud)
