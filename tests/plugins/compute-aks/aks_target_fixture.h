// SPDX-License-Identifier: Apache-2.0
// The one set-up of the AKS plugin's tests that drive an attached target
// against the loopback FakeKubeApi: a fresh workspace folder whose
// compute/aks1/kubeconfig points at the fake (a token user), and the target
// created from an "attach" config. The service, exposure-log and log-follow
// tests each wrote this out before.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "aks_compute_target.h"
#include "fake_kube_api.h"

namespace skiff::compute_aks::testing {

class AksTargetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "skiff-aks-target-XXXXXX").string();
    ws_ = ::mkdtemp(tmpl.data());
    std::filesystem::create_directories(ws_ + "/compute/aks1");
    std::ofstream(ws_ + "/compute/aks1/kubeconfig")
        << api_.KubeconfigYaml(kube::testing::FakeKubeApi::Auth::kToken);
    nlohmann::json config = {{"configType", "attach"},
                             {"resourceId",
                              "/subscriptions/s/resourceGroups/r/providers/"
                              "Microsoft.ContainerService/managedClusters/c"},
                             {"targetName", "aks1"},
                             {"workspaceDir", ws_}};
    AksTargetOptions o;
    o.config = ParseAksConfig(config.dump()).value();
    target_ = AksComputeTarget::Create(std::move(o)).value();
  }
  void TearDown() override { std::filesystem::remove_all(ws_); }

  kube::testing::FakeKubeApi api_;
  std::string ws_;
  std::unique_ptr<AksComputeTarget> target_;
};

}  // namespace skiff::compute_aks::testing
