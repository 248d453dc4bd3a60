// HttpTransport: one HTTP/1.1 exchange per call, over a fresh connection.
// The Beast implementation speaks https (OpenSSL: peer and host name
// verified, SNI set; the system CA store or a CA file) and plain http to
// loopback only. Retries are the caller's business (retry_sender.h).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
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
};

struct BeastTransportOptions {
  std::string ca_file;                            // PEM bundle; empty: system store
  std::chrono::milliseconds timeout{60 * 1000};  // per step: connect, handshake, write, read
};

std::shared_ptr<HttpTransport> MakeBeastTransport(BeastTransportOptions options);

}  // namespace skiff::compute_aks
