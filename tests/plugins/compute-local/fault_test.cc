// Faults on the local target (docs/reliability.md): skiff-server killed
// under load, and an accelerator plugin that throws or crashes. The
// supervisor restarts the server; clients see 200s, 502/503 or (while no
// server listens: there is no proxy in front on the local target)
// connection errors, and 200s again after the restart.
#include <atomic>
#include <map>
#include <mutex>

#include "service_test_fixture.h"

namespace skiff::compute_local {
namespace {

// What clients saw: HTTP statuses, and requests that got no response.
struct Seen {
  std::mutex mu;
  std::map<int, int64_t> statuses;  // guarded by mu
  int64_t no_response = 0;          // guarded by mu
  std::atomic<int64_t> ok_after_fault{0};
  std::atomic<bool> fault_done{false};

  std::string Describe() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& [status, n] : statuses)
      out += std::to_string(status) + ": " + std::to_string(n) + ", ";
    return out + "no response: " + std::to_string(no_response);
  }
};

std::string ScoreBody(float first) { return json{{"data", {{first, 1.0, 2.0, 3.0}}}}.dump(); }

class ComputeLocalFaultTest : public ComputeLocalServiceTest {
 protected:
  // Deploys `name` on a fixed port (so clients keep one address across a
  // restart, as they would behind a DNS name) and waits for Healthy.
  uint16_t DeployOnFixedPort(const std::string& name) {
    const uint16_t port = FreePort();
    json config = ServerConfig(name, kKey);
    config["deploymentConfig"] = {{"port", port}};
    EXPECT_TRUE(Deploy(name, config).ok());
    ServiceStatus s = WaitFor(name, ServiceState::kHealthy);
    EXPECT_EQ(s.state, ServiceState::kHealthy) << s.error;
    return port;
  }

  // One POST on a fresh connection: its status, or 0 when no response came.
  static int PostOnce(uint16_t port, const std::string& name, float first) {
    try {
      HttpClient c(port);
      return c
          .Post("/api/v1/service/" + name + "/score", ScoreBody(first),
                {{"Authorization", "Bearer " + kKey}})
          .status;
    } catch (const std::exception&) {
      return 0;
    }
  }

  // Clients scoring in a loop (keep-alive, reconnecting after an error)
  // until `stop`.
  std::vector<std::thread> StartClients(int n, uint16_t port, const std::string& name, Seen* seen,
                                        std::atomic<bool>* stop) {
    std::vector<std::thread> clients;
    for (int i = 0; i < n; ++i) {
      clients.emplace_back([=] {
        std::unique_ptr<HttpClient> c;
        while (!stop->load()) {
          int status = 0;
          try {
            if (!c) c = std::make_unique<HttpClient>(port);
            status = c->Post("/api/v1/service/" + name + "/score", ScoreBody(1),
                             {{"Authorization", "Bearer " + kKey}})
                         .status;
          } catch (const std::exception&) {
            c.reset();
          }
          {
            std::lock_guard<std::mutex> lock(seen->mu);
            if (status == 0) {
              ++seen->no_response;
            } else {
              ++seen->statuses[status];
            }
          }
          if (status == 200 && seen->fault_done.load()) ++seen->ok_after_fault;
          // Pace reconnect attempts while nothing listens.
          if (status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    }
    return clients;
  }

  // Waits until the supervisor has replaced `old_server`; returns its state.
  SupervisorState WaitForRestart(const std::string& name, pid_t old_server) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    SupervisorState sup = Supervisor(name);
    while ((sup.server_pid == 0 || sup.server_pid == old_server) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      sup = Supervisor(name);
    }
    return sup;
  }

  static void ExpectOnlyOkOrGatewayStatuses(Seen& seen) {
    std::lock_guard<std::mutex> lock(seen.mu);
    for (const auto& [status, n] : seen.statuses) {
      EXPECT_TRUE(status == 200 || status == 502 || status == 503)
          << n << " responses with status " << status;
    }
  }
};

TEST_F(ComputeLocalFaultTest, ServerKilledUnderLoadIsRestartedAndClientsRecover) {
  const uint16_t port = DeployOnFixedPort("load");
  const pid_t first = Supervisor("load").server_pid;
  ASSERT_GT(first, 0);
  Seen seen;
  std::atomic<bool> stop{false};
  auto clients = StartClients(4, port, "load", &seen, &stop);
  auto count = [&] {
    std::lock_guard<std::mutex> lock(seen.mu);
    return seen.statuses[200];
  };
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (count() < 200 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(count(), 200) << "load did not start: " << seen.Describe();

  const auto killed = Clock::now();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  seen.fault_done = true;
  SupervisorState sup = WaitForRestart("load", first);
  deadline = Clock::now() + std::chrono::seconds(20);
  while (seen.ok_after_fault.load() < 50 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double gap_s = std::chrono::duration<double>(Clock::now() - killed).count();
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_NE(sup.server_pid, first);
  EXPECT_EQ(sup.restarts, 1);
  EXPECT_EQ(sup.last_exit_status, 128 + SIGKILL);
  EXPECT_GE(seen.ok_after_fault.load(), 50) << "clients got 200s again: " << seen.Describe();
  ExpectOnlyOkOrGatewayStatuses(seen);
  std::cout << "[ fault    ] SIGKILL under load: " << seen.Describe() << "; 50 OK after " << gap_s
            << " s\n";
}

TEST_F(ComputeLocalFaultTest, PluginThatThrowsGets502AndTheServerKeepsRunning) {
  const uint16_t port = DeployOnFixedPort("throws");
  const pid_t server = Supervisor("throws").server_pid;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(PostOnce(port, "throws", -3), 502);
    EXPECT_EQ(PostOnce(port, "throws", 1), 200);
  }
  SupervisorState sup = Supervisor("throws");
  EXPECT_EQ(sup.server_pid, server) << "same server process";
  EXPECT_EQ(sup.restarts, 0);
}

TEST_F(ComputeLocalFaultTest, PluginThatCrashesTakesOnlyItsServerWhichIsRestarted) {
  const uint16_t port = DeployOnFixedPort("crash");
  const pid_t first = Supervisor("crash").server_pid;
  Seen seen;
  std::atomic<bool> stop{false};
  auto clients = StartClients(2, port, "crash", &seen, &stop);

  // The crashing request itself gets no response: the process is gone.
  const int crashed = PostOnce(port, "crash", -4);
  EXPECT_TRUE(crashed == 0 || crashed == 502 || crashed == 503) << crashed;
  seen.fault_done = true;
  SupervisorState sup = WaitForRestart("crash", first);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (seen.ok_after_fault.load() < 20 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_NE(sup.server_pid, first);
  EXPECT_EQ(sup.restarts, 1);
  EXPECT_EQ(sup.last_exit_status, 128 + SIGABRT);
  EXPECT_GE(seen.ok_after_fault.load(), 20) << seen.Describe();
  ExpectOnlyOkOrGatewayStatuses(seen);
  EXPECT_EQ(PostOnce(port, "crash", 1), 200);
  auto logs = target_->GetLogs("crash", 0);
  ASSERT_TRUE(logs.ok());
  EXPECT_NE(logs->find("skiff-supervisor: skiff-server (pid " + std::to_string(first) +
                       ") exited: killed by signal 6"),
            std::string::npos)
      << *logs;
}

}  // namespace
}  // namespace skiff::compute_local
