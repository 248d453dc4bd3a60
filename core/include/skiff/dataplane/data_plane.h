// SPDX-License-Identifier: Apache-2.0
// DataPlane: the scoring server's request handler. I/O threads parse,
// authenticate and route; scoring runs on each version's workers; answers go
// back through the HTTP server's callback. A configuration becomes scoring
// pools through VersionBuilder (version_builder.h); a scoring request goes
// through the stages of request_stages.h (guard, pick, decode, submit,
// respond, log). Routes (docs/protocols.md):
//   Azure ML:  POST /api/v1/service/{service}/score, GET .../swagger.json, GET / ("Healthy"),
//              POST /score where the config asks (localScoreRoute, the local target)
//   CORS:      OPTIONS on any path, answered from deploymentConfig.cors without auth (cors.h)
//   OIP v2:    GET /v2/health/live|ready, GET /v2, GET /v2/models/{m}[/versions/{v}][/ready],
//              POST /v2/models/{m}[/versions/{v}]/infer
// GET /metrics is not here: it has a listener of its own (MetricsEndpoint
// over metrics_registry(), metrics_endpoint.h).
// Status codes: 400 bad input, 401 auth, 404 unknown route/model/version,
// 405 wrong method, 413/431 limits, 429 blocked client, 502 model error,
// 503 overloaded/not ready/draining, 504 scoring timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "skiff/accelerator.h"
#include "skiff/dataplane/failure_limiter.h"
#include "skiff/authenticator.h"
#include "skiff/config/server_config.h"
#include "skiff/dataplane/autoscaler.h"
#include "skiff/dataplane/endpoint.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/dataplane/jsonl_writer.h"
#include "skiff/dataplane/request_stages.h"
#include "skiff/dataplane/shadow_traffic.h"
#include "skiff/dataplane/version_builder.h"
#include "skiff/plugin_host/plugin_host.h"
#include "skiff/metrics/data_plane_metrics.h"
#include "skiff/metrics/metrics_registry.h"

namespace skiff::dataplane {

// The server config is owned by skiff_config (skiff/config/server_config.h);
// the data plane applies it.
using config::ServerConfig;
using config::ServerVersionConfig;

class UpstreamProber;

// Teardown, in this order (Shutdown, then the destructor):
//   1. stop taking work: scoring requests get 503 (as while draining) and
//      Apply is refused;
//   2. stop the background threads that use the versions and the metrics
//      (the upstream prober, the autoscaler);
//   3. drain: requests in flight get until Shutdown's grace to be answered;
//   4. cancel: the rest, queued or still inside a model, shadow copies and
//      upstream calls included, are answered 503 at once (ScoringPool::Cancel);
//   5. join: the endpoint goes, and with it every version's workers, batcher
//      and upstream connection (a worker still inside a model's Score() is
//      waited for: the model must return, as ScoringPool's destructor says);
//   6. only then what they used: shadow traffic, metrics and registry, the
//      failure limiter, the authenticator and the config snapshot.
// The callers (HttpServer, GrpcServer, MetricsEndpoint) must have stopped
// calling before the destructor runs (they go first, as in skiff-server);
// a respond callback is released before in_flight() counts its request
// answered, so a caller that waits for in_flight() == 0 may then destroy what
// the callback holds.
class DataPlane : public HttpHandler {
 public:
  // `plugins` must outlive the DataPlane (objects it creates hold their libraries).
  DataPlane(const PluginHost* plugins, std::string server_version);
  // Shutdown(0) unless it ran, then steps 5 and 6 above. Returns once every
  // worker has left its model.
  ~DataPlane() override;

  // Steps 1 to 4 above: refuses new scoring work, waits up to `grace` for the
  // requests in flight, then answers the rest 503 ("the server is shutting
  // down") without waiting for their models. Returns how many requests were
  // still unanswered when the grace ran out (0: all drained). Later calls
  // return 0 at once. Threading: any thread; waits for an Apply in progress.
  int64_t Shutdown(std::chrono::milliseconds grace);

  // Applies a (new) configuration: auth first (keys rotate at once), then
  // versions (new ones load and warm before traffic moves). On error the
  // previous configuration keeps serving. Threading: serialised with itself;
  // concurrent with requests.
  Status Apply(const ServerConfig& config);

  // Readiness: every version loaded and warmed, and not draining.
  bool ready() const;
  // Starts draining: readiness turns 503 at once; requests still finish.
  void BeginDrain() { draining_ = true; }
  // Local models of versions built from now on are scored inline on the
  // I/O thread that read the request when the HttpServer offers it
  // (ScoringPoolOptions::inline_scoring; skiff-server's inlineScoring).
  // Threading: before the first Apply.
  void set_inline_scoring(bool on) { inline_scoring_ = on; }
  // Requests accepted and not yet answered.
  int64_t in_flight() const { return in_flight_.load(); }
  // The data plane's series, for the metrics listener (MetricsEndpoint).
  const metrics::MetricsRegistry& metrics_registry() const { return registry_; }
  // The same registry, for a front that adds series of its own (the gRPC
  // listener's skiff_grpc_requests_total).
  metrics::MetricsRegistry& metrics_registry() { return registry_; }
  // Each version's last minute, for the metrics listener's GET /load.
  const metrics::DataPlaneMetrics& data_plane_metrics() const { return metrics_; }

  uint64_t BodyLimit(const http::request_header<>& header) const override;
  // Scoring routes (POSTs to targets ending in /infer or /score): authentication
  // (401, 429 while the client's failures are blocked) or 503 while loading.
  // Other routes given a body: their answer (404, 405...), body unread.
  // An answer to a page that CORS allows carries the CORS headers.
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string& client_address) override;
  // Admit on an HTTP keep-alive connection: in key mode a connection that
  // presents the Authorization value it last had accepted, under the same
  // applied key set, skips the key's hash (GuardAuth with a memo).
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string& client_address,
                                    ConnectionMemo* memo) override;
  // The route's path template for the access log ("/v2/models/{model}/infer",
  // "unmatched" for a path no route takes).
  std::string_view RouteTemplate(const http::request_header<>& header) const override;
  // Only for requests Admit() let through (HttpServer guarantees it): the
  // scoring routes do not authenticate again.
  void Handle(HttpRequest request, const std::string& client_address,
              std::function<void(HttpResponse)> respond) override;
  // HttpServer's: the onward ids beside the request, not set in it (a router
  // hands them to its versions; a local model never reads them).
  void Handle(HttpRequest request, const std::string& client_address, const OnwardIds& ids,
              std::function<void(HttpResponse)> respond) override;
  // The gRPC front's ModelInfer: the same path as Handle, each binary part
  // decoded where it lies (copied once, into its tensor), counted under
  // `protocol` in skiff_requests_total.
  void HandleParts(HttpRequest request, const std::vector<std::string_view>& binary_parts,
                   metrics::RequestProtocol protocol, const std::string& client_address,
                   std::function<void(HttpResponse)> respond) override;

 private:
  struct Snapshot;      // the applied config + its objects, swapped whole
  struct PendingScore;  // a request between submit and respond
  class PathSegments;   // the target's path, split without allocating
  // Where Route() sends a scoring request.
  struct ScoreRoute {
    ScoreProtocol protocol;
    std::string version;  // from the path; empty = header or traffic split
  };

  std::shared_ptr<const Snapshot> Current() const;
  // Admit() without the CORS headers.
  std::optional<HttpResponse> AdmitHeader(const http::request_header<>& header,
                                          const std::string& client, ConnectionMemo* memo);

  // Apply, step by step (apply_mu_ held).
  Status ApplyAuthenticator(const ServerConfig& config, Snapshot* snap);
  // What Apply does once the versions are loaded (Endpoint::Stage): the
  // steps that may still refuse, then Endpoint::Commit; the staged versions
  // unload when it fails.
  using StagedCompletion = std::function<Status(std::unique_ptr<Endpoint::Staged>)>;
  Status ApplyVersions(const ServerConfig& config, Snapshot* snap,
                       const StagedCompletion& complete);
  Status ApplyWithProbes(const ServerConfig& config, const std::vector<VersionPlan>& plans,
                         const VersionLoader& loader, const StagedCompletion& complete);
  static Status OpenSinks(const ServerConfig& config, Snapshot* snap);
  // Starts (or restarts with the new settings) the autoscaler when the
  // config autoscales, stops it otherwise.
  void ApplyAutoscaler(const ServerConfig& config);

  // Routing: synchronous answers (health, metadata, errors) or the
  // scoring route. Needs only the header, so Admit() uses it too.
  std::variant<HttpResponse, ScoreRoute> Route(const http::request_header<>& header,
                                               const Snapshot* snap) const;
  std::optional<HttpResponse> RouteInfo(const http::request_header<>& header,
                                        const PathSegments& path, const Snapshot* snap) const;
  std::variant<HttpResponse, ScoreRoute> RouteModel(const http::request_header<>& header,
                                                    const PathSegments& path,
                                                    const Snapshot& snap) const;
  std::variant<HttpResponse, ScoreRoute> RouteAzure(const http::request_header<>& header,
                                                    const PathSegments& path,
                                                    const Snapshot& snap) const;

  // Handlers with their own answers.
  HttpResponse Readiness(const Snapshot* snap) const;
  HttpResponse ModelMetadata(const Snapshot& snap, std::string_view model,
                             const std::string& version) const;
  // The version a model's path names alone: `version` when set, else the
  // only version of a one-version service; nullptr otherwise.
  static const ServerVersionConfig* SingleVersion(const Snapshot& snap, const std::string& version);
  // The OIP version of a version: its registered model version when known,
  // else its name.
  static std::string OipVersion(const ServerVersionConfig& version);
  HttpResponse ModelReadiness(const std::string& version) const;
  HttpResponse Swagger(const Snapshot& snap) const;

  // Handle and HandleParts: route, then answer or Score (`binary_parts`
  // null for a body that holds the tensors; `ids` null: the onward ids are
  // the request's kRequestIdHeader and kTraceparentHeader, if any).
  void Dispatch(HttpRequest request, const std::vector<std::string_view>* binary_parts,
                metrics::RequestProtocol protocol, const std::string& client, const OnwardIds* ids,
                std::function<void(HttpResponse)> respond);
  // Scoring: guard (drain), pick, decode, then Submit; Finish responds and
  // logs on the thread that scored. Either way the answer goes through
  // Answered: `done`, then in_flight_ less one.
  void Score(std::shared_ptr<const Snapshot> snap, const ScoreRoute& route, HttpRequest request,
             const std::vector<std::string_view>* binary_parts, metrics::RequestProtocol protocol,
             const std::string& client, const OnwardIds* ids,
             std::function<void(HttpResponse)> done);
  static void Finish(PendingScore& pending, ScoreResult result);
  // Calls *respond, drops it, then counts the request answered in *in_flight.
  static void Answered(std::function<void(HttpResponse)>* respond, HttpResponse response,
                       std::atomic<int64_t>* in_flight);

  const PluginHost* plugins_;
  const std::string server_version_;
  std::mutex apply_mu_;  // serialises Apply() and Shutdown()
  // Snapshots applied so far: each one's Snapshot::key_set, so a key that
  // a connection had accepted under an earlier one is checked afresh.
  uint64_t applied_ = 0;    // guarded by apply_mu_
  bool shut_down_ = false;  // Shutdown() ran: Apply is refused; guarded by apply_mu_
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by snapshot_mu_ (pointer only)
  // snapshot_->config's maxRequestBodyBytes, stored with each swap (under
  // snapshot_mu_): BodyLimit reads it without the lock, one mutex pair fewer
  // per request. Before any Apply: 100 MiB, as the config's default.
  std::atomic<uint64_t> body_limit_{104857600};
  VersionBuilder::AcceleratorCache accelerators_;                      // guarded by apply_mu_
  bool inline_scoring_ = false;  // set before the first Apply
  std::shared_ptr<Authenticator> authenticator_;                       // guarded by apply_mu_
  std::string auth_plugin_;                                            // guarded by apply_mu_
  std::string auth_options_;  // the options authenticator_ was created with; guarded by apply_mu_
  FailureLimiter limiter_;
  // OWNERSHIP: the series every version's ServiceMetrics, the shadow
  // metrics and the gRPC front record into; declared before (so destroyed
  // after) everything that records into them.
  metrics::MetricsRegistry registry_;
  metrics::DataPlaneMetrics metrics_{&registry_};
  // Copies of live requests to shadow versions. Applied under apply_mu_.
  // Pairs still out when it goes record nothing (it guards itself), though
  // the destructor joins the shadow versions' workers before it goes anyway.
  ShadowTraffic shadow_{&registry_};
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> in_flight_{0};
  // OWNERSHIP: the versions, their pools and workers. Those threads record
  // into metrics_ and shadow_ and count in_flight_, so it is declared after
  // them (destroyed first), and the destructor resets it explicitly before
  // anything else goes (step 5). Created by the first Apply() (apply_mu_).
  std::unique_ptr<Endpoint> endpoint_;
  // Router: readiness probes of the upstream versions (after endpoint_:
  // destroyed first; Shutdown stops it). Guarded by apply_mu_.
  std::unique_ptr<UpstreamProber> prober_;
  // Scales the versions' workers (autoScaler) and reports into registry_;
  // after endpoint_, so it stops before the versions go. Guarded by apply_mu_.
  std::unique_ptr<Autoscaler> autoscaler_;
};

}  // namespace skiff::dataplane
