// SPDX-License-Identifier: Apache-2.0
// Loads libskiff_compute_local.so as the host will and drives it through
// the C descriptor only.
#include "skiff/plugin_abi.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "skiff/build_fingerprint.h"
#include "skiff/compute_target.h"

namespace skiff {
namespace {

const skiff_plugin_descriptor* Load(void** handle) {
  const std::string path =
      std::string(std::getenv("SKIFF_BINARY_DIR")) + "/lib/skiff/plugins/libskiff_compute_local.so";
  *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (*handle == nullptr) return nullptr;
  auto init = reinterpret_cast<skiff_plugin_init_fn>(::dlsym(*handle, SKIFF_PLUGIN_ENTRY_SYMBOL));
  return init == nullptr ? nullptr : init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
}

TEST(ComputeLocalPluginAbiTest, DescriptorDescribesTheLocalComputeTarget) {
  void* handle = nullptr;
  const skiff_plugin_descriptor* d = Load(&handle);
  ASSERT_NE(d, nullptr) << ::dlerror();
  EXPECT_EQ(d->accepts_host, 1u);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_COMPUTE));
  EXPECT_STREQ(d->name, "local");
  EXPECT_STREQ(d->fingerprint, SKIFF_BUILD_FINGERPRINT);
  // Only the entry point is exported.
  EXPECT_EQ(::dlsym(handle,
                    "_ZN5skiff13compute_local12ParseOptionsERKNSt7__cxx1112basic_stringIcSt11char_"
                    "traitsIcESaIcEEE"),
            nullptr);
}

TEST(ComputeLocalPluginAbiTest, CreateValidatesOptions) {
  void* handle = nullptr;
  const skiff_plugin_descriptor* d = Load(&handle);
  ASSERT_NE(d, nullptr) << ::dlerror();
  void* object = reinterpret_cast<void*>(0x1);
  skiff_error* error = d->create(R"({"serverBinary": "/nonexistent/skiff-server"})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<int32_t>(StatusCode::kInvalidArgument));
  EXPECT_NE(std::string(error->message).find("serverBinary"), std::string::npos);
  EXPECT_EQ(object, nullptr);
  d->error_delete(error);

  // Issue 17 item 3: with no options the plugin finds skiff-server and
  // skiff-supervisor itself, beside its own .so (build/lib/skiff/plugins ->
  // build/bin); the SDK no longer builds them.
  error = d->create("{}", &object);
  ASSERT_EQ(error, nullptr) << error->message;
  ASSERT_NE(object, nullptr);
  d->destroy(object);
  object = nullptr;

  const std::string bin = std::string(std::getenv("SKIFF_BINARY_DIR")) + "/bin/";
  const std::string options = R"({"serverBinary":")" + bin +
                              R"(skiff-server","supervisorBinary":")" + bin +
                              R"(skiff-supervisor"})";
  error = d->create(options.c_str(), &object);
  ASSERT_EQ(error, nullptr) << error->message;
  ASSERT_NE(object, nullptr);
  auto* target = static_cast<ComputeTarget*>(object);
  EXPECT_EQ(target->GetState("xsvc").status().code(), StatusCode::kFailedPrecondition)
      << "no workspace known yet";
  // The local target took up to 255 characters with '_' and '.'; now the one
  // rule (skiff/util/service_name.h) every target and the SDK share.
  for (const char* name : {"my_svc", "my.svc", "Svc", "ab"}) {
    EXPECT_EQ(target->GetState(name).status().code(), StatusCode::kInvalidArgument) << name;
  }
  d->destroy(object);
}

}  // namespace
}  // namespace skiff
