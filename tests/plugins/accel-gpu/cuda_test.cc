// SPDX-License-Identifier: Apache-2.0
// CUDA checks, built only with -DSKIFF_TEST_CUDA=ON (bench/gpu/run.sh). They
// fail, never skip, when CUDA is missing: a GPU run that silently tested the
// CPU would be worse than none.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "device.h"
#include "test_util.h"
#include "torch_accelerator.h"
#include "torch_model.h"

namespace skiff::accel_gpu {
namespace {

TEST(AccelGpuCuda, CudaIsAvailable) {
  ASSERT_TRUE(torch::cuda::is_available()) << "SKIFF_TEST_CUDA=ON but libtorch sees no GPU";
  EXPECT_GT(torch::cuda::device_count(), 0u);
}

TEST(AccelGpuCuda, FixturesMatchPythonOnCuda) {
  ASSERT_TRUE(torch::cuda::is_available());
  for (const char* name : {"mlp", "cnn", "two_io", "dict_out"}) {
    SCOPED_TRACE(name);
    auto model = TorchModel::Load(test::FixtureOptions(name, "cuda"));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_TRUE((*model)->device().is_cuda());
    test::CheckFixtureNumerics(**model, name);
  }
}

TEST(AccelGpuCuda, AutoPicksCudaAndCuda0Works) {
  ASSERT_TRUE(torch::cuda::is_available());
  auto a = TorchModel::Load(test::FixtureOptions("mlp", "auto"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE((*a)->device().is_cuda());
  auto b = TorchModel::Load(test::FixtureOptions("mlp", "cuda:0"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->device().index(), 0);
}

TEST(AccelGpuCuda, EveryDtypeRoundTripsOnCuda) {
  ASSERT_TRUE(torch::cuda::is_available());
  auto accelerator = TorchAccelerator::Create("{}");
  ASSERT_TRUE(accelerator.ok());
  test::CheckDtypeRoundTrips(**accelerator, "cuda");
}

TEST(AccelGpuCuda, OrdinalPastTheLastDeviceIsRefused) {
  ASSERT_TRUE(torch::cuda::is_available());
  const std::string spec = "cuda:" + std::to_string(torch::cuda::device_count());
  auto device = SelectDevice(spec, 0);
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(device.status().message().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace skiff::accel_gpu
