// SPDX-License-Identifier: Apache-2.0
// End to end with the fpga accelerator on the local target, through the real
// CLI, under XRT's no-op device: register a model folder (model.xclbin
// written by tests/plugins/accel-fpga/xclbin_writer.cc, weights.bin,
// signature.json), deploy it with "accelerator": "fpga", score it over OIP v2
// and Azure ML's scoring route. The no-op device runs no kernel code, so the
// answer is the zeros the plugin writes into output buffers before each run:
// this checks the plumbing and the output shape, NOT numerics.
// The service inherits XILINX_XRT / XCL_EMULATION_MODE from the CLI's
// environment (skiff -> skiff-supervisor -> skiff-server).
#include <filesystem>

#include "cli_harness.h"
#include "http_client.h"
#include "xclbin_writer.h"

namespace {

using json = nlohmann::json;
using skiff::testing::HttpClient;
using skiff::testing::Result;

class FpgaWorkflow : public skiff::testing::CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    skiff::accel_fpga::test::UseXrtNoopDevice();
    skiff::accel_fpga::test::WriteModelFolder(Path("mlp-fpga"), {{4, 16, true}, {16, 3, false}}, 4);
    ic_ = Path("ic.json");
    skiff::testing::Spit(
        ic_, json({{"accelerator", "fpga"},
                   {"acceleratorOptions", {{"device", 0}, {"timeoutMs", 5000}}},
                   {"inputs", {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
                   {"outputs", {{{"name", "output"}, {"datatype", "FP32"}, {"shape", {-1, 3}}}}}})
                 .dump());
    skiff::testing::Spit(Path("dc.json"), "{}");
    ASSERT_EQ(Skiff({"model", "register", "-n", "mlp-fpga", "-p", Path("mlp-fpga")}).rc, 0);
    ASSERT_EQ(Skiff({"computetarget", "create", "local", "-n", "local"}).rc, 0);
  }
  void TearDown() override {
    auto list = Json({"service", "list", "-o", "json"});
    if (list.is_array()) {
      for (const auto& s : list) Skiff({"service", "delete", "-n", s["name"].get<std::string>()});
    }
    CliFixture::TearDown();
  }
  std::string ic_;
};

TEST_F(FpgaWorkflow, DeployOnLocalTargetAndScoreZerosOverOip) {
  Result r = Skiff({"model", "deploy", "-n", "fpga-svc", "-m", "mlp-fpga:1", "-ct", "local", "-ic",
                    ic_, "-dc", Path("dc.json"), "-o", "json"});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  json shown = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << r.out;
  EXPECT_EQ(shown["state"], "Healthy");
  const std::string uri = shown["scoringUri"];
  const std::string key =
      Json({"service", "get-keys", "-n", "fpga-svc", "-o", "json"})["primaryKey"];

  const size_t colon = uri.find(':', 7), slash = uri.find('/', colon);
  HttpClient c(static_cast<uint16_t>(std::stoi(uri.substr(colon + 1, slash - colon - 1))));
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + key}};
  // 6 rows: two kernel runs per layer at maxBatch 4.
  auto reply = c.Post("/v2/models/fpga-svc/infer",
                      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[6,4],"data":[)"
                      R"(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]}]})",
                      auth);
  ASSERT_EQ(reply.status, 200) << reply.body;
  json body = json::parse(reply.body);
  ASSERT_EQ(body["outputs"].size(), 1u) << reply.body;
  EXPECT_EQ(body["outputs"][0]["name"], "output");
  EXPECT_EQ(body["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(body["outputs"][0]["shape"], json({6, 3}));
  EXPECT_EQ(body["outputs"][0]["data"], json(std::vector<double>(18, 0.0))) << reply.body;

  // Issue 20.4: the FPGA plugin names its platform; the registered version is the OIP one.
  json meta = json::parse(c.Get("/v2/models/fpga-svc").body, nullptr, false);
  EXPECT_EQ(meta["platform"], "xrt_xclbin") << meta.dump();
  EXPECT_EQ(meta["versions"], json({"1"})) << meta.dump();

  Result run =
      Skiff({"service", "run", "-n", "fpga-svc", "-d", R"({"data": [[0.1, 0.2, 0.3, 0.4]]})"});
  ASSERT_EQ(run.rc, 0) << run.err;
  EXPECT_EQ(json::parse(run.out)["result"], json({{0.0, 0.0, 0.0}})) << run.out;
}

TEST_F(FpgaWorkflow, ABrokenXclbinFailsTheDeployWithTheReason) {
  skiff::accel_fpga::test::XclbinSpec spec;
  spec.args.pop_back();
  skiff::accel_fpga::test::WriteModelFolder(Path("bad"), {{4, 3, false}}, 4, spec);
  ASSERT_EQ(Skiff({"model", "register", "-n", "bad", "-p", Path("bad")}).rc, 0);
  Result r = Skiff({"model", "deploy", "-n", "bad-svc", "-m", "bad:1", "-ct", "local", "-ic", ic_,
                    "-dc", Path("dc.json")});
  EXPECT_NE(r.rc, 0);
  const std::string logs =
      Skiff({"service", "get-logs", "-n", "bad-svc", "--num-lines", "200"}).out;
  EXPECT_NE((r.err + logs).find("takes 7 argument(s) but the fpga accelerator binds 8"),
            std::string::npos)
      << r.err << "\n"
      << logs;
}

}  // namespace
