// HttpTransport: one HTTP/1.1 exchange per call, over a fresh connection.
// The Beast implementation speaks https (OpenSSL: peer and host name
// verified, SNI set; the system CA store, a CA file or CA PEM in memory;
// optionally a client certificate) and plain http to loopback only.
// Retries are the caller's business (retry_sender.h).
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

namespace skiff::compute_aks {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE"
  std::string url;     // absolute
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

class HttpTransport {
 public:
  virtual ~HttpTransport();
  // Errors: kUnavailable when nothing was sent (resolve or connect failed:
  // any request may be retried); kAborted when the connection failed after
  // the request started going out (only idempotent ones may be retried);
  // kFailedPrecondition for TLS verification failures and refused URLs
  // (never retried). Threading: safe to call concurrently.
  virtual StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;

  // For long responses (a Kubernetes watch): on a 2xx status the body is
  // handed to `on_data` piece by piece as it arrives (the returned body stays
  // empty); `on_data` returning false closes the connection early, which is
  // not an error. Other statuses are returned whole, as by Send(). The
  // per-step timeout applies to each read. The default implementation calls
  // Send() and hands over the body at once. Threading: as Send().
  using DataCallback = std::function<bool(std::string_view data)>;
  virtual StatusOr<HttpResponse> Stream(const HttpRequest& request, const DataCallback& on_data);
};

struct BeastTransportOptions {
  std::string ca_file;                // PEM bundle; empty: system store
  std::string ca_pem;                 // PEM in memory; replaces ca_file when set
  std::string client_cert_pem;        // client certificate (chain) for mTLS,
  std::string client_key_pem;         //   with its private key
  bool insecure_skip_verify = false;  // no peer verification (only when a user allowed it)
  std::chrono::milliseconds timeout{60 * 1000};  // per step: connect, handshake, write, read
};

std::shared_ptr<HttpTransport> MakeBeastTransport(BeastTransportOptions options);

}  // namespace skiff::compute_aks
