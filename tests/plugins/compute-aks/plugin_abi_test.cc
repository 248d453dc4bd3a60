// SPDX-License-Identifier: Apache-2.0
// Loads libskiff_compute_aks.so as the host will and drives it through the
// C descriptor only.
#include "skiff/plugin_abi.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "skiff/build_fingerprint.h"
#include "skiff/compute_target.h"

namespace skiff {
namespace {

const skiff_plugin_descriptor* Load(void** handle, const std::string& name = "aks") {
  const std::string path = std::string(std::getenv("SKIFF_BINARY_DIR")) +
                           "/lib/skiff/plugins/libskiff_compute_" + name + ".so";
  *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (*handle == nullptr) return nullptr;
  auto init = reinterpret_cast<skiff_plugin_init_fn>(::dlsym(*handle, SKIFF_PLUGIN_ENTRY_SYMBOL));
  return init == nullptr ? nullptr : init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
}

TEST(ComputeAksPluginAbiTest, DescriptorAndValidatingCreate) {
  void* handle = nullptr;
  const skiff_plugin_descriptor* d = Load(&handle);
  ASSERT_NE(d, nullptr) << ::dlerror();
  EXPECT_EQ(d->accepts_host, 1u);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_COMPUTE));
  EXPECT_STREQ(d->name, "aks");
  EXPECT_STREQ(d->fingerprint, SKIFF_BUILD_FINGERPRINT);

  void* object = reinterpret_cast<void*>(0x1);
  skiff_error* error = d->create(
      R"({"subscriptionId":"s","resourceGroup":"r","location":"eastus","agentCount":1})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<int32_t>(StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(error->message).find("greater than or equal to 12"), std::string::npos);
  EXPECT_EQ(object, nullptr);
  d->error_delete(error);

  error = d->create(R"({"subscriptionId":"s","resourceGroup":"r","location":"eastus"})", &object);
  ASSERT_EQ(error, nullptr) << error->message;
  auto* target = static_cast<ComputeTarget*>(object);
  // Made without targetName/workspaceDir (the SDK adds them): services are
  // refused with a reason, across the boundary, without a throw.
  auto state = target->GetState("x");
  EXPECT_EQ(state.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(state.status().message().find("targetName"), std::string::npos);
  d->destroy(object);
}

// Issue 19 item 5: the "kubernetes" target is the same library in its
// kubeconfig mode; its create() takes only that configuration.
TEST(ComputeAksPluginAbiTest, KubernetesPluginTakesOnlyAKubeconfigConfiguration) {
  void* handle = nullptr;
  const skiff_plugin_descriptor* d = Load(&handle, "kubernetes");
  ASSERT_NE(d, nullptr) << ::dlerror();
  EXPECT_EQ(d->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_COMPUTE));
  EXPECT_STREQ(d->name, "kubernetes");

  void* object = reinterpret_cast<void*>(0x1);
  skiff_error* error = d->create(R"({"configType":"attach","resourceId":"/x"})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<int32_t>(StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(error->message).find("kubeconfig only"), std::string::npos)
      << error->message;
  d->error_delete(error);
  error = d->create(R"({"kubeconfig":"relative/config"})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error->message).find("absolute path"), std::string::npos);
  d->error_delete(error);
  error = d->create(R"({"kubeconfig":"/k/config","registry":"myacr"})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error->message).find("az aks update --attach-acr"), std::string::npos);
  d->error_delete(error);

  error = d->create(R"({"kubeconfig":"/k/config","context":"team"})", &object);
  ASSERT_EQ(error, nullptr) << error->message;
  d->destroy(object);
}

}  // namespace
}  // namespace skiff
