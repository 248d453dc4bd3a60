// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/data_plane.h"

#include <array>
#include <chrono>
#include <thread>

#include "skiff/dataplane/cors.h"
#include "skiff/dataplane/request_ids.h"
#include "skiff/metrics/process_metrics.h"
#include "skiff/protocol/metadata.h"
#include "skiff/protocol/swagger.h"
#include "upstream_prober.h"

namespace skiff::dataplane {
namespace {

using Clock = std::chrono::steady_clock;

// The request target without its query.
std::string_view PathOf(const http::request_header<>& header) {
  std::string_view target(header.target().data(), header.target().size());
  return target.substr(0, target.find('?'));
}

HttpResponse MethodNotAllowed(const http::request_header<>& header, const char* allowed) {
  HttpResponse r = ErrorResponse(http::status::method_not_allowed,
                                 std::string(header.method_string()) + " is not allowed on " +
                                     std::string(PathOf(header)) + "; use " + allowed);
  r.set(http::field::allow, allowed);
  return r;
}

// Names the routes, not a file of this repository: the client is remote.
HttpResponse NoRoute(const http::request_header<>& header) {
  return ErrorResponse(http::status::not_found,
                       "no route for " + std::string(header.method_string()) + " " +
                           std::string(PathOf(header)) +
                           "; scoring is POST /api/v1/service/{service}/score (Azure ML) or POST "
                           "/v2/models/{model}/infer (Open Inference Protocol v2)");
}

HttpResponse StillLoading() {
  return ErrorResponse(http::status::service_unavailable, "the server is still loading");
}

// A version the request's snapshot does not describe: it took its snapshot
// before an Apply committed the routing table it then read (FindState, StateOf).
HttpResponse VersionsChanged(const std::string& version) {
  HttpResponse r = ErrorResponse(
      http::status::service_unavailable,
      "the endpoint's versions changed while this request was routed (version '" + version +
          "' is newer than its configuration); retry it");
  r.set(http::field::retry_after, "1");
  return r;
}

bool IsGet(const http::request_header<>& header) { return header.method() == http::verb::get; }
bool IsPost(const http::request_header<>& header) { return header.method() == http::verb::post; }

// `end`: the clock reading `total_s` ends at, which also places the request
// in the version's last-minute window (one read for both).
void RecordDone(metrics::ServiceMetrics* m, int code, metrics::RequestProtocol protocol,
                double queue_s, double compute_s, double total_s, Clock::time_point end) {
  m->RequestDone(code, protocol, end);
  m->queue_seconds().Observe(queue_s);
  m->compute_seconds().Observe(compute_s);
  m->total_seconds().Observe(total_s);
}

// What a request needs to know of its version, looked up once.
struct VersionState {
  Signature signature;
  metrics::ServiceMetrics* metrics = nullptr;
  std::shared_ptr<JsonlWriter> collector;  // null unless data collection is on
  bool batched = false;                    // the batcher reports batch sizes itself
  bool upstream = false;  // scored by another server: its jobs carry the request's ids
  // The endpoint's version this state describes (its signature is that
  // version's): a reload that replaces a version's content keeps its name, so
  // the name alone cannot tell an old snapshot from the new table. Weak: only
  // compared (owner, so never confused with a later version at the same address).
  std::weak_ptr<ModelVersion> model;
};

}  // namespace

struct DataPlane::Snapshot {
  ServerConfig config;
  std::shared_ptr<Authenticator> auth;  // null in none mode
  std::shared_ptr<JsonlWriter> request_log;
  std::shared_ptr<JsonlWriter> exposure_log;     // sticky routing only
  std::map<std::string, VersionState> versions;  // by version name
  // Which applied snapshot this is (1, 2, ...): the generation a
  // connection's remembered key is tied to (GuardAuth). Every Apply counts,
  // whether its keys changed or not: a key is only ever checked again.
  uint64_t key_set = 0;
};

namespace {
// The version's state in a snapshot's `versions`, or null. Routing
// (endpoint_) and the snapshot change together (Apply commits both under
// snapshot_mu_), but a request takes its snapshot before it reads the
// endpoint: a version committed in between is in the table and not in that
// snapshot. The snapshot is never taken back once published (never null).
const VersionState* FindState(const std::map<std::string, VersionState>& versions,
                              const std::string& name) {
  auto it = versions.find(name);
  return it == versions.end() ? nullptr : &it->second;
}

// The state of the drawn `version` itself in a snapshot's `versions`, or null
// when the snapshot describes another one of that name (or none).
const VersionState* StateOf(const std::map<std::string, VersionState>& versions,
                            const std::shared_ptr<ModelVersion>& version) {
  const VersionState* state = FindState(versions, version->name());
  if (state == nullptr) return nullptr;
  const bool same = !state->model.owner_before(version) && !version.owner_before(state->model);
  return same ? state : nullptr;
}
}  // namespace

// The path split at '/', empty segments dropped, as views into the target
// (which outlives routing). No route has more than kMax segments: a longer
// path keeps kMax + 1 as its size, which matches none.
class DataPlane::PathSegments {
 public:
  static constexpr size_t kMax = 6;  // /v2/models/{m}/versions/{v}/ready
  explicit PathSegments(std::string_view path) {
    size_t i = 0;
    while (i < path.size() && size_ <= kMax) {
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      if (j > i) {
        if (size_ < kMax) parts_[size_] = path.substr(i, j - i);
        ++size_;
      }
      i = j + 1;
    }
  }
  size_t size() const { return size_; }
  std::string_view operator[](size_t i) const { return parts_[i]; }

 private:
  std::array<std::string_view, kMax> parts_;
  size_t size_ = 0;
};

struct DataPlane::PendingScore {
  std::shared_ptr<const Snapshot> snap;  // keeps the version's state alive
  const VersionState* state = nullptr;
  std::shared_ptr<ModelVersion> version;
  ScoreProtocol protocol = ScoreProtocol::kOip;
  metrics::RequestProtocol front = metrics::RequestProtocol::kHttp;  // the metrics' label
  DecodedScore request;                                              // inputs moved to the pool
  std::string client;
  std::string key_digest;  // the routing key's digest when assigned by it
  Clock::time_point start;
  std::shared_ptr<std::vector<Tensor>> collected_inputs;  // data collection only
  std::function<void(HttpResponse)> done;
  ShadowTraffic::Pairs shadows;  // copies to shadow versions; empty for most
  std::atomic<int64_t>* in_flight = nullptr;  // DataPlane::in_flight_: less one once answered
};

DataPlane::DataPlane(const PluginHost* plugins, std::string server_version)
    : plugins_(plugins), server_version_(std::move(server_version)) {
  metrics::RegisterBuildInfo(&registry_, server_version_);
  metrics::RegisterProcessMetrics(&registry_);
}

DataPlane::~DataPlane() {
  Shutdown(std::chrono::milliseconds(0));
  // Step 5: every worker, batcher and upstream connection goes with its
  // version; each request they held was answered by Shutdown. Only after
  // this do the members they record into (metrics_, shadow_, registry_) go.
  endpoint_.reset();
}

int64_t DataPlane::Shutdown(std::chrono::milliseconds grace) {
  // Step 1: new scoring requests meet GuardDrain (503), readiness turns 503.
  draining_ = true;
  std::lock_guard<std::mutex> lock(apply_mu_);
  if (shut_down_) return 0;
  shut_down_ = true;
  // Step 2: threads that use the versions and the registry.
  prober_.reset();
  autoscaler_.reset();
  // Step 3: drain. Polled: this runs once, at the end of the server's life.
  const auto deadline = Clock::now() + grace;
  while (in_flight_.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int64_t left = in_flight_.load();
  // Step 4: what is left is answered now, whatever its model is doing; a
  // request submitted from here on is answered at once.
  if (endpoint_ != nullptr) {
    endpoint_->Cancel(Unavailable("the server is shutting down; retry shortly"));
  }
  return left;
}

std::shared_ptr<const DataPlane::Snapshot> DataPlane::Current() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

bool DataPlane::ready() const {
  // endpoint_ is created by the first Apply() while requests may already
  // arrive (the server listens before it loads). A snapshot is published,
  // under snapshot_mu_, only after endpoint_ exists: seeing one orders the
  // read of endpoint_ after its creation (a data race otherwise; TSan).
  if (draining_.load() || Current() == nullptr) return false;
  return endpoint_->ready();
}

// ---- Apply -----------------------------------------------------------------

Status DataPlane::Apply(const ServerConfig& config) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  if (shut_down_) {
    return Unavailable("this server is shutting down; apply the configuration to its successor");
  }
  if (endpoint_ == nullptr) {
    endpoint_ = std::make_unique<Endpoint>(config.service, config.routing_seed);
  }
  if (endpoint_->name() != config.service) {
    return InvalidArgument("this server serves '" + endpoint_->name() + "', not '" +
                           config.service + "'; start another server");
  }
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  snap->key_set = ++applied_;
  // Auth objects first (cheap, and a bad plugin fails before models load).
  SKIFF_RETURN_IF_ERROR(ApplyAuthenticator(config, snap.get()));
  // Everything that can refuse the change runs before the endpoint routes to
  // its versions, so a refusal leaves routing and the serving snapshot the
  // old ones together (a request drawn to a version its snapshot does not
  // know would be answered by nobody).
  auto complete = [&](std::unique_ptr<Endpoint::Staged> staged) -> Status {
    SKIFF_RETURN_IF_ERROR(OpenSinks(config, snap.get()));
    // Keys last: rotation takes effect for the next request, no restart.
    if (snap->auth != nullptr) {
      ServiceAuthConfig auth;
      auth.service = config.service;
      auth.mode = config.auth_mode();
      if (auth.mode == AuthMode::kKey) auth.key_sha256_hex = config.key_sha256;
      SKIFF_RETURN_IF_ERROR(snap->auth->Configure(auth).WithContext("auth"));
    }
    for (auto& [name, state] : snap->versions) state.model = staged->Find(name);
    shadow_.Apply(config);
    // The table and the snapshot change under one lock: a request that drew
    // a version of the new table and finds it missing from the snapshot it
    // took earlier gets the new snapshot from Current() (Score).
    std::lock_guard<std::mutex> snap_lock(snapshot_mu_);
    endpoint_->Commit(std::move(staged));
    body_limit_.store(static_cast<uint64_t>(snap->config.deployment.max_request_body_bytes),
                      std::memory_order_relaxed);
    snapshot_ = std::move(snap);
    return OkStatus();
  };
  SKIFF_RETURN_IF_ERROR(ApplyVersions(config, snap.get(), complete));
  ApplyAutoscaler(config);
  return OkStatus();
}

void DataPlane::ApplyAutoscaler(const ServerConfig& config) {
  autoscaler_.reset();
  const auto& d = config.deployment;
  // Only where the target asks (Kubernetes scales pods), and a fixed
  // numReplicas is just that.
  if (!config.scale_workers || !d.auto_scaler.autoscale_enabled || d.num_replicas) return;
  const std::string service = config.service;
  auto report = [this, service](const std::string& version, int workers) {
    registry_
        .GetGauge("skiff_scoring_workers",
                  "Scoring workers of a version (replicas x maxConcurrentRequestsPerContainer)",
                  {{"service", service}, {"version", version}})
        .Set(workers);
  };
  auto versions = [this] {
    std::vector<std::shared_ptr<ModelVersion>> live;
    for (const auto& name : endpoint_->version_names()) {
      if (auto v = endpoint_->Find(name)) live.push_back(std::move(v));
    }
    return live;
  };
  for (const auto& v : versions()) report(v->name(), v->pool().workers());
  autoscaler_ = std::make_unique<Autoscaler>(d.auto_scaler, d.max_concurrent_requests_per_container,
                                             versions, report);
}

Status DataPlane::ApplyAuthenticator(const ServerConfig& config, Snapshot* snap) {
  if (config.auth_mode() == AuthMode::kNone) return OkStatus();
  // New options (a rotated signing-key set is a new keysDir) mean a new
  // authenticator, which reads its keys afresh; requests in flight finish
  // with the old one, which their snapshot holds.
  const std::string options = config.auth_options.dump();
  if (authenticator_ == nullptr || auth_plugin_ != config.auth_plugin || auth_options_ != options) {
    SKIFF_ASSIGN_OR_RETURN(authenticator_,
                           plugins_->Create<Authenticator>(config.auth_plugin, options));
    auth_plugin_ = config.auth_plugin;
    auth_options_ = options;
  }
  snap->auth = authenticator_;
  return OkStatus();
}

Status DataPlane::ApplyVersions(const ServerConfig& config, Snapshot* snap,
                                const StagedCompletion& complete) {
  // New or changed versions load and warm before the routing swap.
  std::vector<VersionPlan> plans;
  std::map<std::string, const ServerVersionConfig*> by_name;
  for (const auto& v : config.versions) {
    plans.push_back({v.spec, ServerConfig::ContentKey(v)});
    by_name[v.spec.name] = &v;
    VersionState& state = snap->versions[v.spec.name];
    state.signature = config::ToSignature(v.inference);
    state.metrics = &metrics_.For(config.service, v.spec.name);
    state.batched = v.inference.batching.enabled;
    state.upstream = !v.upstream.empty();
  }
  VersionBuilder builder(plugins_, &accelerators_, config.deployment);
  builder.set_inline_scoring(inline_scoring_);
  auto loader = [&](const VersionPlan& plan) {
    metrics::ServiceMetrics* m = snap->versions.at(plan.spec.name).metrics;
    const auto start = Clock::now();
    auto pool = builder.Build(*by_name.at(plan.spec.name), m);
    if (pool.ok()) {
      m->Loaded(std::chrono::duration<double>(Clock::now() - start).count());
    } else {
      m->LoadFailed(std::chrono::duration<double>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
    }
    return pool;
  };
  return ApplyWithProbes(config, plans, loader, complete);
}

Status DataPlane::ApplyWithProbes(const ServerConfig& config, const std::vector<VersionPlan>& plans,
                                  const VersionLoader& loader, const StagedCompletion& complete) {
  // Router: probe the upstream versions before the new table exists, so a
  // version whose pods are not ready yet is never drawn; then keep probing.
  std::vector<UpstreamProber::Target> targets;
  for (const auto& v : config.versions) {
    if (!v.upstream.empty()) targets.push_back({v.spec.name, v.upstream});
  }
  std::unique_ptr<UpstreamProber> previous = std::move(prober_);
  if (previous) previous->Stop();
  UpstreamProber::ProbeOnce(endpoint_.get(), targets,
                            UpstreamProber::TimeoutFor(config.upstream_probe_interval));
  auto staged = endpoint_->Stage(plans, loader);
  Status applied = staged.ok() ? complete(std::move(staged).value()) : staged.status();
  if (!applied.ok()) {
    // The previous configuration keeps serving: so do its probes.
    if (previous) {
      prober_ = std::make_unique<UpstreamProber>(endpoint_.get(), previous->targets(),
                                                 previous->interval());
    }
    return applied;
  }
  prober_ = std::make_unique<UpstreamProber>(endpoint_.get(), std::move(targets),
                                             config.upstream_probe_interval);
  return OkStatus();
}

Status DataPlane::OpenSinks(const ServerConfig& config, Snapshot* snap) {
  const config::DeploymentConfig& dc = config.deployment;
  if (dc.app_insights_enabled && !config.request_log.empty()) {
    SKIFF_ASSIGN_OR_RETURN(auto log,
                           JsonlWriter::Open(config.request_log,
                                             {config.request_log_max_bytes, config.request_log_keep}));
    snap->request_log = std::move(log);
  }
  const config::RoutingConfig& routing = config.routing;
  if (routing.sticky() && !routing.exposure_log.empty()) {
    SKIFF_ASSIGN_OR_RETURN(
        auto log, JsonlWriter::Open(routing.exposure_log,
                                    {routing.exposure_log_max_bytes, routing.exposure_log_keep}));
    snap->exposure_log = std::move(log);
  }
  if (dc.data_collection.storage_enabled && !config.data_collection_dir.empty()) {
    for (const auto& v : config.versions) {
      SKIFF_ASSIGN_OR_RETURN(auto w, JsonlWriter::Open(config.data_collection_dir + "/" +
                                                       config.service + "/" + v.spec.name +
                                                       "/data.jsonl"));
      snap->versions.at(v.spec.name).collector = std::move(w);
    }
  }
  return OkStatus();
}

// ---- HttpHandler -------------------------------------------------------------

uint64_t DataPlane::BodyLimit(const http::request_header<>&) const {
  // The value alone is needed, not the snapshot: no lock (body_limit_).
  return body_limit_.load(std::memory_order_relaxed);
}

std::optional<HttpResponse> DataPlane::Admit(const http::request_header<>& header,
                                             const std::string& client) {
  return Admit(header, client, nullptr);
}

std::optional<HttpResponse> DataPlane::Admit(const http::request_header<>& header,
                                             const std::string& client, ConnectionMemo* memo) {
  std::optional<HttpResponse> answer = AdmitHeader(header, client, memo);
  // A browser page allowed by CORS may read a 401 or 413 too.
  if (answer && header.method() != http::verb::options) {
    if (auto snap = Current()) {
      if (auto origin = AllowedOrigin(header, snap->config.deployment.cors.allowed_origins)) {
        AddCorsHeaders(*origin, &*answer);
      }
    }
  }
  return answer;
}

std::optional<HttpResponse> DataPlane::AdmitHeader(const http::request_header<>& header,
                                                   const std::string& client,
                                                   ConnectionMemo* memo) {
  const std::string_view target = PathOf(header);
  const std::string_view last = target.substr(target.rfind('/') + 1);
  if (IsPost(header) && (last == "infer" || last == "score")) {
    // Every scoring route is a POST ending so (Route): authenticate on the
    // header, so a stranger's body is never read.
    auto snap = Current();
    if (snap == nullptr) return StillLoading();
    // A token expires: only a key's verdict may be remembered.
    const bool key_mode = snap->config.auth_mode() == AuthMode::kKey;
    return GuardAuth(snap->auth.get(), snap->config.service, header, client, &limiter_, &metrics_,
                     key_mode ? memo : nullptr, snap->key_set);
  }
  const bool has_body = header.find(http::field::transfer_encoding) != header.end() ||
                        (header.find(http::field::content_length) != header.end() &&
                         header[http::field::content_length] != "0");
  if (!has_body) return std::nullopt;
  // A route that takes no body: its answer needs only the header.
  auto snap = Current();
  auto routed = Route(header, snap.get());
  if (auto* answer = std::get_if<HttpResponse>(&routed)) return std::move(*answer);
  return ErrorResponse(http::status::not_found, "no route for " + std::string(target));
}

void DataPlane::Handle(HttpRequest request, const std::string& client,
                       std::function<void(HttpResponse)> respond) {
  Dispatch(std::move(request), nullptr, metrics::RequestProtocol::kHttp, client, nullptr,
           std::move(respond));
}

void DataPlane::Handle(HttpRequest request, const std::string& client, const OnwardIds& ids,
                       std::function<void(HttpResponse)> respond) {
  Dispatch(std::move(request), nullptr, metrics::RequestProtocol::kHttp, client, &ids,
           std::move(respond));
}

void DataPlane::HandleParts(HttpRequest request, const std::vector<std::string_view>& binary_parts,
                            metrics::RequestProtocol protocol, const std::string& client,
                            std::function<void(HttpResponse)> respond) {
  // Decoded before Dispatch returns (Score decodes on this thread), so the
  // parts need not outlive this call.
  Dispatch(std::move(request), &binary_parts, protocol, client, nullptr, std::move(respond));
}

void DataPlane::Dispatch(HttpRequest request, const std::vector<std::string_view>* binary_parts,
                         metrics::RequestProtocol protocol, const std::string& client,
                         const OnwardIds* ids, std::function<void(HttpResponse)> respond) {
  in_flight_.fetch_add(1);
  auto snap = Current();
  std::optional<std::string> origin;
  if (snap != nullptr && request.method() != http::verb::options) {
    origin = AllowedOrigin(request, snap->config.deployment.cors.allowed_origins);
  }
  if (origin) {
    respond = [origin = *origin, respond = std::move(respond)](HttpResponse r) {
      AddCorsHeaders(origin, &r);
      respond(std::move(r));
    };
  }
  auto routed = Route(request, snap.get());
  if (auto* answer = std::get_if<HttpResponse>(&routed)) {
    in_flight_.fetch_sub(1);
    return respond(std::move(*answer));
  }
  // Score answers through `respond` and counts the request answered
  // (Answered, Finish): no wrapper callback of its own per request.
  Score(std::move(snap), std::get<ScoreRoute>(routed), std::move(request), binary_parts, protocol,
        client, ids, std::move(respond));
}

void DataPlane::Answered(std::function<void(HttpResponse)>* respond, HttpResponse response,
                         std::atomic<int64_t>* in_flight) {
  (*respond)(std::move(response));
  // The caller's callback (and the connection it holds) goes before the
  // request counts as answered: a caller that waits for in_flight() == 0
  // (skiff-server's drain) then destroys its server.
  *respond = nullptr;
  in_flight->fetch_sub(1);
}

// ---- Routing -------------------------------------------------------------------

std::variant<HttpResponse, DataPlane::ScoreRoute> DataPlane::Route(
    const http::request_header<>& header, const Snapshot* snap) const {
  if (header.method() == http::verb::options) {
    // CORS preflight: no credential comes with it, so none is asked for.
    if (snap == nullptr) return StillLoading();
    return Preflight(header, snap->config.deployment.cors.allowed_origins);
  }
  const PathSegments p(PathOf(header));
  if (auto answer = RouteInfo(header, p, snap)) return std::move(*answer);
  if (snap == nullptr) return StillLoading();
  if (p.size() == 1 && p[0] == "score" && snap->config.local_score_route) {
    // Azure ML's LocalWebservice path: the service's Azure score route.
    if (!IsPost(header)) return MethodNotAllowed(header, "POST");
    return ScoreRoute{ScoreProtocol::kAzure, ""};
  }
  if (p.size() >= 3 && p[0] == "v2" && p[1] == "models") return RouteModel(header, p, *snap);
  if (p.size() == 5 && p[0] == "api" && p[1] == "v1" && p[2] == "service") {
    return RouteAzure(header, p, *snap);
  }
  return NoRoute(header);
}

std::string_view DataPlane::RouteTemplate(const http::request_header<>& header) const {
  // The shapes Route() and its helpers take, named by template; which of
  // them the request then reaches (or its 404/405) is the status's to say.
  const PathSegments p(PathOf(header));
  const size_t n = p.size();
  if (n == 0) return "/";
  if (p[0] == "v2") {
    if (n == 1) return "/v2";
    if (n == 3 && p[1] == "health" && p[2] == "live") return "/v2/health/live";
    if (n == 3 && p[1] == "health" && p[2] == "ready") return "/v2/health/ready";
    if (n >= 3 && p[1] == "models") {
      const bool versioned = n >= 5 && p[3] == "versions";
      const size_t rest = versioned ? 5 : 3;
      if (n == rest) return versioned ? "/v2/models/{model}/versions/{version}" : "/v2/models/{model}";
      if (n == rest + 1 && p[rest] == "ready") {
        return versioned ? "/v2/models/{model}/versions/{version}/ready" : "/v2/models/{model}/ready";
      }
      if (n == rest + 1 && p[rest] == "infer") {
        return versioned ? "/v2/models/{model}/versions/{version}/infer" : "/v2/models/{model}/infer";
      }
    }
  }
  if (n == 1 && p[0] == "score") return "/score";
  if (n == 5 && p[0] == "api" && p[1] == "v1" && p[2] == "service") {
    if (p[4] == "score") return "/api/v1/service/{service}/score";
    if (p[4] == "swagger.json") return "/api/v1/service/{service}/swagger.json";
  }
  return "unmatched";
}

// Routes that answer before (and without) a configuration.
std::optional<HttpResponse> DataPlane::RouteInfo(const http::request_header<>& header,
                                                 const PathSegments& p,
                                                 const Snapshot* snap) const {
  if (p.size() == 0) {
    // Azure ML's swagger documents GET / as the service's health check:
    // 200 "Healthy" once the server runs (liveness, like /v2/health/live).
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    return MakeResponse(http::status::ok, "Healthy", "text/plain");
  }
  if (p.size() == 3 && p[0] == "v2" && p[1] == "health" && (p[2] == "live" || p[2] == "ready")) {
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    if (p[2] == "live") return JsonResponse(http::status::ok, "{\"live\":true}");
    return Readiness(snap);
  }
  if (p.size() == 1 && p[0] == "v2") {
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    return JsonResponse(http::status::ok, protocol::ServerMetadata(server_version_).dump());
  }
  return std::nullopt;
}

// /v2/models/{m}[/versions/{v}][/ready|/infer]
std::variant<HttpResponse, DataPlane::ScoreRoute> DataPlane::RouteModel(
    const http::request_header<>& header, const PathSegments& p, const Snapshot& snap) const {
  const std::string& service = snap.config.service;
  std::string version;
  if (p[2] != service) {
    // A service of several models serves each as the version named after
    // it, so /v2/models/{model}/infer reaches that model (docs/protocols.md).
    // The answer names only what was asked for: a stranger probing names
    // must not learn the service's or its versions' (issue 19.3).
    if (!endpoint_->SpecOf(std::string(p[2]))) {
      return ErrorResponse(http::status::not_found,
                           "model '" + std::string(p[2]) + "' is not served here");
    }
    version = std::string(p[2]);
  }
  size_t rest = 3;
  if (p.size() >= 5 && p[3] == "versions") {
    // A model that names one version (a model of the service, or a service
    // of one model) also answers to its registered model version, the
    // version its metadata reports (OIP clients ask for what they were told).
    const ServerVersionConfig* single = SingleVersion(snap, version);
    const bool registered = single != nullptr && p[4] == OipVersion(*single);
    if (!version.empty() && p[4] != version && !registered) {
      return ErrorResponse(http::status::not_found, "model '" + version + "' has one version, '" +
                                                        OipVersion(*single) + "'; use /v2/models/" +
                                                        version);
    }
    version = registered ? single->spec.name : std::string(p[4]);
    rest = 5;
    if (!endpoint_->SpecOf(version)) {
      return ErrorResponse(
          http::status::not_found,
          "version '" + std::string(p[4]) + "' of model '" + service + "' does not exist");
    }
  }
  if (p.size() == rest) {
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    return ModelMetadata(snap, p[2], version);
  }
  if (p.size() == rest + 1 && p[rest] == "ready") {
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    return ModelReadiness(version);
  }
  if (p.size() == rest + 1 && p[rest] == "infer") {
    if (!IsPost(header)) return MethodNotAllowed(header, "POST");
    return ScoreRoute{ScoreProtocol::kOip, std::move(version)};
  }
  return NoRoute(header);
}

// /api/v1/service/{s}/score | swagger.json
std::variant<HttpResponse, DataPlane::ScoreRoute> DataPlane::RouteAzure(
    const http::request_header<>& header, const PathSegments& p, const Snapshot& snap) const {
  if (p[3] != snap.config.service) {
    return ErrorResponse(http::status::not_found,
                         "service '" + std::string(p[3]) + "' is not served here");
  }
  if (p[4] == "score") {
    if (!IsPost(header)) return MethodNotAllowed(header, "POST");
    return ScoreRoute{ScoreProtocol::kAzure, ""};
  }
  if (p[4] == "swagger.json") {
    if (!IsGet(header)) return MethodNotAllowed(header, "GET");
    return Swagger(snap);
  }
  return NoRoute(header);
}

// ---- Health, metadata ------------------------------------------------------------

HttpResponse DataPlane::Readiness(const Snapshot* snap) const {
  // The applied config generation lets the control plane wait for a reload.
  const bool is_ready = ready();
  const int64_t generation = snap ? snap->config.generation : -1;
  return JsonResponse(is_ready ? http::status::ok : http::status::service_unavailable,
                      std::string("{\"ready\":") + (is_ready ? "true" : "false") +
                          ",\"generation\":" + std::to_string(generation) + "}");
}

const ServerVersionConfig* DataPlane::SingleVersion(const Snapshot& snap,
                                                    const std::string& version) {
  if (version.empty() && snap.config.versions.size() != 1) return nullptr;
  for (const ServerVersionConfig& v : snap.config.versions) {
    if (version.empty() || v.spec.name == version) return &v;
  }
  return nullptr;
}

std::string DataPlane::OipVersion(const ServerVersionConfig& version) {
  return version.model_version > 0 ? std::to_string(version.model_version) : version.spec.name;
}

HttpResponse DataPlane::ModelMetadata(const Snapshot& snap, std::string_view model,
                                      const std::string& version) const {
  // `versions` lists what /v2/models/{model}/versions/{v} accepts: the
  // registered model version where the model names one version (-m mlp:3
  // reports "3"), else the endpoint's version names (blue, green).
  const bool names_one = model != snap.config.service || snap.config.versions.size() == 1;
  const ServerVersionConfig* single = names_one ? SingleVersion(snap, version) : nullptr;
  std::vector<std::string> versions;
  if (single != nullptr) {
    versions = {OipVersion(*single)};
  } else {
    versions = version.empty() ? endpoint_->version_names() : std::vector<std::string>{version};
  }
  const std::string described =
      !version.empty() ? version
                       : (single ? single->spec.name : endpoint_->version_names().front());
  std::shared_ptr<ModelVersion> loaded = endpoint_->Find(described);
  const VersionState* state = FindState(snap.versions, described);
  if (state == nullptr) return VersionsChanged(described);
  nlohmann::json body = protocol::ModelMetadata(
      model, versions, loaded ? loaded->pool().platform() : "", state->signature);
  // On a router, a version whose upstream does not answer its probe; the
  // others are always reachable (docs/protocols.md).
  if (version.empty()) {
    body["unreachable_versions"] = endpoint_->unreachable_versions();
  } else {
    body["reachable"] = endpoint_->reachable(version);
  }
  return JsonResponse(http::status::ok, body.dump());
}

HttpResponse DataPlane::ModelReadiness(const std::string& version) const {
  // A version is ready when the server is and (router) its upstream answers
  // its readiness probe; the body says which of the two is missing.
  if (version.empty()) {
    const bool r = ready();
    return JsonResponse(r ? http::status::ok : http::status::service_unavailable,
                        r ? "{\"ready\":true}" : "{\"ready\":false}");
  }
  const bool reachable = endpoint_->reachable(version);
  const bool r = ready() && reachable;
  return JsonResponse(r ? http::status::ok : http::status::service_unavailable,
                      std::string("{\"ready\":") + (r ? "true" : "false") +
                          ",\"reachable\":" + (reachable ? "true" : "false") + "}");
}

HttpResponse DataPlane::Swagger(const Snapshot& snap) const {
  const auto names = endpoint_->version_names();
  const VersionState* state = FindState(snap.versions, names.front());
  if (state == nullptr) return VersionsChanged(names.front());
  return JsonResponse(http::status::ok, protocol::SwaggerJson(snap.config.service,
                                                              state->signature, server_version_));
}

// ---- Scoring -------------------------------------------------------------------

void DataPlane::Score(std::shared_ptr<const Snapshot> snap, const ScoreRoute& route,
                      HttpRequest request, const std::vector<std::string_view>* binary_parts,
                      metrics::RequestProtocol protocol, const std::string& client,
                      const OnwardIds* ids, std::function<void(HttpResponse)> done) {
  // Guard: authenticated by Admit() on the header, before the body was read.
  const auto start = Clock::now();
  if (auto refusal = GuardDrain(draining_.load())) {
    return Answered(&done, std::move(*refusal), &in_flight_);
  }
  std::shared_ptr<ModelVersion> version;
  std::string key_digest = RoutingKeyDigest(snap->config.routing, request);
  bool by_key = false;
  if (auto refusal =
          PickVersion(*endpoint_, route.version, request, key_digest, &version, &by_key)) {
    return Answered(&done, std::move(*refusal), &in_flight_);
  }
  if (!by_key) key_digest.clear();
  const VersionState* found = StateOf(snap->versions, version);
  if (found == nullptr) {
    // Drawn from a table committed after this request took its snapshot (a
    // new version, or new content under an old name): the commit published
    // its snapshot under the same lock, so Current() describes the version.
    snap = Current();
    found = StateOf(snap->versions, version);
    if (found == nullptr) return Answered(&done, VersionsChanged(version->name()), &in_flight_);
  }
  const VersionState& state = *found;
  DecodedScore decoded;
  std::optional<std::string_view> inference_header;
  std::optional<HttpResponse> refusal = ReadInferenceHeader(request, &inference_header);
  if (!refusal) {
    refusal = DecodeScoreRequest(route.protocol, request.body(), state.signature,
                                 snap->config.deployment.max_request_body_bytes, &decoded,
                                 inference_header, binary_parts);
  }
  if (refusal) {
    refusal->set(kVersionHeader, version->name());
    const auto end = Clock::now();
    const double total = std::chrono::duration<double>(end - start).count();
    RecordDone(state.metrics, 400, protocol, 0, 0, total, end);
    if (snap->exposure_log && !key_digest.empty()) {
      LogExposure(snap->exposure_log.get(), key_digest, version->name(), 400, total);
    }
    return Answered(&done, std::move(*refusal), &in_flight_);
  }
  // Submit.
  state.metrics->in_flight().Add(1);
  std::shared_ptr<std::vector<Tensor>> collected_inputs;
  if (state.collector) collected_inputs = std::make_shared<std::vector<Tensor>>(decoded.inputs);
  // Shadow copies are drawn now (the inputs move to the pool next) and sent
  // after the live request, which never waits for them.
  ShadowTraffic::Pairs shadows = shadow_.Draw(*endpoint_, version->name(), decoded.inputs);
  std::vector<Tensor> inputs = std::move(decoded.inputs);
  // Only a version on another server needs the ids (the HTTP server's,
  // beside the request; another front's, in it): no copies for a local model.
  RequestContext context;
  if (state.upstream && ids != nullptr) {
    context.request_id = std::string(ids->request_id);
    context.traceparent = std::string(ids->traceparent);
  } else if (state.upstream) {
    context.request_id = std::string(request[kRequestIdHeader]);
    context.traceparent = std::string(request[kTraceparentHeader]);
  }
  // Holds the version (and its pool) until Submit returns: the job's
  // callback holds it too, but a worker may finish the job and drop that
  // before Submit is done with the pool, and a version a reload replaced has
  // no other owner (TSan saw the reaper destroy the pool under Submit's
  // notify in DataPlaneTest.VersionsReplacedUnderLoadAnswerEveryRequest).
  const std::shared_ptr<ModelVersion> submitting = version;
  // Built in one go: each member constructed once (a member assigned after
  // default construction costs more on this path).
  PendingScore pending{std::move(snap),
                       &state,
                       std::move(version),
                       route.protocol,
                       protocol,
                       std::move(decoded),
                       client,
                       std::move(key_digest),
                       start,
                       std::move(collected_inputs),
                       std::move(done),
                       shadows,
                       &in_flight_};
  submitting->pool().Submit(
      std::move(inputs),
      [pending = std::move(pending)](ScoreResult result) mutable {
        Finish(pending, std::move(result));
      },
      std::move(context));
  ShadowTraffic::Send(shadows);
}

// Respond and log, on the thread that scored.
void DataPlane::Finish(PendingScore& p, ScoreResult result) {
  const std::string& service = p.snap->config.service;
  const std::string& name = p.version->name();
  HttpResponse r = RespondScored(p.protocol, service, name, p.request, result);
  const auto end = Clock::now();
  const double total = std::chrono::duration<double>(end - p.start).count();
  const int code = static_cast<int>(r.result_int());
  metrics::ServiceMetrics* sm = p.state->metrics;
  RecordDone(sm, code, p.front, result.queue_seconds, result.compute_seconds, total, end);
  // Without dynamic batching every scored request is a batch of one; with
  // it the batcher reports each batch (on_batch).
  if (!p.state->batched && result.status.ok()) sm->Executed(1);
  if (result.status.ok()) sm->Inferred();
  sm->in_flight().Add(-1);
  const ScoreRecord record{
      service, name, p.client, code, result.queue_seconds, result.compute_seconds, total};
  if (p.collected_inputs && result.status.ok()) {
    CollectData(p.state->collector.get(), record, *p.collected_inputs, result.outputs);
  }
  if (p.snap->request_log) LogRequest(p.snap->request_log.get(), record);
  if (p.snap->exposure_log && !p.key_digest.empty()) {
    LogExposure(p.snap->exposure_log.get(), p.key_digest, name, code, total);
  }
  // The version handle is released here, on the worker thread; the
  // endpoint's reaper (not this thread) unloads a deleted version.
  p.version.reset();
  Answered(&p.done, std::move(r), p.in_flight);
  // Compared only once the client has its answer.
  if (!p.shadows.empty()) ShadowTraffic::LiveDone(p.shadows, std::move(result));
}

}  // namespace skiff::dataplane
