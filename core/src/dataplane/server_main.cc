// SPDX-License-Identifier: Apache-2.0
// skiff-server: serves one service or endpoint. Started by a compute target
// (the local target's supervisor, or the Kubernetes Deployment) with
//   skiff-server --config server.json [--watch-config SECONDS]
// SIGHUP re-reads the config (keys, traffic, versions: no restart);
// --watch-config does the same whenever the file's content changes (a
// Kubernetes ConfigMap/Secret volume is updated in place, no signal comes).
// With LISTEN_PID/LISTEN_FDS (socket activation) it accepts on inherited
// fd 3 instead of binding the configured address and port.
// SIGTERM/SIGINT: readiness turns 503 at once, in-flight requests finish,
// exit 0 within the config's drain grace period.
// Every line it prints goes through skiff/util/log.h (timestamp, level;
// --log-format/--log-level, else the config's logFormat/logLevel); the
// access log (config accessLog) is separate: JSON lines, one per answer.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "skiff/config/server_config.h"
#include "skiff/dataplane/access_log.h"
#include "skiff/dataplane/cpu_budget.h"
#include "skiff/dataplane/data_plane.h"
#include "skiff/dataplane/fd_limit.h"
#include "skiff/dataplane/heap_allocator.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/dataplane/exposure_log_reader.h"
#include "skiff/dataplane/metrics_endpoint.h"
#include "skiff/grpc/grpc_server.h"
#include "skiff/plugin_host/plugin_host.h"
#include "skiff/server_status.h"
#include "skiff/util/log.h"

namespace {

std::vector<std::string> PluginSearchPath() {
  std::vector<std::string> path;
  boost::system::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (!ec) path.push_back((exe.parent_path().parent_path() / "lib" / "skiff" / "plugins").string());
  if (const char* env = std::getenv("SKIFF_PLUGIN_PATH")) {
    std::string s(env);
    size_t i = 0;
    while (i <= s.size()) {
      size_t j = s.find(':', i);
      if (j == std::string::npos) j = s.size();
      if (j > i) path.push_back(s.substr(i, j - i));
      i = j + 1;
    }
  }
  path.push_back(SKIFF_PLUGIN_INSTALL_DIR);
  return path;
}

namespace slog = skiff::log;
void Log(const std::string& line) { slog::Info(line); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

// Socket activation with systemd's protocol (sd_listen_fds(3)), which
// skiff-supervisor also uses to keep the port open across restarts: when
// LISTEN_PID is this process and LISTEN_FDS >= 1, fd 3 is the listening
// socket. Returns -1 when not activated, -2 after printing an error.
int InheritedListenSocket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return -1;
  const bool for_us = std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid());
  char* end = nullptr;
  const long n = std::strtol(fds, &end, 10);
  // Not for child processes (plugins may start some).
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!for_us) return -1;
  if (end == fds || *end != '\0' || n < 1) {
    slog::Error(std::string("LISTEN_FDS='") + fds +
               "' is not a count of inherited sockets; unset LISTEN_PID and LISTEN_FDS to "
               "bind the configured port instead");
    return -2;
  }
  constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START
  ::fcntl(kFirstFd, F_SETFD, FD_CLOEXEC);
  return kFirstFd;
}

// The generation a config file asks for, even when the file is refused as a
// whole (so the refusal can name it); -1 if it names none.
int64_t RequestedGeneration(const std::string& path) {
  auto j = nlohmann::json::parse(Slurp(path), nullptr, false);
  if (!j.is_object()) return -1;
  auto it = j.find("generation");
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

// Publishes what this server serves and refused (config `statusFile`). A
// failed write is logged, never fatal: the control plane then falls back to
// waiting, and a full disk must not take a serving server down.
void Publish(const std::string& path, const skiff::ServerStatus& status) {
  if (path.empty()) return;
  skiff::Status written = skiff::WriteServerStatus(path, status);
  if (!written.ok()) slog::Warning("cannot publish the server status: " + written.message());
}

// Writes `port` to `path` (if set) by rename, so a reader never sees half a
// number.
void WritePortFile(const std::string& path, uint16_t port) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

// The exposure log the data plane writes under `config` ("" = none):
// DataPlane::Apply opens one only for sticky routing.
std::string ExposureLogOf(const skiff::config::ServerConfig& config) {
  return config.routing.sticky() ? config.routing.exposure_log : "";
}

// Open connections the metrics listener keeps (HttpServerOptions::max_connections).
constexpr int64_t kMetricsMaxConnections = 32;

constexpr char kUsage[] =
    "usage: skiff-server --config server.json [--watch-config SECONDS] [--log-format text|json] "
    "[--log-level debug|info|warning|error]";

// The flags win over the config's logFormat/logLevel (unset: the config's).
struct LogFlags {
  std::optional<slog::Format> format;
  std::optional<slog::Level> level;
  void Apply(const skiff::config::ServerConfig& config) const {
    slog::SetFormat(format.value_or(config.log_format));
    slog::SetLevel(level.value_or(config.log_level));
  }
};

int UsageError(const std::string& what) {
  slog::Error(what + "; " + kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  slog::Configure("skiff-server", slog::Format::kText, slog::Level::kInfo);
  std::string config_path;
  double watch_seconds = 0;
  LogFlags log_flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--watch-config" && i + 1 < argc) {
      char* end = nullptr;
      watch_seconds = std::strtod(argv[++i], &end);
      if (end == argv[i] || *end != '\0' || watch_seconds < 0.1 || watch_seconds > 3600) {
        return UsageError(std::string("--watch-config takes seconds between 0.1 and 3600, not '") +
                          argv[i] + "'");
      }
    } else if (a == "--log-format" && i + 1 < argc) {
      log_flags.format = slog::ParseFormat(argv[++i]);
      if (!log_flags.format) {
        return UsageError(std::string("--log-format takes text or json, not '") + argv[i] + "'");
      }
      slog::SetFormat(*log_flags.format);
    } else if (a == "--log-level" && i + 1 < argc) {
      log_flags.level = slog::ParseLevel(argv[++i]);
      if (!log_flags.level) {
        return UsageError(std::string("--log-level takes debug, info, warning or error, not '") +
                          argv[i] + "'");
      }
      slog::SetLevel(*log_flags.level);
    } else if (a == "--help" || a == "-h") {
      std::cout
          << kUsage
          << "\n"
             "Serves one skiff service; see docs/server-config.md.\n"
             "  --watch-config S  re-read the config when its content changes (checked every S s)\n"
             "  --log-format F    text (default) or json; else the config's logFormat\n"
             "  --log-level L     debug, info (default), warning or error; else logLevel\n"
             "Log lines go to stderr; the access log (config accessLog) is separate.\n"
             "Example:\n  skiff-server --config ~/.skiff/services/my-svc/server.json\n";
      return 0;
    } else {
      return UsageError("unknown argument '" + a + "'");
    }
  }
  if (config_path.empty()) return UsageError("--config is required");
  // Block the signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = skiff::config::ReadServerConfigFile(config_path);
  if (!config.ok()) {
    slog::Error(config.status().message());
    return 2;
  }
  log_flags.Apply(*config);
  // Opened before the listener, so the first answer is logged too; the
  // listener writes to it, so it outlives the listener (declared first).
  std::unique_ptr<skiff::dataplane::AccessLog> access_log;
  if (!config->access_log.empty()) {
    skiff::dataplane::AccessLogOptions options;
    options.destination = config->access_log;
    options.rotation = {config->access_log_max_bytes, config->access_log_keep};
    auto opened = skiff::dataplane::AccessLog::Open(options);
    if (!opened.ok()) {
      slog::Error("access log (`accessLog` " + config->access_log +
                 "): " + opened.status().message() +
                 "; give a writable path, \"stdout\", or leave it out");
      return 2;
    }
    access_log = std::move(opened).value();
  }
  skiff::PluginHost::Options host_options;
  host_options.search_path = PluginSearchPath();
  skiff::PluginHost plugins(host_options);
  plugins.Discover();
  for (const auto& refused : plugins.refused()) {
    slog::Warning("plugin " + refused.path + " refused: " + refused.reason);
  }

  // A build or an image on another allocator than intended shows it here
  // (cmake/SkiffMalloc.cmake; bench/README.md § "Heap allocator").
  Log("heap allocator: " + skiff::dataplane::HeapAllocatorName());

  // Before any listener derives its connection cap from the soft limit: the
  // common soft 1024 would cap the server below 1,024 clients (issue 20.6).
  const skiff::dataplane::OpenFileLimit files = skiff::dataplane::RaiseOpenFileLimit();
  if (files.after != files.before) {
    Log("open-file limit raised from " + std::to_string(files.before) + " to " +
        std::to_string(files.after) + " (the hard limit allows it)");
  }

  // Run to completion where a hand-off buys nothing (server_config.h,
  // inlineScoring; bench/README.md § "Run to completion").
  const skiff::dataplane::CpuBudget cpus = skiff::dataplane::ReadCpuBudget();
  using InlineScoring = skiff::config::ServerConfig::InlineScoring;
  const bool inline_scoring =
      config->inline_scoring == InlineScoring::kOn ||
      (config->inline_scoring == InlineScoring::kAuto && cpus.usable() == 1);
  Log(std::string("inline scoring: ") + (inline_scoring ? "on" : "off") +
      (config->inline_scoring == InlineScoring::kAuto ? " (auto: " + cpus.Describe() + ")"
                                                       : " (inlineScoring)"));

  skiff::dataplane::DataPlane plane(&plugins, SKIFF_VERSION);
  plane.set_inline_scoring(inline_scoring);
  skiff::dataplane::HttpServerOptions http;
  http.inline_work = inline_scoring;
  http.address = config->address;
  http.port = static_cast<uint16_t>(config->port);
  http.io_threads = config->io_threads;
  http.max_connections = config->max_connections;
  http.idle_timeout = config->idle_timeout;
  http.header_timeout = config->header_timeout;
  http.request_timeout = config->body_timeout;
  http.max_body_bytes_in_flight = config->body_budget();
  http.access_log = access_log.get();
  if (config->tls) {
    skiff::dataplane::TlsServerOptions tls;
    tls.cert_file = config->tls->cert_file;
    tls.key_file = config->tls->key_file;
    tls.handshake_timeout = config->tls->handshake_timeout;
    tls.reload_check = config->tls->reload_check;
    tls.max_handshakes = config->tls->max_handshakes;
    tls.on_reload = [](const skiff::Status& s) {
      if (s.ok()) {
        slog::Info("TLS certificate reloaded; new connections get it");
      } else {
        slog::Error("TLS: " + s.message());
      }
    };
    http.tls = std::move(tls);
  }
  http.listen_fd = InheritedListenSocket();
  if (http.listen_fd == -2) return 2;
  // Listen first: liveness answers while the models load.
  auto server = skiff::dataplane::HttpServer::Start(http, &plane);
  if (!server.ok()) {
    slog::Error(server.status().message());
    return 1;
  }
  const uint16_t port = (*server)->port();
  Log(std::string("listening ") +
      (config->tls ? "(TLS, cert " + config->tls->cert_file + ") " : "") + "on " + config->address +
      ":" + std::to_string(port) + (http.listen_fd >= 0 ? " (inherited socket)" : "") +
      " for service '" + config->service + "' (at most " +
      std::to_string((*server)->max_connections()) + " connections, " +
      std::to_string(http.max_body_bytes_in_flight) + " request body bytes in flight)");
  WritePortFile(config->port_file, port);
  // Metrics on a listener of their own (loopback unless configured), with
  // the scoring port's limits, so the public port never serves them.
  // GET /exposure serves the exposure log of the configuration applied
  // (set again on each reload), to whoever can reach this listener.
  skiff::dataplane::ExposureLogReader exposure_reader;
  exposure_reader.SetLog(ExposureLogOf(*config));
  skiff::dataplane::MetricsEndpoint metrics_endpoint(
      &plane.metrics_registry(), &plane.data_plane_metrics(), &exposure_reader);
  skiff::dataplane::HttpServerOptions metrics_http = http;
  metrics_http.address = config->metrics_address;
  metrics_http.port = static_cast<uint16_t>(config->metrics_port);
  metrics_http.listen_fd = -1;
  metrics_http.access_log = nullptr;  // scrapes are not client requests
  metrics_http.inline_work = false;   // no model behind it
  metrics_http.io_threads = 1;
  // A few scrapers, not the clients: its own small cap, so it never takes
  // the file descriptors the scoring port's cap counts on.
  metrics_http.max_connections = kMetricsMaxConnections;
  auto metrics_server = skiff::dataplane::HttpServer::Start(metrics_http, &metrics_endpoint);
  if (!metrics_server.ok()) {
    slog::Error("metrics listener (`metricsAddress` " + config->metrics_address +
               ", `metricsPort` " + std::to_string(config->metrics_port) +
               "): " + metrics_server.status().message() + "; pick a free port or 0 for any");
    return 1;
  }
  const uint16_t metrics_port = (*metrics_server)->port();
  Log("metrics on " + config->metrics_address + ":" + std::to_string(metrics_port) +
      " (GET /metrics, GET /load, GET /exposure)");
  WritePortFile(config->metrics_port_file, metrics_port);
  // The KServe v2 gRPC listener, when configured: the same data plane.
  std::unique_ptr<skiff::dataplane::GrpcServer> grpc_server;
  if (config->grpc) {
    skiff::dataplane::GrpcServerOptions grpc;
    grpc.address = config->address;
    grpc.port = static_cast<uint16_t>(config->grpc->port);
    grpc.max_message_bytes = config->grpc_max_message_bytes();
    grpc.max_concurrent_streams = config->grpc->max_concurrent_streams;
    grpc.max_calls_in_flight = config->grpc->max_calls_in_flight;
    grpc.threads = config->io_threads;
    if (config->tls) {
      grpc.cert_file = config->tls->cert_file;
      grpc.key_file = config->tls->key_file;
      grpc.reload_check = config->tls->reload_check;
    }
    auto started_grpc =
        skiff::dataplane::GrpcServer::Start(grpc, &plane, &plane.metrics_registry());
    if (!started_grpc.ok()) {
      std::cerr << "skiff-server: error: gRPC listener: " << started_grpc.status().message()
                << "\n";
      return 1;
    }
    grpc_server = std::move(started_grpc).value();
    Log("gRPC (inference.GRPCInferenceService" + std::string(config->tls ? ", TLS" : "") +
        ") on " + config->address + ":" + std::to_string(grpc_server->port()) + " (messages up to " +
        std::to_string(grpc.max_message_bytes) + " bytes)");
    WritePortFile(config->grpc->port_file, grpc_server->port());
  }
  auto started = std::chrono::steady_clock::now();
  skiff::Status applied = plane.Apply(*config);
  if (!applied.ok()) {
    slog::Error("cannot load the service: " + applied.message());
    return 1;
  }
  skiff::ServerStatus published;
  published.applied_generation = config->generation;
  // A restarted server starts afresh: a refusal of its predecessor is kept,
  // so a control plane waiting on that generation still learns of it.
  if (auto before = skiff::ReadServerStatus(config->status_file); before.ok()) {
    published.refused_generation = before->refused_generation;
    published.refusal = before->refusal;
  }
  Publish(config->status_file, published);
  Log("ready in " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count()) +
      " ms");

  // The watcher only raises SIGHUP: one reload path, on this thread.
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stop_watching = false;  // guarded by watch_mu
  std::thread watcher;
  if (watch_seconds > 0) {
    watcher = std::thread([&] {
      pthread_setname_np(pthread_self(), "skiff-cfgwatch");  // docs/architecture.md
      std::string last = Slurp(config_path);
      const auto step = std::chrono::milliseconds(static_cast<int64_t>(watch_seconds * 1000));
      std::unique_lock<std::mutex> lock(watch_mu);
      while (!watch_cv.wait_for(lock, step, [&] { return stop_watching; })) {
        std::string now = Slurp(config_path);
        if (!now.empty() && now != last) {
          last = std::move(now);
          ::kill(::getpid(), SIGHUP);
        }
      }
    });
  }

  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      auto next = skiff::config::ReadServerConfigFile(config_path);
      skiff::Status s = next.ok() ? plane.Apply(*next) : next.status();
      if (s.ok()) {
        log_flags.Apply(*next);
        exposure_reader.SetLog(ExposureLogOf(*next));
        slog::Info("configuration reloaded");
      } else {
        slog::Error("reload refused, still serving the previous configuration: " + s.message());
      }
      if (s.ok()) {
        published.applied_generation = next->generation;
      } else {
        published.refused_generation =
            next.ok() ? next->generation : RequestedGeneration(config_path);
        published.refusal = s.message();
      }
      Publish(config->status_file, published);
      continue;
    }
    break;  // SIGTERM / SIGINT
  }
  {
    std::lock_guard<std::mutex> lock(watch_mu);
    stop_watching = true;
  }
  watch_cv.notify_all();
  if (watcher.joinable()) watcher.join();
  Log("draining");
  plane.BeginDrain();
  // The metrics listener keeps answering: a scrape during the drain shows it.
  (*server)->StopAccepting();
  // gRPC keeps its listener through the drain: a new call meets the
  // draining data plane and is UNAVAILABLE (gRPC's own Shutdown would
  // answer CANCELLED); calls in flight count in plane.in_flight().
  // Shutdown waits up to the grace for them, then answers what is left 503
  // / UNAVAILABLE ("shutting down; retry shortly") without waiting for its
  // model (DataPlane's teardown steps 1-4).
  const int64_t left = plane.Shutdown(config->drain_grace);
  if (left > 0) {
    slog::Error("drain grace period over with " + std::to_string(left) +
               " request(s) still in a model; answered them 503");
    // The answers are written by the I/O threads, and a connection closes
    // once it has written its last one (StopAccepting): give them a bounded
    // moment, then exit without waiting on a model that may never return.
    const auto written = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (((*server)->open_connections() > 0 || plane.in_flight() > 0) &&
           std::chrono::steady_clock::now() < written) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (grpc_server) grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    if (access_log) access_log->Flush();
    std::_Exit(1);
  }
  Log("drained; exiting");
  if (grpc_server) grpc_server->Shutdown(std::chrono::system_clock::now());
  grpc_server.reset();
  metrics_server->reset();
  server->reset();
  access_log.reset();  // writes what is pending
  return 0;
}
