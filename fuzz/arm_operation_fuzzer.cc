// SPDX-License-Identifier: Apache-2.0
// ARM long-running operations (plugins/compute-aks arm/long_running_operation.h):
// FollowOperation over a scripted transport and a fake clock, so every
// status, header (Azure-AsyncOperation, Location, Retry-After) and body
// ARM could send is reachable without a network.
//
// Input: byte 0 picks the method (even: PUT, odd: DELETE); the rest is
// responses separated by "\n===\n", each "STATUS\nname: value\n...\n\nBODY".
// The first is the PUT/DELETE's own answer; each later call gets the next
// one, and a call past the end fails (as a refused URL: not retried).
// Checks: no crash or UB, and the operation ends (the transport is called
// at most once per scripted response, plus the failing call).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "arm/arm_client.h"
#include "arm/long_running_operation.h"

namespace {

using namespace skiff::compute_aks;
using skiff::FailedPrecondition;
using skiff::StatusOr;

HttpResponse ParseResponse(const std::string& text) {
  HttpResponse r;
  size_t pos = text.find('\n');
  const std::string status = text.substr(0, pos);
  r.status = 0;
  for (char c : status.substr(0, 3)) {
    if (c < '0' || c > '9') break;
    r.status = r.status * 10 + (c - '0');
  }
  while (pos != std::string::npos) {
    const size_t start = pos + 1;
    pos = text.find('\n', start);
    const std::string line =
        text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
    if (line.empty()) {
      if (pos != std::string::npos) r.body = text.substr(pos + 1);
      break;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[name] = line.substr(v);
  }
  return r;
}

class ScriptedTransport final : public HttpTransport {
 public:
  explicit ScriptedTransport(std::vector<HttpResponse> script) : script_(std::move(script)) {}
  StatusOr<HttpResponse> Send(const HttpRequest&) override {
    ++calls_;
    if (next_ >= script_.size()) return FailedPrecondition("script exhausted");
    return script_[next_++];
  }
  size_t calls() const { return calls_; }

 private:
  std::vector<HttpResponse> script_;
  size_t next_ = 0;
  size_t calls_ = 0;
};

class InstantClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::milliseconds d) override { now_ += d; }

 private:
  std::chrono::system_clock::time_point now_{std::chrono::seconds(1'700'000'000)};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string method = data[0] % 2 == 0 ? "PUT" : "DELETE";
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<HttpResponse> responses;
  const std::string sep = "\n===\n";
  size_t start = 0;
  for (;;) {
    const size_t end = input.find(sep, start);
    responses.push_back(ParseResponse(
        input.substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos || responses.size() > 64) break;
    start = end + sep.size();
  }
  const HttpResponse initial = responses.front();
  auto transport = std::make_shared<ScriptedTransport>(
      std::vector<HttpResponse>(responses.begin() + 1, responses.end()));
  auto clock = std::make_shared<InstantClock>();
  RetryOptions retry;
  retry.seed = 1;
  auto sender = std::make_shared<RetrySender>(transport, clock, retry);
  AzureCredentials credentials;
  credentials.access_token = "fuzz-token";
  auto tokens = std::make_shared<TokenSource>(credentials, sender);
  ArmClient arm("https://management.azure.com", tokens, sender);
  const std::string resource =
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/"
      "c?api-version=2024-02-01";
  (void)FollowOperation(arm, method, resource, initial, LroOptions{}, [](const std::string&) {});
  if (transport->calls() > responses.size()) std::abort();
  return 0;
}
