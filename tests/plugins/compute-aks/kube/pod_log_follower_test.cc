// SPDX-License-Identifier: Apache-2.0
// FollowPodLogs (issue 23 item 3) with the target's own credentials: over
// https with the kubeconfig's CA data and client certificate (mTLS) as every
// other KubeClient call, and stopped within ticks over TLS too; an identity
// without `list` on pods in the namespace gets the API server's 403 naming
// the right it lacks, at once (no follow that never shows anything); a
// stream that goes silent without closing is opened again, nothing repeated.
#include "kube/pod_log_follower.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "fake_kube_api.h"
#include "kube/kube_client.h"
#include "kube/kubeconfig.h"

namespace skiff::compute_aks::kube {
namespace {

using testing::FakeKubeApi;
using SteadyClock = std::chrono::steady_clock;

class Collect final : public LogSink {
 public:
  bool Write(std::string_view text) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(text);
    return !stop_;
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }

 private:
  std::mutex mu_;
  std::string text_;
  bool stop_ = false;
};

std::unique_ptr<KubeClient> ClientFor(const std::string& kubeconfig_yaml) {
  KubeClientOptions options;
  options.config = ParseKubeconfig(kubeconfig_yaml, {}).value();
  options.retry.total = std::chrono::milliseconds(0);  // errors show at once
  return KubeClient::Create(options).value();
}

nlohmann::json Pod(const std::string& name) {
  return {{"metadata", {{"name", name}, {"namespace", "ml"}, {"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", {{{"name", "router"}}}}}},
          {"status", {{"phase", "Running"}}}};
}

bool Within(std::chrono::seconds limit, const std::function<bool()>& done) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(ComputeAksPodLogFollower, StreamsOverMutualTlsAndStopsWithinTicks) {
  const testing::TestPki pki = testing::MakeTestPki();
  FakeKubeApi api(&pki);
  ASSERT_EQ(api.url().rfind("https://", 0), 0u);
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kClientCert));
  api.PutPod(Pod("web-a"), "hello over tls\n");
  Collect sink;
  std::atomic<bool> returned{false};
  Status result;
  std::thread follow([&] {
    result = FollowPodLogs(*client, "ml", {{"app=web", "router"}}, 10, &sink);
    returned = true;
  });
  EXPECT_TRUE(Within(std::chrono::seconds(20), [&] {
    return sink.text().find("[pod/web-a/router] hello over tls\n") != std::string::npos;
  })) << sink.text();
  api.AppendPodLog("ml", "web-a", "later over tls\n");
  EXPECT_TRUE(Within(std::chrono::seconds(20), [&] {
    return sink.text().find("[pod/web-a/router] later over tls\n") != std::string::npos;
  })) << sink.text();
  // Certificate only: no Authorization header on the log stream either.
  for (const auto& r : api.requests()) EXPECT_EQ(r.headers.count("authorization"), 0u) << r.target;
  sink.Stop();
  EXPECT_TRUE(Within(std::chrono::seconds(5), [&] { return returned.load(); }));
  follow.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
}

std::size_t Occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A log stream that goes silent without closing, as behind a stalled proxy
// that keeps ACKing (no FIN, no RST, no byte): the reader used to wait on it
// forever and the pod's later lines never showed. Now the stream ends after
// read_idle_limit without a byte and is opened again from the last line's
// second, its repeated lines skipped: every line exactly once.
TEST(ComputeAksPodLogFollower, AStalledStreamIsOpenedAgainAndNothingRepeats) {
  FakeKubeApi api;
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kToken));
  api.PutPod(Pod("web-a"), "one\n");
  Collect sink;
  PodLogFollowOptions options;
  options.tick = std::chrono::milliseconds(50);
  options.read_idle_limit = std::chrono::milliseconds(700);
  std::atomic<bool> returned{false};
  Status result;
  std::thread follow([&] {
    result = FollowPodLogs(*client, "ml", {{"app=web", "router"}}, 10, &sink, options);
    returned = true;
  });
  const auto shown = [&](const std::string& line) {
    return sink.text().find("[pod/web-a/router] " + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(Within(std::chrono::seconds(20), [&] { return shown("one"); })) << sink.text();
  const std::string log_stream = "/pods/web-a/log?container=router&follow=true";
  const int opened = api.Count("GET", log_stream);
  api.StallPodLogStreams("ml", "web-a");
  api.AppendPodLog("ml", "web-a", "two\n");
  EXPECT_TRUE(Within(std::chrono::seconds(20), [&] { return shown("two"); })) << sink.text();
  EXPECT_GT(api.Count("GET", log_stream), opened);
  // The stream opened again is a live one: a later line comes too.
  api.AppendPodLog("ml", "web-a", "three\n");
  EXPECT_TRUE(Within(std::chrono::seconds(20), [&] { return shown("three"); })) << sink.text();
  // Quiet for a few idle limits more: each reopen repeats the lines of the
  // last line's second, and none of them is shown twice.
  const int reopened = api.Count("GET", log_stream);
  EXPECT_TRUE(Within(std::chrono::seconds(20),
                     [&] { return api.Count("GET", log_stream) >= reopened + 2; }));
  sink.Stop();
  EXPECT_TRUE(Within(std::chrono::seconds(5), [&] { return returned.load(); }));
  follow.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  const std::string text = sink.text();
  for (const std::string line : {"one", "two", "three"}) {
    EXPECT_EQ(Occurrences(text, "[pod/web-a/router] " + line + "\n"), 1u) << line << "\n" << text;
  }
}

// What the follower reopens on, over TLS as on AKS (the idle limit's
// timeout surfaces through the TLS stream): a log stream silent for
// read_idle_limit ends as kDeadlineExceeded, after the lines it brought.
TEST(ComputeAksPodLogFollower, ASilentStreamOverTlsEndsAsDeadlineExceeded) {
  const testing::TestPki pki = testing::MakeTestPki();
  FakeKubeApi api(&pki);
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kClientCert));
  api.PutPod(Pod("web-a"), "one\n");
  PodLogQuery query;
  query.container = "router";
  net::StreamOptions stream;
  stream.idle_tick = std::chrono::milliseconds(50);
  stream.read_idle_limit = std::chrono::milliseconds(300);
  std::string body;
  const Status s = client->StreamPodLog(
      "ml", "web-a", query,
      [&](std::string_view piece) {
        if (!piece.empty() && body.empty()) api.StallPodLogStreams("ml", "web-a");
        body.append(piece);
        return true;
      },
      stream);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_NE(s.message().find("read_idle_limit"), std::string::npos) << s.ToString();
  EXPECT_NE(body.find(" one\n"), std::string::npos) << body;
}

TEST(ComputeAksPodLogFollower, WithoutListOnPodsItEndsAtOnceNamingTheRight) {
  FakeKubeApi api;
  auto client = ClientFor(api.KubeconfigYaml(FakeKubeApi::Auth::kToken));
  api.PutPod(Pod("web-a"), "x\n");
  api.RestrictToNamespace("team-only");
  Collect sink;
  const Status s = FollowPodLogs(*client, "ml", {{"app=web", "router"}}, 10, &sink);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("`list` on pods"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(FakeKubeApi::kToken), std::string::npos);
}

}  // namespace
}  // namespace skiff::compute_aks::kube
