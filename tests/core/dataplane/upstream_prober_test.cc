// SPDX-License-Identifier: Apache-2.0
// The router's readiness probes of its upstream versions (UpstreamProber).
#include "upstream_prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "skiff/dataplane/scoring_pool.h"
#include "skiff/util/file.h"

namespace skiff::dataplane {
namespace {

class IdleModel : public LoadedModel {
 public:
  const Signature& signature() const override { return sig_; }
  Status Warmup() override { return OkStatus(); }
  StatusOr<std::vector<Tensor>> Score(const std::vector<Tensor>& in) override { return in; }

 private:
  Signature sig_;
};

// A loopback port that takes connections (the kernel's backlog) and never
// answers: a version pod that swallows the probe until its timeout.
Fd Silent(uint16_t* port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::listen(fd.get(), 16), 0);
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Found by running the rendered pods under runc: versions were probed one
// after another, so each silent version made every round (and a version
// that had come up) wait one more timeout. A round now costs one timeout.
TEST(DataPlaneUpstreamProberTest, SilentVersionsCostARoundOneTimeoutNotOneEach) {
  Endpoint e("svc");
  std::vector<VersionPlan> plans;
  std::vector<Fd> silent;
  std::vector<UpstreamProber::Target> targets;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "v" + std::to_string(i);
    plans.push_back(VersionPlan{VersionSpec{name, i == 0 ? 100 : 0, i == 0, VersionType::kTreatment},
                                "k" + std::to_string(i)});
    uint16_t port = 0;
    silent.push_back(Silent(&port));
    targets.push_back({name, "http://127.0.0.1:" + std::to_string(port) + "/v2/models/m/infer"});
  }
  ASSERT_TRUE(e.Apply(plans, [](const VersionPlan&) -> StatusOr<std::unique_ptr<ScoringPool>> {
                 return ScoringPool::Create({}, [] {
                   return StatusOr<std::shared_ptr<LoadedModel>>(std::make_shared<IdleModel>());
                 });
               }).ok());
  const auto started = std::chrono::steady_clock::now();
  UpstreamProber::ProbeOnce(&e, targets, std::chrono::milliseconds(1000));
  const auto took = std::chrono::steady_clock::now() - started;
  for (const auto& t : targets) EXPECT_FALSE(e.reachable(t.version)) << t.version;
  // One after another this was 5 s; together it is about 1 s.
  EXPECT_LT(took, std::chrono::milliseconds(3500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

}  // namespace
}  // namespace skiff::dataplane
