// SPDX-License-Identifier: Apache-2.0
// Issue 22 item 1: the progressive rollout decision is a pure function of
// the version states, the plan, the step, the window's measurements and the
// clock (RolloutPolicy::NextAction with a plan), and its inputs: the
// metrics reading of a window (counter resets included), p99 from buckets,
// the stored state's JSON.
#include <gtest/gtest.h>

#include <cmath>

#include "skiff/rollout/rollout_state.h"
#include "skiff/rollout/traffic_split_policy.h"
#include "skiff/rollout/version_metrics.h"

namespace skiff {
namespace {

using Kind = RolloutAction::Kind;

ProgressivePlan Plan() {
  ProgressivePlan p;
  p.candidate = "v2";
  p.steps = {5, 25, 50, 100};
  p.step_interval_ms = 60000;
  p.max_error_rate = 0.01;
  p.max_p99_ms = 50;
  p.min_requests = 200;
  p.control = "v1";
  return p;
}

RolloutInput Input(int32_t step, int64_t elapsed_ms, VersionMeasurement cand,
                   VersionMeasurement control = {"v1", 0, 0, std::nullopt},
                   VersionState state = VersionState::kReady) {
  RolloutInput in;
  in.versions = {VersionStatus{{"v1", 0, true, VersionType::kControl}, VersionState::kReady},
                 VersionStatus{{"v2", 5, false, VersionType::kTreatment}, state}};
  in.plan = Plan();
  in.progress.step = step;
  in.progress.step_started_ms = 1'000'000;
  in.now_ms = 1'000'000 + elapsed_ms;
  cand.version = "v2";
  in.measurements = {cand, control};
  return in;
}

struct Case {
  const char* label;
  RolloutInput input;
  Kind kind;
  int32_t step;
  int32_t traffic;
  const char* gate;
};

TEST(ProgressivePolicyTest, NextActionTable) {
  auto compare = [](RolloutInput in) {
    in.plan->compare_to_control = true;
    return in;
  };
  auto paused = [](RolloutInput in) {
    in.progress.paused = true;
    return in;
  };
  const std::vector<Case> cases = {
      {"interval not passed, healthy: hold", Input(0, 30000, {"", 500, 0, 10.0}), Kind::kHold, 0, 5,
       ""},
      {"interval passed, healthy: next step", Input(0, 60000, {"", 500, 2, 10.0}),
       Kind::kSetTraffic, 1, 25, ""},
      {"third step passes to the fourth", Input(2, 61000, {"", 300, 0, 1.0}), Kind::kSetTraffic, 3,
       100, ""},
      {"last step passed: succeed", Input(3, 60000, {"", 300, 0, 1.0}), Kind::kSucceed, 3, 100, ""},
      {"interval passed, too few requests: hold on minRequests", Input(1, 90000, {"", 199, 0, 1.0}),
       Kind::kHold, 1, 25, "minRequests"},
      {"errors above the limit roll back before the interval", Input(1, 5000, {"", 200, 3, 1.0}),
       Kind::kRollBack, 0, 0, "errorRate"},
      {"exactly at the limit is no breach", Input(0, 60000, {"", 200, 2, 1.0}), Kind::kSetTraffic,
       1, 25, ""},
      {"errors with too few requests to judge: hold", Input(0, 5000, {"", 10, 10, 1.0}),
       Kind::kHold, 0, 5, ""},
      {"p99 above the limit rolls back", Input(2, 1000, {"", 400, 0, 80.0}), Kind::kRollBack, 0, 0,
       "p99Ms"},
      {"control's errors raise the limit",
       compare(Input(0, 60000, {"", 400, 8, 10.0}, {"v1", 1000, 15, 10.0})), Kind::kSetTraffic, 1,
       25, ""},
      {"above control's rate plus the limit",
       compare(Input(0, 60000, {"", 400, 11, 10.0}, {"v1", 1000, 15, 10.0})), Kind::kRollBack, 0, 0,
       "errorRate"},
      {"control's p99 raises the p99 limit",
       compare(Input(0, 60000, {"", 400, 0, 90.0}, {"v1", 1000, 0, 45.0})), Kind::kSetTraffic, 1,
       25, ""},
      {"paused: hold whatever the clock", paused(Input(0, 600000, {"", 500, 0, 1.0})), Kind::kHold,
       0, 5, ""},
      {"failed candidate rolls back",
       Input(1, 1000, {"", 0, 0, std::nullopt}, {"v1", 0, 0, {}}, VersionState::kFailed),
       Kind::kRollBack, 0, 0, "versionState"},
      {"loading candidate: hold",
       Input(0, 1000, {"", 0, 0, std::nullopt}, {"v1", 0, 0, {}}, VersionState::kLoading),
       Kind::kHold, 0, 5, ""},
  };
  TrafficSplitPolicy policy;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    const RolloutAction a = policy.NextAction(c.input);
    EXPECT_EQ(a.kind, c.kind);
    EXPECT_EQ(a.version, "v2");
    if (c.kind == Kind::kSetTraffic || c.kind == Kind::kHold || c.kind == Kind::kSucceed) {
      EXPECT_EQ(a.step, c.step);
    }
    EXPECT_EQ(a.traffic_percentile, c.traffic);
    EXPECT_EQ(a.gate, c.gate);
    if (c.kind == Kind::kRollBack && std::string(c.gate) != "versionState") {
      ASSERT_TRUE(a.observed && a.limit);
      EXPECT_GT(*a.observed, *a.limit) << "a breach names the figure and its limit";
    }
    // Pure: the same input gives the same answer.
    const RolloutAction again = policy.NextAction(c.input);
    EXPECT_EQ(again.kind, a.kind);
    EXPECT_EQ(again.traffic_percentile, a.traffic_percentile);
  }
}

TEST(ProgressivePolicyTest, RollBackGoesToTheStartTraffic) {
  RolloutInput in = Input(2, 1000, {"", 300, 30, 1.0});
  in.plan->start_traffic = 3;
  in.plan->steps = {5, 25, 50, 100};
  const RolloutAction a = TrafficSplitPolicy().NextAction(in);
  EXPECT_EQ(a.kind, Kind::kRollBack);
  EXPECT_EQ(a.traffic_percentile, 3);
  EXPECT_DOUBLE_EQ(*a.observed, 0.1);
  EXPECT_DOUBLE_EQ(*a.limit, 0.01);
  EXPECT_EQ(a.requests, 300);
}

TEST(ProgressivePolicyTest, WithoutAPlanItIsTheLifecyclePolicy) {
  RolloutInput in;
  in.versions = {VersionStatus{{"new", 0, true}, VersionState::kAbsent}};
  EXPECT_EQ(TrafficSplitPolicy().NextAction(in).kind, Kind::kLoad);
}

TEST(ProgressivePolicyTest, ValidateNamesTheFlagAndTheFix) {
  auto error = [](auto change) {
    ProgressivePlan p = Plan();
    change(p);
    return ValidateProgressivePlan(p).message();
  };
  EXPECT_EQ(ValidateProgressivePlan(Plan()).code(), StatusCode::kOk);
  EXPECT_NE(error([](auto& p) {
              p.steps = {5, 25, 25, 100};
            })
                .find("--steps: step 3 (25) is not above the step before it (25); steps must "
                      "increase"),
            std::string::npos);
  EXPECT_NE(error([](auto& p) {
              p.steps = {5, 150};
            })
                .find("--steps: step 2 is 150; each step is "
                      "a traffic percentile 1-100"),
            std::string::npos);
  EXPECT_NE(error([](auto& p) {
              p.start_traffic = 10;
            }).find("step 1 (5) is not above the candidate's current traffic (10)"),
            std::string::npos);
  EXPECT_NE(error([](auto& p) { p.step_interval_ms = 10; }).find("--step-interval"),
            std::string::npos);
  EXPECT_NE(error([](auto& p) { p.max_error_rate = 2; }).find("--max-error-rate"),
            std::string::npos);
  EXPECT_NE(error([](auto& p) { p.max_p99_ms = 0.0; }).find("--max-p99-ms"), std::string::npos);
  EXPECT_NE(error([](auto& p) { p.min_requests = 0; }).find("--min-requests"), std::string::npos);
  EXPECT_NE(error([](auto& p) {
              p.compare_to_control = true;
              p.control.clear();
            }).find("--compare-to-control: the endpoint has no control version"),
            std::string::npos);
}

const char* kMetrics =
    R"(# HELP skiff_requests_total Scoring requests finished, by HTTP status code.
# TYPE skiff_requests_total counter
skiff_requests_total{service="ep",version="v1",code="200"} 900
skiff_requests_total{service="ep",version="v2",code="200"} 95
skiff_requests_total{service="ep",version="v2",code="500"} 3
skiff_requests_total{service="ep",version="v2",code="504"} 2
skiff_requests_total{service="ep",version="v2",code="400"} 7
skiff_request_duration_seconds_bucket{service="ep",version="v2",le="0.001"} 0
skiff_request_duration_seconds_bucket{service="ep",version="v2",le="0.01"} 50
skiff_request_duration_seconds_bucket{service="ep",version="v2",le="0.1"} 100
skiff_request_duration_seconds_bucket{service="ep",version="v2",le="+Inf"} 107
skiff_request_duration_seconds_sum{service="ep",version="v2"} 1.5
skiff_request_duration_seconds_count{service="ep",version="v2"} 107
process_start_time_seconds 1765000000
)";

TEST(VersionMetricsTest, ParsesRequestsErrorsAndBuckets) {
  auto r = ParseMetricsReading(kMetrics);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->server_start_seconds, 1765000000);
  const VersionCounters& v2 = r->versions.at("v2");
  EXPECT_EQ(v2.requests, 107);
  EXPECT_EQ(v2.errors, 5) << "500 and the 504 of a timeout count; a 400 does not";
  ASSERT_EQ(v2.buckets.size(), 4u);
  EXPECT_TRUE(std::isinf(v2.buckets.back().first));
  EXPECT_EQ(r->versions.at("v1").requests, 900);
  EXPECT_TRUE(ParseMetricsReading(kMetrics, "other")->versions.empty());
}

TEST(VersionMetricsTest, P99InterpolatesInsideItsBucket) {
  // 100 requests: 98 under 10 ms, 2 between 10 and 100 ms. Rank 99 is the
  // first of the two, halfway into the (10, 100] bucket.
  auto p99 = P99MsFromBuckets({{0.01, 98}, {0.1, 100}, {INFINITY, 100}});
  ASSERT_TRUE(p99);
  EXPECT_NEAR(*p99, 55, 1e-9);
  EXPECT_FALSE(P99MsFromBuckets({{0.01, 0}, {INFINITY, 0}}));
  EXPECT_NEAR(*P99MsFromBuckets({{0.01, 0}, {INFINITY, 10}}), 10, 1e-9)
      << "past the last bound it is that bound";
}

MetricsReading One(const ServerReading& server, const std::string& name = "server") {
  MetricsReading r;
  r.servers[name] = server;
  return r;
}

TEST(VersionMetricsTest, WindowIsNowMinusStartAndAResetStartsFromZero) {
  const ServerReading base = *ParseMetricsReading(kMetrics);
  ServerReading now = base;
  now.versions["v2"].requests += 50;
  now.versions["v2"].errors += 1;
  for (auto& b : now.versions["v2"].buckets) b.second += 50;
  VersionMeasurement w = WindowOf("v2", One(base), One(now));
  EXPECT_EQ(w.requests, 50);
  EXPECT_EQ(w.errors, 1);
  ASSERT_TRUE(w.p99_ms);
  EXPECT_LE(*w.p99_ms, 10.0) << "all 50 fell in the (1, 10] ms bucket";
  EXPECT_FALSE(ServerRestarted(base, now));

  // A restarted server: counters from zero (even once they grew past the
  // old ones, its start time tells).
  ServerReading restarted = now;
  restarted.server_start_seconds += 60;
  restarted.versions["v2"].requests = 400;
  restarted.versions["v2"].errors = 4;
  EXPECT_TRUE(ServerRestarted(base, restarted));
  w = WindowOf("v2", One(base), One(restarted));
  EXPECT_EQ(w.requests, 400);
  EXPECT_EQ(w.errors, 4);
  ServerReading fell = base;
  fell.versions["v2"].requests = 3;
  fell.versions["v2"].errors = 0;
  EXPECT_TRUE(ServerRestarted(base, fell)) << "a counter that fell is a reset too";
  EXPECT_EQ(WindowOf("v2", One(base), One(fell)).requests, 3);
}

TEST(VersionMetricsTest, RouterPodsAreSummedEachAgainstItsOwnStart) {
  const ServerReading base = *ParseMetricsReading(kMetrics);
  MetricsReading start = One(base, "router-a");
  start.servers["router-b"] = base;
  MetricsReading now = start;
  now.servers["router-a"].versions["v2"].requests += 10;  // 10 more on a
  now.servers["router-b"].server_start_seconds += 5;      // b restarted: 7 since
  now.servers["router-b"].versions["v2"] = VersionCounters{7, 7, {}};
  now.servers["router-c"].versions["v2"] = VersionCounters{3, 0, {}};  // a new pod
  const VersionMeasurement w = WindowOf("v2", start, now);
  EXPECT_EQ(w.requests, 10 + 7 + 3);
  EXPECT_EQ(w.errors, 7);
}

TEST(RolloutStateTest, JsonRoundTrip) {
  RolloutState s;
  s.endpoint = "ep";
  s.plan = Plan();
  s.progress.step = 2;
  s.progress.step_started_ms = 1234;
  s.status = RolloutStatus::kFailed;
  s.gate = "errorRate";
  s.observed = 0.2;
  s.limit = 0.01;
  s.rollback_pending = true;
  s.window_start = One(*ParseMetricsReading(kMetrics));
  auto back = ParseRolloutState(RolloutStateToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->plan.steps, s.plan.steps);
  EXPECT_EQ(back->progress.step, 2);
  EXPECT_EQ(back->status, RolloutStatus::kFailed);
  EXPECT_EQ(*back->observed, 0.2);
  EXPECT_TRUE(back->rollback_pending);
  const ServerReading& server = back->window_start.servers.at("server");
  EXPECT_EQ(server.versions.at("v2").buckets.size(), 4u);
  EXPECT_TRUE(std::isinf(server.versions.at("v2").buckets.back().first));
  EXPECT_DOUBLE_EQ(server.server_start_seconds, 1765000000);
  EXPECT_EQ(ParseRolloutState(R"({"endpoint": "ep"})").status().code(),
            StatusCode::kInvalidArgument);
}

// A step decided but not yet recorded survives in the stored state, and an
// old state (without the key) has none.
TEST(RolloutStateTest, APendingStepRoundTrips) {
  RolloutState s;
  s.endpoint = "ep";
  s.plan = Plan();
  EXPECT_EQ(ParseRolloutState(RolloutStateToJson(s))->step_pending, -1);
  EXPECT_EQ(RolloutStateToJson(s).find("stepPending"), std::string::npos);
  s.step_pending = 1;
  auto back = ParseRolloutState(RolloutStateToJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->step_pending, 1);
  s.step_pending = static_cast<int32_t>(s.plan.steps.size());
  auto outside = ParseRolloutState(RolloutStateToJson(s));
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("'stepPending'"), std::string::npos);
}

}  // namespace
}  // namespace skiff
