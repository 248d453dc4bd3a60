// SPDX-License-Identifier: Apache-2.0
// Issue 20 item 3 (leftovers): a gRPC ModelInfer's raw input reaches the
// model's tensor with one copy, and the call counts under protocol="grpc".
// A real GrpcServer over a real DataPlane (the test accelerator) on loopback,
// called by the C++ stub generated from the same proto. The copies are
// counted as heap allocations of at least the input's size made while the
// call runs: this binary replaces the global operator new, which protobuf
// (the message's bytes field) and the data plane (the body, the tensor)
// allocate through; gRPC's transport buffers are gpr_malloc'd slices and do
// not count.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "in_process_grpc_server.h"

namespace {

constexpr size_t kRows = size_t{1} << 18;  // FP32 [kRows, 4]: 4 MiB
constexpr size_t kInputBytes = kRows * 4 * sizeof(float);

std::atomic<bool> g_counting{false};
std::atomic<int> g_big{0};
std::atomic<size_t> g_sizes[16];

void* Allocate(size_t n) {
  if (n >= kInputBytes && g_counting.load(std::memory_order_relaxed)) {
    const int i = g_big.fetch_add(1);
    if (i < 16) g_sizes[i].store(n);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

// Every allocating form the standard library and protobuf use here.
void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace skiff::dataplane {
namespace {

using nlohmann::json;

// The "output0" test model answers a fixed FP32 [3, 2] whatever its input:
// the only allocations of the input's size are the input's.
using GrpcOneCopyTest = InProcessGrpcServerTest;

TEST_F(GrpcOneCopyTest, RawInputIsCopiedOnceIntoTheTensor) {
  inference::ModelInferRequest request;
  request.set_model_name("svc");
  auto* x = request.add_inputs();
  x->set_name("x");
  x->set_datatype("FP32");
  x->add_shape(static_cast<int64_t>(kRows));
  x->add_shape(4);
  const std::vector<float> values(kRows * 4, 1.5f);
  request.add_raw_input_contents(reinterpret_cast<const char*>(values.data()), kInputBytes);

  auto call = [&](inference::ModelInferResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->ModelInfer(&context, request, response);
  };
  // A first call warms what is built once (channel, pools).
  inference::ModelInferResponse warm;
  grpc::Status status = call(&warm);
  ASSERT_TRUE(status.ok()) << status.error_message();

  g_big.store(0);
  g_counting.store(true);
  inference::ModelInferResponse response;
  status = call(&response);
  g_counting.store(false);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "output0");

  // Two: the message's bytes field (protobuf parsing the call) and the
  // tensor. A third is a copy of the input into an intermediate request
  // body, as the gRPC front made before HttpHandler::HandleParts.
  std::string sizes;
  for (int i = 0; i < std::min(g_big.load(), 16); ++i) {
    sizes += std::to_string(g_sizes[i].load()) + " ";
  }
  EXPECT_EQ(g_big.load(), 2) << "allocations of >= " << kInputBytes
                             << " bytes while the call ran: " << sizes;

  // The call counts under protocol="grpc" (item 2), beside the HTTP series.
  const std::string text = plane_->metrics_registry().RenderPrometheusText();
  EXPECT_NE(text.find("skiff_requests_total{service=\"svc\",version=\"v1\",code=\"200\","
                      "protocol=\"grpc\"} 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("protocol=\"http\""), std::string::npos) << text;
}

}  // namespace
}  // namespace skiff::dataplane
