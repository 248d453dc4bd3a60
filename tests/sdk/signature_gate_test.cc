// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 5 at the SDK (AksEndpoint::create_version/update_version):
// the signature gate refuses before anything reaches the compute target, so
// these tests need no running server; the endpoint's records are written to
// the store as `endpoint create` leaves them. The allowed path, which rolls a
// real local server, is in sticky_ab_test.cc (through the CLI).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "skiff/sdk/webservice.h"
#include "skiff/signature_check.h"

namespace skiff::sdk {
namespace {

namespace fs = std::filesystem;

std::string Ic(const std::string& shape, const std::string& output = "output") {
  return R"({"inputs": [{"name": "input", "datatype": "FP32", "shape": )" + shape +
         R"(}], "outputs": [{"name": ")" + output + R"(", "datatype": "FP32", "shape": [-1, 3]}]})";
}

class SignatureGate : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "skiff-gate-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    auto ws = Workspace::Open(dir_ + "/ws");
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<Workspace>(std::move(ws).value());
    std::ofstream(dir_ + "/model.pt") << "weights";
    auto model = Model::register_model(*ws_, dir_ + "/model.pt", "mlp");
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::make_unique<Model>(std::move(model).value());
    auto& store = ws_->store();
    ASSERT_TRUE(store.CreateComputeTarget({"local", "local", "{}", "Succeeded", "", ""}).ok());
    store::ServiceRecord service;
    service.name = "ep";
    service.compute_target = "local";
    service.state = "Healthy";
    service.deployment_config_json = R"({"authEnabled": false})";
    service.models = {{"mlp", 1}};
    ASSERT_TRUE(store.CreateService(service).ok());
    store::EndpointRecord endpoint;
    endpoint.name = "ep";
    endpoint.compute_target = "local";
    endpoint.state = "Healthy";
    ASSERT_TRUE(store.CreateEndpoint(endpoint).ok());
    store::EndpointVersionRecord v1;
    v1.endpoint = "ep";
    v1.version_name = "v1";
    v1.is_default = true;
    v1.models = {{"mlp", 1}};
    v1.inference_config_json = Ic("[-1, 4]");
    v1.state = "Healthy";
    ASSERT_TRUE(store.PutEndpointVersion(v1).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  EndpointVersion V2(const std::string& ic) {
    EndpointVersion v;
    v.name = "v2";
    v.models = {*model_};
    v.inference_config_json = ic;
    return v;
  }
  size_t Versions() { return ws_->store().ListEndpointVersions("ep")->size(); }

  std::string dir_;
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<Model> model_;
};

TEST_F(SignatureGate, ADifferentShapeIsRefusedNamingTheTensor) {
  auto ep = AksEndpoint::get(*ws_, "ep");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EndpointVersion v = V2(Ic("[-1, 5]"));
  v.traffic_percentile = 10;
  Status s = ep->create_version(v);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find(
                "input 'input': FP32 [-1, 4] in the default 'v1', FP32 [-1, 5] in version 'v2'"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("--allow-signature-change"), std::string::npos) << s.message();
  EXPECT_EQ(Versions(), 1u) << "nothing recorded";
}

TEST_F(SignatureGate, AnOutputThatIsNotInTheDefaultIsNamed) {
  auto ep = AksEndpoint::get(*ws_, "ep");
  ASSERT_TRUE(ep.ok());
  Status s = ep->create_version(V2(Ic("[-1, 4]", "scores")));
  EXPECT_NE(s.message().find("output 1 is 'output' (FP32 [-1, 3]) in the default 'v1' but "
                             "'scores' (FP32 [-1, 3]) in version 'v2'"),
            std::string::npos)
      << s.message();
}

TEST_F(SignatureGate, AllowedButWithADrawnShareIsRefused) {
  auto ep = AksEndpoint::get(*ws_, "ep");
  ASSERT_TRUE(ep.ok());
  EndpointVersion v = V2(Ic("[-1, 5]"));
  v.allow_signature_change = true;
  v.traffic_percentile = 10;
  Status s = ep->create_version(v);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("gets no drawn traffic until it is made the default"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(Versions(), 1u);
}

TEST_F(SignatureGate, MakingADifferentVersionTheDefaultNeedsTheFlag) {
  store::EndpointVersionRecord v2;
  v2.endpoint = "ep";
  v2.version_name = "v2";
  v2.models = {{"mlp", 1}};
  v2.inference_config_json = Ic("[-1, 5]");
  v2.state = "Healthy";
  ASSERT_TRUE(ws_->store().PutEndpointVersion(v2).ok());  // let in with the flag earlier
  auto ep = AksEndpoint::get(*ws_, "ep");
  ASSERT_TRUE(ep.ok());
  EndpointVersion change;
  change.name = "v2";
  change.is_default = true;
  Status s = ep->update_version(change);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("input 'input': FP32 [-1, 4] in the current default 'v1', FP32 "
                             "[-1, 5] in version 'v2'; this changes the signature every client"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(ws_->store().ListEndpointVersions("ep")->at(0).is_default) << "v1 stays default";
}

TEST_F(SignatureGate, CompareSignaturesNamesNameDtypeAndShape) {
  const Signature a{{{"x", DataType::kFp32, {-1, 4}}}, {{"y", DataType::kFp32, {-1}}}};
  Signature b = a;
  EXPECT_TRUE(CompareSignatures(a, "A", b, "B").ok());
  b.inputs[0].dtype = DataType::kInt64;
  EXPECT_EQ(CompareSignatures(a, "A", b, "B").message(),
            "input 'x': FP32 [-1, 4] in A, INT64 [-1, 4] in B");
  b = a;
  b.outputs.push_back({"z", DataType::kFp32, {2}});
  EXPECT_EQ(CompareSignatures(a, "A", b, "B").message(), "output 'z' (FP32 [2]) of B is not in A");
  b = a;
  b.inputs.clear();
  EXPECT_EQ(CompareSignatures(a, "A", b, "B").message(),
            "input 'x' (FP32 [-1, 4]) of A is not in B");
}

}  // namespace
}  // namespace skiff::sdk
