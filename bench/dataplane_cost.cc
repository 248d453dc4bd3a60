// SPDX-License-Identifier: Apache-2.0
// skiff_bench_dataplane: the data plane's per-request pieces, one at a time,
// outside the server: OIP v2 decode (MLP and CNN bodies), response encode,
// the key check, routing (Endpoint::Pick with a 90/10 split), and a full
// ScoringPool round trip with a no-op model (the worker hand-off).
//
//   build/bin/skiff_bench_dataplane [iterations]     # ns/op, median of 7 runs
//
// Wall-clock ns/op moves with the machine's load; instruction counts do not.
// For those, run it under callgrind and read each Run* function's inclusive
// count divided by the iterations (see bench/README.md, "Profile"):
//
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/dp.out build/bin/skiff_bench_dataplane 2000
//   callgrind_annotate --inclusive=yes /tmp/dp.out | grep 'skiff_bench::Run'
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "default_authenticator.h"
#include "service_keys.h"
#include "skiff/dataplane/endpoint.h"
#include "skiff/dataplane/scoring_pool.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"

namespace skiff_bench {
namespace {

using namespace skiff;  // NOLINT: a benchmark program

const char kMlpBody[] =
    R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[0.1,0.2,0.3,0.4]}]})";

// 784 floats with four decimals, like the harness's CNN body.
std::string CnnBody() {
  std::string body = R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,28,28],"data":[)";
  uint32_t x = 12345;
  for (int i = 0; i < 784; ++i) {
    x = x * 1103515245u + 12345u;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? "," : "", ((x >> 8) % 20000) / 10000.0 - 1.0);
    body += buf;
  }
  return body + "]}]}";
}

Signature Sig(std::vector<int64_t> in_shape, std::vector<int64_t> out_shape) {
  Signature s;
  s.inputs.push_back({"input", DataType::kFp32, std::move(in_shape)});
  s.outputs.push_back({"output", DataType::kFp32, std::move(out_shape)});
  return s;
}

class NoopModel : public LoadedModel {
 public:
  explicit NoopModel(Signature s) : sig_(std::move(s)) {}
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>&) override {
    return std::vector<Tensor>{
        Tensor{"output", DataType::kFp32, {1, 3}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}};
  }

 private:
  Signature sig_;
};

constexpr int kRuns = 7;

template <typename F>
double NsPerOp(int iterations, F&& op) {
  std::vector<double> runs;
  for (int r = 0; r < kRuns; ++r) {
    const auto start = std::chrono::steady_clock::now();
    op(iterations);
    runs.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        iterations);
  }
  std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
  return runs[runs.size() / 2];
}

// One function per piece, so callgrind reports each one's instructions.
__attribute__((noinline)) int RunDecodeMlp(int n, const Signature& sig) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += !protocol::DecodeInferRequest(kMlpBody, sig).ok();
  return bad;
}

__attribute__((noinline)) int RunDecodeCnn(int n, const std::string& body, const Signature& sig) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += !protocol::DecodeInferRequest(body, sig).ok();
  return bad;
}

__attribute__((noinline)) size_t RunEncodeMlp(int n, const std::vector<Tensor>& outputs) {
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    bytes += protocol::EncodeInferResponse("mlp-key", "mlp-key", std::nullopt, outputs).size();
  }
  return bytes;
}

__attribute__((noinline)) int RunKeyCheck(int n, Authenticator& auth, const std::string& header) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += !auth.Verify("svc", header).ok();
  return bad;
}

__attribute__((noinline)) int RunRouting(int n, const dataplane::Endpoint& endpoint) {
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += !endpoint.Pick("").ok();
  return bad;
}

// Submit and wait: the I/O thread -> worker -> caller hand-off, no model work.
__attribute__((noinline)) int RunPoolRoundTrip(int n, dataplane::ScoringPool& pool,
                                               const std::vector<Tensor>& inputs) {
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    std::promise<bool> done;
    pool.Submit(inputs, [&done](dataplane::ScoreResult r) { done.set_value(r.status.ok()); });
    bad += !done.get_future().get();
  }
  return bad;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "skiff_bench_dataplane: %s\n", st.ToString().c_str());
  return 1;
}

int Main(int argc, char** argv) {
  const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20000;
  const Signature mlp = Sig({-1, 4}, {-1, 3});
  const Signature cnn = Sig({-1, 1, 28, 28}, {-1, 10});
  const std::string cnn_body = CnnBody();
  const std::vector<Tensor> outputs = {
      Tensor{"output", DataType::kFp32, {1, 3}, std::vector<uint8_t>(12, 0x3e)}};

  // Key auth, as the data plane configures it.
  std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-bench-dp-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  auth::DefaultAuthenticator::Options o;
  o.workspace = "bench";
  o.keys_dir = tmpl;
  auto authenticator = auth::DefaultAuthenticator::Create(o);
  if (!authenticator.ok()) return Fail(authenticator.status());
  auto keys = auth::GenerateServiceKeys();
  if (!keys.ok()) return Fail(keys.status());
  if (auto st = (*authenticator)->Configure(auth::KeyModeConfig("svc", *keys)); !st.ok()) {
    return Fail(st);
  }
  const std::string header = "Bearer " + keys->primary;

  // An endpoint with a 90/10 split over two no-op versions.
  dataplane::Endpoint endpoint("svc", 42);
  std::vector<dataplane::VersionPlan> plans(2);
  plans[0].spec.name = "blue";
  plans[0].spec.traffic_percentile = 90;
  plans[0].spec.is_default = true;
  plans[0].spec.type = VersionType::kControl;
  plans[0].content_key = "blue";
  plans[1].spec.name = "green";
  plans[1].spec.traffic_percentile = 10;
  plans[1].content_key = "green";
  auto loader =
      [&](const dataplane::VersionPlan&) -> StatusOr<std::unique_ptr<dataplane::ScoringPool>> {
    return dataplane::ScoringPool::Create({}, [&]() -> StatusOr<std::shared_ptr<LoadedModel>> {
      return std::shared_ptr<LoadedModel>(new NoopModel(mlp));
    });
  };
  if (auto st = endpoint.Apply(plans, loader); !st.ok()) return Fail(st);
  auto pool = loader(plans[0]);
  if (!pool.ok()) return Fail(pool.status());
  const std::vector<Tensor> inputs = {
      Tensor{"input", DataType::kFp32, {1, 4}, std::vector<uint8_t>(16, 0)}};

  int bad = 0;
  size_t sink = 0;
  // "calls": how many times the Run* function ran its operation in all (for
  // callgrind: instructions per operation = its inclusive count / calls).
  std::printf("%-34s %-18s %10s %9s\n", "piece", "function", "ns/op", "calls");
  auto row = [](const char* name, const char* function, int k, double ns) {
    std::printf("%-34s %-18s %10.0f %9d\n", name, function, ns, k * kRuns);
  };
  const int cnn_n = std::max(1, n / 20), pool_n = std::max(1, n / 10);
  row("decode OIP v2, MLP (4 floats)", "RunDecodeMlp", n,
      NsPerOp(n, [&](int k) { bad += RunDecodeMlp(k, mlp); }));
  row("decode OIP v2, CNN (784 floats)", "RunDecodeCnn", cnn_n,
      NsPerOp(cnn_n, [&](int k) { bad += RunDecodeCnn(k, cnn_body, cnn); }));
  row("encode OIP v2 response, MLP", "RunEncodeMlp", n,
      NsPerOp(n, [&](int k) { sink += RunEncodeMlp(k, outputs); }));
  row("key check (accepted)", "RunKeyCheck", n,
      NsPerOp(n, [&](int k) { bad += RunKeyCheck(k, **authenticator, header); }));
  row("routing: Endpoint::Pick, 90/10", "RunRouting", n,
      NsPerOp(n, [&](int k) { bad += RunRouting(k, endpoint); }));
  row("scoring pool round trip (no-op)", "RunPoolRoundTrip", pool_n,
      NsPerOp(pool_n, [&](int k) { bad += RunPoolRoundTrip(k, **pool, inputs); }));
  std::filesystem::remove_all(tmpl);
  if (bad != 0 || sink == 0) {
    std::fprintf(stderr, "skiff_bench_dataplane: %d operations failed\n", bad);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace skiff_bench

int main(int argc, char** argv) { return skiff_bench::Main(argc, argv); }
