#include "skiff/dataplane/data_plane.h"

#include <chrono>
#include <ctime>
#include <sstream>

#include <nlohmann/json.hpp>

#include "batched_model.h"
#include "upstream_prober.h"
#include "skiff/auth/responses.h"
#include "skiff/dataplane/upstream_model.h"
#include "skiff/plugin_host/loaded_plugin.h"
#include "skiff/protocol/azure_score.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/protocol/infer_response.h"
#include "skiff/protocol/metadata.h"
#include "skiff/protocol/swagger.h"
#include "skiff/util/artifact_digest.h"

namespace skiff::dataplane {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kVersionHeader[] = "azureml-model-deployment";

HttpResponse Json(http::status status, std::string body) {
  return MakeResponse(status, std::move(body), "application/json");
}

HttpResponse Error(http::status status, const std::string& message) {
  return Json(status, protocol::EncodeError(message));
}

// Model and scoring errors to Azure ML's status codes.
http::status HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return http::status::ok;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return http::status::bad_request;
    case StatusCode::kUnauthenticated: return http::status::unauthorized;
    case StatusCode::kNotFound: return http::status::not_found;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted: return http::status::service_unavailable;
    case StatusCode::kDeadlineExceeded: return http::status::gateway_timeout;
    default: return http::status::bad_gateway;  // the model failed
  }
}

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

void RecordDone(protocol::ServiceMetrics* m, int code, double queue_s, double compute_s,
                double total_s) {
  m->RequestDone(code);
  m->queue_seconds().Observe(queue_s);
  m->compute_seconds().Observe(compute_s);
  m->total_seconds().Observe(total_s);
}

}  // namespace

struct DataPlane::Snapshot {
  ServerConfig config;
  std::shared_ptr<Authenticator> auth;  // null in none mode
  std::shared_ptr<JsonlWriter> request_log;
  std::map<std::string, std::shared_ptr<JsonlWriter>> collectors;  // by version
  std::map<std::string, Signature> signatures;                     // by version
  std::map<std::string, protocol::ServiceMetrics*> metrics;         // by version
};

DataPlane::DataPlane(const PluginHost* plugins, std::string server_version)
    : plugins_(plugins), server_version_(std::move(server_version)) {}

DataPlane::~DataPlane() = default;

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

StatusOr<std::shared_ptr<Accelerator>> DataPlane::AcceleratorFor(const std::string& name) {
  auto it = accelerators_.find(name);
  if (it != accelerators_.end()) return it->second;
  SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<Accelerator> accel,
                         plugins_->Create<Accelerator>(name, "{}"));
  accelerators_[name] = accel;
  return accel;
}

Status DataPlane::Apply(const ServerConfig& config) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  if (endpoint_ == nullptr) {
    endpoint_ = std::make_unique<Endpoint>(config.service, config.routing_seed);
  }
  if (endpoint_->name() != config.service) {
    return InvalidArgument("this server serves '" + endpoint_->name() + "', not '" +
                           config.service + "'; start another server");
  }
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;

  // Auth objects first (cheap, and a bad plugin fails before models load).
  const AuthMode mode = config.auth_mode();
  if (mode != AuthMode::kNone) {
    // New options (a rotated signing-key set is a new keysDir) mean a new
    // authenticator, which reads its keys afresh; requests in flight finish
    // with the old one, which their snapshot holds.
    const std::string options = config.auth_options.dump();
    if (authenticator_ == nullptr || auth_plugin_ != config.auth_plugin ||
        auth_options_ != options) {
      SKIFF_ASSIGN_OR_RETURN(authenticator_,
                             plugins_->Create<Authenticator>(config.auth_plugin, options));
      auth_plugin_ = config.auth_plugin;
      auth_options_ = options;
    }
    snap->auth = authenticator_;
  }

  // Versions: new or changed ones load and warm before the routing swap.
  std::vector<VersionPlan> plans;
  std::map<std::string, const ServerVersionConfig*> by_name;
  for (const auto& v : config.versions) {
    plans.push_back({v.spec, ServerConfig::ContentKey(v)});
    by_name[v.spec.name] = &v;
    snap->signatures[v.spec.name] = config::ToSignature(v.inference);
    snap->metrics[v.spec.name] = &metrics_.For(config.service, v.spec.name);
  }
  const config::DeploymentConfig& dc = config.deployment;
  const int replicas = dc.num_replicas.value_or(dc.auto_scaler.min_replicas);
  auto loader = [&](const VersionPlan& plan) -> StatusOr<std::unique_ptr<ScoringPool>> {
    const ServerVersionConfig& v = *by_name.at(plan.spec.name);
    if (!v.upstream.empty()) {
      // Scored by another skiff-server: workers bound the requests in flight
      // to it; batching is the upstream's business.
      ScoringPoolOptions pool;
      pool.max_queue_wait = std::chrono::milliseconds(dc.max_queue_wait_ms);
      pool.scoring_timeout = std::chrono::milliseconds(dc.scoring_timeout_ms);
      pool.workers = replicas * dc.max_concurrent_requests_per_container;
      UpstreamOptions upstream{v.upstream, config::ToSignature(v.inference),
                               std::chrono::milliseconds(dc.scoring_timeout_ms)};
      return ScoringPool::Create(pool, [upstream]() -> StatusOr<std::shared_ptr<LoadedModel>> {
        SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, MakeUpstreamModel(upstream));
        return std::shared_ptr<LoadedModel>(std::move(model));
      });
    }
    SKIFF_ASSIGN_OR_RETURN(std::shared_ptr<Accelerator> accel,
                           AcceleratorFor(v.inference.accelerator));
    // Every load re-hashes the artifact against the digest the control plane
    // recorded (a supervisor restart, a reload, a replaced replica alike):
    // a file changed on disk since registration is never handed to a plugin.
    // Without a `sha256` (a hand-written config) there is nothing to check.
    const std::string expected_sha256 = v.sha256;
    auto verified_load =
        [accel,
         expected_sha256](const ModelLoadOptions& load) -> StatusOr<std::unique_ptr<LoadedModel>> {
      if (!expected_sha256.empty()) {
        SKIFF_RETURN_IF_ERROR(VerifyArtifactDigest(load.artifact_path, expected_sha256));
      }
      return accel->Load(load);
    };
    ModelLoadOptions load;
    load.artifact_path = v.artifact_path;
    load.signature = config::ToSignature(v.inference);
    load.device = v.inference.device;
    load.intra_op_threads = v.inference.threads.intra_op;
    load.inter_op_threads = v.inference.threads.inter_op;
    load.inference_config_json = config::ToJson(v.inference).dump();
    ScoringPoolOptions pool;
    pool.max_queue_wait = std::chrono::milliseconds(dc.max_queue_wait_ms);
    pool.scoring_timeout = std::chrono::milliseconds(dc.scoring_timeout_ms);
    const int per_replica = dc.max_concurrent_requests_per_container;
    if (!v.inference.batching.enabled) {
      pool.workers = replicas * per_replica;
      return ScoringPool::Create(
          pool, [accel, load, verified_load]() -> StatusOr<std::shared_ptr<LoadedModel>> {
            SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, verified_load(load));
            return TieLifetime(std::move(model), accel);
          });
    }
    // Batching: each replica holds one model behind a batcher, which the
    // pool feeds straight from the I/O thread (BatchedModel is an
    // AsyncModel: no worker threads, no hand-off per request).
    DynamicBatcherOptions batching;
    batching.max_batch_size = v.inference.batching.max_batch_size;
    batching.max_queue_delay_us = v.inference.batching.max_queue_delay_microseconds;
    protocol::ServiceMetrics* version_metrics = snap->metrics.at(plan.spec.name);
    batching.on_batch = [version_metrics](size_t requests) {
      version_metrics->batch_size().Observe(static_cast<double>(requests));
    };
    pool.workers = replicas;
    return ScoringPool::Create(pool, [=]() -> StatusOr<std::shared_ptr<LoadedModel>> {
      SKIFF_ASSIGN_OR_RETURN(std::unique_ptr<LoadedModel> model, verified_load(load));
      SKIFF_ASSIGN_OR_RETURN(
          auto replica, BatchedReplica::Create(TieLifetime(std::move(model), accel), batching));
      return std::shared_ptr<LoadedModel>(new BatchedModel(std::move(replica)));
    });
  };
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
  Status applied = endpoint_->Apply(plans, loader);
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

  // Telemetry sinks.
  if (dc.app_insights_enabled && !config.request_log.empty()) {
    SKIFF_ASSIGN_OR_RETURN(auto log,
                           JsonlWriter::Open(config.request_log,
                                             {config.request_log_max_bytes, config.request_log_keep}));
    snap->request_log = std::move(log);
  }
  if (dc.data_collection.storage_enabled && !config.data_collection_dir.empty()) {
    for (const auto& v : config.versions) {
      SKIFF_ASSIGN_OR_RETURN(auto w, JsonlWriter::Open(config.data_collection_dir + "/" +
                                                       config.service + "/" + v.spec.name +
                                                       "/data.jsonl"));
      snap->collectors[v.spec.name] = std::move(w);
    }
  }

  // Keys last: rotation takes effect for the next request, no restart.
  if (snap->auth != nullptr) {
    ServiceAuthConfig auth;
    auth.service = config.service;
    auth.mode = mode;
    if (mode == AuthMode::kKey) auth.key_sha256_hex = config.key_sha256;
    SKIFF_RETURN_IF_ERROR(snap->auth->Configure(auth).WithContext("auth"));
  }
  std::lock_guard<std::mutex> snap_lock(snapshot_mu_);
  snapshot_ = std::move(snap);
  return OkStatus();
}

uint64_t DataPlane::BodyLimit(const http::request_header<>&) const {
  auto snap = Current();
  return snap ? static_cast<uint64_t>(snap->config.deployment.max_request_body_bytes)
              : uint64_t{104857600};
}

std::optional<HttpResponse> DataPlane::Authenticate(const Snapshot& snap,
                                                    const http::request_header<>& header,
                                                    const std::string& client) {
  if (snap.auth == nullptr) return std::nullopt;
  auto field = header.find(http::field::authorization);
  std::string_view value;
  if (field != header.end()) value = std::string_view(field->value().data(), field->value().size());
  // The credential first, whatever the limiter says: a valid one is never
  // refused, so bad guesses sent from a victim's address (a shared NAT, the
  // router in front of every client) cannot lock the victim out. Every
  // request pays the same constant-time check, blocked or not.
  Status verified = snap.auth->Verify(snap.config.service, value);
  if (verified.ok()) return std::nullopt;
  metrics_.AuthFailure(snap.config.service);
  if (int64_t wait = limiter_.RetryAfterSeconds(client); wait > 0) {
    HttpResponse r = Json(http::status::too_many_requests, auth::kTooManyRequestsBody);
    r.set(http::field::retry_after, std::to_string(wait));
    return r;
  }
  limiter_.RecordFailure(client);
  HttpResponse r = Json(http::status::unauthorized, auth::kUnauthorizedBody);
  r.set(auth::kWwwAuthenticateHeader, auth::kWwwAuthenticateValue);
  return r;
}

std::optional<HttpResponse> DataPlane::Admit(const http::request_header<>& header,
                                             const std::string& client) {
  std::string_view target(header.target().data(), header.target().size());
  target = target.substr(0, target.find('?'));
  const std::string_view last = target.substr(target.rfind('/') + 1);
  if (header.method() == http::verb::post && (last == "infer" || last == "score")) {
    // Every scoring route is a POST ending so (Handle): authenticate on the
    // header, so a stranger's body is never read.
    auto snap = Current();
    if (snap == nullptr) {
      return Error(http::status::service_unavailable, "the server is still loading");
    }
    return Authenticate(*snap, header, client);
  }
  const bool has_body = header.find(http::field::transfer_encoding) != header.end() ||
                        (header.find(http::field::content_length) != header.end() &&
                         header[http::field::content_length] != "0");
  if (!has_body) return std::nullopt;
  // A route that takes no body: its answer needs only the header (these
  // routes answer synchronously; only Score, never reached from here,
  // answers later).
  auto answer = std::make_shared<std::optional<HttpResponse>>();
  Handle(HttpRequest(header), client, [answer](HttpResponse r) { *answer = std::move(r); });
  if (*answer) return std::move(**answer);
  return Error(http::status::not_found, "no route for " + std::string(target));
}

void DataPlane::Handle(HttpRequest request, const std::string& client,
                       std::function<void(HttpResponse)> respond) {
  in_flight_.fetch_add(1);
  auto done = [this, respond = std::move(respond)](HttpResponse r) {
    in_flight_.fetch_sub(1);
    respond(std::move(r));
  };
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));
  const std::vector<std::string> p = Split(target);
  const bool get = request.method() == http::verb::get;
  const bool post = request.method() == http::verb::post;
  auto method_not_allowed = [&](const char* allowed) {
    HttpResponse r = Error(http::status::method_not_allowed,
                           std::string(request.method_string()) + " is not allowed on " +
                               std::string(target) + "; use " + allowed);
    r.set(http::field::allow, allowed);
    done(std::move(r));
  };
  auto snap = Current();

  if (p.size() == 3 && p[0] == "v2" && p[1] == "health" && (p[2] == "live" || p[2] == "ready")) {
    if (!get) return method_not_allowed("GET");
    if (p[2] == "live") return done(Json(http::status::ok, "{\"live\":true}"));
    // The applied config generation lets the control plane wait for a reload.
    bool is_ready = ready();
    const int64_t generation = snap ? snap->config.generation : -1;
    return done(Json(is_ready ? http::status::ok : http::status::service_unavailable,
                     std::string("{\"ready\":") + (is_ready ? "true" : "false") +
                         ",\"generation\":" + std::to_string(generation) + "}"));
  }
  if (p.size() == 1 && p[0] == "metrics") {
    if (!get) return method_not_allowed("GET");
    return done(MakeResponse(http::status::ok, registry_.RenderPrometheusText(),
                             "text/plain; version=0.0.4"));
  }
  if (p.size() == 1 && p[0] == "v2") {
    if (!get) return method_not_allowed("GET");
    return done(Json(http::status::ok, protocol::ServerMetadata(server_version_).dump()));
  }
  if (snap == nullptr) {
    return done(Error(http::status::service_unavailable, "the server is still loading"));
  }
  const std::string& service = snap->config.service;

  // /v2/models/{m}[/versions/{v}][/ready|/infer]
  if (p.size() >= 3 && p[0] == "v2" && p[1] == "models") {
    if (p[2] != service) {
      return done(Error(http::status::not_found, "model '" + p[2] + "' is not served here; this server serves '" + service + "'"));
    }
    std::string version;
    size_t rest = 3;
    if (p.size() >= 5 && p[3] == "versions") {
      version = p[4];
      rest = 5;
      if (!endpoint_->SpecOf(version)) {
        return done(Error(http::status::not_found, "version '" + version + "' of model '" + service + "' does not exist"));
      }
    }
    if (p.size() == rest) {
      if (!get) return method_not_allowed("GET");
      std::vector<std::string> versions =
          version.empty() ? endpoint_->version_names() : std::vector<std::string>{version};
      const std::string& sig_version = version.empty() ? versions.front() : version;
      return done(Json(http::status::ok,
                       protocol::ModelMetadata(service, versions, snap->signatures.at(sig_version))
                           .dump()));
    }
    if (p.size() == rest + 1 && p[rest] == "ready") {
      if (!get) return method_not_allowed("GET");
      // A version is ready when the server is and (router) its upstream
      // answers its readiness probe.
      bool r = ready() && (version.empty() || endpoint_->reachable(version));
      return done(Json(r ? http::status::ok : http::status::service_unavailable,
                       r ? "{\"ready\":true}" : "{\"ready\":false}"));
    }
    if (p.size() == rest + 1 && p[rest] == "infer") {
      if (!post) return method_not_allowed("POST");
      return Score(snap, Protocol::kOip, std::move(request), client, version, std::move(done));
    }
  }
  // /api/v1/service/{s}/score | swagger.json
  if (p.size() == 5 && p[0] == "api" && p[1] == "v1" && p[2] == "service") {
    if (p[3] != service) {
      return done(Error(http::status::not_found, "service '" + p[3] + "' is not served here"));
    }
    if (p[4] == "score") {
      if (!post) return method_not_allowed("POST");
      return Score(snap, Protocol::kAzure, std::move(request), client, "", std::move(done));
    }
    if (p[4] == "swagger.json") {
      if (!get) return method_not_allowed("GET");
      auto names = endpoint_->version_names();
      return done(Json(http::status::ok,
                       protocol::SwaggerJson(service, snap->signatures.at(names.front()),
                                             server_version_)));
    }
  }
  done(Error(http::status::not_found,
             "no route for " + std::string(request.method_string()) + " " + std::string(target) +
                 "; see docs/protocols.md"));
}

void DataPlane::Score(const std::shared_ptr<const Snapshot>& snap, Protocol protocol,
                      HttpRequest request, const std::string& client,
                      const std::string& path_version, std::function<void(HttpResponse)> done) {
  const auto start = Clock::now();
  // Authenticated by Admit() on the header, before the body was read.
  if (draining_.load()) {
    HttpResponse r = Error(http::status::service_unavailable, "the server is shutting down");
    r.set(http::field::retry_after, "1");
    return done(std::move(r));
  }
  std::string pinned = path_version;
  if (auto h = request.find(kVersionHeader); h != request.end() && pinned.empty()) {
    pinned = std::string(h->value());
  }
  auto picked = endpoint_->Pick(pinned);
  if (!picked.ok()) {
    HttpResponse r = Error(HttpStatusFor(picked.status()), picked.status().message());
    if (picked.status().code() == StatusCode::kUnavailable) r.set(http::field::retry_after, "1");
    return done(std::move(r));
  }
  std::shared_ptr<ModelVersion> version = std::move(picked).value();
  const Signature& signature = snap->signatures.at(version->name());

  std::vector<Tensor> inputs;
  std::optional<std::string> id;
  std::vector<std::string> requested;
  protocol::ServiceMetrics* sm = snap->metrics.at(version->name());
  Status decoded_ok;
  if (protocol == Protocol::kOip) {
    protocol::DecodeOptions options;
    // Decoded tensors may outgrow their JSON (a 2-byte "1," becomes 8 bytes).
    options.max_input_bytes = static_cast<size_t>(snap->config.deployment.max_request_body_bytes) * 8;
    auto decoded = protocol::DecodeInferRequest(request.body(), signature, options);
    if (decoded.ok()) {
      inputs = std::move(decoded->inputs);
      id = decoded->id;
      requested = decoded->requested_outputs;
    }
    decoded_ok = decoded.status();
  } else {
    auto decoded = protocol::DecodeAzureScoreRequest(request.body(), signature);
    if (decoded.ok()) inputs = std::move(decoded).value();
    decoded_ok = decoded.status();
  }
  if (!decoded_ok.ok()) {
    HttpResponse r = Error(http::status::bad_request, decoded_ok.message());
    r.set(kVersionHeader, version->name());
    RecordDone(sm, 400, 0, 0, std::chrono::duration<double>(Clock::now() - start).count());
    return done(std::move(r));
  }

  sm->in_flight().Add(1);
  bool batched = false;
  for (const auto& v : snap->config.versions) {
    if (v.spec.name == version->name()) batched = v.inference.batching.enabled;
  }
  std::shared_ptr<const Snapshot> keep = snap;
  ModelVersion* raw = version.get();
  std::shared_ptr<std::vector<Tensor>> collected_inputs;
  if (snap->collectors.count(version->name())) {
    collected_inputs = std::make_shared<std::vector<Tensor>>(inputs);
  }
  raw->pool().Submit(
      std::move(inputs),
      [keep, sm, batched, version = std::move(version), protocol, id, requested, client, start,
       collected_inputs, done = std::move(done)](ScoreResult result) mutable {
        const std::string& service = keep->config.service;
        const std::string name = version->name();
        HttpResponse r;
        if (result.status.ok()) {
          std::string body = protocol == Protocol::kOip
                                 ? protocol::EncodeInferResponse(service, name, id,
                                                                 result.outputs, requested)
                                 : protocol::EncodeAzureScoreResponse(result.outputs);
          r = Json(http::status::ok, std::move(body));
          if (collected_inputs) {
            nlohmann::json line = {
                {"time", NowIso8601()}, {"service", service}, {"version", name},
                {"inputs", nlohmann::json::parse(protocol::EncodeInferResponse(
                               service, name, std::nullopt, *collected_inputs))["outputs"]},
                {"outputs", nlohmann::json::parse(protocol::EncodeInferResponse(
                                service, name, std::nullopt, result.outputs))["outputs"]}};
            keep->collectors.at(name)->Append(line.dump());
          }
        } else {
          r = Error(HttpStatusFor(result.status), result.status.message());
          if (result.status.code() == StatusCode::kUnavailable ||
              result.status.code() == StatusCode::kResourceExhausted) {
            r.set(http::field::retry_after, "1");
          }
        }
        r.set(kVersionHeader, name);
        const double total = std::chrono::duration<double>(Clock::now() - start).count();
        const int code = static_cast<int>(r.result_int());
        RecordDone(sm, code, result.queue_seconds, result.compute_seconds, total);
        // Without dynamic batching every scored request is a batch of one;
        // with it the batcher reports each batch (on_batch).
        if (!batched && result.status.ok()) sm->batch_size().Observe(1);
        sm->in_flight().Add(-1);
        if (keep->request_log) {
          nlohmann::json line = {{"time", NowIso8601()},
                                 {"service", service},
                                 {"version", name},
                                 {"status", code},
                                 {"queueMs", result.queue_seconds * 1e3},
                                 {"computeMs", result.compute_seconds * 1e3},
                                 {"totalMs", total * 1e3},
                                 {"client", client}};
          keep->request_log->Append(line.dump());
        }
        // The version handle is released here, on the worker thread; the
        // endpoint's reaper (not this thread) unloads a deleted version.
        version.reset();
        done(std::move(r));
      });
}

}  // namespace skiff::dataplane
