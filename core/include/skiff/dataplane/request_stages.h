// SPDX-License-Identifier: Apache-2.0
// The stages a scoring request goes through, in order (DataPlane wires them):
//   guard    GuardAuth on the header (Admit: 401, 429 while the client's
//            failures are blocked), GuardDrain once the body is in (503);
//   pick     PickVersion: the path's or header's version, else a weighted draw;
//   decode   DecodeScoreRequest: OIP v2 or Azure ML body -> tensors (400);
//   submit   the version's ScoringPool (DataPlane::Submit);
//   respond  RespondScored: outputs or the pool's error -> the HTTP answer;
//   log      LogRequest / CollectData: the request log and data collection.
// Each stage returns nullopt to go on, or the answer that ends the request;
// each takes only what it needs, so it can be tested alone
// (tests/core/dataplane/request_stages_test.cc). Pure apart from the
// limiter, metrics and files handed in. Threading: every stage may run
// concurrently with itself.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/authenticator.h"
#include "skiff/config/server_config.h"
#include "skiff/dataplane/endpoint.h"
#include "skiff/dataplane/failure_limiter.h"
#include "skiff/dataplane/http_server.h"
#include "skiff/dataplane/jsonl_writer.h"
#include "skiff/dataplane/scoring_pool.h"
#include "skiff/metrics/data_plane_metrics.h"

namespace skiff::dataplane {

// The response header naming the version that scored (or was asked for).
inline constexpr char kVersionHeader[] = "azureml-model-deployment";

enum class ScoreProtocol { kOip, kAzure };

// A JSON response; ErrorResponse's body is protocol::EncodeError's.
HttpResponse JsonResponse(http::status status, std::string body);
HttpResponse ErrorResponse(http::status status, std::string_view message);
// Model and scoring errors to Azure ML's status codes (class comment of
// DataPlane); 503s get Retry-After: 1.
http::status HttpStatusFor(const Status& status);
HttpResponse ErrorResponse(const Status& status);

// `message` with every absolute file path (a word starting with '/' that has
// at least two components) cut to its last component:
// "cannot read '/srv/ws/blobs/ab/model.pt'" -> "cannot read 'model.pt'",
// "at /src/skiff/x.cc:12" -> "at x.cc:12". URLs (http://host/path) stay.
// For errors sent to remote clients, which must not learn this machine's
// layout.
std::string WithoutServerPaths(std::string_view message);

// Guard, auth: nullopt when `auth` is null (no auth) or the credential in
// `header` verifies; else 401, or 429 + Retry-After once `client`'s failures
// are blocked. The credential is checked first, whatever the limiter says:
// a valid one is never refused, so bad guesses sent from a victim's address
// (a shared NAT, the router in front of every client) cannot lock the victim
// out, and every request pays the same constant-time check.
std::optional<HttpResponse> GuardAuth(const Authenticator* auth, const std::string& service,
                                      const http::request_header<>& header,
                                      const std::string& client, FailureLimiter* limiter,
                                      metrics::DataPlaneMetrics* metrics);

// GuardAuth on a keep-alive connection, key mode (issue 20, sixth session):
// when `memo` holds an Authorization value accepted under `generation` (the
// data plane's count of applied key sets) and `header` presents the same
// bytes, compared in constant time, the request is admitted without the
// plugin's check (one SHA-256); any other value, or a newer key set, takes
// the full check above, and an accepted one is remembered in `memo`. Only
// for key mode, where the answer is fixed by the key set and the value; a
// token expires, so token mode passes `memo` null. `memo` null: GuardAuth.
std::optional<HttpResponse> GuardAuth(const Authenticator* auth, const std::string& service,
                                      const http::request_header<>& header,
                                      const std::string& client, FailureLimiter* limiter,
                                      metrics::DataPlaneMetrics* metrics, ConnectionMemo* memo,
                                      uint64_t generation);

// Guard, drain: 503 + Retry-After while the server is shutting down.
std::optional<HttpResponse> GuardDrain(bool draining);

// Pick: the version named in the path, else in the azureml-model-deployment
// header, else a draw by traffic weight. Unknown version -> 404, none
// ready -> 503 + Retry-After.
std::optional<HttpResponse> PickVersion(const Endpoint& endpoint, const std::string& path_version,
                                        const http::request_header<>& header,
                                        std::shared_ptr<ModelVersion>* picked);
// Pick, sticky: as above, but an unpinned request whose `key_digest` is not
// empty (RoutingKeyDigest) gets the version consistent for its key, and
// `*by_key` says so (the request is "assigned": it goes to the exposure log).
std::optional<HttpResponse> PickVersion(const Endpoint& endpoint, const std::string& path_version,
                                        const http::request_header<>& header,
                                        const std::string& key_digest,
                                        std::shared_ptr<ModelVersion>* picked, bool* by_key);

// The request's routing key (routing.keyHeader, or the routing.keyCookie
// cookie) as HMAC-SHA256(routing.salt, key) in hex; "" when sticky routing
// is off or the request carries no (or an empty) key. The key itself is
// never kept.
std::string RoutingKeyDigest(const config::RoutingConfig& routing,
                             const http::request_header<>& header);

// What decode hands to submit and respond.
struct DecodedScore {
  std::vector<Tensor> inputs;          // signature order
  std::optional<std::string> id;       // OIP "id", echoed
  std::vector<std::string> requested;  // OIP "outputs"; empty = all
  std::vector<std::string> binary;     // OIP outputs to answer as binary data
};

// Decode: the body against the version's signature; 400 naming the field.
// Decoded tensors may outgrow their JSON (a 2-byte "1," becomes 8 bytes):
// an OIP body may decode to 8 x `max_body_bytes`. `inference_header`: the
// OIP request's Inference-Header-Content-Length (the binary tensor
// extension), nullopt when absent; the Azure route has no such framing.
// `binary_parts`: an OIP request whose binary tensors are held apart from
// `body`, its JSON (protocol::DecodeInferRequestParts; the gRPC front's raw
// inputs, copied once, into the tensors); null for a body that holds them.
std::optional<HttpResponse> DecodeScoreRequest(
    ScoreProtocol protocol, std::string_view body, const Signature& signature,
    uint64_t max_body_bytes, DecodedScore* decoded,
    std::optional<std::string_view> inference_header = std::nullopt,
    const std::vector<std::string_view>* binary_parts = nullptr);

// Decode's framing: *value = the request's Inference-Header-Content-Length
// (nullopt when absent), viewing `header`. Sent twice it is a 400: which of
// the two a proxy in front split the body by is unknown.
std::optional<HttpResponse> ReadInferenceHeader(const http::request_header<>& header,
                                                std::optional<std::string_view>* value);

// Respond: 200 with the outputs in the route's protocol, or the pool's
// error; the version header either way. OIP outputs asked for as binary
// come after the JSON, with Inference-Header-Content-Length and
// Content-Type application/octet-stream.
HttpResponse RespondScored(ScoreProtocol protocol, const std::string& service,
                           const std::string& version, const DecodedScore& request,
                           const ScoreResult& result);

// What the log stage records of one answered request.
struct ScoreRecord {
  const std::string& service;
  const std::string& version;
  const std::string& client;
  int status = 0;
  double queue_seconds = 0, compute_seconds = 0, total_seconds = 0;
};

// Log: one request-log line (no body, no credential).
void LogRequest(JsonlWriter* log, const ScoreRecord& record);
// Log: one exposure-log line for a request assigned by its routing key:
// time, keyHash (the digest, never the key), version, status, latencyMs.
void LogExposure(JsonlWriter* log, const std::string& key_digest, const std::string& version,
                 int status, double total_seconds);
// Log: one data-collection line with the inputs and outputs as OIP tensors.
void CollectData(JsonlWriter* collector, const ScoreRecord& record,
                 const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);

// The time now as 2026-12-06T12:00:00.000Z (UTC, milliseconds).
std::string NowIso8601();

}  // namespace skiff::dataplane
