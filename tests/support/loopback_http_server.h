// SPDX-License-Identifier: Apache-2.0
// LoopbackHttpServer: the one loopback HTTP(S) server every test fake runs on
// (fake ARM, fake Kubernetes API, the TLS front, the HTTP client's test
// peer). It binds 127.0.0.1 (or ::1) on port 0, serves each connection on a
// thread of its own (HTTP/1.1 keep-alive, so a watch can stream while other
// requests are answered), logs every request, and calls the fake's handler
// per request. TLS is optional: the server certificate of a test CA and, when
// a CA is given, a request for a client certificate (optional for the
// client; the request says whether one was presented and verified).
//
// A fake keeps only its semantics (what to answer); the sockets, framing,
// TLS and shutdown live here once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace skiff::test_support {

struct LoopbackRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
  // TLS only: the client presented a certificate the server's CA verified.
  bool client_cert_verified = false;

  // "" when absent; `name` in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Writes one chunk of a streamed body; false once the client has gone.
using ChunkWriter = std::function<bool(std::string_view chunk)>;

struct LoopbackResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  // Content-Length is the body's, except that a reply to HEAD goes out
  // without its body and keeps a Content-Length header the handler set (a
  // registry states a blob's length that way).
  std::string body;
  // Set: these bytes are written instead of a response, then the connection
  // closes (a cut or malformed reply). Empty: closes without answering.
  std::optional<std::string> raw;
  // Set: `status` and `headers` go out with Transfer-Encoding: chunked and
  // Connection: close, then `stream` writes the body chunk by chunk (a
  // Kubernetes watch); the server ends the body and closes when it returns.
  std::function<void(const ChunkWriter& write)> stream;

  static LoopbackResponse Raw(std::string bytes) {
    LoopbackResponse r;
    r.raw = std::move(bytes);
    return r;
  }
};

// Called for each request, on that connection's thread; several connections
// call it concurrently, so a fake guards its own state.
using LoopbackHandler = std::function<LoopbackResponse(const LoopbackRequest&)>;

struct LoopbackTls {
  std::string cert_pem, key_pem;  // the server's certificate (chain) and key
  // Non-empty: ask clients for a certificate signed by this CA (a client
  // without one is still served; see client_cert_verified).
  std::string client_ca_pem;
};

struct LoopbackOptions {
  std::string host = "127.0.0.1";  // or "::1"
  std::optional<LoopbackTls> tls;
  // A larger request body ends its connection unanswered. Beast's 1 MiB by
  // default; a registry stand-in that takes image layers raises it.
  std::uint64_t max_request_body_bytes = 1u << 20;
};

// "a=1&b=x%20y" (a query string or a form body) as a map: '+' and %XX
// decoded, a key without '=' maps to "".
std::map<std::string, std::string> ParseFormEncoded(const std::string& text);

// A fake's scripted fault: the next `times` requests whose "METHOD target"
// contains `match` get `status` with `headers` (the body is the fake's
// error shape; what status 0 means is the fake's, e.g. FakeArm's cut reply).
struct LoopbackFault {
  std::string match;
  int status = 0;
  std::map<std::string, std::string> headers;
  int times = 1;
};

// The first of `faults` whose `match` occurs in `line` ("METHOD target"),
// counted down and dropped at zero; nullopt when none. The caller holds the
// lock that guards `faults`.
template <typename Fault>
std::optional<Fault> TakeFault(std::vector<Fault>& faults, const std::string& line) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (line.find(it->match) == std::string::npos) continue;
    Fault hit = *it;
    if (--it->times <= 0) faults.erase(it);
    return hit;
  }
  return std::nullopt;
}

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(LoopbackHandler handler, LoopbackOptions options = {});
  ~LoopbackHttpServer();  // Stop()
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // Stops accepting, shuts every open connection and joins their threads.
  // A handler still streaming must return once its writes fail (or its fake
  // tells it to stop first). Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  // http(s)://127.0.0.1:<port> (an IPv6 host in brackets).
  std::string url() const;

  // Every request so far, in arrival order.
  std::vector<LoopbackRequest> requests() const;
  // Requests with `method` whose target contains `contains`.
  int Count(const std::string& method, const std::string& contains) const;

  // Connections accepted so far.
  int connections() const { return accepted_; }

  // TLS: handshakes that succeeded / failed. A failure is counted just after
  // the client learns of it, so WaitTlsSettled() first.
  int handshakes_ok() const { return handshakes_ok_; }
  int handshakes_failed() const { return handshakes_failed_; }
  // Waits (up to 5 s) until every accepted connection's handshake is counted.
  void WaitTlsSettled() const;

 private:
  struct Impl;
  struct Connection;
  void Accept();
  void Serve(std::shared_ptr<Connection> connection);
  template <typename Stream>
  void Exchange(Stream& stream, bool client_cert_verified);
  // Forgets `fd` (its thread is done with it) unless Stop() is running.
  void Finished(int fd);

  const LoopbackHandler handler_;
  const LoopbackOptions options_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0}, handshakes_ok_{0}, handshakes_failed_{0};
  std::thread acceptor_;

  mutable std::mutex mu_;  // guards everything below
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;  // connections not yet finished
  std::vector<LoopbackRequest> requests_;
};

}  // namespace skiff::test_support
