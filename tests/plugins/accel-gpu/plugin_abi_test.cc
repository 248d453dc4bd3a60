// SPDX-License-Identifier: Apache-2.0
// Loads the built libskiff_accelerator_torch.so the way the host does
// (dlopen, RTLD_NOW | RTLD_LOCAL) and scores mlp.pt through the C ABI.
#include "skiff/plugin_abi.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "skiff/accelerator.h"
#include "skiff/build_fingerprint.h"
#include "test_util.h"

namespace skiff {
namespace {

// $SKIFF_BINARY_DIR/lib/skiff/plugins/libskiff_accelerator_torch.so, or the
// path CMake compiled in: skiff_add_test's ENVIRONMENT list currently reaches
// ctest as SKIFF_SOURCE_DIR only (its ';' splits the property value).
std::string PluginPath() {
  if (const char* dir = std::getenv("SKIFF_BINARY_DIR")) {
    return std::string(dir) + "/lib/skiff/plugins/libskiff_accelerator_torch.so";
  }
  return SKIFF_TEST_PLUGIN_PATH;
}

const skiff_plugin_descriptor* Init(uint32_t major, uint32_t minor) {
  const std::string path = PluginPath();
  // Never dlclose()d: objects from it may live until exit (STYLE.md).
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
    return nullptr;
  }
  auto init = reinterpret_cast<skiff_plugin_init_fn>(dlsym(lib, SKIFF_PLUGIN_ENTRY_SYMBOL));
  if (init == nullptr) {
    ADD_FAILURE() << "no " << SKIFF_PLUGIN_ENTRY_SYMBOL << " in " << path;
    return nullptr;
  }
  return init(major, minor);
}

TEST(AccelGpuPluginAbi, DescriptorDescribesTheTorchAccelerator) {
  const skiff_plugin_descriptor* d = Init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->struct_size, sizeof(skiff_plugin_descriptor));
  EXPECT_EQ(d->accepts_host, 1u);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_ACCELERATOR));
  EXPECT_STREQ(d->name, "torch");
  EXPECT_STREQ(d->fingerprint, SKIFF_BUILD_FINGERPRINT);
  EXPECT_EQ(Init(SKIFF_PLUGIN_ABI_MAJOR + 1, 0)->accepts_host, 0u);
}

TEST(AccelGpuPluginAbi, ScoresMlpThroughTheCAbi) {
  const skiff_plugin_descriptor* d = Init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  void* object = nullptr;
  skiff_error* error = d->create("{}", &object);
  ASSERT_EQ(error, nullptr) << error->message;
  ASSERT_NE(object, nullptr);
  auto* accelerator = static_cast<Accelerator*>(object);
  {
    StatusOr<std::unique_ptr<LoadedModel>> model =
        accelerator->Load(test::FixtureOptions("mlp", "cpu"));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    test::CheckFixtureNumerics(**model, "mlp");
  }
  d->destroy(object);
}

TEST(AccelGpuPluginAbi, BadOptionsComeBackAsASkiffError) {
  const skiff_plugin_descriptor* d = Init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  void* object = nullptr;
  skiff_error* error = d->create(R"({"threads": 4})", &object);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<int32_t>(StatusCode::kInvalidArgument));
  EXPECT_NE(std::strstr(error->message, "takes no plugin options"), nullptr) << error->message;
  EXPECT_EQ(object, nullptr);
  d->error_delete(error);
}

}  // namespace
}  // namespace skiff
