// SPDX-License-Identifier: Apache-2.0
// The torch accelerator on CPU: fixtures against Python's numerics, dtypes,
// signature and load errors, device selection.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cstdio>
#include <fstream>

#include "device.h"
#include "test_util.h"
#include "torch_accelerator.h"
#include "torch_model.h"

namespace skiff::accel_gpu {
namespace {

using test::FixtureOptions;
using test::FixturePath;

std::unique_ptr<TorchAccelerator> MakeAccelerator() {
  auto made = TorchAccelerator::Create("");
  EXPECT_TRUE(made.ok());
  return std::move(made).value();
}

std::unique_ptr<LoadedModel> LoadOk(const ModelLoadOptions& o) {
  auto model = MakeAccelerator()->Load(o);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

class AccelGpuFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(AccelGpuFixture, MatchesPythonOnCpu) {
  auto model = LoadOk(FixtureOptions(GetParam(), "cpu"));
  ASSERT_NE(model, nullptr);
  test::CheckFixtureNumerics(*model, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Models, AccelGpuFixture,
                         ::testing::Values("mlp", "cnn", "two_io", "dict_out"));

TEST(AccelGpuDtype, EveryDtypeRoundTripsOnCpu) {
  test::CheckDtypeRoundTrips(*MakeAccelerator(), "cpu");
}

// Issue 20: the OIP types libtorch 1.13 has no type for are refused when the
// model loads (the deploy fails), naming the tensor, the type and the fix.
TEST(AccelGpuDtype, TypesTorchLacksAreRefusedAtLoad) {
  for (DataType dtype : {DataType::kUint16, DataType::kUint32, DataType::kUint64}) {
    SCOPED_TRACE(DataTypeName(dtype));
    ModelLoadOptions o;
    o.artifact_path = test::FixturePath("identity.pt");
    o.device = "cpu";
    o.signature.inputs = {{"x", dtype, {-1, 3}}};
    o.signature.outputs = {{"y", DataType::kInt64, {-1, 3}}};
    auto model = MakeAccelerator()->Load(o);
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find("tensor 'x' is " + std::string(DataTypeName(dtype)) +
                                            ", which libtorch"),
              std::string::npos)
        << model.status().message();
  }
}

// BYTES go into a TorchScript model as List[str] and come back from one.
TEST(AccelGpuDtype, BytesGoInAndOutAsListOfStr) {
  torch::jit::Module m("BytesShout");
  m.define(R"(
def forward(self, words: List[str]) -> List[str]:
    out: List[str] = []
    for w in words:
        out.append(w + "!")
    return out
)");
  const std::string path = ::testing::TempDir() + "skiff_bytes_shout.pt";
  m.save(path);
  ModelLoadOptions o;
  o.artifact_path = path;
  o.device = "cpu";
  o.signature.inputs = {{"words", DataType::kBytes, {-1}}};
  o.signature.outputs = {{"shout", DataType::kBytes, {-1}}};
  auto model = MakeAccelerator()->Load(o);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE((*model)->Warmup().ok());
  Tensor in{"words", DataType::kBytes, {2}, {}};
  AppendBytesElement("hi", &in.data);
  AppendBytesElement(std::string("\xff\0", 2), &in.data);
  auto out = (*model)->Score({in});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<uint8_t> want;
  AppendBytesElement("hi!", &want);
  AppendBytesElement(std::string("\xff\0!", 3), &want);
  EXPECT_EQ((*out)[0].name, "shout");
  EXPECT_EQ((*out)[0].shape, std::vector<int64_t>{2});
  EXPECT_EQ((*out)[0].data, want);
  // A BYTES input for a Tensor argument is refused at load, by name.
  o.artifact_path = test::FixturePath("identity.pt");
  o.signature.outputs = {{"y", DataType::kBytes, {-1}}};
  auto wrong = MakeAccelerator()->Load(o);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("BYTES inputs need List[str] arguments"),
            std::string::npos)
      << wrong.status().message();
  std::remove(path.c_str());
}

TEST(AccelGpuSignature, WrongShapeNamesTheInput) {
  auto model = LoadOk(FixtureOptions("mlp", "cpu"));
  ASSERT_NE(model, nullptr);
  auto out = model->Score(
      {test::FromDoubles("input", DataType::kFp32, {2, 5}, std::vector<double>(10, 0.0))});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "input 'input': expected shape [-1, 4], got [2, 5]");
}

TEST(AccelGpuSignature, WrongDtypeAndCountAreRefused) {
  auto model = LoadOk(FixtureOptions("two_io", "cpu"));
  ASSERT_NE(model, nullptr);
  auto a = test::FromDoubles("a", DataType::kFp32, {1, 3}, {1, 2, 3});
  auto b = test::FromDoubles("b", DataType::kInt32, {1, 2}, {1, 2});
  auto out = model->Score({a, b});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "input 'b': expected dtype INT64, got INT32");
  out = model->Score({a});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "expected 2 inputs, got 1");
}

TEST(AccelGpuSignature, OutputDtypeMismatchIsFailedPrecondition) {
  ModelLoadOptions o = FixtureOptions("mlp", "cpu");
  o.signature.outputs[0].dtype = DataType::kFp64;
  auto model = LoadOk(o);
  ASSERT_NE(model, nullptr);
  Status s = model->Warmup();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("output 'output': expected dtype FP64, got FP32"), std::string::npos)
      << s.message();
}

TEST(AccelGpuSignature, OutputCountMismatchIsFailedPrecondition) {
  ModelLoadOptions o = FixtureOptions("two_io", "cpu");
  o.signature.outputs.pop_back();
  auto model = LoadOk(o);
  ASSERT_NE(model, nullptr);
  Status s = model->Warmup();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("returned 2 output(s) but the inference config declares 1"),
            std::string::npos)
      << s.message();
}

TEST(AccelGpuSignature, DictOutputWithUnknownNameIsFailedPrecondition) {
  ModelLoadOptions o = FixtureOptions("dict_out", "cpu");
  o.signature.outputs[1].name = "scores";
  auto model = LoadOk(o);
  ASSERT_NE(model, nullptr);
  Status s = model->Warmup();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("without output 'scores'"), std::string::npos) << s.message();
}

TEST(AccelGpuLoad, ForwardArityMustMatchTheSignature) {
  ModelLoadOptions o = FixtureOptions("mlp", "cpu");
  o.signature.inputs.push_back({"extra", DataType::kFp32, {-1}});
  auto model = MakeAccelerator()->Load(o);
  EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(model.status().message().find("forward() takes 1 input(s)"), std::string::npos);
}

TEST(AccelGpuLoad, CorruptFileIsInvalidArgumentNamingTheFile) {
  const std::string path = ::testing::TempDir() + "/skiff_corrupt_model.pt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "PK\x03\x04 this is not a TorchScript archive";
  }
  ModelLoadOptions o = FixtureOptions("mlp", "cpu");
  o.artifact_path = path;
  auto model = MakeAccelerator()->Load(o);
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find(path), std::string::npos) << model.status().message();
  std::remove(path.c_str());

  o.artifact_path = FixturePath("mlp.json");  // exists, but is not a model
  model = MakeAccelerator()->Load(o);
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("mlp.json"), std::string::npos);
}

TEST(AccelGpuLoad, MissingFileIsNotFound) {
  ModelLoadOptions o = FixtureOptions("mlp", "cpu");
  o.artifact_path = FixturePath("no_such_model.pt");
  auto model = MakeAccelerator()->Load(o);
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find("no_such_model.pt"), std::string::npos);
}

TEST(AccelGpuLoad, PluginOptionsMustBeEmpty) {
  EXPECT_TRUE(TorchAccelerator::Create(" { } ").ok());
  EXPECT_EQ(TorchAccelerator::Create(R"({"device":"cuda"})").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AccelGpuDevice, ExplicitCpuWorks) {
  auto model = TorchModel::Load(FixtureOptions("mlp", "cpu"));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE((*model)->device().is_cpu());
  test::CheckFixtureNumerics(**model, "mlp");
}

TEST(AccelGpuDevice, AutoLoadsAndScores) {
  auto model = TorchModel::Load(FixtureOptions("mlp", "auto"));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->device().is_cuda(), torch::cuda::is_available());
  test::CheckFixtureNumerics(**model, "mlp");
}

TEST(AccelGpuDevice, MissingCudaDeviceIsAClearError) {
  auto model = MakeAccelerator()->Load(FixtureOptions("mlp", "cuda:7"));
  if (torch::cuda::is_available() && torch::cuda::device_count() > 7) {
    GTEST_SKIP() << "this machine has a cuda:7";
  }
  EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(model.status().message().find("'cuda:7'"), std::string::npos)
      << model.status().message();
}

TEST(AccelGpuDevice, UnknownDeviceIsInvalidArgument) {
  for (const char* spec : {"tpu", "cuda:", "cuda:x", "CPU"}) {
    auto device = SelectDevice(spec, 0);
    EXPECT_EQ(device.status().code(), StatusCode::kInvalidArgument) << spec;
  }
}

TEST(AccelGpuDevice, ThreadOptionsAreAccepted) {
  ModelLoadOptions o = FixtureOptions("mlp", "cpu");
  o.intra_op_threads = 2;
  o.inter_op_threads = 2;  // only the first call per process takes effect
  auto model = LoadOk(o);
  ASSERT_NE(model, nullptr);
  test::CheckFixtureNumerics(*model, "mlp");
}

}  // namespace
}  // namespace skiff::accel_gpu
