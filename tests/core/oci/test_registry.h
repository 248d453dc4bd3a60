// SPDX-License-Identifier: Apache-2.0
// Real and stand-in registries for the push tests, all on 127.0.0.1:
//   TestRegistry: Debian's docker-registry (CNCF distribution) as a child
//     process with a temp config: filesystem storage, optional htpasswd
//     basic auth (made with `htpasswd -B`) and optional TLS.
//   CutProxy: a TCP relay that loses one connection, once N bytes from the
//     client have passed: in the middle of a request (the registry gets part
//     of it), or at the start of the next one (the registry gets none of it).
//   TokenStandIn: a front for a registry that requires Bearer tokens, with
//     the token service (GET realm with Basic, or the OAuth2 POST with a
//     refresh token) and ACR's /oauth2/exchange, each checking its fields;
//     authorized /v2/ requests are relayed to the real registry. It runs on
//     the tests' one LoopbackHttpServer (tests/support).
// A scripted registry, for protocol corners no real registry shows on
// demand, is a LoopbackHttpServer with a handler.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace skiff::oci::testing {

struct RegistryOptions {
  std::string user, password;     // non-empty: htpasswd auth
  std::string tls_cert, tls_key;  // PEM files: https
};

class TestRegistry {
 public:
  // Starts docker-registry under `dir` and waits (deadline 30 s) until /v2/
  // answers; ADD_FAILUREs naming the tool when it cannot.
  TestRegistry(const std::string& dir, RegistryOptions options);
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string origin() const { return (https_ ? "https://" : "http://") + host(); }
  std::string log() const;

 private:
  bool StartOnce(const std::string& dir, const RegistryOptions& options);
  pid_t pid_ = -1;
  int port_ = 0;
  bool https_ = false;
  std::string log_path_;
};

// A port nothing listens on right now.
int FreeLoopbackPort();

class CutProxy {
 public:
  enum class Cut { kMidRequest, kAtNextRequest };
  CutProxy(int upstream_port, long long cut_after_bytes, Cut where);
  ~CutProxy();
  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool cut() const { return cut_done_; }

 private:
  void Serve();
  void Relay(int client);
  int listen_fd_ = -1;
  int port_ = 0;
  int upstream_port_;
  long long cut_after_;
  Cut where_;
  std::atomic<long long> forwarded_{0};
  std::atomic<bool> cut_done_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class TokenStandIn {
 public:
  static constexpr const char* kService = "standin.azurecr.io";
  static constexpr const char* kAccessToken = "registry-access-token";
  static constexpr const char* kRefreshToken = "registry-refresh-token";

  struct Expect {
    std::string user, password;  // GET realm: the Basic credentials
    std::string aad_token;       // /oauth2/exchange: access_token
    std::string tenant;          // /oauth2/exchange: tenant
  };
  TokenStandIn(std::string upstream_origin, Expect expect);
  ~TokenStandIn();
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  int count(const std::string& what)
      const;  // "exchange", "token-get", "token-post", "authorized", "challenged"
  std::string last_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace skiff::oci::testing
