// SPDX-License-Identifier: Apache-2.0
// Issue 20, sixth session: what made the gRPC ModelInfer path cost ~4x the
// HTTP one (bench/README.md, "gRPC path, sixth session"), each checked
// against a real GrpcServer over a real DataPlane (the test accelerator) on
// loopback, called by the C++ stub generated from the same proto. The
// figures themselves are bench/profile.py's (--rows mlp-grpc), not asserted.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "in_process_grpc_server.h"

namespace skiff::dataplane {
namespace {

using nlohmann::json;

class GrpcSpeedTest : public InProcessGrpcServerTest {
 protected:
  grpc::Status Infer(inference::ModelInferResponse* response) {
    inference::ModelInferRequest request;
    request.set_model_name("svc");
    request.set_id("call-1");
    auto* x = request.add_inputs();
    x->set_name("x");
    x->set_datatype("FP32");
    x->add_shape(1);
    x->add_shape(4);
    const float values[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    request.add_raw_input_contents(reinterpret_cast<const char*>(values), sizeof values);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->ModelInfer(&context, request, response);
  }

  // This process's threads named `name` (/proc/self/task/*/comm).
  static int ThreadsNamed(const std::string& name) {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string line;
      if (std::getline(comm, line) && line == name) ++n;
    }
    return n;
  }

};

// Debian's Abseil is a debug build: each absl::Mutex gRPC takes also updated
// a global lock-order graph (~6 % of the path's instructions), and a
// lock-order inversion anywhere in the process aborted it. With the server
// running, neither: the inversion below is allowed (it would abort the test
// binary if detection were on).
TEST_F(GrpcSpeedTest, AbseilDeadlockDetectionIsOffOnceTheServerRuns) {
  inference::ModelInferResponse response;
  grpc::Status status = Infer(&response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::Mutex a, b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
  EXPECT_EQ(response.id(), "call-1");
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "output0");
}

// The OIP header the front hands the data plane is written straight into a
// string, no JSON DOM (~27 k instructions and ~60 allocations a call):
// every field still arrives. An id that needs escaping comes back as sent,
// the outputs asked for by name are the ones answered, typed contents work
// as raw ones do, and a name the data plane does not know is refused by it.
TEST_F(GrpcSpeedTest, TheHeaderWrittenWithoutADomCarriesEveryField) {
  inference::ModelInferRequest request;
  request.set_model_name("svc");
  const std::string id = "quote \" backslash \\ newline \n tab \t \x01 caf\xc3\xa9";
  request.set_id(id);
  auto* x = request.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(2);
  x->add_shape(4);
  for (int i = 0; i < 8; ++i) x->mutable_contents()->add_fp32_contents(0.5f * i);
  request.add_outputs()->set_name("output0");
  inference::ModelInferResponse response;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status status = stub_->ModelInfer(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(response.id(), id);
  EXPECT_EQ(response.model_name(), "svc");
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "output0");
  EXPECT_EQ(response.outputs(0).datatype(), "FP32");
  ASSERT_EQ(response.outputs(0).shape_size(), 2);
  EXPECT_EQ(response.outputs(0).shape(0), 3);
  EXPECT_EQ(response.outputs(0).shape(1), 2);
  ASSERT_EQ(response.raw_output_contents_size(), 1);
  EXPECT_EQ(response.raw_output_contents(0).size(), 6 * sizeof(float));

  // An input name with a quote reaches the data plane as that name: it is
  // not the model's input, and the refusal names it.
  x->set_name("x\"y");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Status status = stub_->ModelInfer(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("x\"y"), std::string::npos) << status.error_message();
}

// The data plane's answer is read by SAX straight into the response, no
// JSON DOM (~34 k instructions and ~60 allocations a call): every field of
// it arrives, and the outputs' bytes are the binary part's, in order.
TEST_F(GrpcSpeedTest, TheAnswerReadWithoutADomFillsEveryField) {
  inference::ModelInferResponse response;
  grpc::Status status = Infer(&response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.model_name(), "svc");
  EXPECT_EQ(response.model_version(), "v1");
  EXPECT_EQ(response.id(), "call-1");
  ASSERT_EQ(response.outputs_size(), 1);
  const auto& out = response.outputs(0);
  EXPECT_EQ(out.name(), "output0");
  EXPECT_EQ(out.datatype(), "FP32");
  ASSERT_EQ(out.shape_size(), 2);
  EXPECT_EQ(out.shape(0), 3);
  EXPECT_EQ(out.shape(1), 2);
  ASSERT_EQ(response.raw_output_contents_size(), 1);
  ASSERT_EQ(response.raw_output_contents(0).size(), 6 * sizeof(float));
  // The same call over the data plane's own route: the same bytes.
  HttpRequest request(http::verb::post, "/v2/models/svc/infer", 11);
  const float values[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  const std::string header =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],)"
      R"("parameters":{"binary_data_size":16}}],"parameters":{"binary_data_output":true}})";
  request.body() = header + std::string(reinterpret_cast<const char*>(values), sizeof values);
  request.set("Inference-Header-Content-Length", std::to_string(header.size()));
  request.set(http::field::content_type, "application/octet-stream");
  request.prepare_payload();
  std::promise<HttpResponse> answered;
  plane_->Handle(std::move(request), "127.0.0.1",
                 [&answered](HttpResponse a) { answered.set_value(std::move(a)); });
  HttpResponse a = answered.get_future().get();
  ASSERT_EQ(a.result_int(), 200) << a.body();
  const std::string& body = a.body();
  ASSERT_GE(body.size(), response.raw_output_contents(0).size());
  EXPECT_EQ(body.substr(body.size() - response.raw_output_contents(0).size()),
            response.raw_output_contents(0));
}

// Each (method, code) series of skiff_grpc_requests_total is looked up once
// and kept (a lookup per call built its label set): every call still
// counts, under its own method and code.
TEST_F(GrpcSpeedTest, KeptSeriesCountEveryCall) {
  for (int i = 0; i < 3; ++i) {
    inference::ModelInferResponse response;
    grpc::Status status = Infer(&response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (int i = 0; i < 2; ++i) {
    inference::ModelInferRequest request;
    request.set_model_name("nope");
    inference::ModelInferResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EXPECT_EQ(stub_->ModelInfer(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  inference::ServerLiveRequest live_request;
  inference::ServerLiveResponse live;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ServerLive(&context, live_request, &live).ok());
  const std::string text = plane_->metrics_registry().RenderPrometheusText();
  for (const char* series :
       {"skiff_grpc_requests_total{method=\"ModelInfer\",code=\"OK\"} 3",
        "skiff_grpc_requests_total{method=\"ModelInfer\",code=\"NOT_FOUND\"} 2",
        "skiff_grpc_requests_total{method=\"ServerLive\",code=\"OK\"} 1"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
}

// gRPC's callback API ran each call on its own "nexting" threads and ended
// it (OnDone) on its executor thread: four threads touched one ModelInfer,
// ~4 context switches per call. The calls now run on the server's own
// `threads` ("skiff-grpc"), the scoring on the data plane's worker, and no
// callback thread of gRPC's exists.
TEST_F(GrpcSpeedTest, CallsRunOnTheServersOwnThreads) {
  GrpcServerOptions options;
  options.threads = 2;
  StartServer(options);
  for (int i = 0; i < 8; ++i) {
    inference::ModelInferResponse response;
    grpc::Status status = Infer(&response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.id(), "call-1");
  }
  EXPECT_EQ(ThreadsNamed("skiff-grpc"), 2);
  EXPECT_EQ(ThreadsNamed("nexting_thread"), 0);
  // Every call ends (its Finish completes on a poller just after the client
  // has its answer): none is left counted in flight.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server_->in_flight(), 0);
}

}  // namespace
}  // namespace skiff::dataplane
