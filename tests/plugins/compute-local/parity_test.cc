// SPDX-License-Identifier: Apache-2.0
// Issue 21 items 5 and 7 on the local target (docs/reliability.md "Issue 21:
// parity (local target)"): what a deployment config asks for is applied or
// refused, never silently ignored, and a target created with an address
// serves there. Real supervisors and servers; traffic only to loopback.
#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "gpu_probe.h"
#include "health_probe.h"
#include "http2_probe.h"
#include "service_test_fixture.h"
#include "skiff/config/server_config.h"

namespace skiff::compute_local {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "Key:\t..." in /proc/<pid>/status.
std::string StatusField(pid_t pid, const std::string& key) {
  std::istringstream in(ReadText("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

// The soft limit of "Max address space" in /proc/<pid>/limits.
std::string AddressSpaceLimit(pid_t pid) {
  std::istringstream in(ReadText("/proc/" + std::to_string(pid) + "/limits"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max address space", 0) == 0) {
      std::istringstream fields(line.substr(17));
      std::string soft;
      fields >> soft;
      return soft;
    }
  }
  return "";
}

// Number of CPUs in a Cpus_allowed_list such as "0-3,8".
int CountCpus(const std::string& list) {
  int n = 0;
  std::istringstream in(list);
  std::string range;
  while (std::getline(in, range, ',')) {
    const size_t dash = range.find('-');
    n += dash == std::string::npos ? 1 : std::stoi(range.substr(dash + 1)) - std::stoi(range) + 1;
  }
  return n;
}

class ComputeLocalParityTest : public ComputeLocalServiceTest {
 protected:
  // A second target over the same workspace whose services listen on `address`.
  std::unique_ptr<LocalComputeTarget> TargetAt(const std::string& address) {
    const std::string bin = std::getenv("SKIFF_BINARY_DIR");
    LocalComputeOptions options;
    options.server_binary = bin + "/bin/skiff-server";
    options.supervisor_binary = bin + "/bin/skiff-supervisor";
    options.plugin_path = bin + "/tests/dataplane_plugins";
    options.workspace_dir = ws_.string();
    options.address = address;
    auto made = LocalComputeTarget::Create(options);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? std::move(made).value() : nullptr;
  }

  json WithDeployment(const std::string& name, const json& deployment) const {
    json config = ServerConfig(name, kKey);
    config["deploymentConfig"] = deployment;
    return config;
  }
};

// 21.5: `computeType: aks` sent to the local target was run locally as if
// it said "local". Now refused, naming the field and the fix, with nothing
// started or written.
TEST_F(ComputeLocalParityTest, AComputeTypeForAnotherTargetIsRefusedNamingTheField) {
  Status s = Deploy("svc", WithDeployment("svc", {{"computeType", "aks"}}));
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("`computeType` is \"aks\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("set `computeType` to \"local\""), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(Dir("svc").server_json()));
  EXPECT_FALSE(fs::exists(Dir("svc").supervisor_pid()));
}

// 21.5: `gpu: 1` ran on the CPU without a word. Without a CUDA device it is
// refused at deploy; where the driver shows one, the deploy goes ahead.
TEST_F(ComputeLocalParityTest, AGpuRequestIsRefusedWhereNoCudaDeviceIsVisible) {
  auto devices = CountCudaDevices();
  Status s =
      Deploy("svc", WithDeployment("svc", {{"containerResourceRequirements", {{"gpu", 1}}}}));
  if (devices.ok() && *devices >= 1) {
    EXPECT_TRUE(s.ok()) << "this machine shows " << *devices << " CUDA device(s): " << s.ToString();
    return;
  }
  ASSERT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("`containerResourceRequirements.gpu` is 1"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("set `gpu` to 0"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(Dir("svc").supervisor_pid()));
}

// 21.5: containerResourceRequirements were only recorded. Now the server
// runs under them: 1 CPU of affinity and 1 GiB (cgroup memory.max, else
// RLIMIT_AS), and GetState says which mechanism holds it.
TEST_F(ComputeLocalParityTest, ResourceRequirementsAreAppliedToTheServerAndReported) {
  ASSERT_TRUE(Deploy("svc", WithDeployment("svc", {{"numReplicas", 1},
                                                   {"containerResourceRequirements",
                                                    {{"cpu", 1}, {"memoryInGBLimit", 1}}}}))
                  .ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  EXPECT_EQ(Score(status, kKey), 200);
  const pid_t server = Supervisor("svc").server_pid;
  ASSERT_GT(server, 0);
  EXPECT_EQ(CountCpus(StatusField(server, "Cpus_allowed_list")), 1)
      << StatusField(server, "Cpus_allowed_list");
  EXPECT_NE(status.resources.find("CPU affinity " + StatusField(server, "Cpus_allowed_list")),
            std::string::npos)
      << status.resources;
  if (status.resources.rfind("cgroup v2 ", 0) == 0) {
    const std::string dir = status.resources.substr(10, status.resources.find(':') - 10);
    EXPECT_EQ(ReadText(dir + "/memory.max"), "1073741824\n");
    EXPECT_NE(ReadText("/proc/" + std::to_string(server) + "/cgroup").find(dir.substr(14)),
              std::string::npos);
  } else {
    EXPECT_EQ(status.resources.rfind("RLIMIT_AS 1073741824 bytes (no cgroup v2: ", 0), 0u)
        << status.resources;
    EXPECT_EQ(AddressSpaceLimit(server), "1073741824");
  }
}

// An update that changes the requirements holds the running server to the
// new ones (no restart: the same server pid).
TEST_F(ComputeLocalParityTest, AnUpdateAppliesNewResourceRequirementsToTheRunningServer) {
  auto config = [&](int cores_and_gb) {
    return WithDeployment("svc", {{"numReplicas", 1},
                                  {"containerResourceRequirements",
                                   {{"cpu", cores_and_gb}, {"memoryInGBLimit", cores_and_gb}}}});
  };
  ASSERT_TRUE(Deploy("svc", config(1)).ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  const pid_t server = Supervisor("svc").server_pid;
  EXPECT_EQ(CountCpus(StatusField(server, "Cpus_allowed_list")), 1);
  // 2 cores where this process may use 2 (the supervisor picks from its own set).
  const int cpus = std::min(2, CountCpus(StatusField(::getpid(), "Cpus_allowed_list")));
  ASSERT_TRUE(target_->UpdateService(Spec("svc", config(2))).ok());
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline &&
         target_->GetState("svc")->resources.find("2147483648") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  status = *target_->GetState("svc");
  EXPECT_NE(status.resources.find("2147483648"), std::string::npos) << status.resources;
  EXPECT_EQ(Supervisor("svc").server_pid, server) << "no restart";
  if (status.resources.rfind("cgroup v2 ", 0) == 0) {
    const std::string dir = status.resources.substr(10, status.resources.find(':') - 10);
    EXPECT_EQ(ReadText(dir + "/memory.max"), "2147483648\n");
  } else {
    EXPECT_EQ(AddressSpaceLimit(server), "2147483648");
  }
  EXPECT_EQ(CountCpus(StatusField(server, "Cpus_allowed_list")), cpus);
}

// skiff_scoring_workers of the service's one version, from the metrics
// listener at `port`; -1 if absent.
int Workers(uint16_t port) {
  try {
    HttpClient c(port);
    const std::string body = c.Get("/metrics").body;
    const size_t at = body.find("\nskiff_scoring_workers{");
    if (at == std::string::npos) return -1;
    const size_t value = body.find("} ", at);
    return value == std::string::npos ? -1 : std::stoi(body.substr(value + 2));
  } catch (const std::exception&) {
    return -1;
  }
}

// 21.5: autoScaler was only recorded; the server ran minReplicas workers
// whatever the load. Now the worker count follows the measured utilisation:
// up to maxReplicas under load from the test, back to minReplicas without.
TEST_F(ComputeLocalParityTest, AutoScalerScalesWorkersBetweenMinAndMaxOnLoad) {
  ASSERT_TRUE(Deploy("svc", WithDeployment("svc", {{"autoScaler",
                                                    {{"minReplicas", 1},
                                                     {"maxReplicas", 3},
                                                     {"refreshPeriodInSeconds", 1},
                                                     {"targetUtilization", 50}}},
                                                   {"maxQueueWaitMs", 60000}}))
                  .ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  const uint16_t port = PortOf(status.scoring_uri);
  const uint16_t metrics_port = PortOf(status.metrics_uri);
  const std::string path = status.scoring_uri.substr(status.scoring_uri.find("/api/"));
  EXPECT_EQ(Workers(metrics_port), 1) << "minReplicas x maxConcurrentRequestsPerContainer";

  // Six clients keep the one worker's queue full with 500 ms requests.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      HttpClient c(port);
      while (!stop) {
        try {
          if (c.Post(path, R"({"data": [[-2, 0, 0, 0]]})", {{"Authorization", "Bearer " + kKey}})
                  .status == 200) {
            ++ok;
          }
        } catch (const std::exception&) {
        }
      }
    });
  }
  auto poll = [&](int want) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    int seen = -1;
    while (Clock::now() < deadline) {
      if ((seen = Workers(metrics_port)) == want) return seen;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return seen;
  };
  EXPECT_EQ(poll(3), 3) << "maxReplicas under load";
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(poll(1), 1) << "back to minReplicas once idle";
}

// The cgroup v2 path where this machine lets the supervisor use it.
TEST_F(ComputeLocalParityTest, CgroupV2HoldsMemoryAndCpuWhereWritable) {
  ASSERT_TRUE(Deploy("svc", WithDeployment("svc", {{"numReplicas", 2},
                                                   {"containerResourceRequirements",
                                                    {{"cpu", 0.25}, {"memoryInGB", 0.5}}}}))
                  .ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  if (status.resources.rfind("cgroup v2 ", 0) != 0) {
    GTEST_SKIP() << "cgroup v2 is not writable here, the supervisor said: " << status.resources;
  }
  const std::string dir = status.resources.substr(10, status.resources.find(':') - 10);
  // Two replicas of 0.25 cores and 0.5 GiB each.
  EXPECT_EQ(ReadText(dir + "/memory.max"), "1073741824\n");
  EXPECT_EQ(ReadText(dir + "/cpu.max"), "50000 100000\n");
  const pid_t server = Supervisor("svc").server_pid;
  EXPECT_NE(ReadText("/proc/" + std::to_string(server) + "/cgroup").find(dir.substr(14)),
            std::string::npos);
  EXPECT_EQ(Score(status, kKey), 200);
}

// 21.7: services listened on 127.0.0.1 whatever was asked. A target created
// with an address binds there: 127.0.0.2 is reached on 127.0.0.2 and not on
// 127.0.0.1, and the scoring URI names it.
TEST_F(ComputeLocalParityTest, ATargetAddressIsStoredInServerJsonAndBound) {
  auto target = TargetAt("127.0.0.2");
  ASSERT_NE(target, nullptr);
  deployed_.insert("svc");
  ASSERT_TRUE(target->DeployService(Spec("svc", ServerConfig("svc", kKey))).ok());
  auto written = config::ReadServerConfigFile(Dir("svc").server_json());
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->address, "127.0.0.2");
  ServiceStatus status;
  for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
    status = *target->GetState("svc");
    if (status.state == ServiceState::kHealthy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  EXPECT_EQ(status.scoring_uri.rfind("http://127.0.0.2:", 0), 0u) << status.scoring_uri;
  const uint16_t port = PortOf(status.scoring_uri);
  auto there = HttpGetStatus("127.0.0.2", port, "/v2/health/ready", std::chrono::seconds(2));
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  EXPECT_EQ(*there, 200);
  EXPECT_FALSE(HttpGetStatus("127.0.0.1", port, "/v2/health/ready", std::chrono::seconds(2)).ok())
      << "bound to 127.0.0.2 only";
}

// 21.7: 0.0.0.0 serves every interface: the wildcard bind answers on
// 127.0.0.2 too (which nothing else binds), and scoring works over loopback.
TEST_F(ComputeLocalParityTest, AWildcardAddressServesEveryInterface) {
  auto target = TargetAt("0.0.0.0");
  ASSERT_NE(target, nullptr);
  deployed_.insert("svc");
  ASSERT_TRUE(target->DeployService(Spec("svc", ServerConfig("svc", kKey))).ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  EXPECT_EQ(status.scoring_uri.rfind("http://127.0.0.1:", 0), 0u) << status.scoring_uri;
  EXPECT_EQ(Score(status, kKey), 200);
  auto other = HttpGetStatus("127.0.0.2", PortOf(status.scoring_uri), "/v2/health/ready",
                             std::chrono::seconds(2));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(*other, 200);
}

// Issue 19.3: a target serving every interface still keeps its metrics on
// loopback, on a port of their own that GetState reports; the scoring port
// answers /metrics 404.
TEST_F(ComputeLocalParityTest, MetricsStayOnLoopbackWhenTheTargetServesEveryInterface) {
  auto target = TargetAt("0.0.0.0");
  ASSERT_NE(target, nullptr);
  deployed_.insert("svc");
  ASSERT_TRUE(target->DeployService(Spec("svc", ServerConfig("svc", kKey))).ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  ASSERT_EQ(status.metrics_uri.rfind("http://127.0.0.1:", 0), 0u) << status.metrics_uri;
  EXPECT_EQ(status.metrics_uri.substr(status.metrics_uri.rfind('/')), "/metrics");
  const uint16_t metrics_port = PortOf(status.metrics_uri);
  const uint16_t port = PortOf(status.scoring_uri);
  ASSERT_NE(metrics_port, port);
  EXPECT_EQ(Score(status, kKey), 200);
  EXPECT_GE(Workers(metrics_port), 1) << "the metrics answer there";
  auto public_port = HttpGetStatus("127.0.0.2", port, "/metrics", std::chrono::seconds(2));
  ASSERT_TRUE(public_port.ok()) << public_port.status().ToString();
  EXPECT_EQ(*public_port, 404) << "not on the scoring port";
  EXPECT_FALSE(
      HttpGetStatus("127.0.0.2", metrics_port, "/metrics", std::chrono::seconds(2)).ok())
      << "the metrics listener is bound to 127.0.0.1 only";
}

// Issue 20 item 3: a server.json with `grpc` gets a second listener on a
// port of its own, reported by GetState as grpc_uri (HOST:PORT) where an
// HTTP/2 server answers; an update cannot turn it off (it is opened at
// start), and says to redeploy.
TEST_F(ComputeLocalParityTest, GrpcGetsAPortOfItsOwnReportedAsGrpcUri) {
  json config = ServerConfig("svc", kKey);
  config["grpc"] = json::object();
  ASSERT_TRUE(Deploy("svc", config).ok());
  ServiceStatus status = WaitFor("svc", ServiceState::kHealthy);
  ASSERT_EQ(status.state, ServiceState::kHealthy) << status.error;
  ASSERT_EQ(status.grpc_uri.rfind("127.0.0.1:", 0), 0u) << status.grpc_uri;
  const int grpc_port = std::stoi(status.grpc_uri.substr(status.grpc_uri.rfind(':') + 1));
  EXPECT_NE(grpc_port, PortOf(status.scoring_uri));
  EXPECT_TRUE(skiff::testing::Http2ServerAnswers(static_cast<uint16_t>(grpc_port)));
  EXPECT_EQ(Score(status, kKey), 200) << "HTTP as before";

  Status off = target_->UpdateService(Spec("svc", ServerConfig("svc", kKey)));
  EXPECT_EQ(off.code(), StatusCode::kFailedPrecondition) << off.ToString();
  EXPECT_NE(off.message().find("`grpc` off needs a restart: delete and deploy it again"),
            std::string::npos)
      << off.message();
  EXPECT_TRUE(skiff::testing::Http2ServerAnswers(static_cast<uint16_t>(grpc_port)))
      << "the refused update left the service as it was";

  // Without `grpc`: no grpc_uri.
  ASSERT_TRUE(Deploy("plain", ServerConfig("plain", kKey)).ok());
  ServiceStatus plain = WaitFor("plain", ServiceState::kHealthy);
  ASSERT_EQ(plain.state, ServiceState::kHealthy) << plain.error;
  EXPECT_TRUE(plain.grpc_uri.empty()) << plain.grpc_uri;
}

TEST_F(ComputeLocalParityTest, AnAddressThatIsNotALiteralIsRefusedAtCreate) {
  ComputeSpec spec{"lan", "local", R"({"address": "example.com"})", ws_.string()};
  Status s = target_->Provision(spec);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("`address` 'example.com' is not an IPv4 or IPv6 address"),
            std::string::npos)
      << s.message();
  spec.config_json = R"({"address": "::1"})";
  EXPECT_TRUE(target_->Provision(spec).ok());
}

}  // namespace
}  // namespace skiff::compute_local
