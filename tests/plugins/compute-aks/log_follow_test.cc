// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 3: `get-logs --follow` on AKS through the plugin object:
// AksComputeTarget::FollowLogs streams the router and version pods' logs
// from FakeKubeApi (GET .../log?follow=true, a chunked stream that stays
// open) as `kubectl logs -f --prefix` does: the tail, then lines appended
// later; a pod added during the follow is read from its start, a deleted
// one does not end it, a container restart resumes without repeats; a long
// line is cut; the sink's "no" ends it promptly even when nothing comes.
// Every wait polls a condition against a deadline.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "aks_compute_target.h"
#include "aks_target_fixture.h"
#include "fake_kube_api.h"
#include "kube/pod_log_follower.h"
#include "sample_specs.h"

namespace skiff::compute_aks {
namespace {

using kube::testing::FakeKubeApi;
using nlohmann::json;
namespace fs = std::filesystem;
using k8s::testing::MakeSpec;
using k8s::testing::SampleVersion;
using SteadyClock = std::chrono::steady_clock;

// Collects what FollowLogs hands over (on its thread); says stop when asked.
class CollectingSink final : public LogSink {
 public:
  bool Write(std::string_view text) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(text);
    ++writes_;
    return !stop_;
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  int writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }

 private:
  std::mutex mu_;
  std::string text_;
  int writes_ = 0;
  bool stop_ = false;
};

size_t Occurrences(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class ComputeAksLogFollow : public testing::AksTargetFixture {
 protected:
  void SetUp() override {
    AksTargetFixture::SetUp();
    ASSERT_TRUE(target_
                    ->DeployService(MakeSpec("svc", R"({"namespace": "ml"})",
                                             {SampleVersion{"svc", 100, true}}))
                    .ok());
  }
  void TearDown() override {
    StopFollowing();
    fs::remove_all(ws_);
  }

  // A pod of Deployment ml/deployment, labelled as its template says.
  json PodOf(const std::string& deployment, const std::string& pod) {
    json d = *api_.Object("/apis/apps/v1/namespaces/ml/deployments/" + deployment);
    return {{"metadata",
             {{"name", pod},
              {"namespace", "ml"},
              {"labels", d["spec"]["template"]["metadata"]["labels"]}}},
            {"spec", d["spec"]["template"]["spec"]},
            {"status", {{"phase", "Running"}}}};
  }

  void StartFollowing(int32_t num_lines) {
    follower_ = std::thread([this, num_lines] {
      result_ = target_->FollowLogs("svc", num_lines, &sink_);
      returned_ = true;
    });
  }
  // Asks the sink to stop; true when FollowLogs returned within `limit`.
  bool StopFollowing(std::chrono::seconds limit = std::chrono::seconds(10)) {
    if (!follower_.joinable()) return true;
    sink_.Stop();
    const auto deadline = SteadyClock::now() + limit;
    while (!returned_ && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const bool in_time = returned_;
    follower_.join();
    return in_time;
  }
  // Polls the sink's text until it holds `needle` (20 s at most).
  bool SeenWithin(const std::string& needle) {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
    while (sink_.text().find(needle) == std::string::npos) {
      if (returned_ || SteadyClock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  CollectingSink sink_;
  std::thread follower_;
  std::atomic<bool> returned_{false};
  Status result_;
};

TEST_F(ComputeAksLogFollow, PrintsTheTailThenNewLinesOfRouterAndVersionPods) {
  api_.PutPod(PodOf("svc-router", "svc-router-a"), "router old\nrouter tail\n");
  api_.PutPod(PodOf("svc-model", "svc-model-a"), "model old\nskiff-server: ready in 812 ms\n");
  StartFollowing(1);
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] router tail\n")) << sink_.text();
  ASSERT_TRUE(SeenWithin("[pod/svc-model-a/skiff-server] skiff-server: ready in 812 ms\n"))
      << sink_.text();
  EXPECT_EQ(sink_.text().find("old"), std::string::npos) << "only the tail asked for";

  api_.AppendPodLog("ml", "svc-router-a", "{\"status\":200,\"requestId\":\"r-1\"}\n");
  api_.AppendPodLog("ml", "svc-model-a", "scored r-1\n");
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] {\"status\":200,\"requestId\":\"r-1\"}\n"))
      << sink_.text();
  ASSERT_TRUE(SeenWithin("[pod/svc-model-a/skiff-server] scored r-1\n")) << sink_.text();
  // The API's timestamps (asked for, to resume without repeats) are not shown.
  EXPECT_EQ(sink_.text().find("2026-12-06T00:00:00"), std::string::npos) << sink_.text();
  EXPECT_EQ(
      api_.Count("GET", "/api/v1/namespaces/ml/pods/svc-router-a/log?container=router&follow=true"),
      1);
  EXPECT_EQ(sink_.text().find(FakeKubeApi::kToken), std::string::npos);

  ASSERT_TRUE(StopFollowing());
  EXPECT_TRUE(result_.ok()) << result_.ToString();
}

TEST_F(ComputeAksLogFollow, PodsAddedAreReadFromTheirStartAndDeletedOnesDoNotEndIt) {
  api_.PutPod(PodOf("svc-router", "svc-router-a"), "router a up\n");
  api_.PutPod(PodOf("svc-model", "svc-model-a"), "model a up\n");
  StartFollowing(10);
  ASSERT_TRUE(SeenWithin("[pod/svc-model-a/skiff-server] model a up\n")) << sink_.text();

  // A rollout: a new version pod comes, the old one goes.
  api_.PutPod(PodOf("svc-model", "svc-model-b"), "model b first\nmodel b second\n");
  ASSERT_TRUE(SeenWithin("[pod/svc-model-b/skiff-server] model b first\n")) << sink_.text();
  ASSERT_TRUE(SeenWithin("[pod/svc-model-b/skiff-server] model b second\n")) << sink_.text();
  ASSERT_TRUE(api_.DeletePod("ml", "svc-model-a"));
  api_.AppendPodLog("ml", "svc-model-b", "model b after the delete\n");
  api_.AppendPodLog("ml", "svc-router-a", "router after the delete\n");
  ASSERT_TRUE(SeenWithin("[pod/svc-model-b/skiff-server] model b after the delete\n"))
      << sink_.text();
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] router after the delete\n")) << sink_.text();
  EXPECT_FALSE(returned_) << result_.ToString();

  ASSERT_TRUE(StopFollowing());
  EXPECT_TRUE(result_.ok()) << result_.ToString();
}

TEST_F(ComputeAksLogFollow, AContainerRestartResumesWithoutRepeatingOrLosingLines) {
  api_.PutPod(PodOf("svc-router", "svc-router-a"), "before 1\nbefore 2\n");
  StartFollowing(0);  // all of it
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] before 2\n")) << sink_.text();
  // The kubelet ends the stream when the container restarts; lines written
  // meanwhile are in the log when the follow opens it again.
  api_.EndPodLogStreams("ml", "svc-router-a");
  // Opened again from the last line's second (which repeats both lines).
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (api_.Count("GET",
                    "/pods/svc-router-a/log?container=router&follow=true&timestamps=true&"
                    "sinceTime=2026-12-06T00%3A00%3A00Z") == 0 &&
         SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  api_.AppendPodLog("ml", "svc-router-a", "after restart\n");
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] after restart\n")) << sink_.text();
  EXPECT_EQ(Occurrences(sink_.text(), "before 1\n"), 1u) << sink_.text();
  EXPECT_EQ(Occurrences(sink_.text(), "before 2\n"), 1u) << sink_.text();
  EXPECT_EQ(Occurrences(sink_.text(), "after restart\n"), 1u) << sink_.text();
  EXPECT_GE(api_.Count("GET", "sinceTime="), 1) << "resumed from the last line's second";
  ASSERT_TRUE(StopFollowing());
}

TEST_F(ComputeAksLogFollow, StopsPromptlyWhenNothingComesAndCutsALongLine) {
  api_.PutPod(PodOf("svc-router", "svc-router-a"), "");
  StartFollowing(10);
  // The sink hears "" while the log is quiet, so it can say stop.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (sink_.writes() < 3 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(sink_.writes(), 3) << "the sink is asked while nothing comes";

  api_.AppendPodLog("ml", "svc-router-a", std::string(100 * 1024, 'x') + "\nshort after\n");
  ASSERT_TRUE(SeenWithin("[pod/svc-router-a/router] short after\n")) << sink_.text().size();
  const std::string text = sink_.text();
  const size_t cut = text.find("x [skiff: line cut at 16384 bytes]\n");
  ASSERT_NE(cut, std::string::npos) << text.size();
  EXPECT_LE(Occurrences(text, "x"), 16u * 1024) << "the rest of the long line is dropped";
  EXPECT_GE(Occurrences(text, "x"), 16u * 1024 - 64) << "the cut keeps the limit's worth";

  ASSERT_TRUE(StopFollowing(std::chrono::seconds(5))) << "stopped within a few ticks";
  EXPECT_TRUE(result_.ok()) << result_.ToString();
}

TEST(ComputeAksPodLogTimestamp, KeysSortByTimeWhateverTheFractionsLength) {
  std::string text;
  EXPECT_EQ(kube::TimestampKey("2026-12-06T17:02:11.318Z INFO ready", &text),
            "2026-12-06T17:02:11.318000000");
  EXPECT_EQ(text, "INFO ready");
  EXPECT_LT(kube::TimestampKey("2026-12-06T17:02:11.3Z a", &text),
            kube::TimestampKey("2026-12-06T17:02:11.31Z b", &text));
  EXPECT_EQ(kube::TimestampKey("2026-12-06T17:02:11Z", &text), "2026-12-06T17:02:11.000000000");
  EXPECT_EQ(text, "");
  EXPECT_EQ(kube::TimestampKey("not a time", &text), "");
  EXPECT_EQ(text, "not a time");
  EXPECT_EQ(kube::TimestampKey("2026-12-06T17:02:11+01:00 x", &text), "") << "UTC only";
}

}  // namespace
}  // namespace skiff::compute_aks
