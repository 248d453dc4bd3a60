// HttpClient: the one blocking HTTP/1.1 client skiff uses to call out (ARM,
// the token authority, Kubernetes API servers, a skiff server's scoring and
// readiness endpoints). One exchange per call over a fresh connection
// ("Connection: close"). https through OpenSSL (Beast ssl_stream: peer and
// host name verified, SNI set; the system CA store, a CA file or CA PEM in
// memory; optionally a client certificate for mTLS); plain http only to
// loopback unless the caller says otherwise. Retries are the caller's
// business (compute-aks's retry_sender.h). Links Boost and OpenSSL, so it is
// a library of its own (skiff_http_client), not part of skiff_abi.
#pragma once

#include <chrono>
#include <functional>
#include <map>
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
  std::string client_cert_pem;        // client certificate (chain) for mTLS,
  std::string client_key_pem;         //   with its private key
  bool insecure_skip_verify = false;  // no peer verification (only when a user allowed it)
  // Plain http:// to a host that is not loopback. Off: refused, because a
  // credential in a header would cross the network in clear text.
  bool allow_plain_http_to_any_host = false;
  std::string user_agent = "skiff";
  std::chrono::milliseconds timeout{60 * 1000};  // per step: connect, handshake, write, read
  // A larger (non-streamed) response body fails the call.
  std::size_t max_body_bytes = 32u << 20;
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
  // per-step timeout applies to each read. Threading: as Send().
  using DataCallback = std::function<bool(std::string_view data)>;
  StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
};

}  // namespace skiff::net
