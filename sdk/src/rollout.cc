// SPDX-License-Identifier: Apache-2.0
// Progressive delivery (sdk/include/skiff/sdk/rollout.h): starting,
// inspecting, pausing, resuming and aborting an endpoint's rollout, and the
// controller that drives it (RolloutController below).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <sstream>
#include <thread>

#include "deployment.h"
#include "skiff/net/http_client.h"
#include "skiff/rollout/rollout_event.h"
#include "skiff/rollout/traffic_split_policy.h"
#include "skiff/sdk/plugins.h"
#include "skiff/sdk/webservice.h"
#include "skiff/util/debug_log.h"

namespace skiff::sdk {

Clock::~Clock() = default;
MetricsSource::~MetricsSource() = default;

namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void SleepForMs(int64_t ms) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
};

// RFC 3339 UTC with milliseconds, as rollout_event.h wants it.
std::string TimeOf(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string Percent(double fraction) {
  std::ostringstream out;
  out << fraction * 100 << " %";
  return out.str();
}

std::string HistoryDir(const Workspace& ws) { return ws.dir() + "/rollouts"; }
std::string HistoryPath(const Workspace& ws, const std::string& endpoint) {
  return HistoryDir(ws) + "/" + endpoint + ".jsonl";
}

// One line appended (O_APPEND, so lines from an aborting CLI and the
// controller never interleave) and flushed to disk before the decision is
// considered recorded.
Status AppendEvent(const Workspace& ws, const RolloutEvent& event) {
  ::mkdir(HistoryDir(ws).c_str(), 0700);
  const std::string path = HistoryPath(ws, event.endpoint);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Internal("cannot open the rollout history '" + path + "': " + std::strerror(errno));
  }
  const std::string line = RolloutEventToJsonLine(event) + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    return Internal("cannot append to the rollout history '" + path + "': " + std::strerror(saved));
  }
  return OkStatus();
}

RolloutEvent EventOf(const RolloutState& s, RolloutEventKind kind, int64_t now_ms,
                     int32_t traffic) {
  RolloutEvent e;
  e.time = TimeOf(now_ms);
  e.endpoint = s.endpoint;
  e.version = s.plan.candidate;
  e.kind = kind;
  e.step = s.progress.step;
  e.traffic_percentile = traffic;
  return e;
}

StatusOr<std::shared_ptr<RolloutPolicy>> PolicyNamed(const std::string& name) {
  if (name.empty() || name == "builtin") return std::make_shared<TrafficSplitPolicy>();
  auto policy = SharedPlugins().Create<RolloutPolicy>(name, "{}");
  if (!policy.ok()) {
    const std::string& why = policy.status().message();
    return InvalidArgument("--policy '" + name + "': " + why.substr(0, why.find('\n')) +
                           "; install libskiff_rollout_" + name +
                           ".so on the plugin path (`skiff plugins list`) or use "
                           "--policy builtin");
  }
  return std::move(policy).value();
}

VersionState StateOf(const std::string& s) {
  if (s == "Failed" || s == "Unhealthy") return VersionState::kFailed;
  if (s == "Transitioning") return VersionState::kLoading;
  return VersionState::kReady;
}

std::vector<VersionStatus> StatusesOf(const std::vector<store::EndpointVersionRecord>& versions) {
  std::vector<VersionStatus> out;
  for (const auto& v : versions) {
    VersionStatus s;
    s.spec.name = v.version_name;
    s.spec.traffic_percentile = v.traffic_percentile;
    s.spec.is_default = v.is_default;
    s.spec.type = v.is_control ? VersionType::kControl : VersionType::kTreatment;
    s.state = StateOf(v.state);
    out.push_back(std::move(s));
  }
  return out;
}

const store::EndpointVersionRecord* Named(const std::vector<store::EndpointVersionRecord>& vs,
                                          const std::string& name) {
  for (const auto& v : vs) {
    if (v.version_name == name) return &v;
  }
  return nullptr;
}

// The plan `options` asks for on an endpoint with `versions`, checked.
StatusOr<ProgressivePlan> PlanFor(const std::string& endpoint, const RolloutOptions& options,
                                  const std::vector<store::EndpointVersionRecord>& versions) {
  ProgressivePlan plan;
  plan.candidate = options.version_name;
  plan.steps = options.steps;
  plan.step_interval_ms = options.step_interval.count();
  plan.max_error_rate = options.max_error_rate;
  plan.max_p99_ms = options.max_p99_ms;
  plan.min_requests = options.min_requests;
  plan.compare_to_control = options.compare_to_control;
  const store::EndpointVersionRecord* candidate = Named(versions, options.version_name);
  if (!options.version_name.empty() && candidate == nullptr) {
    std::string names;
    for (const auto& v : versions) names += (names.empty() ? "" : ", ") + v.version_name;
    return InvalidArgument("--version-name: endpoint '" + endpoint + "' has no version '" +
                           options.version_name + "' (it has " + names +
                           "); add it first with `skiff endpoint create-version`");
  }
  if (candidate != nullptr && candidate->is_default) {
    return InvalidArgument("--version-name: '" + options.version_name +
                           "' is the endpoint's default version, which already takes the "
                           "unallocated traffic; roll out a non-default version");
  }
  int32_t others = 0;
  for (const auto& v : versions) {
    if (v.is_control) plan.control = v.version_name;
    if (!v.is_default && v.version_name != options.version_name) others += v.traffic_percentile;
  }
  if (candidate != nullptr) plan.start_traffic = candidate->traffic_percentile;
  SKIFF_RETURN_IF_ERROR(ValidateProgressivePlan(plan));
  if (plan.steps.back() + others > 100) {
    return InvalidArgument("--steps: the last step (" + std::to_string(plan.steps.back()) +
                           " %) and the other versions' " + std::to_string(others) +
                           " % come to more than 100 %; lower the last step to " +
                           std::to_string(100 - others) + " or the others' --traffic-percentile");
  }
  return plan;
}

// Default: the target's ReadMetrics (aks: each router pod through the
// Kubernetes API), else the service's metrics address (the local target's
// ServiceStatus::metrics_uri).
class ServiceMetricsSource final : public MetricsSource {
 public:
  ServiceMetricsSource(Workspace ws, Webservice service)
      : ws_(std::move(ws)), service_(std::move(service)) {}
  StatusOr<MetricsReading> Read() override {
    SKIFF_ASSIGN_OR_RETURN(ComputeTarget target,
                           ComputeTarget::get(ws_, service_.record().compute_target));
    SKIFF_ASSIGN_OR_RETURN(auto plugin, target.plugin());
    auto texts = plugin->ReadMetrics(service_.name());
    if (texts.ok()) {
      MetricsReading reading;
      for (const auto& [server, text] : *texts) {
        auto parsed = ParseMetricsReading(text);
        if (!parsed.ok()) return parsed.status().WithContext("metrics of " + server);
        reading.servers[server] = std::move(parsed).value();
      }
      return reading;
    }
    if (texts.status().code() != StatusCode::kUnimplemented) return texts.status();
    SKIFF_ASSIGN_OR_RETURN(ServiceStatus status, service_.state());
    if (status.metrics_uri.empty()) {
      return FailedPrecondition("service '" + service_.name() +
                                "' reports no metrics address this machine can read; the "
                                "rollout needs the router's /metrics (docs/rollout.md)");
    }
    net::HttpRequest request;
    request.method = "GET";
    request.url = status.metrics_uri;
    SKIFF_ASSIGN_OR_RETURN(net::HttpResponse response,
                           internal::SdkHttpClient(std::chrono::milliseconds(10000)).Send(request));
    if (response.status != 200) {
      return Unavailable("GET " + status.metrics_uri + " answered " +
                         std::to_string(response.status));
    }
    MetricsReading reading;
    SKIFF_ASSIGN_OR_RETURN(reading.servers["server"], ParseMetricsReading(response.body));
    return reading;
  }

 private:
  Workspace ws_;
  Webservice service_;
};

// Starts `skiff endpoint rollout run -n EP` detached (its own session, so a
// closed terminal does not stop it), output to the endpoint's controller log.
Status SpawnController(const Workspace& ws, const std::string& endpoint) {
  const std::string skiff = FindSkiffExecutable("skiff");
  ::mkdir(HistoryDir(ws).c_str(), 0700);
  const std::string log = HistoryDir(ws) + "/" + endpoint + ".controller.log";
  // Everything the child needs is built before fork(): after it only
  // async-signal-safe calls (the SDK may have threads).
  const std::string dir = ws.dir();
  std::vector<const char*> argv = {skiff.c_str(), "--workspace",    dir.c_str(),
                                   "endpoint",    "rollout",        "run",
                                   "-n",          endpoint.c_str(), nullptr};
  const pid_t child = ::fork();
  if (child < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::execv(skiff.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  DebugLog("started the rollout controller of '" + endpoint + "' (" + skiff + ")");
  return OkStatus();
}

struct Loaded {
  store::RolloutRecord record;
  RolloutState state;
};

StatusOr<Loaded> Load(store::WorkspaceStore& store, const std::string& endpoint) {
  SKIFF_ASSIGN_OR_RETURN(store::RolloutRecord record, store.GetRollout(endpoint));
  SKIFF_ASSIGN_OR_RETURN(RolloutState state, ParseRolloutState(record.state_json));
  return Loaded{std::move(record), std::move(state)};
}

Status Save(store::WorkspaceStore& store, Loaded& loaded) {
  loaded.record.status = std::string(RolloutStatusName(loaded.state.status));
  loaded.state.progress.paused = loaded.state.status == RolloutStatus::kPaused;
  loaded.record.state_json = RolloutStateToJson(loaded.state);
  SKIFF_RETURN_IF_ERROR(store.UpdateRollout(loaded.record));
  ++loaded.record.revision;
  return OkStatus();
}

Status SetTraffic(const Workspace& ws, const std::string& endpoint, const std::string& version,
                  int32_t traffic) {
  SKIFF_ASSIGN_OR_RETURN(AksEndpoint ep, AksEndpoint::get(ws, endpoint));
  EndpointVersion change;
  change.name = version;
  change.traffic_percentile = traffic;
  return ep.update_version(change).WithContext("setting version '" + version + "' of '" + endpoint +
                                               "' to " + std::to_string(traffic) + " %");
}

int32_t CurrentTraffic(store::WorkspaceStore& store, const RolloutState& s) {
  auto versions = store.ListEndpointVersions(s.endpoint);
  if (!versions.ok()) return -1;
  const auto* v = Named(*versions, s.plan.candidate);
  return v == nullptr ? -1 : v->traffic_percentile;
}

// Ends the rollout as `status` with the candidate back at its start traffic:
// the decision is recorded first (so a controller killed half-way finishes
// the roll back when it starts again: rollbackPending), then the traffic is
// applied through update_version, then the pending mark is cleared.
Status EndWithRollBack(const Workspace& ws, Loaded& loaded, RolloutStatus status, int64_t now_ms) {
  loaded.state.status = status;
  loaded.state.finished_time = TimeOf(now_ms);
  loaded.state.rollback_pending = true;
  SKIFF_RETURN_IF_ERROR(Save(ws.store(), loaded));
  SKIFF_RETURN_IF_ERROR(SetTraffic(ws, loaded.state.endpoint, loaded.state.plan.candidate,
                                   loaded.state.plan.start_traffic));
  loaded.state.rollback_pending = false;
  return Save(ws.store(), loaded);
}

class RolloutController {
 public:
  RolloutController(Workspace ws, std::string endpoint, const RolloutControllerOptions& options)
      : ws_(std::move(ws)), endpoint_(std::move(endpoint)), options_(options) {
    if (options_.clock == nullptr) options_.clock = &SystemClock();
    if (options_.owner.empty()) options_.owner = store::WorkspaceStore::CurrentOwner();
  }

  // One poll. True while the rollout is still active.
  StatusOr<bool> Tick() {
    store::WorkspaceStore& store = ws_.store();
    const int64_t now = options_.clock->NowMs();
    SKIFF_RETURN_IF_ERROR(
        store.AcquireRolloutLease(endpoint_, options_.owner, now, options_.lease_ttl_ms));
    SKIFF_ASSIGN_OR_RETURN(Loaded loaded, Load(store, endpoint_));
    RolloutState& s = loaded.state;
    if (s.rollback_pending) {
      // A controller (or abort) stopped between recording and applying.
      SKIFF_RETURN_IF_ERROR(HoldForChange());
      SKIFF_RETURN_IF_ERROR(SetTraffic(ws_, endpoint_, s.plan.candidate, s.plan.start_traffic));
      s.rollback_pending = false;
      SKIFF_RETURN_IF_ERROR(Save(store, loaded));
    }
    if (!RolloutIsActive(s.status)) {
      SKIFF_RETURN_IF_ERROR(store.ReleaseRolloutLease(endpoint_, options_.owner));
      return false;
    }
    if (s.step_pending >= 0) {
      // A controller stopped inside a step's traffic change: the target may
      // serve the new share already (an AKS cluster that rolled it out)
      // while the store still has the old one. That same share is applied
      // (unless the store shows the target took it) and the step recorded.
      SKIFF_RETURN_IF_ERROR(FinishPendingStep(loaded));
      return true;
    }
    SKIFF_ASSIGN_OR_RETURN(auto versions, store.ListEndpointVersions(endpoint_));
    const store::EndpointVersionRecord* candidate = Named(versions, s.plan.candidate);
    const int32_t actual = candidate == nullptr ? -1 : candidate->traffic_percentile;
    const size_t step = static_cast<size_t>(s.progress.step);

    SKIFF_ASSIGN_OR_RETURN(MetricsReading reading, ReadMetrics());
    if (candidate != nullptr && actual != s.plan.steps[step]) {
      // Reconcile the store's step with the traffic the target applied: a
      // controller killed after applying a step and before recording it
      // finds the next step's traffic in place and records it, never
      // applying it twice; step 0 not applied yet is applied now.
      if (step + 1 < s.plan.steps.size() && actual == s.plan.steps[step + 1]) {
        SKIFF_RETURN_IF_ERROR(RecordStep(loaded, static_cast<int32_t>(step + 1), now, reading,
                                         "recorded after a controller restart"));
        return true;
      }
      if (step == 0 && actual == s.plan.start_traffic) {
        SKIFF_RETURN_IF_ERROR(HoldForChange());
        SKIFF_RETURN_IF_ERROR(SetTraffic(ws_, endpoint_, s.plan.candidate, s.plan.steps[0]));
        s.progress.step_started_ms = now;
        s.window_start = reading;
        SKIFF_RETURN_IF_ERROR(Save(store, loaded));
        return true;
      }
      // Someone changed the candidate's share outside the rollout: stop
      // driving it and leave their traffic alone.
      s.status = RolloutStatus::kAborted;
      s.finished_time = TimeOf(now);
      s.reason = "the candidate's traffic was changed to " + std::to_string(actual) +
                 " % outside the rollout (the plan had " + std::to_string(s.plan.steps[step]) +
                 " %)";
      SKIFF_RETURN_IF_ERROR(Save(store, loaded));
      RolloutEvent e = EventOf(s, RolloutEventKind::kAborted, now, actual);
      e.reason = s.reason;
      SKIFF_RETURN_IF_ERROR(AppendEvent(ws_, e));
      SKIFF_RETURN_IF_ERROR(store.ReleaseRolloutLease(endpoint_, options_.owner));
      return false;
    }

    RolloutInput input;
    input.versions = StatusesOf(versions);
    input.plan = s.plan;
    input.progress = s.progress;
    input.now_ms = now;
    input.measurements.push_back(WindowOf(s.plan.candidate, s.window_start, reading));
    if (!s.plan.control.empty()) {
      input.measurements.push_back(WindowOf(s.plan.control, s.window_start, reading));
    }
    SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<RolloutPolicy> policy, PolicyNamed(s.policy));
    const RolloutAction action = policy->NextAction(input);
    DebugLog("rollout of '" + endpoint_ + "': step " + std::to_string(step + 1) + ", " +
             std::to_string(input.measurements[0].requests) + " requests, " +
             std::to_string(input.measurements[0].errors) + " errors -> action " +
             std::to_string(static_cast<int>(action.kind)) + " (" + action.reason + ")");
    switch (action.kind) {
      case RolloutAction::Kind::kSetTraffic: {
        if (action.step != s.progress.step + 1 ||
            action.traffic_percentile != s.plan.steps[static_cast<size_t>(action.step)]) {
          return Internal("rollout policy '" + s.policy + "' asked for step " +
                          std::to_string(action.step + 1) + " at " +
                          std::to_string(action.traffic_percentile) +
                          " %, which is not the plan's next step");
        }
        SKIFF_RETURN_IF_ERROR(HoldForChange());
        // The decision is recorded before the target gets it (step_pending).
        s.step_pending = action.step;
        SKIFF_RETURN_IF_ERROR(Save(store, loaded));
        SKIFF_RETURN_IF_ERROR(
            SetTraffic(ws_, endpoint_, s.plan.candidate, action.traffic_percentile));
        SKIFF_RETURN_IF_ERROR(RecordStep(loaded, action.step, now, reading, action.reason,
                                         input.measurements[0].requests));
        return true;
      }
      case RolloutAction::Kind::kRollBack: {
        s.gate = action.gate;
        s.observed = action.observed;
        s.limit = action.limit;
        s.reason = action.reason;
        SKIFF_RETURN_IF_ERROR(HoldForChange());
        SKIFF_RETURN_IF_ERROR(EndWithRollBack(ws_, loaded, RolloutStatus::kFailed, now));
        RolloutEvent e = EventOf(s, RolloutEventKind::kFailed, now, s.plan.start_traffic);
        e.gate = action.gate;
        e.observed = action.observed;
        e.limit = action.limit;
        e.requests = action.requests;
        e.reason = action.reason;
        SKIFF_RETURN_IF_ERROR(AppendEvent(ws_, e));
        SKIFF_RETURN_IF_ERROR(store.ReleaseRolloutLease(endpoint_, options_.owner));
        return false;
      }
      case RolloutAction::Kind::kSucceed: {
        s.status = RolloutStatus::kSucceeded;
        s.finished_time = TimeOf(now);
        s.reason = action.reason;
        SKIFF_RETURN_IF_ERROR(Save(store, loaded));
        RolloutEvent e = EventOf(s, RolloutEventKind::kSucceeded, now, s.plan.steps[step]);
        e.requests = action.requests;
        e.reason = action.reason;
        SKIFF_RETURN_IF_ERROR(AppendEvent(ws_, e));
        SKIFF_RETURN_IF_ERROR(store.ReleaseRolloutLease(endpoint_, options_.owner));
        return false;
      }
      case RolloutAction::Kind::kHold:
        if (action.gate == "minRequests" && !s.held_recorded) {
          s.held_recorded = true;
          SKIFF_RETURN_IF_ERROR(Save(store, loaded));
          RolloutEvent e = EventOf(s, RolloutEventKind::kHeld, now, s.plan.steps[step]);
          e.gate = action.gate;
          e.observed = action.observed;
          e.limit = action.limit;
          e.requests = action.requests;
          e.reason = action.reason;
          SKIFF_RETURN_IF_ERROR(AppendEvent(ws_, e));
        }
        return true;
      default:
        return true;
    }
  }

  Status Run() {
    for (;;) {
      StatusOr<bool> active = Tick();
      if (!active.ok()) {
        // Not holding the lease (another controller has it) or no rollout
        // any more ends this controller; anything else (a metrics read, an
        // update refused while another operation ran) is retried next poll.
        auto record = ws_.store().GetRollout(endpoint_);
        if (!record.ok() || record->owner != options_.owner) return active.status();
        std::fprintf(stderr, "skiff: warning: rollout of '%s': %s; retrying\n", endpoint_.c_str(),
                     active.status().message().c_str());
      } else if (!*active) {
        return OkStatus();
      }
      options_.clock->SleepForMs(options_.poll_interval_ms);
    }
  }

 private:
  StatusOr<MetricsReading> ReadMetrics() {
    if (options_.metrics != nullptr) return options_.metrics->Read();
    SKIFF_ASSIGN_OR_RETURN(Webservice service, Webservice::get(ws_, endpoint_));
    ServiceMetricsSource source(ws_, std::move(service));
    return source.Read();
  }

  // Before a traffic change: the lease covers the whole change (on AKS an
  // update waits for Deployments, longer than a poll's lease), so nobody
  // takes the endpoint over half-way through it.
  Status HoldForChange() {
    return ws_.store().AcquireRolloutLease(endpoint_, options_.owner, options_.clock->NowMs(),
                                           kChangeLeaseMs);
  }
  static constexpr int64_t kChangeLeaseMs = 30 * 60 * 1000;

  // Finishes what a stopped controller left in step_pending (see Tick).
  Status FinishPendingStep(Loaded& loaded) {
    RolloutState& s = loaded.state;
    const int32_t pending = s.step_pending;
    SKIFF_RETURN_IF_ERROR(HoldForChange());
    if (CurrentTraffic(ws_.store(), s) != s.plan.steps[static_cast<size_t>(pending)]) {
      SKIFF_RETURN_IF_ERROR(SetTraffic(ws_, endpoint_, s.plan.candidate,
                                       s.plan.steps[static_cast<size_t>(pending)]));
    }
    // The window starts once the step's traffic is in place (on AKS: on
    // the router pods that rolled out with it).
    SKIFF_ASSIGN_OR_RETURN(MetricsReading reading, ReadMetrics());
    return RecordStep(loaded, pending, options_.clock->NowMs(), reading,
                      "recorded after a controller restart");
  }

  Status RecordStep(Loaded& loaded, int32_t step, int64_t now, const MetricsReading& reading,
                    const std::string& reason, int64_t requests = 0) {
    RolloutState& s = loaded.state;
    s.step_pending = -1;
    s.progress.step = step;
    s.progress.step_started_ms = now;
    s.window_start = reading;
    s.held_recorded = false;
    SKIFF_RETURN_IF_ERROR(Save(ws_.store(), loaded));
    RolloutEvent e =
        EventOf(s, RolloutEventKind::kStepped, now, s.plan.steps[static_cast<size_t>(step)]);
    e.requests = requests;
    e.reason = reason;
    return AppendEvent(ws_, e);
  }

  Workspace ws_;
  std::string endpoint_;
  RolloutControllerOptions options_;
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

StatusOr<std::vector<int32_t>> ParseRolloutSteps(std::string_view text) {
  std::vector<int32_t> steps;
  std::string item;
  std::istringstream in{std::string(text)};
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || end == item.c_str() || *end != '\0') {
      return InvalidArgument("--steps: '" + item +
                             "' is not a whole percentile; give them comma-separated, e.g. "
                             "--steps 5,25,50,100");
    }
    steps.push_back(static_cast<int32_t>(std::max(-1L, std::min(v, 1000L))));
  }
  if (steps.empty())
    return InvalidArgument("--steps: give at least one step, e.g. --steps 5,25,50,100");
  return steps;
}

StatusOr<std::chrono::milliseconds> ParseStepInterval(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const std::string unit = end == nullptr ? "" : std::string(end);
  double ms = -1;
  if (end != s.c_str() && std::isfinite(v) && v >= 0) {
    if (unit == "ms") ms = v;
    if (unit == "s") ms = v * 1000;
    if (unit == "m") ms = v * 60000;
    if (unit == "h") ms = v * 3600000;
  }
  if (ms < 0 || ms > 7 * 24 * 3600000.0) {
    return InvalidArgument("--step-interval: '" + s +
                           "' is not a duration; give a number with a unit ms, s, m or h "
                           "(e.g. 60s, 5m), at most a week");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

StatusOr<RolloutState> AksEndpoint::rollout_start(const RolloutOptions& options,
                                                  bool spawn_controller) const {
  store::WorkspaceStore& store = ws_.store();
  SKIFF_ASSIGN_OR_RETURN(auto versions, store.ListEndpointVersions(record_.name));
  SKIFF_ASSIGN_OR_RETURN(ProgressivePlan plan, PlanFor(record_.name, options, versions));
  SKIFF_RETURN_IF_ERROR(PolicyNamed(options.policy).status());
  const int64_t now = SystemClock().NowMs();
  Loaded loaded;
  RolloutState& s = loaded.state;
  s.endpoint = record_.name;
  s.policy = options.policy.empty() ? "builtin" : options.policy;
  s.plan = plan;
  s.progress.step = 0;
  s.progress.step_started_ms = now;
  s.started_time = TimeOf(now);
  loaded.record.endpoint = record_.name;
  loaded.record.status = std::string(RolloutStatusName(s.status));
  loaded.record.state_json = RolloutStateToJson(s);
  // Recorded with the lease held by this process, so no controller acts on
  // it before its first step is applied; the step itself goes through
  // update_version.
  const std::string me = store::WorkspaceStore::CurrentOwner();
  loaded.record.owner = me;
  loaded.record.lease_expires_ms = now + 10 * 60 * 1000;
  SKIFF_RETURN_IF_ERROR(store.StartRollout(loaded.record));
  SKIFF_ASSIGN_OR_RETURN(loaded, Load(store, record_.name));
  Status applied = SetTraffic(ws_, record_.name, plan.candidate, plan.steps[0]);
  if (!applied.ok()) {
    loaded.state.status = RolloutStatus::kFailed;
    loaded.state.finished_time = TimeOf(SystemClock().NowMs());
    loaded.state.gate = "versionState";
    loaded.state.reason = "the first step was refused: " + applied.message();
    (void)Save(store, loaded);
    (void)store.ReleaseRolloutLease(record_.name, me);
    return applied;
  }
  // The window starts once the first step's traffic is in place.
  StatusOr<MetricsReading> reading = [&]() -> StatusOr<MetricsReading> {
    ServiceMetricsSource source(ws_, *this);
    return source.Read();
  }();
  loaded.state.progress.step_started_ms = SystemClock().NowMs();
  if (reading.ok()) loaded.state.window_start = *reading;
  SKIFF_RETURN_IF_ERROR(Save(store, loaded));
  SKIFF_RETURN_IF_ERROR(
      AppendEvent(ws_, EventOf(loaded.state, RolloutEventKind::kStarted, now, plan.steps[0])));
  SKIFF_RETURN_IF_ERROR(store.ReleaseRolloutLease(record_.name, me));
  if (spawn_controller) SKIFF_RETURN_IF_ERROR(SpawnController(ws_, record_.name));
  return loaded.state;
}

StatusOr<std::string> AksEndpoint::rollout_plan(const RolloutOptions& options) const {
  SKIFF_ASSIGN_OR_RETURN(auto versions, ws_.store().ListEndpointVersions(record_.name));
  SKIFF_ASSIGN_OR_RETURN(ProgressivePlan plan, PlanFor(record_.name, options, versions));
  SKIFF_RETURN_IF_ERROR(PolicyNamed(options.policy).status());
  std::string default_version;
  int32_t others = 0;
  for (const auto& v : versions) {
    if (v.is_default) default_version = v.version_name;
    if (!v.is_default && v.version_name != plan.candidate) others += v.traffic_percentile;
  }
  std::ostringstream out;
  out << "Rollout plan for endpoint '" << record_.name << "' (dry run: nothing changes)\n";
  out << "  candidate: " << plan.candidate << " (now " << plan.start_traffic << " %)\n";
  out << "  policy: " << (options.policy.empty() ? "builtin" : options.policy) << "\n";
  out << "  each step holds at least " << plan.step_interval_ms / 1000.0 << " s and "
      << plan.min_requests << " candidate requests\n";
  out << "  gates: error rate (5xx and timeouts) <= " << Percent(plan.max_error_rate);
  if (plan.max_p99_ms) out << ", p99 <= " << *plan.max_p99_ms << " ms";
  if (plan.compare_to_control) out << " (above the control '" << plan.control << "')";
  out << "\n  metrics: the router's /metrics (skiff_requests_total, "
         "skiff_request_duration_seconds) per version\n";
  out << "Traffic changes:\n";
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    out << "  step " << i + 1 << ": " << plan.candidate << " " << plan.steps[i] << " %, "
        << default_version << " (default) " << 100 - others - plan.steps[i] << " %\n";
  }
  out << "  on a breach: " << plan.candidate << " back to " << plan.start_traffic << " %, "
      << default_version << " (default) " << 100 - others - plan.start_traffic
      << " %; the rollout is Failed\n";
  return out.str();
}

StatusOr<RolloutInfo> AksEndpoint::rollout_status(bool revive) const {
  store::WorkspaceStore& store = ws_.store();
  SKIFF_ASSIGN_OR_RETURN(Loaded loaded, Load(store, record_.name));
  RolloutInfo info;
  const int64_t now = SystemClock().NowMs();
  const bool holder = !loaded.record.owner.empty() && loaded.record.lease_expires_ms > now &&
                      store::WorkspaceStore::OwnerMayBeRunning(loaded.record.owner);
  if (!loaded.record.owner.empty()) {
    const std::string& o = loaded.record.owner;
    const size_t pid = o.find("pid=");
    info.controller =
        pid == std::string::npos ? o : "pid " + o.substr(pid + 4, o.find(' ', pid) - pid - 4);
  }
  info.controller_running = holder;
  if (revive && (RolloutIsActive(loaded.state.status) || loaded.state.rollback_pending) &&
      !holder && loaded.state.status != RolloutStatus::kPaused) {
    SKIFF_RETURN_IF_ERROR(SpawnController(ws_, record_.name));
    info.controller_started = true;
  }
  info.state = std::move(loaded.state);
  info.traffic_percentile = CurrentTraffic(store, info.state);
  return info;
}

Status AksEndpoint::rollout_pause() const {
  store::WorkspaceStore& store = ws_.store();
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(Loaded loaded, Load(store, record_.name));
    if (loaded.state.status != RolloutStatus::kRunning) {
      return FailedPrecondition("the rollout of endpoint '" + record_.name + "' is " +
                                std::string(RolloutStatusName(loaded.state.status)) +
                                ", not Running; nothing to pause");
    }
    loaded.state.status = RolloutStatus::kPaused;
    Status saved = Save(store, loaded);
    if (saved.code() == StatusCode::kAborted) continue;  // the controller wrote meanwhile
    SKIFF_RETURN_IF_ERROR(saved);
    const int64_t now = SystemClock().NowMs();
    return AppendEvent(ws_, EventOf(loaded.state, RolloutEventKind::kPaused, now,
                                    CurrentTraffic(store, loaded.state)));
  }
}

Status AksEndpoint::rollout_resume(bool spawn_controller) const {
  store::WorkspaceStore& store = ws_.store();
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(Loaded loaded, Load(store, record_.name));
    if (loaded.state.status != RolloutStatus::kPaused) {
      return FailedPrecondition("the rollout of endpoint '" + record_.name + "' is " +
                                std::string(RolloutStatusName(loaded.state.status)) +
                                ", not Paused; nothing to resume");
    }
    loaded.state.status = RolloutStatus::kRunning;
    // The paused time does not count towards the step: its window starts again.
    const int64_t now = SystemClock().NowMs();
    loaded.state.progress.step_started_ms = now;
    ServiceMetricsSource source(ws_, *this);
    if (auto reading = source.Read(); reading.ok()) loaded.state.window_start = *reading;
    Status saved = Save(store, loaded);
    if (saved.code() == StatusCode::kAborted) continue;
    SKIFF_RETURN_IF_ERROR(saved);
    SKIFF_RETURN_IF_ERROR(AppendEvent(ws_, EventOf(loaded.state, RolloutEventKind::kResumed, now,
                                                   CurrentTraffic(store, loaded.state))));
    if (!spawn_controller) return OkStatus();
    return rollout_status(true).status();
  }
}

Status AksEndpoint::rollout_abort() const {
  store::WorkspaceStore& store = ws_.store();
  for (;;) {
    SKIFF_ASSIGN_OR_RETURN(Loaded loaded, Load(store, record_.name));
    if (!RolloutIsActive(loaded.state.status)) {
      return FailedPrecondition("the rollout of endpoint '" + record_.name + "' already ended (" +
                                std::string(RolloutStatusName(loaded.state.status)) +
                                "); nothing to abort");
    }
    const int64_t now = SystemClock().NowMs();
    loaded.state.reason = "aborted by the user";
    Status ended = EndWithRollBack(ws_, loaded, RolloutStatus::kAborted, now);
    if (ended.code() == StatusCode::kAborted) continue;
    SKIFF_RETURN_IF_ERROR(ended);
    RolloutEvent e =
        EventOf(loaded.state, RolloutEventKind::kAborted, now, loaded.state.plan.start_traffic);
    e.reason = loaded.state.reason;
    return AppendEvent(ws_, e);
  }
}

Status AksEndpoint::rollout_run(const RolloutControllerOptions& options) const {
  RolloutController controller(ws_, record_.name, options);
  return controller.Run();
}

StatusOr<bool> AksEndpoint::rollout_tick(const RolloutControllerOptions& options) const {
  RolloutController controller(ws_, record_.name, options);
  return controller.Tick();
}

}  // namespace skiff::sdk
