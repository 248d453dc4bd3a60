// SPDX-License-Identifier: Apache-2.0
// The real host path: libskiff_accelerator_fpga.so, dlopen()ed the way the
// host does, on XRT's no-op device with xclbins written by xclbin_writer.
// NOTE: the no-op device runs no kernel code, so these tests check plumbing
// (device open, xclbin load, kernel construction, group ids, buffers, sync,
// runs and their completion, load errors) and NOT numeric results: outputs
// are the zeros the plugin writes before each run. Numerics are covered by
// the fake runtime (fpga_model_test.cc) and by reference_mlp_torch_test.cc.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "skiff/accelerator.h"
#include "skiff/plugin_abi.h"
#include "xclbin_writer.h"

namespace skiff::accel_fpga {
namespace {

std::string PluginPath() {
  if (const char* dir = std::getenv("SKIFF_BINARY_DIR")) {
    return std::string(dir) + "/lib/skiff/plugins/libskiff_accelerator_fpga.so";
  }
  return SKIFF_TEST_PLUGIN_PATH;
}

const skiff_plugin_descriptor* Init() {
  const std::string path = PluginPath();
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never dlclose()d
  if (lib == nullptr) {
    ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
    return nullptr;
  }
  auto init = reinterpret_cast<skiff_plugin_init_fn>(dlsym(lib, SKIFF_PLUGIN_ENTRY_SYMBOL));
  if (init == nullptr) {
    ADD_FAILURE() << "no " << SKIFF_PLUGIN_ENTRY_SYMBOL << " in " << path;
    return nullptr;
  }
  return init(SKIFF_PLUGIN_ABI_MAJOR, SKIFF_PLUGIN_ABI_MINOR);
}

class XrtNoop : public ::testing::Test {
 protected:
  void SetUp() override {
    test::UseXrtNoopDevice();
    dir_ = test::MakeTempDir();
    descriptor_ = Init();
    ASSERT_NE(descriptor_, nullptr);
    void* object = nullptr;
    skiff_error* error = descriptor_->create("{}", &object);
    ASSERT_EQ(error, nullptr) << error->message;
    accelerator_ = static_cast<Accelerator*>(object);
  }
  void TearDown() override {
    if (accelerator_ != nullptr) descriptor_->destroy(accelerator_);
    std::filesystem::remove_all(dir_);
  }

  const skiff_plugin_descriptor* descriptor_ = nullptr;
  Accelerator* accelerator_ = nullptr;
  std::string dir_;
};

TEST_F(XrtNoop, DescriptorNamesTheFpgaAccelerator) {
  EXPECT_EQ(descriptor_->kind, static_cast<uint32_t>(SKIFF_PLUGIN_KIND_ACCELERATOR));
  EXPECT_STREQ(descriptor_->name, "fpga");
  EXPECT_EQ(descriptor_->accepts_host, 1u);
}

TEST_F(XrtNoop, LoadsWarmsUpAndScoresZerosOfTheRightShape) {
  test::ModelFolder f = test::WriteModelFolder(dir_ + "/m", {{4, 16, true}, {16, 3, false}}, 4);
  StatusOr<std::unique_ptr<LoadedModel>> m =
      accelerator_->Load(test::LoadOptions(f.dir, 4, 3, R"({"device": 0, "timeoutMs": 2000})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->Warmup().ok());
  std::vector<float> x(10 * 4, 1.5f);  // 10 rows: three kernel runs per layer at maxBatch 4
  StatusOr<std::vector<Tensor>> out = (*m)->Score({test::FloatTensor("input", {10, 4}, x)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "output");
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{10, 3}));
  // Not a numeric check: the no-op device leaves the zeroed output as it is.
  EXPECT_EQ(test::Floats((*out)[0]), std::vector<float>(30, 0.0f));
}

TEST_F(XrtNoop, KernelBanksOnSeparateDdrsLoad) {
  test::XclbinSpec spec;
  spec.bank = {0, 1, 1, 0};
  test::ModelFolder f = test::WriteModelFolder(dir_ + "/m", {{8, 2, false}}, 16, spec);
  auto m = accelerator_->Load(test::LoadOptions(f.dir, 8, 2));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto out = (*m)->Score({test::FloatTensor("input", {3, 8}, std::vector<float>(24, 1.0f))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{3, 2}));
}

void ExpectLoadError(Accelerator* a, const ModelLoadOptions& o, const std::string& needle) {
  auto m = a->Load(o);
  ASSERT_FALSE(m.ok()) << "expected: " << needle;
  EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().ToString();
}

TEST_F(XrtNoop, LoadErrorsThroughThePlugin) {
  test::XclbinSpec no_kernel;
  no_kernel.kernel = "vadd";
  no_kernel.compute_unit = "vadd:vadd_1";
  test::ModelFolder f = test::WriteModelFolder(dir_ + "/a", {{4, 3, false}}, 4, no_kernel);
  ExpectLoadError(accelerator_, test::LoadOptions(f.dir, 4, 3),
                  "has no kernel 'mlp_dense' (it has 'vadd')");

  test::XclbinSpec wrong_type;
  wrong_type.args[5].type = "float";
  f = test::WriteModelFolder(dir_ + "/b", {{4, 3, false}}, 4, wrong_type);
  ExpectLoadError(accelerator_, test::LoadOptions(f.dir, 4, 3),
                  "argument 5 ('in_dim') has type 'float' but must be 'int'");

  f = test::WriteModelFolder(dir_ + "/c", {{4, 3, false}}, 4, {},
                             R"(, "platform": "xilinx_u280_gen3x16_xdma_1_202211_1")");
  ExpectLoadError(accelerator_, test::LoadOptions(f.dir, 4, 3), "signature.json pins platform");

  std::filesystem::create_directories(dir_ + "/d");
  f = test::WriteModelFolder(dir_ + "/d", {{4, 3, false}}, 4);
  std::ofstream(f.dir + "/model.xclbin", std::ios::binary) << "not an xclbin at all, just text";
  ExpectLoadError(accelerator_, test::LoadOptions(f.dir, 4, 3),
                  "shorter than the 496-byte axlf header");
}

TEST_F(XrtNoop, NoDeviceAtABdfIsAClearError) {
  test::ModelFolder f = test::WriteModelFolder(dir_ + "/m", {{4, 3, false}}, 4);
  auto m = accelerator_->Load(test::LoadOptions(f.dir, 4, 3, R"({"device": "0000:ee:1f.7"})"));
  ASSERT_FALSE(m.ok()) << "the no-op device should not exist at a made-up BDF";
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("cannot open FPGA device '0000:ee:1f.7'"), std::string::npos)
      << m.status().message();
}

}  // namespace
}  // namespace skiff::accel_fpga
