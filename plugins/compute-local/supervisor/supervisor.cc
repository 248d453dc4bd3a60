// SPDX-License-Identifier: Apache-2.0
#include "supervisor/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "file_util.h"
#include "skiff/config/server_config.h"
#include "skiff/util/log.h"

namespace skiff::compute_local {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Waits for one of `set` up to `timeout`; returns the signal or 0 on timeout.
int WaitSignal(const sigset_t& set, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) timeout = std::chrono::milliseconds(0);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
  for (;;) {
    int sig = ::sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return 0;
  }
}

std::chrono::milliseconds MillisUntil(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t -
                                                               std::chrono::steady_clock::now());
}

}  // namespace

void SupervisorLog(const std::string& line) {
  // The callers say "error: ..." or "warning: ..." where a line is one.
  constexpr std::string_view kError = "error: ", kWarning = "warning: ";
  const std::string_view text(line);
  if (text.substr(0, kError.size()) == kError) return log::Error(text.substr(kError.size()));
  if (text.substr(0, kWarning.size()) == kWarning) return log::Warning(text.substr(kWarning.size()));
  log::Info(text);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "wait status " + std::to_string(wait_status);
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

Supervisor::Supervisor(SupervisorOptions options)
    : options_(std::move(options)), dir_(options_.service_dir), backoff_(options_.backoff) {
  state_.pid = ::getpid();
}

void Supervisor::WriteState() {
  Status s = WriteSupervisorState(dir_.supervisor_json(), state_);
  if (!s.ok()) SupervisorLog("warning: " + s.message());
}

std::chrono::milliseconds Supervisor::DrainGrace() const {
  auto config = config::ReadServerConfigFile(dir_.server_json());
  // Unreadable: skiff-server's default; the server itself reports why.
  return config.ok() ? config->drain_grace : config::ServerConfig().drain_grace;
}

void Supervisor::HoldListenSocket() {
  auto config = config::ReadServerConfigFile(dir_.server_json());
  if (!config.ok()) config = config::ServerConfig();  // skiff-server's defaults
  const std::string address = config->address;
  const int port = config->port;
  if (listen_.Serves(address, port)) return;
  if (listen_.is_open()) {
    SupervisorLog("the configuration moved the service from " + listen_.address() + ":" +
                  std::to_string(listen_.port()) + " to " + address + ":" + std::to_string(port));
  }
  Status s = listen_.Open(address, port);
  if (s.ok()) {
    SupervisorLog("holding " + address + ":" + std::to_string(listen_.port()) +
                  " for skiff-server across restarts");
  } else {
    // The server tries the port itself and reports why it cannot.
    SupervisorLog("warning: " + s.message() + "; skiff-server binds the port itself");
  }
}

std::string Supervisor::GapMessage() const {
  // The service directory is named after the service.
  const std::string& dir = options_.service_dir;
  const std::string service = dir.substr(dir.find_last_of('/') + 1);
  std::string m = "service '" + service + "' is restarting: its server exited (" +
                  state_.last_exit + ")";
  if (backoff_.failed()) {
    m += " " + std::to_string(backoff_.consecutive_fast_failures()) +
         " times in a row; see `skiff service get-logs -n " + service + "`";
  }
  return m + "; retry after the Retry-After seconds";
}

int Supervisor::GapRetryAfterSeconds() const {
  const auto ms = MillisUntil(restart_at_).count();
  // The new server needs a moment to listen and load after its start.
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000 + 1));
}

std::vector<int> Supervisor::Wait(std::chrono::milliseconds timeout) {
  std::vector<int> signals;
  const auto deadline = Clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  for (;;) {
    const bool gap = state_.server_pid == 0 && listen_.is_open();
    std::vector<pollfd> fds{{signal_fd_, POLLIN, 0}};
    if (gap) fds.push_back({listen_.fd(), POLLIN, 0});
    gap_.AddPollFds(&fds);
    const auto wait = std::min(MillisUntil(deadline), gap_.Step());
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (n < 0 && errno != EINTR) {
      SupervisorLog(std::string("poll: ") + std::strerror(errno));
      return signals;
    }
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      signals.push_back(static_cast<int>(info.ssi_signo));
    }
    if (gap && (fds[1].revents & POLLIN)) {
      gap_.AcceptPending(listen_.fd(), GapMessage(), GapRetryAfterSeconds());
    }
    gap_.Step();
    if (!signals.empty() || MillisUntil(deadline).count() <= 0) return signals;
  }
}

// The exit code of a child that could not take on its limits (before exec).
constexpr int kLimitsFailedExit = 125;

LimitPlan Supervisor::PlanServerLimits() {
  auto config = config::ReadServerConfigFile(dir_.server_json());
  if (!config.ok()) config = config::ServerConfig();  // the server reports why
  const std::string& root = options_.service_dir;
  const std::string service = root.substr(root.find_last_of('/') + 1);
  LimitPlan plan = PlanLimits(LimitsFor(*config, HasCudaDeviceNodes()), service, root);
  if (!cgroup_failed_.empty() && !plan.cgroup_dir.empty()) {
    RemoveCgroup(plan);
    plan.cgroup_dir.clear();
    plan.cgroup_procs.clear();
    plan.why_no_cgroup = cgroup_failed_;
  }
  return plan;
}

void Supervisor::StartServer() {
  // A stale port file would make the new server look reachable before it is.
  ::unlink(dir_.port_file().c_str());
  HoldListenSocket();
  limits_ = PlanServerLimits();
  const LimitPlan& limits = limits_;
  const int listen_fd = listen_.fd();
  const pid_t parent = ::getpid();
  const std::string config = dir_.server_json();
  std::string plugin_path = options_.plugin_path;
  if (const char* env = std::getenv("SKIFF_PLUGIN_PATH"); env != nullptr && *env != '\0') {
    plugin_path = plugin_path.empty() ? env : plugin_path + ":" + env;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The supervisor is single-threaded, so the child may use the libc here.
    // If the supervisor dies (even by SIGKILL), the server drains and exits.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (const int err = ApplyLimitsInChild(limits); err != 0) {
      log::Error("cannot apply the resource limits (" + limits.Describe() +
                 "): " + std::strerror(err));
      ::_exit(kLimitsFailedExit);
    }
    if (!plugin_path.empty()) ::setenv("SKIFF_PLUGIN_PATH", plugin_path.c_str(), 1);
    if (listen_fd >= 0) {
      // Socket activation: fd 3, not close-on-exec, named by LISTEN_PID/LISTEN_FDS.
      if (listen_fd == 3) {
        ::fcntl(3, F_SETFD, 0);
      } else if (::dup2(listen_fd, 3) != 3) {
        ::_exit(126);
      }
      ::setenv("LISTEN_FDS", "1", 1);
      ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    } else {
      ::unsetenv("LISTEN_FDS");
      ::unsetenv("LISTEN_PID");
    }
    const char* argv[] = {options_.server_binary.c_str(), "--config", config.c_str(), nullptr};
    ::execv(options_.server_binary.c_str(), const_cast<char* const*>(argv));
    log::Error("cannot exec " + options_.server_binary + ": " + std::strerror(errno));
    ::_exit(127);
  }
  if (pid < 0) {
    SupervisorLog(std::string("cannot fork: ") + std::strerror(errno));
    OnServerExit(255 << 8);  // treat as a failed start: back off and retry
    return;
  }
  if (started_once_) ++state_.restarts;
  started_once_ = true;
  state_.server_pid = pid;
  server_started_ = Clock::now();
  state_.state = backoff_.failed() ? "failed" : "running";
  state_.limits = limits.Describe();
  SupervisorLog("started skiff-server (pid " + std::to_string(pid) + ") with " + config +
                "; resources: " + state_.limits);
  WriteState();
}

void Supervisor::OnServerExit(int wait_status) {
  const auto ran =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - server_started_);
  const std::chrono::milliseconds delay = backoff_.OnExit(ran);
  state_.last_exit = DescribeWaitStatus(wait_status);
  state_.last_exit_status = ExitCodeOf(wait_status);
  if (state_.last_exit_status == kLimitsFailedExit && !limits_.cgroup_dir.empty()) {
    // Joining the cgroup failed in the child (delegation, a moved mount):
    // the next start falls back to RLIMIT_AS, and says so.
    cgroup_failed_ = "a server could not join " + limits_.cgroup_dir;
  }
  SupervisorLog(
      "skiff-server (pid " + std::to_string(state_.server_pid) + ") exited: " + state_.last_exit +
      " after " + std::to_string(ran.count()) + " ms; restart in " + std::to_string(delay.count()) +
      " ms" +
      (backoff_.failed()
           ? " (failed " + std::to_string(backoff_.consecutive_fast_failures()) + " times in a row)"
           : ""));
  state_.server_pid = 0;
  state_.state = backoff_.failed() ? "failed" : "backoff";
  restart_at_ = Clock::now() + delay;
  WriteState();
}

void Supervisor::ReapServer() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == state_.server_pid) OnServerExit(status);
  }
}

void Supervisor::Stop() {
  const pid_t server = state_.server_pid;
  if (server > 0) {
    const auto grace = DrainGrace() + std::chrono::seconds(5);
    SupervisorLog("stopping: SIGTERM to skiff-server (pid " + std::to_string(server) +
                  "), waiting up to " + std::to_string(grace.count()) + " ms");
    ::kill(server, SIGTERM);
    // From now on the port closes with the draining server's copy.
    listen_.Close();
    gap_.CloseAll();
    const auto deadline = Clock::now() + grace;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int status = 0;
    pid_t got = ::waitpid(server, &status, WNOHANG);
    while (got == 0 && MillisUntil(deadline).count() > 0) {
      WaitSignal(chld, MillisUntil(deadline));
      got = ::waitpid(server, &status, WNOHANG);
    }
    if (got == 0) {
      SupervisorLog("skiff-server did not exit within " + std::to_string(grace.count()) +
                    " ms; SIGKILL");
      ::kill(server, SIGKILL);
      got = ::waitpid(server, &status, 0);
    }
    if (got == server) {
      state_.last_exit = DescribeWaitStatus(status);
      state_.last_exit_status = ExitCodeOf(status);
      SupervisorLog("skiff-server (pid " + std::to_string(server) +
                    ") stopped: " + state_.last_exit);
    }
  }
  listen_.Close();
  gap_.CloseAll();
  RemoveCgroup(limits_);
  state_.server_pid = 0;
  state_.state = "stopped";
  WriteState();
  ::unlink(dir_.supervisor_pid().c_str());
  SupervisorLog("stopped");
}

int Supervisor::Run(int ready_fd) {
  const sigset_t signals = HandledSignals();
  signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    SupervisorLog(std::string("cannot create a signalfd: ") + std::strerror(errno));
    return 1;
  }
  SupervisorLog("supervising " + options_.service_dir + " (pid " + std::to_string(state_.pid) +
                ")");
  StartServer();
  if (ready_fd >= 0) {
    const char byte = 1;
    while (::write(ready_fd, &byte, 1) < 0 && errno == EINTR) {
    }
    ::close(ready_fd);
  }
  for (;;) {
    // The next deadline: a pending restart, or the moment a "failed" server
    // has run long enough to count as recovered. Otherwise just wait.
    std::chrono::milliseconds timeout(3600 * 1000);
    if (state_.server_pid == 0) {
      timeout = MillisUntil(restart_at_);
    } else if (backoff_.failed()) {
      timeout = MillisUntil(server_started_ + backoff_.options().fast_failure);
    }
    const std::vector<int> received = Wait(timeout);
    ReapServer();  // SIGCHLD is not queued: always look
    auto got = [&](int s) {
      return std::find(received.begin(), received.end(), s) != received.end();
    };
    if (got(SIGTERM) || got(SIGINT)) {
      SupervisorLog(std::string("received ") + (got(SIGTERM) ? "SIGTERM" : "SIGINT"));
      Stop();
      ::close(signal_fd_);
      return 0;
    }
    if (got(SIGHUP)) {
      if (state_.server_pid > 0) {
        // A reload may change containerResourceRequirements: the running
        // server is held to the new limits before it reloads.
        limits_ = PlanServerLimits();
        state_.limits = limits_.Describe();
        if (std::string failed = ApplyLimitsToRunning(state_.server_pid, limits_); !failed.empty()) {
          SupervisorLog("warning: the new resource limits are not all applied (" + failed +
                        "); they are at the next start");
        }
        WriteState();
        SupervisorLog("forwarding SIGHUP to skiff-server (pid " +
                      std::to_string(state_.server_pid) + "): reload; resources: " +
                      state_.limits);
        ::kill(state_.server_pid, SIGHUP);
      } else {
        SupervisorLog("SIGHUP while no server runs: the next start reads the new configuration");
      }
    }
    if (state_.server_pid == 0 && MillisUntil(restart_at_).count() <= 0) {
      StartServer();
    } else if (state_.server_pid > 0 && backoff_.failed()) {
      backoff_.OnRunning(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - server_started_));
      if (!backoff_.failed()) {
        state_.state = "running";
        SupervisorLog("skiff-server has been up for " +
                      std::to_string(backoff_.options().fast_failure.count()) +
                      " ms; no longer failed");
        WriteState();
      }
    }
  }
}

}  // namespace skiff::compute_local
