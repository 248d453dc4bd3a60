// SPDX-License-Identifier: Apache-2.0
// HttpClient: the one blocking HTTP/1.1 client skiff uses to call out (ARM,
// the token authority, Kubernetes API servers, a skiff server's scoring and
// readiness endpoints, the router's probe of its upstream versions). One
// exchange per call over a fresh connection ("Connection: close").
// HttpConnection, below, is the same framing over one kept-alive connection,
// for a caller that sends request after request to one origin (the router's
// upstream model). https through OpenSSL (Beast ssl_stream: peer and
// host name verified, SNI set; the system CA store, a CA file or CA PEM in
// memory; optionally a client certificate for mTLS); plain http only to
// loopback unless the caller says otherwise. Retries are the caller's
// business (compute-aks's retry_sender.h). Links Boost and OpenSSL, so it is
// a library of its own (skiff_http_client), not part of skiff_abi.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "skiff/status.h"

namespace skiff::net {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD" (no body read)
  std::string url;     // absolute (skiff/util/url.h)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  // "" when absent; `name` in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpClientOptions {
  std::string ca_file;                // PEM bundle; empty: system store
  std::string ca_pem;                 // PEM in memory; replaces ca_file when set
  // PEM bundle trusted besides the store chosen above (the SDK's
  // SKIFF_CA_FILE: a private CA added to the system store).
  std::string extra_ca_file;
  std::string client_cert_pem;        // client certificate (chain) for mTLS,
  std::string client_key_pem;         //   with its private key
  bool insecure_skip_verify = false;  // no peer verification (only when a user allowed it)
  // Plain http:// to a host that is not loopback. Off: refused, because a
  // credential in a header would cross the network in clear text.
  bool allow_plain_http_to_any_host = false;
  std::string user_agent = "skiff";
  std::chrono::milliseconds timeout{60 * 1000};  // per step: connect, handshake, write, read
  // On: `timeout` bounds the whole exchange, connect to last byte, instead of
  // each step (a probe that must be over in a known time).
  bool timeout_covers_exchange = false;
  // A larger (non-streamed) response body fails the call.
  std::size_t max_body_bytes = 32u << 20;
};

// How Stream() waits on a response that may stay quiet for long (a followed
// pod log: minutes without a line is normal).
struct StreamOptions {
  // 0: each read times out after HttpClientOptions::timeout (a watch, which
  // the server ends on its own). > 0: while nothing arrives, `on_data` gets
  // an empty piece every `idle_tick` instead, so the caller can end the
  // stream by returning false (a user's Ctrl-C) without waiting for data;
  // body reads then never time out (the caller decides, as `kubectl logs
  // -f` does). Connect, handshake and the response header keep the timeout;
  // a stop while the header is awaited is kCancelled.
  std::chrono::milliseconds idle_tick{0};
  // > 0: the body read ends with kDeadlineExceeded once nothing at all has
  // arrived for this long (no byte, not even a chunk header), so a caller
  // can open the stream again on a connection that stays up but delivers
  // nothing (a stalled proxy that keeps ACKing, which keepalive cannot
  // see). It replaces the per-step timeout for body reads; 0: none besides
  // that timeout (idle_tick 0) or none at all (idle_tick > 0).
  std::chrono::milliseconds read_idle_limit{0};
  // TCP keepalive on the streamed connection (SO_KEEPALIVE, TCP_KEEPIDLE,
  // TCP_KEEPINTVL, TCP_KEEPCNT), so that a peer that vanished without a
  // FIN or RST (its host gone, a NAT or load balancer dropping the flow)
  // fails the read with "Connection timed out" after idle + interval *
  // probes (60 s with these defaults, as kubectl's HTTP/2 pings take about
  // 45 s) instead of never. The probes also keep the flow alive through a
  // NAT or load balancer that drops idle flows (Azure's: 4 minutes).
  struct Keepalive {
    bool enabled = true;
    std::chrono::seconds idle{30};      // quiet this long: the first probe
    std::chrono::seconds interval{10};  // between unanswered probes
    int probes = 3;                     // unanswered probes: the peer is dead
  };
  Keepalive keepalive;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options) : options_(std::move(options)) {}

  // Errors: kUnavailable when nothing was sent (resolve or connect failed:
  // any request may be retried); kAborted when the connection failed after
  // the request started going out (only idempotent ones may be retried);
  // kFailedPrecondition for TLS verification failures and refused URLs
  // (never retried); kInvalidArgument for an unknown method.
  // Threading: const, safe to call concurrently.
  StatusOr<HttpResponse> Send(const HttpRequest& request) const;

  // For long responses (a Kubernetes watch): on a 2xx status the body is
  // handed to `on_data` piece by piece as it arrives (the returned body stays
  // empty); `on_data` returning false closes the connection early, which is
  // not an error. Other statuses are returned whole, as by Send(). The
  // per-step timeout applies to each read, unless `stream.idle_tick` or
  // `stream.read_idle_limit` says otherwise (StreamOptions); TCP keepalive
  // is on as `stream.keepalive` says. Errors as Send(), plus
  // kDeadlineExceeded when `stream.read_idle_limit` passed without data
  // (retryable: the request was a GET whose answer was still coming).
  // Threading: as Send().
  using DataCallback = std::function<bool(std::string_view data)>;
  StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data,
                                const StreamOptions& stream = {}) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
};

// One kept-alive plain-http connection to the origin of the URL it was made
// for, opened on the first Send() and re-opened when the peer closed it. It
// exists for the router's upstream model (one per scoring worker, all to the
// same version server), where a connect per request would cost a round trip
// and a TIME_WAIT socket each; everything else uses HttpClient. https is not
// supported here (the upstream hops are in-cluster plain http).
class HttpConnection {
 public:
  // Checks `url` (http://host[:port]/...; the transport rule of
  // HttpClientOptions::allow_plain_http_to_any_host) without connecting.
  // kFailedPrecondition naming the URL when refused.
  static StatusOr<std::unique_ptr<HttpConnection>> Open(const std::string& url,
                                                        HttpClientOptions options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One exchange: `method` on `target` (path + query) of the origin, with
  // `headers` and `body`, response bounded by max_body_bytes; `timeout` is
  // per step. A reused connection that fails before any answer (the peer
  // closed it while idle) is re-opened and the request sent once more; a
  // peer that cut an exchange on a fresh connection is not retried.
  // Errors: kUnavailable when the origin cannot be resolved or connected;
  // kDeadlineExceeded when a step timed out; kAborted when the connection
  // failed during the exchange. Each names the origin.
  // Threading: one call at a time (one connection); not thread-safe.
  StatusOr<HttpResponse> Send(const std::string& method, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string body);

  // scheme://host:port of the URL given to Open().
  const std::string& origin() const { return origin_; }

 private:
  struct Impl;
  HttpConnection(HttpClientOptions options, std::unique_ptr<Impl> impl, std::string origin);
  const HttpClientOptions options_;
  std::unique_ptr<Impl> impl_;
  const std::string origin_;
};

}  // namespace skiff::net
