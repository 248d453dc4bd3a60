// SPDX-License-Identifier: Apache-2.0
// FpgaModel and the run loop against the recording fake runtime: argument
// binding, buffer sizes and groups, sync directions and order, batch
// splitting, timeouts, and the load errors that come before the card.
#include "fpga_model.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "fake_runtime.h"
#include "fpga_accelerator.h"
#include "reference_mlp.h"
#include "xclbin_writer.h"

namespace skiff::accel_fpga {
namespace {

using test::FakeState;
using test::Floats;
using test::FloatTensor;
using test::LoadOptions;

class FpgaModelTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  test::ModelFolder Folder(std::vector<LayerSpec> layers = {{4, 16, true}, {16, 3, false}},
                           int32_t max_batch = 4, const test::XclbinSpec& spec = {},
                           const std::string& extra = "") {
    return test::WriteModelFolder(dir_ + "/m", layers, max_batch, spec, extra);
  }
  StatusOr<std::unique_ptr<FpgaModel>> Load(const ModelLoadOptions& o) {
    return FpgaModel::Load(o, test::MakeFakeRuntime(state_));
  }
  void ExpectLoadError(const ModelLoadOptions& o, StatusCode code, const std::string& needle) {
    StatusOr<std::unique_ptr<FpgaModel>> m = Load(o);
    ASSERT_FALSE(m.ok()) << "expected: " << needle;
    EXPECT_EQ(m.status().code(), code) << m.status().ToString();
    EXPECT_NE(m.status().message().find(needle), std::string::npos) << m.status().message();
  }
  size_t Count(const std::string& prefix) const {
    size_t n = 0;
    for (const std::string& line : state_->log) n += line.rfind(prefix, 0) == 0;
    return n;
  }

  std::string dir_;
  std::shared_ptr<FakeState> state_ = std::make_shared<FakeState>();
};

std::vector<float> Rows(int64_t rows, int64_t dim) {
  std::vector<float> v(static_cast<size_t>(rows * dim));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 4.0f;
  return v;
}

TEST_F(FpgaModelTest, LoadAllocatesPerGroupAndUploadsWeightsOnce) {
  test::ModelFolder f = Folder();
  state_->group_ids = {2, 3, 4, 2};
  StatusOr<std::unique_ptr<FpgaModel>> m =
      Load(LoadOptions(f.dir, 4, 3, R"({"device": "0000:65:00.1"})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(state_->opened.by_bdf);
  EXPECT_EQ(state_->opened.bdf, "0000:65:00.1");
  EXPECT_EQ(state_->loaded_xclbin, f.dir + "/model.xclbin");
  EXPECT_EQ(state_->opened_kernel, "mlp_dense");
  // act0 [4x4], act1 [4x16], act2 [4x3] for max_batch 4 rows; then W, b per layer.
  const std::vector<std::string> expected = {
      "alloc #0 64B g2", "alloc #1 256B g2", "alloc #2 48B g2", "alloc #3 256B g3",
      "write #3 256B",   "sync #3 to",       "alloc #4 64B g4", "write #4 64B",
      "sync #4 to",      "alloc #5 192B g3", "write #5 192B",   "sync #5 to",
      "alloc #6 12B g4", "write #6 12B",     "sync #6 to"};
  EXPECT_EQ(state_->log, expected);
}

TEST_F(FpgaModelTest, ScoreSyncsInThenZeroedOutputsRunsEachLayerAndSyncsOut) {
  test::ModelFolder f = Folder();
  auto m = Load(LoadOptions(f.dir, 4, 3, R"({"timeoutMs": 250})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  state_->log.clear();
  const std::vector<float> x = Rows(3, 4);
  StatusOr<std::vector<Tensor>> out = (*m)->Score({FloatTensor("input", {3, 4}, x)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::vector<std::string> expected = {"write #0 48B",
                                             "sync #0 to",  // input rows
                                             "write #1 256B",
                                             "sync #1 to",
                                             "write #2 48B",
                                             "sync #2 to",                      // zeroed outputs
                                             "run #0 #3 #4 #1 3 4 16 1 t=250",  // layer 0 (relu)
                                             "run #1 #5 #6 #2 3 16 3 0 t=250",  // layer 1
                                             "sync #2 from",
                                             "read #2 36B"};
  EXPECT_EQ(state_->log, expected);
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "output");
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{3, 3}));
  const std::vector<float> want = ReferenceMlp(f.artifact, x, 3);
  const std::vector<float> got = Floats((*out)[0]);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << i;
}

TEST_F(FpgaModelTest, BatchesLargerThanMaxBatchAreSplit) {
  test::ModelFolder f = Folder({{4, 16, true}, {16, 3, false}}, 4);
  auto m = Load(LoadOptions(f.dir, 4, 3));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  state_->log.clear();
  const std::vector<float> x = Rows(10, 4);
  auto out = (*m)->Score({FloatTensor("input", {10, 4}, x)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // 10 rows at 4 per run: chunks of 4, 4 and 2, two layers each.
  EXPECT_EQ(Count("run "), 6u);
  EXPECT_EQ(Count("run #0 #3 #4 #1 4 "), 2u);
  EXPECT_EQ(Count("run #0 #3 #4 #1 2 "), 1u);
  EXPECT_EQ(Count("sync #2 from"), 3u);
  EXPECT_EQ(Count("read #2 48B"), 2u);
  EXPECT_EQ(Count("read #2 24B"), 1u);
  const std::vector<float> want = ReferenceMlp(f.artifact, x, 10), got = Floats((*out)[0]);
  ASSERT_EQ(got.size(), 30u);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << i;
}

TEST_F(FpgaModelTest, OutputsAreZeroedBeforeEachRunSoANoOpKernelGivesZeros) {
  test::ModelFolder f = Folder({{4, 3, false}}, 2);
  state_->compute = false;  // like XRT's no-op device: nothing writes outputs
  auto m = Load(LoadOptions(f.dir, 4, 3));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto out = (*m)->Score({FloatTensor("input", {3, 4}, Rows(3, 4))});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Floats((*out)[0]),
            std::vector<float>(9, 0.0f));  // the fake's fresh memory is 0x5a bytes
}

TEST_F(FpgaModelTest, ARunPastTheTimeoutFailsTheBatchAndTheNextOneWorks) {
  test::ModelFolder f = Folder();
  auto m = Load(LoadOptions(f.dir, 4, 3, R"({"timeoutMs": 5})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  state_->timeout_on_run = 1;  // layer 1 of the first batch
  auto out = (*m)->Score({FloatTensor("input", {1, 4}, Rows(1, 4))});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(out.status().message().find(
                "kernel 'mlp_dense' (layer 1, 1 rows) did not finish within 5 ms"),
            std::string::npos)
      << out.status().message();
  EXPECT_EQ(state_->log.back(), "abort");
  EXPECT_TRUE((*m)->Score({FloatTensor("input", {1, 4}, Rows(1, 4))}).ok());
}

TEST_F(FpgaModelTest, WarmupScoresOneZeroRow) {
  test::ModelFolder f = Folder();
  auto m = Load(LoadOptions(f.dir, 4, 3));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  state_->log.clear();
  ASSERT_TRUE((*m)->Warmup().ok());
  EXPECT_EQ(Count("run #0 #3 #4 #1 1 4 16 1"), 1u);
}

TEST_F(FpgaModelTest, WrongInputsAreRefusedBeforeTheCard) {
  test::ModelFolder f = Folder();
  auto m = Load(LoadOptions(f.dir, 4, 3));
  ASSERT_TRUE(m.ok());
  state_->log.clear();
  auto out = (*m)->Score({FloatTensor("input", {2, 5}, Rows(2, 5))});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(state_->log.empty());
}

TEST_F(FpgaModelTest, ArtifactErrorsNameTheFileAndField) {
  ExpectLoadError(LoadOptions(dir_ + "/none", 4, 3), StatusCode::kNotFound,
                  "signature.json' is missing");
  test::ModelFolder f = Folder();
  std::filesystem::resize_file(f.dir + "/weights.bin", 12);
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kInvalidArgument,
                  "holds 12 bytes but the layers in signature.json need 524");
  Folder({{4, 16, true}, {8, 3, false}});
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kInvalidArgument,
                  "`$.layers[1].in` is 8 but the previous layer outputs 16");
  Folder({{4, 3, false}}, 0);
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kInvalidArgument,
                  "`$.maxBatch` must be an integer from 1");
  Folder({{4, 3, false}});
  std::filesystem::remove(f.dir + "/model.xclbin");
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kNotFound, "model.xclbin' is missing");
}

TEST_F(FpgaModelTest, PlatformAndUuidPinsAreChecked) {
  test::ModelFolder f =
      Folder({{4, 3, false}}, 4, {}, R"(, "platform": "xilinx_u55c_gen3x16_xdma_3_202210_1")");
  ExpectLoadError(
      LoadOptions(f.dir, 4, 3), StatusCode::kFailedPrecondition,
      "is built for platform 'xilinx_u250_gen3x16_xdma_4_1_202210_1' but signature.json pins "
      "platform 'xilinx_u55c_gen3x16_xdma_3_202210_1'");
  Folder({{4, 3, false}}, 4, {}, R"(, "xclbinUuid": "00000000-0000-0000-0000-000000000001")");
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kFailedPrecondition,
                  "has UUID 5f1e0a11-2233-4455-6677-8899aabbccdd but signature.json pins "
                  "00000000-0000-0000-0000-000000000001");
  Folder({{4, 3, false}}, 4, {}, R"(, "xclbinUuid": "5f1e0a11-2233-4455-6677-8899aabbccdd")");
  state_->reported_uuid = std::make_unique<XclbinUuid>(XclbinUuid{1});
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kFailedPrecondition,
                  "reports UUID 01000000-0000-0000-0000-000000000000 after loading");
}

TEST_F(FpgaModelTest, KernelAndSignatureMismatchesAreLoadErrors) {
  test::XclbinSpec spec;
  spec.args.pop_back();
  test::ModelFolder f = Folder({{4, 3, false}}, 4, spec);
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kFailedPrecondition,
                  "takes 7 argument(s) but the fpga accelerator binds 8");
  EXPECT_TRUE(state_->loaded_xclbin.empty()) << "checked before the card is touched";
  Folder({{4, 3, false}});
  ExpectLoadError(LoadOptions(f.dir, 5, 3), StatusCode::kFailedPrecondition,
                  "input 'input' is FP32 [-1, 5] but the FPGA model");
  ModelLoadOptions two = LoadOptions(f.dir, 4, 3);
  two.signature.outputs.push_back({"extra", DataType::kFp32, {-1, 3}});
  ExpectLoadError(two, StatusCode::kFailedPrecondition, "declares 1 and 2");
}

TEST_F(FpgaModelTest, MultiLayerModelsNeedInAndOutInOneBank) {
  test::ModelFolder f = Folder();
  state_->group_ids = {0, 0, 0, 1};
  ExpectLoadError(LoadOptions(f.dir, 4, 3), StatusCode::kFailedPrecondition,
                  "has `in` in memory group 0 and `out` in group 1");
}

TEST_F(FpgaModelTest, DeviceAndOptionErrors) {
  test::ModelFolder f = Folder({{4, 3, false}});
  state_->fail_open = true;
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"device": 2})"), StatusCode::kFailedPrecondition,
                  "no FPGA device '2'");
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"device": "cuda:0"})"), StatusCode::kInvalidArgument,
                  "`$.acceleratorOptions.device` \"cuda:0\" is not an FPGA device");
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"timeoutMs": 0})"), StatusCode::kInvalidArgument,
                  "`$.acceleratorOptions.timeoutMs` must be an integer from 1");
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"bank": 1})"), StatusCode::kInvalidArgument,
                  "`$.acceleratorOptions.bank` is not an fpga accelerator option");
  // Issue 17 item 2: read with the one typed reader: the closest option is
  // named, and a duplicate is refused instead of the last one winning.
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"timeout": 5})"), StatusCode::kInvalidArgument,
                  "did you mean `timeoutMs`?");
  ExpectLoadError(LoadOptions(f.dir, 4, 3, R"({"timeoutMs": 5, "timeoutMs": 0})"),
                  StatusCode::kInvalidArgument, "duplicate key \"timeoutMs\"");
  ModelLoadOptions gpu = LoadOptions(f.dir, 4, 3);
  gpu.device = "cuda:0";
  ExpectLoadError(gpu, StatusCode::kInvalidArgument,
                  "`$.device` \"cuda:0\" is a CPU/GPU placement");
}

TEST(FpgaAccelerator, RefusesPluginOptions) {
  auto a = FpgaAccelerator::Create(R"({"device": 0})");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("takes no plugin options"), std::string::npos);
}

}  // namespace
}  // namespace skiff::accel_fpga
