// SPDX-License-Identifier: Apache-2.0
// skiff_bench_grpc_load: wrk for the KServe v2 gRPC API. Keeps C calls of
// ModelInfer (one FP32 input, raw_input_contents) in flight on one channel
// for D seconds and prints wrk's line (bench/wrk/post.lua), so
// bench/lib/harness.py reads both alike:
//   WRKRESULT requests=N duration_us=N non2xx=N connect=0 read=0 write=0 timeout=N
//             p50_us=N p90_us=N p99_us=N max_us=N
// non2xx counts calls answered with a code other than OK; timeout those
// past 10 s (DEADLINE_EXCEEDED).
//
//   skiff_bench_grpc_load HOST:PORT MODEL INPUT SHAPE VALUES_FILE CONNECTIONS SECONDS
//     SHAPE        e.g. 1,4
//     VALUES_FILE  the input's values, whitespace- or comma-separated
// The key, if any, comes from $SKIFF_BENCH_AUTHORIZATION (the whole
// `authorization` value, "Bearer ..."), never from argv.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  std::unique_ptr<grpc::ClientContext> context;  // one per call (gRPC's rule)
  inference::ModelInferResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
  Clock::time_point start;
};

std::vector<int64_t> ParseShape(const std::string& text) {
  std::vector<int64_t> shape;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) shape.push_back(std::stoll(part));
  return shape;
}

std::vector<float> ReadValues(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), ',', ' ');
  std::stringstream s(text);
  std::vector<float> values;
  float v = 0;
  while (s >> v) values.push_back(v);
  return values;
}

int64_t Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * sorted.size()));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: skiff_bench_grpc_load HOST:PORT MODEL INPUT SHAPE VALUES_FILE "
                 "CONNECTIONS SECONDS\n";
    return 2;
  }
  const std::string target = argv[1], model = argv[2], input = argv[3];
  const std::vector<int64_t> shape = ParseShape(argv[4]);
  const std::vector<float> values = ReadValues(argv[5]);
  const int connections = std::max(1, std::atoi(argv[6]));
  const double seconds = std::atof(argv[7]);
  const char* authorization = std::getenv("SKIFF_BENCH_AUTHORIZATION");

  inference::ModelInferRequest request;
  request.set_model_name(model);
  auto* in = request.add_inputs();
  in->set_name(input);
  in->set_datatype("FP32");
  for (int64_t d : shape) in->add_shape(d);
  request.add_raw_input_contents(reinterpret_cast<const char*>(values.data()),
                                 values.size() * sizeof(float));

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  grpc::CompletionQueue cq;

  auto start_call = [&](Call* call) {
    call->context = std::make_unique<grpc::ClientContext>();
    if (authorization != nullptr) call->context->AddMetadata("authorization", authorization);
    call->context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    call->start = Clock::now();
    call->reader = stub->PrepareAsyncModelInfer(call->context.get(), request, &cq);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
  };

  std::vector<std::unique_ptr<Call>> calls;
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  for (int i = 0; i < connections; ++i) {
    calls.push_back(std::make_unique<Call>());
    start_call(calls.back().get());
  }
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 20);
  int64_t failed = 0, timed_out = 0;
  int outstanding = connections;
  std::string first_error;
  while (outstanding > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    auto* call = static_cast<Call*>(tag);
    const auto now = Clock::now();
    latencies.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(now - call->start).count());
    if (!call->status.ok()) {
      ++failed;
      if (call->status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) ++timed_out;
      if (first_error.empty()) first_error = call->status.error_message();
    }
    if (now < end) {
      start_call(call);
    } else {
      --outstanding;
    }
  }
  const int64_t duration_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - begin).count();
  std::sort(latencies.begin(), latencies.end());
  if (!first_error.empty()) std::cerr << "first error: " << first_error << "\n";
  std::printf(
      "WRKRESULT requests=%zu duration_us=%lld non2xx=%lld connect=0 read=0 write=0 timeout=%lld "
      "p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld\n",
      latencies.size(), static_cast<long long>(duration_us),
      static_cast<long long>(failed - timed_out), static_cast<long long>(timed_out),
      static_cast<long long>(Percentile(latencies, 50)),
      static_cast<long long>(Percentile(latencies, 90)),
      static_cast<long long>(Percentile(latencies, 99)),
      static_cast<long long>(latencies.empty() ? 0 : latencies.back()));
  return 0;
}
