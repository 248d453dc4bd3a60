// SPDX-License-Identifier: Apache-2.0
// Faults on the local target (docs/reliability.md): skiff-server killed
// under load, a server that cannot restart, and an accelerator plugin that
// throws or crashes. The supervisor holds the port and restarts the server;
// clients see 200s, 502/503 (the supervisor answers 503 + Retry-After while
// no server runs), never a refused connection, and 200s again after the
// restart.
#include <atomic>
#include <map>
#include <mutex>

#include "service_test_fixture.h"
#include "skiff/util/atomic_file.h"

namespace skiff::compute_local {
namespace {

// What clients saw: HTTP statuses, and requests that got no response.
struct Seen {
  std::mutex mu;
  std::map<int, int64_t> statuses;  // guarded by mu
  int64_t no_response = 0;          // guarded by mu; includes `refused`
  int64_t refused = 0;              // guarded by mu: connect() refused
  std::atomic<int64_t> ok_after_fault{0};
  std::atomic<bool> fault_done{false};

  std::string Describe() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& [status, n] : statuses)
      out += std::to_string(status) + ": " + std::to_string(n) + ", ";
    return out + "no response: " + std::to_string(no_response) +
           " (connection refused: " + std::to_string(refused) + ")";
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
          bool refused = false;
          try {
            if (!c) c = std::make_unique<HttpClient>(port);
            status = c->Post("/api/v1/service/" + name + "/score", ScoreBody(1),
                             {{"Authorization", "Bearer " + kKey}})
                         .status;
          } catch (const boost::system::system_error& e) {
            refused = e.code() == boost::asio::error::connection_refused;
            c.reset();
          } catch (const std::exception&) {
            c.reset();
          }
          {
            std::lock_guard<std::mutex> lock(seen->mu);
            if (refused) ++seen->refused;
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
  // The clients have stopped: no lock needed (Describe() takes it).
  EXPECT_EQ(seen.refused, 0) << "the supervisor keeps the port open: " << seen.Describe();
  // Only a request the killed process had taken can go unanswered: at most
  // one per client (a kept-alive one is retried once by the client).
  EXPECT_LE(seen.no_response, 4) << seen.Describe();
  std::cout << "[ fault    ] SIGKILL under load: " << seen.Describe() << "; 50 OK after " << gap_s
            << " s\n";
}

TEST_F(ComputeLocalFaultTest, WhileTheServerCannotRestartTheSupervisorAnswers503WithRetryAfter) {
  const uint16_t port = DeployOnFixedPort("gap");
  const pid_t first = Supervisor("gap").server_pid;
  ASSERT_GT(first, 0);
  // A configuration the server refuses (exit status 2): it cannot come back
  // until the file is fixed.
  const std::string config_path = Dir("gap").server_json();
  auto good = ReadFile(config_path);
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(WriteFileAtomically(config_path, "{}", 0600).ok());
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  auto deadline = Clock::now() + std::chrono::seconds(20);
  SupervisorState sup = Supervisor("gap");
  while (sup.last_exit_status != 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sup = Supervisor("gap");
  }
  ASSERT_EQ(sup.last_exit_status, 2) << "the restart with the broken file failed";

  // Whether the supervisor waits to restart or a doomed server is starting,
  // every request is answered by the supervisor.
  for (const std::string target : {"/api/v1/service/gap/score", "/v2/health/ready"}) {
    HttpClient c(port);
    auto r = c.Post(target, ScoreBody(1), {{"Authorization", "Bearer " + kKey}});
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_EQ(r.header("server"), "skiff-supervisor");
    EXPECT_EQ(r.header("connection"), "close");
    const std::string retry = r.header("retry-after");
    ASSERT_FALSE(retry.empty());
    EXPECT_GE(std::stoi(retry), 1);
    EXPECT_LE(std::stoi(retry), 32) << "at most the longest backoff (30 s), rounded up, plus one";
    EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find(
                  "service 'gap' is restarting: its server exited (exit status 2)"),
              std::string::npos)
        << r.body;
  }

  // Fixed: the next restart serves on the same port.
  ASSERT_TRUE(WriteFileAtomically(config_path, *good, 0600).ok());
  deadline = Clock::now() + std::chrono::seconds(40);
  int status = 0;
  while ((status = PostOnce(port, "gap", 1)) != 200 && Clock::now() < deadline) {
    EXPECT_TRUE(status == 503) << status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
  EXPECT_GE(Supervisor("gap").restarts, 2);
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
