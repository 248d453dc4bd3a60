// SPDX-License-Identifier: Apache-2.0
// The cells `service list`, `endpoint list` and `endpoint show` print
// (issue 23 item 2): the default version's effective share, human sizes,
// rates from the server's own count and "-" where a figure is unknown.
#include "status_view.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace skiff::cli {
namespace {

store::EndpointVersionRecord Version(const std::string& name, int32_t traffic, bool is_default) {
  store::EndpointVersionRecord v;
  v.version_name = name;
  v.traffic_percentile = traffic;
  v.is_default = is_default;
  return v;
}

TEST(StatusView, TheDefaultVersionGetsWhatTheOthersLeaveNotItsOwnPercentile) {
  // The default's stored percentile was 0 and was printed as "0 %".
  const std::vector<store::EndpointVersionRecord> versions = {
      Version("blue", 0, true), Version("green", 20, false), Version("red", 10, false)};
  const auto share = EffectiveTraffic(versions);
  EXPECT_EQ(share.at("blue"), 70);
  EXPECT_EQ(share.at("green"), 20);
  EXPECT_EQ(share.at("red"), 10);
  EXPECT_EQ(TrafficCell(versions), "blue 70%, green 20%, red 10%");
  EXPECT_EQ(TrafficCell({Version("only", 0, true)}), "only 100%");
}

TEST(StatusView, SizesAreHumanReadable) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(512LL << 20), "512.0 MiB");
  EXPECT_EQ(HumanBytes(3LL << 30), "3.0 GiB");
}

TEST(StatusView, RatesComeFromTheServersCountAndUnknownIsADash) {
  ServiceStatus status;
  status.replicas_ready = 1;
  status.replicas_total = 2;
  status.load = {{"blue", 90, 3, 60}, {"green", 30, 0, 60}};
  const LiveFigures f = FiguresOf(status);
  EXPECT_EQ(ReplicasCell(f), "1/2");
  EXPECT_EQ(RateCell(f), "2.00");
  EXPECT_EQ(ErrorRateCell(f), "2.5%");
  EXPECT_EQ(VersionFiguresOf(status, "blue").requests_per_second, 1.5);
  EXPECT_DOUBLE_EQ(*VersionFiguresOf(status, "blue").error_rate, 3.0 / 90);
  EXPECT_EQ(VersionFiguresOf(status, "new").requests_per_second, 0.0)
      << "the server answered and has not counted it yet";
  EXPECT_FALSE(VersionFiguresOf(status, "blue").replicas_ready) << "the service's, not a version's";
  nlohmann::json j;
  AddFigures(f, &j);
  EXPECT_EQ(j["replicas"], nlohmann::json({{"ready", 1}, {"total", 2}}));
  EXPECT_DOUBLE_EQ(j["requestsPerSecond"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["errorRate"].get<double>(), 0.025);

  // Not readable from here (AKS): "-" and the note, never a made-up 0.
  ServiceStatus aks;
  aks.load_note = "counted by the router, inside the cluster";
  const LiveFigures unknown = FiguresOf(aks);
  EXPECT_FALSE(VersionFiguresOf(aks, "v1").requests_per_second);
  EXPECT_FALSE(VersionFiguresOf(StatusOr<ServiceStatus>(Unavailable("down")), "v1").error_rate);
  EXPECT_EQ(ReplicasCell(unknown), "-");
  EXPECT_EQ(RateCell(unknown), "-");
  EXPECT_EQ(ErrorRateCell(unknown), "-");
  nlohmann::json k;
  AddFigures(unknown, &k);
  EXPECT_TRUE(k["requestsPerSecond"].is_null());
  EXPECT_TRUE(k["errorRate"].is_null());
  EXPECT_EQ(k["loadNote"], aks.load_note);
}

TEST(StatusView, LooksRunAtOnceAndKeepTheOrder) {
  std::vector<int> items = {3, 1, 2};
  // Each look waits for all three to have started: run one after another,
  // this would never finish.
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  auto out = LookConcurrently(items, [&](int& i) {
    std::unique_lock<std::mutex> lock(mu);
    ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return started == 3; });
    return i * 10;
  });
  EXPECT_EQ(out, (std::vector<int>{30, 10, 20}));
}

}  // namespace
}  // namespace skiff::cli
