// SPDX-License-Identifier: Apache-2.0
// A real GrpcServer over a real DataPlane serving the test accelerator's
// "output0" model (FP32 [-1, 4] in, a fixed FP32 [3, 2] out, auth off) on
// loopback, with the C++ stub generated from the same proto: the set-up of
// the in-process gRPC tests (grpc_one_copy_test, grpc_speed_test).
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "grpc_predict_v2.grpc.pb.h"
#include "skiff/config/server_config.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/grpc/grpc_server.h"
#include "test_fixtures.h"

namespace skiff::dataplane {

class InProcessGrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(GrpcServerOptions{}); }
  void TearDown() override {
    stub_.reset();
    server_.reset();
    plane_.reset();
  }

  // (Re)starts the data plane and the gRPC server with `options`.
  void StartServer(const GrpcServerOptions& options) {
    stub_.reset();
    server_.reset();
    plane_.reset();
    host_ = skiff::testing::TestPluginHost();
    plane_ = std::make_unique<DataPlane>(host_.get(), "test");
    const nlohmann::json config = {
        {"service", "svc"},
        {"deploymentConfig", {{"authEnabled", false}}},
        {"versions",
         {{{"name", "v1"},
           {"artifactPath", "/dev/null"},
           {"inferenceConfig",
            {{"accelerator", "testmodel"},
             {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
             {"outputs", {{{"name", "output0"}, {"datatype", "FP32"}, {"shape", {3, 2}}}}}}}}}}};
    auto parsed = config::ParseServerConfig(config.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    ASSERT_TRUE(plane_->Apply(*parsed).ok());
    auto grpc_server = GrpcServer::Start(options, plane_.get(), &plane_->metrics_registry());
    ASSERT_TRUE(grpc_server.ok()) << grpc_server.status().message();
    server_ = std::move(grpc_server).value();
    stub_ = inference::GRPCInferenceService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<PluginHost> host_;
  std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

}  // namespace skiff::dataplane
