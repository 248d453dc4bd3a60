// SPDX-License-Identifier: Apache-2.0
// GrpcServer: skiff-server's optional second listener, the KServe v2 gRPC
// API (inference.GRPCInferenceService, core/proto/grpc_predict_v2.proto;
// server.json `grpc`, docs/protocols.md "gRPC").
//
// Every RPC is answered by the same HttpHandler (the DataPlane) as the HTTP
// port, through its OIP v2 routes: ModelInfer is POST
// /v2/models/{m}[/versions/{v}]/infer with the inputs as binary tensor data
// (the raw contents, or the typed contents written out as the same bytes)
// and every output asked for as binary, so auth, the failure limiter,
// routing, traffic split, sticky keys, pinning, the signature check,
// datatypes, pools, batcher, upstream, drain, logs and the per-version
// metrics are the HTTP port's own, not a copy. The client's metadata travel
// as the request's headers (`authorization`, `azureml-model-deployment`, the
// routing key header), except gRPC's own (`grpc-*`, `:*`, binary `*-bin`).
//
// The call's metadata are checked before its message is read: a ModelInfer
// whose credential the data plane refuses (HttpHandler::Admit) is
// UNAUTHENTICATED without a message byte decoded. HTTP statuses map to gRPC
// codes as in Triton (GrpcCodeFor). Threading: the calls run on the
// server's own `threads` (GrpcServerOptions); the data plane answers from
// its workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "skiff/dataplane/http_server.h"
#include "skiff/metrics/metrics_registry.h"
#include "skiff/status.h"

namespace skiff::dataplane {

struct GrpcServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = a free port; see GrpcServer::port()
  // Largest message either way; a bigger request is RESOURCE_EXHAUSTED
  // (gRPC's own check, before the message reaches skiff).
  int64_t max_message_bytes = 100 * 1024 * 1024;
  // HTTP/2 streams one connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS).
  int64_t max_concurrent_streams = 100;
  // Calls the server works on at once, all connections together; one more
  // is UNAVAILABLE at once (retry later) rather than queued.
  int64_t max_calls_in_flight = 1024;
  // PEM files: with both set the listener speaks TLS. The pair must load
  // at start (else an error naming the file) and is checked every
  // `reload_check` as the HTTP port checks it: a changed pair that loads
  // serves the handshakes from then on (within reload_check + 1 s, gRPC's
  // re-read of skiff's private copy); one that does not is logged and the
  // previous pair stays.
  std::string cert_file, key_file;
  std::chrono::milliseconds reload_check{2000};
  // Threads that poll the listener and run each call's own work (metadata
  // check, message parse, the answers that are not scored); the scoring is
  // the data plane's workers'. skiff-server gives it `ioThreads`.
  int threads = 1;
};

// HTTP status -> gRPC status code (grpc::StatusCode's values), as Triton
// maps them: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403
// PERMISSION_DENIED, 404 NOT_FOUND, 405/501 UNIMPLEMENTED, 413/431
// RESOURCE_EXHAUSTED, 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504
// DEADLINE_EXCEEDED, any other 5xx INTERNAL (the model's error), else
// UNKNOWN.
int GrpcCodeFor(int http_status);

class GrpcServer {
 public:
  // Listens on options.address:port and serves `handler` (which, with
  // `registry`, must outlive the server). `server_name`/`server_version`
  // answer ServerMetadata. Counts calls in `registry` as
  // skiff_grpc_requests_total{method,code} (code: the gRPC code's name).
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                     HttpHandler* handler,
                                                     metrics::MetricsRegistry* registry);
  ~GrpcServer();  // Shutdown(now)

  uint16_t port() const;
  // Calls accepted and not yet answered.
  int64_t in_flight() const;
  // Stops accepting calls; calls in flight get until `deadline`, then are
  // cancelled.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::dataplane
