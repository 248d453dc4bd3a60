// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/endpoint.h"

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace skiff::dataplane {
namespace {

class EchoModel : public LoadedModel {
 public:
  EchoModel() {
    sig_.inputs.push_back({"x", DataType::kUint8, {-1}});
    sig_.outputs.push_back({"y", DataType::kUint8, {-1}});
  }
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& in) override { return in; }

 private:
  Signature sig_;
};

struct Loader {
  std::map<std::string, int> loads;
  std::string fail;
  VersionLoader Get() {
    return [this](const VersionPlan& plan) -> StatusOr<std::unique_ptr<ScoringPool>> {
      if (plan.spec.name == fail) return InvalidArgument("cannot load");
      ++loads[plan.spec.name];
      return ScoringPool::Create({}, [] {
        return StatusOr<std::shared_ptr<LoadedModel>>(std::make_shared<EchoModel>());
      });
    };
  }
};

VersionPlan V(std::string name, int pct, bool def = false, std::string key = "k1") {
  return VersionPlan{VersionSpec{std::move(name), pct, def, VersionType::kTreatment}, key};
}

TEST(DataPlaneEndpointTest, NotReadyUntilApplied) {
  Endpoint e("svc");
  EXPECT_FALSE(e.ready());
  auto v = e.Pick("");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
}

TEST(DataPlaneEndpointTest, WeightChangesReuseLoadedVersions) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 90, true), V("green", 10)}, loader.Get()).ok());
  EXPECT_TRUE(e.ready());
  auto before = e.Find("green");
  ASSERT_TRUE(e.Apply({V("blue", 0), V("green", 100, true)}, loader.Get()).ok());
  EXPECT_EQ(loader.loads["blue"], 1);
  EXPECT_EQ(loader.loads["green"], 1);
  EXPECT_EQ(e.Find("green"), before) << "same loaded version, not a reload";
  for (int i = 0; i < 50; ++i) EXPECT_EQ((*e.Pick(""))->name(), "green");
}

TEST(DataPlaneEndpointTest, ChangedContentReloadsTheVersion) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 100, true, "model-a")}, loader.Get()).ok());
  auto before = e.Find("blue");
  ASSERT_TRUE(e.Apply({V("blue", 100, true, "model-b")}, loader.Get()).ok());
  EXPECT_EQ(loader.loads["blue"], 2);
  EXPECT_NE(e.Find("blue"), before);
  EXPECT_EQ(e.Find("blue")->content_key(), "model-b");
  EXPECT_EQ(e.SpecOf("blue")->traffic_percentile, 100);
}

// Counts of 1000 drawn picks by version name.
std::map<std::string, int> Draw(const Endpoint& e) {
  std::map<std::string, int> n;
  for (int i = 0; i < 1000; ++i) ++n[(*e.Pick(""))->name()];
  return n;
}

TEST(DataPlaneEndpointTest, AnUnreachableVersionsShareGoesElsewhereUntilItIsBack) {
  Endpoint e("svc", /*seed=*/11);
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 60, true), V("green", 30), V("red", 10)}, loader.Get()).ok());
  EXPECT_TRUE(e.reachable("green"));
  EXPECT_TRUE(e.SetReachable("green", false));
  EXPECT_FALSE(e.reachable("green"));
  EXPECT_FALSE(e.SetReachable("green", false)) << "no change the second time";
  auto n = Draw(e);
  EXPECT_EQ(n.count("green"), 0u) << "green gets no drawn traffic";
  EXPECT_GT(n["blue"], 800) << "its 30 % went to the default";
  EXPECT_GT(n["red"], 50);
  EXPECT_EQ((*e.Pick("green"))->name(), "green") << "a pinned request is never moved";

  // The default unreachable: the others' shares scale up to 100 %.
  EXPECT_TRUE(e.SetReachable("green", true));
  EXPECT_TRUE(e.SetReachable("blue", false));
  n = Draw(e);
  EXPECT_EQ(n.count("blue"), 0u);
  EXPECT_GT(n["green"], 650);  // 75 %
  EXPECT_GT(n["red"], 150);    // 25 %

  // None reachable: drawn as if all were, so requests still try.
  EXPECT_TRUE(e.SetReachable("green", false));
  EXPECT_TRUE(e.SetReachable("red", false));
  n = Draw(e);
  EXPECT_GT(n["blue"], 500);
  EXPECT_GT(n["green"], 200);
  EXPECT_GT(n["red"], 50);
}

TEST(DataPlaneEndpointTest, ReachabilityOutlivesApplyOnlyForVersionsStillListed) {
  Endpoint e("svc", /*seed=*/3);
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 50, true), V("green", 50)}, loader.Get()).ok());
  e.SetReachable("green", false);
  ASSERT_TRUE(e.Apply({V("blue", 20, true), V("green", 80)}, loader.Get()).ok());
  EXPECT_FALSE(e.reachable("green"));
  EXPECT_EQ(Draw(e).count("green"), 0u) << "the new weights still route around green";
  ASSERT_TRUE(e.Apply({V("blue", 100, true)}, loader.Get()).ok());
  ASSERT_TRUE(e.Apply({V("blue", 50, true), V("green", 50)}, loader.Get()).ok());
  EXPECT_TRUE(e.reachable("green")) << "a version that left and came back starts reachable";
  EXPECT_GT(Draw(e)["green"], 350);
  // A version marked before it is listed (the router probes before Apply).
  e.SetReachable("red", false);
  ASSERT_TRUE(e.Apply({V("blue", 50, true), V("green", 40), V("red", 10)}, loader.Get()).ok());
  EXPECT_EQ(Draw(e).count("red"), 0u);
}

TEST(DataPlaneEndpointTest, PinningPicksTheVersionOrNamesTheChoices) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 100, true), V("green", 0)}, loader.Get()).ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ((*e.Pick("green"))->name(), "green");
  auto missing = e.Pick("red");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("versions: blue, green"), std::string::npos);
}

TEST(DataPlaneEndpointTest, InvalidOrFailedApplyChangesNothing) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 100, true)}, loader.Get()).ok());
  Status invalid = e.Apply({V("blue", 60, true), V("green", 50)}, loader.Get());
  EXPECT_EQ(invalid.code(), StatusCode::kInvalidArgument);
  loader.fail = "green";
  Status failed = e.Apply({V("blue", 50, true), V("green", 50)}, loader.Get());
  EXPECT_NE(failed.message().find("version 'green': cannot load"), std::string::npos);
  EXPECT_EQ(e.version_names(), std::vector<std::string>{"blue"});
}

TEST(DataPlaneEndpointTest, DeletedVersionFinishesInFlightRequestsBeforeUnload) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 50, true), V("green", 50)}, loader.Get()).ok());
  // A request in flight on green holds its handle.
  std::shared_ptr<ModelVersion> held = *e.Pick("green");
  ASSERT_TRUE(e.Apply({V("blue", 100, true)}, loader.Get()).ok());
  EXPECT_EQ(e.version_names(), std::vector<std::string>{"blue"});
  EXPECT_EQ(e.draining(), 1);
  EXPECT_FALSE(e.Pick("green").ok()) << "no new requests reach a deleted version";
  // The held version still scores.
  std::promise<ScoreResult> p;
  held->pool().Submit({Tensor{"x", DataType::kUint8, {1}, {9}}},
                      [&p](ScoreResult r) { p.set_value(std::move(r)); });
  ScoreResult r = p.get_future().get();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].data[0], 9);
  held.reset();  // the last request finished: the reaper unloads it
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (e.draining() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(e.draining(), 0);
}

// Issue 22 item 3: a sticky key keeps its version while it serves; while
// its version is unreachable it goes where the policy sends that share (the
// default), and comes back with it. No other key moves.
TEST(DataPlaneEndpointTest, StickyKeysOfAnUnreachableVersionGoToTheDefaultAndComeBack) {
  Endpoint e("svc");
  Loader loader;
  ASSERT_TRUE(e.Apply({V("blue", 60, true), V("green", 30), V("red", 10)}, loader.Get()).ok());
  std::map<uint64_t, std::string> before;
  for (uint64_t k = 1; k <= 2000; ++k) {
    const uint64_t point = k * 0x9e3779b97f4a7c15ULL;
    before[point] = (*e.Pick("", point))->name();
    ASSERT_EQ((*e.Pick("", point))->name(), before[point]);
  }
  ASSERT_TRUE(e.SetReachable("green", false));
  for (const auto& [point, name] : before) {
    ASSERT_EQ((*e.Pick("", point))->name(), name == "green" ? "blue" : name);
  }
  ASSERT_TRUE(e.SetReachable("green", true));
  for (const auto& [point, name] : before) ASSERT_EQ((*e.Pick("", point))->name(), name);
  // The default away: its keys spread over the others; theirs stay.
  ASSERT_TRUE(e.SetReachable("blue", false));
  for (const auto& [point, name] : before) {
    const std::string now = (*e.Pick("", point))->name();
    if (name == "blue") {
      EXPECT_NE(now, "blue");
    } else {
      ASSERT_EQ(now, name);
    }
  }
  EXPECT_EQ((*e.Pick("blue", before.begin()->first))->name(), "blue") << "pinning wins";
}

// Ninth session (issue 20.5): a table that sends all traffic to one version
// is picked without a draw (no rng_mu_). Whatever the table, every pick made
// while weights change names a version of a table that was applied, and once
// the changes stop every pick follows the last table.
TEST(DataPlaneEndpointTest, PicksDuringWeightChangesFollowAnAppliedTable) {
  Endpoint e("svc", /*seed=*/5);
  Loader loader;
  const std::vector<std::vector<VersionPlan>> tables = {
      {V("blue", 100, true)},
      {V("blue", 0), V("green", 100, true)},
      {V("blue", 50, true), V("green", 50)},
      {V("blue", 100, true), V("green", 0)},
  };
  ASSERT_TRUE(e.Apply(tables[0], loader.Get()).ok());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> picks{0};
  std::vector<std::future<std::set<std::string>>> pickers;
  for (int t = 0; t < 8; ++t) {
    pickers.push_back(std::async(std::launch::async, [&e, &stop, &picks, t] {
      std::set<std::string> seen;
      uint64_t i = 0;
      while (!stop.load()) {
        // Half the threads route by key (sticky), half by draw.
        auto v = t % 2 == 0 ? e.Pick("") : e.Pick("", ++i * 0x9e3779b97f4a7c15ULL);
        if (!v.ok()) {
          seen.insert("error: " + v.status().message());
          continue;
        }
        seen.insert((*v)->name());
        picks.fetch_add(1);
      }
      return seen;
    }));
  }
  // Weight changes while the pickers run, until each has picked a while
  // (polled, with a deadline: no sleep).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t round = 0;
       (round < 200 || picks.load() < 20000) && std::chrono::steady_clock::now() < deadline;
       ++round) {
    ASSERT_TRUE(e.Apply(tables[round % tables.size()], loader.Get()).ok());
  }
  ASSERT_TRUE(e.Apply(tables[1], loader.Get()).ok());  // green takes it all
  stop.store(true);
  for (auto& f : pickers) {
    for (const std::string& name : f.get()) {
      EXPECT_TRUE(name == "blue" || name == "green") << name;
    }
  }
  EXPECT_GE(picks.load(), 20000) << "the pickers ran alongside the changes";
  EXPECT_EQ(loader.loads["blue"], 1) << "weight changes reuse the loaded version";
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ((*e.Pick(""))->name(), "green");
    ASSERT_EQ((*e.Pick("", i * 0x9e3779b97f4a7c15ULL))->name(), "green");
  }
  // And a table with a real split still draws both (50/50 over 1000 picks).
  ASSERT_TRUE(e.Apply(tables[2], loader.Get()).ok());
  auto n = Draw(e);
  EXPECT_GT(n["blue"], 350);
  EXPECT_GT(n["green"], 350);
}

}  // namespace
}  // namespace skiff::dataplane
