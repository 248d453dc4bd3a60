// SPDX-License-Identifier: Apache-2.0
#include "local_compute_target.h"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "file_util.h"
#include "gpu_probe.h"
#include "health_probe.h"
#include "listen_socket.h"
#include "local_requirements.h"
#include "log_follower.h"
#include "process_probe.h"
#include "supervisor/restart_history.h"
#include "server_config_writer.h"
#include "skiff/metrics/load_report.h"
#include "skiff/net/http_client.h"
#include "skiff/server_status.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/private_path.h"
#include "skiff/util/service_name.h"
#include "supervisor/supervisor_launcher.h"
#include "supervisor/supervisor_state.h"

namespace skiff::compute_local {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kDeleteWait{40};  // > skiff-server's default drain grace + 5 s
constexpr std::chrono::milliseconds kProbeTimeout{1000};
// How long a revival waits for a dead supervisor's server to let go of the
// port (it got SIGTERM with its parent and stops accepting at once).
constexpr std::chrono::seconds kPortFreeWait{5};

std::optional<int> ReadPortFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  std::istringstream in(*text);
  int port = 0;
  if (!(in >> port) || port <= 0 || port > 65535) return std::nullopt;
  return port;
}

std::optional<int> ReadPort(const ServiceDir& dir) { return ReadPortFile(dir.port_file()); }

// The port of the server.json in place, if it pins one.
std::optional<int> ConfiguredPort(const ServiceDir& dir) {
  auto config = config::ReadServerConfigFile(dir.server_json());
  if (!config.ok() || config->port <= 0) return std::nullopt;
  return config->port;
}

// The log is the user's own server's and is not rotated: any size is read,
// as before the shared reader had a bound.
constexpr std::size_t kAnyLogSize = std::numeric_limits<std::size_t>::max();

// The server's own explanation of its last failure, if the log has one.
std::string LastServerError(const ServiceDir& dir) {
  auto text = ReadFile(dir.server_log(), kAnyLogSize);
  if (!text.ok()) return "";
  std::istringstream in(TailLines(*text, 200));
  std::string line, last;
  // An error line in either log format (skiff/util/log.h), told as before.
  constexpr std::string_view kText = " ERROR skiff-server: ";
  while (std::getline(in, line)) {
    if (const size_t at = line.find(kText); at != std::string::npos) {
      last = "skiff-server: error: " + line.substr(at + kText.size());
    } else if (!line.empty() && line[0] == '{') {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("level", "") == "error" &&
          j.value("logger", "") == "skiff-server" && j.value("message", nlohmann::json()).is_string()) {
        last = "skiff-server: error: " + j["message"].get<std::string>();
      }
    }
  }
  return last;
}

// True once `address:port` can be bound again (polled until `wait` is over).
bool WaitUntilPortIsFree(const std::string& address, int port, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    ListenSocket probe;
    if (probe.Open(address, port).ok()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// How long GetState waits for the server's last minute (GET /load on its
// loopback metrics listener): a list of many services must stay quick.
constexpr std::chrono::milliseconds kLoadTimeout{500};

// The server's own count of the last minute, per version, into `status`
// (ServiceStatus::load); `load_note` says why when it cannot be read.
void ReadLoad(const std::optional<int>& metrics_port, ServiceStatus* status) {
  if (!metrics_port) {
    status->load_note = "the server has not published its metrics port yet";
    return;
  }
  net::HttpClientOptions options;
  options.timeout = kLoadTimeout;
  options.timeout_covers_exchange = true;
  options.max_body_bytes = 1 << 20;
  auto answer = net::HttpClient(options).Send(
      {"GET", "http://127.0.0.1:" + std::to_string(*metrics_port) + "/load", {}, ""});
  if (!answer.ok() || answer->status != 200) {
    status->load_note = "GET /load on the metrics listener: " +
                        (answer.ok() ? "answered " + std::to_string(answer->status)
                                     : answer.status().message());
    return;
  }
  auto load = ParseLoadReport(answer->body);
  if (!load.ok()) {
    status->load_note = load.status().message();
    return;
  }
  status->load = std::move(load).value();
}

// Where GetState reaches the service: loopback for a wildcard address.
std::string ProbeHostOf(const ServiceDir& dir) {
  auto config = config::ReadServerConfigFile(dir.server_json());
  return ProbeHost(config.ok() ? config->address : config::ServerConfig().address);
}

// Whether the service's server.json has it terminate TLS.
bool ServesTls(const ServiceDir& dir) {
  auto config = config::ReadServerConfigFile(dir.server_json());
  return config.ok() && config->tls.has_value();
}

// What the target refuses before it writes anything: a spec meant for
// another compute type, a GPU this machine does not have. A config that does
// not parse is left to MakeServerConfig, which names the field.
Status CheckRunsHere(const ServiceSpec& spec) {
  auto config = config::ParseServerConfig(spec.server_config_json);
  if (!config.ok()) return OkStatus();
  return CheckLocalRequirements(config->deployment, CountCudaDevices)
      .WithContext("service '" + spec.name + "'");
}

// A service's directories under the workspace: created 0700, and refused
// (never chmod'ed or written through) when one is a symlink, another user's
// or group/world-writable, since skiff-server reads its config from there.
Status MakeServiceDirs(const std::string& workspace_dir, const ServiceDir& dir) {
  std::error_code ec;
  fs::create_directories(workspace_dir, ec);
  if (ec) return Internal("cannot create " + workspace_dir + ": " + ec.message());
  for (const std::string& path :
       {workspace_dir + "/services", dir.root, dir.logs_dir(), dir.data_dir()}) {
    SKIFF_RETURN_IF_ERROR(EnsurePrivateDirectory(path));
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<LocalComputeTarget>> LocalComputeTarget::Create(
    LocalComputeOptions options) {
  return std::unique_ptr<LocalComputeTarget>(new LocalComputeTarget(std::move(options)));
}

LocalComputeTarget::LocalComputeTarget(LocalComputeOptions options)
    : options_(std::move(options)), workspace_dir_(options_.workspace_dir) {}

LocalComputeTarget::~LocalComputeTarget() = default;

Status LocalComputeTarget::RememberWorkspace(const std::string& workspace_dir) {
  if (workspace_dir.empty()) return InvalidArgument("the spec's workspace_dir is empty");
  std::lock_guard<std::mutex> lock(mu_);
  workspace_dir_ = AbsolutePath(workspace_dir);
  return OkStatus();
}

StatusOr<ServiceDir> LocalComputeTarget::DirOf(const std::string& service) const {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(service));
  std::lock_guard<std::mutex> lock(mu_);
  if (workspace_dir_.empty()) {
    return FailedPrecondition(
        "the local compute target does not know its workspace; pass `workspaceDir` in its "
        "create() options");
  }
  return ServiceDir::For(workspace_dir_, service);
}

std::optional<pid_t> LocalComputeTarget::RunningSupervisor(const ServiceDir& dir) const {
  auto pid = ReadPidFile(dir.supervisor_pid());
  if (!pid.ok()) return std::nullopt;
  // The cmdline check guards against a recycled pid.
  if (!IsProcessRunning(*pid, "skiff-supervisor", dir.root)) return std::nullopt;
  return *pid;
}

// Provision/Attach/Detach/Delete: the local machine needs no provisioning,
// and services are stopped by DeleteService, not by forgetting the target.
Status LocalComputeTarget::Provision(const ComputeSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("compute spec: `name` is empty");
  SKIFF_RETURN_IF_ERROR(ParseTargetAddress(spec.config_json).status());
  if (!spec.workspace_dir.empty()) return RememberWorkspace(spec.workspace_dir);
  return OkStatus();
}
Status LocalComputeTarget::Attach(const ComputeSpec& spec) { return Provision(spec); }
Status LocalComputeTarget::Detach(const ComputeSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("compute spec: `name` is empty");
  return OkStatus();
}
Status LocalComputeTarget::Delete(const ComputeSpec& spec) { return Detach(spec); }

Status LocalComputeTarget::DeployService(const ServiceSpec& spec) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(spec.name));
  SKIFF_RETURN_IF_ERROR(RememberWorkspace(spec.workspace_dir));
  const ServiceDir dir = ServiceDir::For(AbsolutePath(spec.workspace_dir), spec.name);
  if (RunningSupervisor(dir)) {
    return AlreadyExists("service '" + spec.name +
                         "' is already running; use update or delete it first");
  }
  SKIFF_RETURN_IF_ERROR(CheckRunsHere(spec));
  SKIFF_ASSIGN_OR_RETURN(std::string config,
                         MakeServerConfig(spec.name, spec.server_config_json, dir, options_.address,
                                          std::nullopt, options_.tls));
  SKIFF_RETURN_IF_ERROR(MakeServiceDirs(spec.workspace_dir, dir));
  // Leftovers of an earlier run would describe a server that is gone.
  for (const std::string& stale :
       {dir.port_file(), dir.metrics_port_file(), dir.grpc_port_file(), dir.supervisor_json(),
        dir.ready_marker(),
        dir.supervisor_pid(), dir.restart_history(), dir.status_file()}) {
    ::unlink(stale.c_str());
  }
  // 0600: it holds key digests only, but still.
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(dir.server_json(), config, 0600));
  return LaunchSupervisor(options_, dir).WithContext("deploy service '" + spec.name + "'");
}

Status LocalComputeTarget::UpdateService(const ServiceSpec& spec) {
  SKIFF_RETURN_IF_ERROR(ValidateServiceName(spec.name));
  SKIFF_RETURN_IF_ERROR(RememberWorkspace(spec.workspace_dir));
  const ServiceDir dir = ServiceDir::For(AbsolutePath(spec.workspace_dir), spec.name);
  const std::optional<pid_t> supervisor = RunningSupervisor(dir);
  if (!supervisor) {
    return NotFound("service '" + spec.name + "' is not running on the local target; deploy it");
  }
  // Keep the bound port so the scoring URI stays the same.
  std::optional<int> port = ReadPort(dir);
  if (!port) port = ConfiguredPort(dir);
  const std::optional<int> requested = RequestedPort(spec.server_config_json);
  if (port && requested && *requested != *port) {
    return FailedPrecondition("service '" + spec.name + "' runs on port " + std::to_string(*port) +
                              "; moving it to port " + std::to_string(*requested) +
                              " needs a restart: delete and deploy it again");
  }
  SKIFF_RETURN_IF_ERROR(CheckRunsHere(spec));
  // The gRPC listener is opened at start: a reload cannot open or close it.
  if (auto running = config::ReadServerConfigFile(dir.server_json()); running.ok()) {
    auto next = config::ParseServerConfig(spec.server_config_json);
    if (next.ok() && running->grpc.has_value() != next->grpc.has_value()) {
      return FailedPrecondition(
          "service '" + spec.name + "' runs " + (running->grpc ? "with" : "without") +
          " gRPC; turning the deployment config's `grpc` " + (next->grpc ? "on" : "off") +
          " needs a restart: delete and deploy it again");
    }
  }
  SKIFF_ASSIGN_OR_RETURN(std::string config,
                         MakeServerConfig(spec.name, spec.server_config_json, dir, options_.address,
                                          port, options_.tls));
  SKIFF_RETURN_IF_ERROR(WriteFileAtomically(dir.server_json(), config, 0600));
  if (::kill(*supervisor, SIGHUP) != 0) {
    return Unavailable("service '" + spec.name + "': cannot signal its supervisor (pid " +
                       std::to_string(*supervisor) + "): " + std::strerror(errno));
  }
  return OkStatus();
}

Status LocalComputeTarget::DeleteService(const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  if (!fs::is_directory(dir.root)) {
    return NotFound("service '" + service + "' does not exist on the local target");
  }
  StopProcesses(dir);
  std::error_code ec;
  fs::remove_all(dir.root, ec);
  if (ec) return Internal("cannot remove " + dir.root + ": " + ec.message());
  return OkStatus();
}

void LocalComputeTarget::StopProcesses(const ServiceDir& dir) const {
  if (std::optional<pid_t> supervisor = RunningSupervisor(dir)) {
    ::kill(*supervisor, SIGTERM);
    if (!WaitForExit(*supervisor, kDeleteWait)) ::kill(*supervisor, SIGKILL);
    WaitForExit(*supervisor, std::chrono::seconds(5));
  }
  // A server left behind (its supervisor was killed) is matched by its config path.
  auto state = ReadSupervisorState(dir.supervisor_json());
  if (state.ok() && IsProcessRunning(state->server_pid, dir.server_json())) {
    ::kill(state->server_pid, SIGKILL);
    WaitForExit(state->server_pid, std::chrono::seconds(5));
  }
}

Status LocalComputeTarget::Relaunch(const std::string& service, const ServiceDir& dir,
                                    bool revival) {
  auto text = ReadFile(dir.server_json());
  if (!text.ok()) {
    return FailedPrecondition("service '" + service + "' has no " + dir.server_json() +
                              "; deploy it again (model deploy --overwrite)");
  }
  auto config = config::ParseServerConfig(*text);
  if (!config.ok()) {
    return DataLoss(dir.server_json() + " is not a valid server config (" +
                    config.status().message() + "); deploy service '" + service +
                    "' again (model deploy --overwrite)");
  }
  // Keep the scoring URI: the port the last server had, once it is free
  // again; else what the deployment config asks for (0: any).
  std::optional<int> port = ReadPort(dir);
  if (!port) port = ConfiguredPort(dir);
  int pinned = config->deployment.port.value_or(0);
  if (port && WaitUntilPortIsFree(config->address, *port, kPortFreeWait)) pinned = *port;
  if (config->port != pinned) {
    SKIFF_RETURN_IF_ERROR(
        WriteFileAtomically(dir.server_json(), WithPort(std::move(config).value(), pinned), 0600));
  }
  // A damaged history must not keep the service down: start counting again.
  auto read = ReadRestartHistory(dir.restart_history());
  RestartHistory history = read.ok() ? *read : RestartHistory{};
  if (auto last = ReadSupervisorState(dir.supervisor_json()); last.ok()) {
    history.server_restarts += last->restarts;
  }
  // Counted before the old supervisor.json goes: a crash in between counts
  // its restarts twice rather than hiding them.
  SKIFF_RETURN_IF_ERROR(WriteRestartHistory(dir.restart_history(), history));
  for (const std::string& stale :
       {dir.port_file(), dir.metrics_port_file(), dir.grpc_port_file(), dir.supervisor_json(),
        dir.ready_marker(),
        dir.supervisor_pid()}) {
    ::unlink(stale.c_str());
  }
  SKIFF_RETURN_IF_ERROR(LaunchSupervisor(options_, dir));
  if (!revival) return OkStatus();
  // The revival counts once it has happened.
  ++history.revivals;
  return WriteRestartHistory(dir.restart_history(), history);
}

StatusOr<bool> LocalComputeTarget::ReviveService(const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  if (!fs::is_directory(dir.root)) {
    return NotFound("service '" + service + "' does not exist on the local target");
  }
  if (RunningSupervisor(dir)) return false;
  SKIFF_RETURN_IF_ERROR(Relaunch(service, dir, /*revival=*/true)
                            .WithContext("start service '" + service + "' again"));
  return true;
}

Status LocalComputeTarget::RestartService(const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  if (!fs::is_directory(dir.root)) {
    return NotFound("service '" + service + "' does not exist on the local target");
  }
  StopProcesses(dir);
  return Relaunch(service, dir, /*revival=*/false).WithContext("restart service '" + service + "'");
}

StatusOr<ServiceStatus> LocalComputeTarget::GetState(const std::string& service) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  if (!fs::is_directory(dir.root)) {
    return NotFound("service '" + service + "' does not exist on the local target");
  }
  ServiceStatus status;
  // One skiff-server per service: ready once its readiness probe answers 200.
  status.replicas_ready = 0;
  status.replicas_total = 1;
  const std::optional<int> port = ReadPort(dir);
  const std::string host = ProbeHostOf(dir);
  // https when the server was given the target's certificate; the URI then
  // names the certificate's host (sslCname) when the target has one.
  const bool tls = ServesTls(dir);
  if (port) {
    const std::string uri_host =
        tls && options_.tls && !options_.tls->cname.empty() ? options_.tls->cname : UrlHost(host);
    const std::string base = std::string(tls ? "https://" : "http://") + uri_host + ":" +
                             std::to_string(*port) + "/api/v1/service/" + service;
    status.scoring_uri = base + "/score";
    status.swagger_uri = base + "/swagger.json";
  }
  const std::optional<int> metrics_port = ReadPortFile(dir.metrics_port_file());
  if (metrics_port) {
    status.metrics_uri = "http://127.0.0.1:" + std::to_string(*metrics_port) + "/metrics";
  }
  if (const std::optional<int> grpc = ReadPortFile(dir.grpc_port_file())) {
    status.grpc_uri = UrlHost(host) + ":" + std::to_string(*grpc);
  }
  const std::string logs_hint = "; see `skiff service get-logs -n " + service + "`";
  auto state = ReadSupervisorState(dir.supervisor_json());
  auto history = ReadRestartHistory(dir.restart_history());
  status.restarts = (history.ok() ? history->revivals + history->server_restarts : 0) +
                    (state.ok() ? state->restarts : 0);
  if (state.ok()) status.resources = state->limits;
  std::string last_exit = state.ok() && !state->last_exit.empty()
                              ? " (last exit of skiff-server: " + state->last_exit + ")"
                              : "";
  const std::string server_error = LastServerError(dir);
  if (!server_error.empty()) last_exit += ": " + server_error;

  if (!RunningSupervisor(dir)) {
    status.state = ServiceState::kFailed;
    if (state.ok() && state->state == "stopped") {
      status.error = "service '" + service + "' was stopped; deploy it again or delete it";
    } else {
      status.error = "the supervisor of service '" + service + "' is not running" + last_exit +
                     "; the next skiff command on it starts it again, or `skiff service "
                     "restart -n " + service + "`" + logs_hint;
    }
    return status;
  }
  if (state.ok() && state->state == "failed") {
    status.state = ServiceState::kFailed;
    status.error = "skiff-server of service '" + service + "' keeps failing" + last_exit +
                   "; the supervisor retries every 30 s" + logs_hint;
    return status;
  }
  if (state.ok() && state->state == "backoff") {
    status.state = ServiceState::kUnhealthy;
    status.error = "skiff-server exited and is being restarted" + last_exit + logs_hint;
    return status;
  }
  // Generation-keyed, so a file left by the previous server of a supervisor
  // restart cannot be mistaken for an answer to a newer change.
  if (auto served = ReadServerStatus(dir.status_file()); served.ok()) {
    status.applied_generation = served->applied_generation;
    status.refused_generation = served->refused_generation;
    status.refusal = served->refusal;
  }
  if (!port || !state.ok()) {
    status.state = ServiceState::kTransitioning;
    status.error = "";
    return status;
  }
  auto code = (tls ? HttpsGetStatus : HttpGetStatus)(host, static_cast<uint16_t>(*port),
                                                     "/v2/health/ready", kProbeTimeout);
  const std::string server_pid = std::to_string(state->server_pid) + "\n";
  if (code.ok() && *code == 200) {
    status.state = ServiceState::kHealthy;
    status.replicas_ready = 1;
    ReadLoad(metrics_port, &status);
    auto marker = ReadFile(dir.ready_marker());
    if (!marker.ok() || *marker != server_pid) {
      // Best effort: a concurrent delete may have removed the directory.
      (void)WriteFileAtomically(dir.ready_marker(), server_pid, 0600);
    }
    return status;
  }
  const std::string why =
      code.ok() ? "/v2/health/ready answered " + std::to_string(*code) : code.status().message();
  auto marker = ReadFile(dir.ready_marker());
  if (marker.ok() && *marker == server_pid) {
    status.state = ServiceState::kUnhealthy;  // it was ready once, and is not now
    status.error = "skiff-server is up but not ready: " + why + logs_hint;
  } else {
    status.state = ServiceState::kTransitioning;  // still loading
  }
  return status;
}

StatusOr<std::string> LocalComputeTarget::GetLogs(const std::string& service, int32_t num_lines) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  if (!fs::is_directory(dir.root)) {
    return NotFound("service '" + service + "' does not exist on the local target");
  }
  auto text = ReadFile(dir.server_log(), kAnyLogSize);
  if (!text.ok()) return std::string();
  return TailLines(*text, num_lines);
}

Status LocalComputeTarget::FollowLogs(const std::string& service, int32_t num_lines,
                                      LogSink* sink) {
  SKIFF_ASSIGN_OR_RETURN(ServiceDir dir, DirOf(service));
  LogFollower follower({dir.server_log(), dir.access_log()});
  // Opened before the tail is read: a line written in between is shown
  // twice at worst, never lost.
  follower.Start();
  SKIFF_ASSIGN_OR_RETURN(std::string tail, GetLogs(service, num_lines));
  if (!sink->Write(tail)) return OkStatus();
  // Polled: a human reads this, 200 ms is soon enough, and polling needs no
  // inotify (which some file systems the workspace may be on lack).
  constexpr auto kPoll = std::chrono::milliseconds(200);
  for (;;) {
    if (!sink->Write(follower.Poll())) return OkStatus();
    if (!fs::is_directory(dir.root)) {
      return NotFound("service '" + service + "' was deleted while its logs were followed");
    }
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace skiff::compute_local
