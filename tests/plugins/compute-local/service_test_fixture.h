// SPDX-License-Identifier: Apache-2.0
// ComputeLocalServiceTest: a LocalComputeTarget over a temp workspace that
// runs real skiff-supervisor and skiff-server processes on loopback, serving
// the data-plane "testmodel" accelerator. Every wait polls with a deadline;
// TearDown kills whatever a test started. Shared by the service and fault
// tests.
#pragma once

#include "local_compute_target.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "file_util.h"
#include "http_client.h"
#include "process_probe.h"
#include "service_dir.h"
#include "skiff/util/sha256.h"
#include "supervisor/supervisor_state.h"

namespace skiff::compute_local {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using skiff::testing::HttpClient;
using Clock = std::chrono::steady_clock;

const std::string kKey = "local-test-key-0123456789-abcdefghijklmnop";
const std::string kNewKey = "local-test-new-key-0123456789-abcdefghijk";

using skiff::Sha256Hex;
inline uint16_t PortOf(const std::string& uri) {
  // http://127.0.0.1:<port>/api/...
  const size_t colon = uri.find(':', 7);
  return static_cast<uint16_t>(std::stoi(uri.substr(colon + 1)));
}

// A port that was free a moment ago (the kernel does not hand it out again soon).
inline uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class ComputeLocalServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Supervisors detach from us; as subreaper we reap them (and any server
    // they leave), so "gone" means gone rather than a zombie.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void SetUp() override {
    const std::string bin = std::getenv("SKIFF_BINARY_DIR");
    ws_ = fs::temp_directory_path() /
          ("skiff-local-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(ws_);
    fs::create_directories(ws_);
    LocalComputeOptions options;
    options.server_binary = bin + "/bin/skiff-server";
    options.supervisor_binary = bin + "/bin/skiff-supervisor";
    options.plugin_path = bin + "/tests/dataplane_plugins";
    options.workspace_dir = ws_.string();
    auto made = LocalComputeTarget::Create(options);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    target_ = std::move(made).value();
  }

  void TearDown() override {
    // Whatever DeleteService did or did not do: kill by pid, then reap.
    std::vector<pid_t> pids;
    for (const std::string& name : deployed_) {
      const ServiceDir dir = Dir(name);
      if (auto pid = ReadPidFile(dir.supervisor_pid()); pid.ok()) pids.push_back(*pid);
      if (auto s = ReadSupervisorState(dir.supervisor_json()); s.ok()) {
        if (s->pid > 0) pids.push_back(s->pid);
        if (s->server_pid > 0) pids.push_back(s->server_pid);
      }
    }
    for (pid_t pid : pids) {
      if (IsProcessRunning(pid, ws_.string())) ::kill(pid, SIGKILL);
    }
    for (pid_t pid : pids) WaitForExit(pid, std::chrono::seconds(5));
    Reap();
    fs::remove_all(ws_);
  }

  static void Reap() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  // True once `pid` no longer exists at all (reaping it if it is ours).
  static bool Gone(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      Reap();
      if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ServiceDir Dir(const std::string& name) const { return ServiceDir::For(ws_.string(), name); }

  json ServerConfig(const std::string& name, const std::string& key,
                    const std::string& accelerator = "testmodel") const {
    json inference = {{"accelerator", accelerator},
                      {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}},
                      {"outputs", {{{"name", "y"}, {"datatype", "FP32"}, {"shape", {-1, 4}}}}}};
    return {{"service", name},
            {"auth",
             {{"options", {{"workspace", "ws"}, {"keysDir", (ws_ / "keys").string()}}},
              {"keySha256", {Sha256Hex(key)}}}},
            {"drainGraceMs", 2000},
            {"versions",
             {{{"name", "blue"}, {"artifactPath", "/dev/null"}, {"inferenceConfig", inference}}}}};
  }

  ServiceSpec Spec(const std::string& name, const json& config) const {
    ServiceSpec spec;
    spec.name = name;
    spec.workspace_dir = ws_.string();
    spec.server_config_json = config.dump();
    return spec;
  }

  Status Deploy(const std::string& name, const json& config) {
    deployed_.insert(name);
    return target_->DeployService(Spec(name, config));
  }

  // Polls GetState until `want` (or the deadline); returns the last status.
  ServiceStatus WaitFor(const std::string& name, ServiceState want,
                        std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    ServiceStatus last;
    for (;;) {
      auto s = target_->GetState(name);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      if (!s.ok()) return last;
      last = *s;
      if (last.state == want || Clock::now() > deadline) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  SupervisorState Supervisor(const std::string& name) {
    auto s = ReadSupervisorState(Dir(name).supervisor_json());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : SupervisorState();
  }

  static int Score(const ServiceStatus& status, const std::string& key) {
    HttpClient c(PortOf(status.scoring_uri));
    const std::string path = status.scoring_uri.substr(status.scoring_uri.find("/api/"));
    return c.Post(path, R"({"data": [[1, 2, 3, 4]]})", {{"Authorization", "Bearer " + key}}).status;
  }

  fs::path ws_;
  std::unique_ptr<LocalComputeTarget> target_;
  std::set<std::string> deployed_;
};

}  // namespace
}  // namespace skiff::compute_local
