// SPDX-License-Identifier: Apache-2.0
// UpstreamModel: a "model" that scores by asking another skiff-server over
// OIP v2. It is how one skiff-server becomes the front end (router) of a
// Kubernetes deployment: the router authenticates, draws the version by
// traffic split and holds the bounded queue and timeouts (ScoringPool); each
// version runs in its own pods behind a cluster-internal Service, and the
// router's version entry names that Service's infer URL instead of a model
// artifact (server config `versions[].upstream`, docs/server-config.md).
//
// One UpstreamModel per ScoringPool worker, each with one keep-alive
// connection (net::HttpConnection, the shared client's framing; re-opened
// when the upstream closed it). Upstream answers map
// to the router's status codes: 400 -> kInvalidArgument (400), 429/503 ->
// kUnavailable (503), 504 -> kDeadlineExceeded (504), anything else and
// connection failures -> kInternal (502, "bad gateway").
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "skiff/accelerator.h"
#include "skiff/status.h"

namespace skiff::dataplane {

struct UpstreamOptions {
  std::string url;  // http://host:port/v2/models/<name>/infer (plain HTTP: in-cluster)
  Signature signature;
  std::chrono::milliseconds timeout{60000};  // per connect / write / read step
};

StatusOr<std::unique_ptr<LoadedModel>> MakeUpstreamModel(UpstreamOptions options);

// Asks the upstream of `infer_url` (same host and port) GET /v2/health/ready
// with the shared client (net::HttpClient, a new connection), the whole
// exchange within `timeout`: OK on 200, else kUnavailable saying why (cannot
// connect, no answer in time, the status).
Status ProbeUpstreamReady(const std::string& infer_url, std::chrono::milliseconds timeout);

}  // namespace skiff::dataplane
