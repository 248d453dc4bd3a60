// SPDX-License-Identifier: Apache-2.0
#include "test_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "loopback_http_server.h"
#include "loopback_relay.h"
#include "skiff/net/http_client.h"
#include "skiff/util/program.h"
#include "skiff/util/base64.h"

extern char** environ;

namespace skiff::oci::testing {

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TestRegistry::TestRegistry(const std::string& dir, RegistryOptions options) {
  https_ = !options.tls_cert.empty();
  // The port is free when chosen, but could be taken before the registry
  // binds it: try a few.
  for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
    if (!StartOnce(dir + "/try" + std::to_string(attempt), options)) continue;
  }
  if (pid_ <= 0) ADD_FAILURE() << "docker-registry did not start; its log:\n" << log();
}

bool TestRegistry::StartOnce(const std::string& dir, const RegistryOptions& o) {
  ::mkdir(dir.c_str(), 0700);
  port_ = FreeLoopbackPort();
  std::ostringstream yaml;
  yaml << "version: 0.1\n"
       << "log:\n  level: info\n"
       << "storage:\n  filesystem:\n    rootdirectory: " << dir << "/storage\n"
       << "  delete:\n    enabled: true\n"
       << "http:\n  addr: 127.0.0.1:" << port_ << "\n"
       << "  secret: skiff-test-secret\n";
  if (https_)
    yaml << "  tls:\n    certificate: " << o.tls_cert << "\n    key: " << o.tls_key << "\n";
  if (!o.user.empty()) {
    auto line = RunAndCapture({"htpasswd", "-Bbn", o.user, o.password});
    if (!line.ok()) {
      ADD_FAILURE() << "htpasswd (apache2-utils) is needed: " << line.status().ToString();
      return false;
    }
    std::ofstream(dir + "/htpasswd") << *line;
    yaml << "auth:\n  htpasswd:\n    realm: skiff-test\n    path: " << dir << "/htpasswd\n";
  }
  std::ofstream(dir + "/config.yml") << yaml.str();
  log_path_ = dir + "/registry.log";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const std::string config = dir + "/config.yml";
  std::vector<char*> argv = {const_cast<char*>("docker-registry"), const_cast<char*>("serve"),
                             const_cast<char*>(config.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot run docker-registry (Debian package docker-registry; "
                     "scripts/deps installs it): "
                  << std::strerror(rc);
    return false;
  }
  net::HttpClientOptions ho;
  ho.timeout = std::chrono::milliseconds(2000);
  if (https_) ho.insecure_skip_verify = true;  // readiness only
  const net::HttpClient client(ho);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // exited: port taken?
    auto r = client.Send({"GET", origin() + "/v2/", {}, ""});
    if (r.ok() && (r->status == 200 || r->status == 401)) {
      pid_ = pid;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a condition
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return false;
}

TestRegistry::~TestRegistry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string TestRegistry::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// --- CutProxy ---------------------------------------------------------------

CutProxy::CutProxy(int upstream_port, long long cut_after_bytes, Cut where)
    : upstream_port_(upstream_port), cut_after_(cut_after_bytes), where_(where) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "CutProxy: cannot listen";
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

CutProxy::~CutProxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void CutProxy::Serve() {
  while (!stop_) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    if (where_ == Cut::kAtNextRequest && !cut_done_ && forwarded_ >= cut_after_) {
      cut_done_ = true;  // closed before one byte reaches the registry
      ::close(client);
      continue;
    }
    Relay(client);  // the client makes one exchange at a time
    ::close(client);
  }
}

void CutProxy::Relay(int client) {
  const int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
  if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(up);
    return;
  }
  char buf[16 * 1024];
  bool client_open = true;
  for (;;) {
    pollfd fds[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
    if (::poll(fds, 2, 30000) <= 0) break;
    if (client_open && (fds[0].revents & (POLLIN | POLLHUP))) {
      long long allowed = sizeof buf;
      if (!cut_done_ && where_ == Cut::kMidRequest) {
        allowed = std::min<long long>(allowed, cut_after_ - forwarded_);
      }
      if (!cut_done_ && where_ == Cut::kMidRequest && allowed <= 0) {
        cut_done_ = true;  // the connection is lost mid-request, once
        break;
      }
      const ssize_t n = ::read(client, buf, static_cast<size_t>(allowed));
      if (n <= 0) {
        client_open = false;
        ::shutdown(up, SHUT_WR);
      } else {
        forwarded_ += n;
        if (::write(up, buf, static_cast<size_t>(n)) != n) break;
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::read(up, buf, sizeof buf);
      if (n <= 0) break;
      if (::write(client, buf, static_cast<size_t>(n)) != n) break;
    }
  }
  ::close(up);
}

// --- TokenStandIn -----------------------------------------------------------

struct TokenStandIn::Impl {
  std::string upstream;
  Expect expect;
  std::string self;  // this stand-in's origin: the token realm, relayed Locations
  net::HttpClient client{RelayClientOptions()};
  mutable std::mutex mu;
  std::map<std::string, int> counts;  // guarded by mu
  std::string last_error;             // guarded by mu
  // Last: stopped first, so no handler runs on the fields above once they go.
  std::unique_ptr<test_support::LoopbackHttpServer> server;

  static net::HttpClientOptions RelayClientOptions() {
    net::HttpClientOptions ho;
    ho.max_body_bytes = 64u << 20;
    return ho;
  }

  void Count(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    ++counts[what];
  }

  test_support::LoopbackResponse Handle(const test_support::LoopbackRequest& req) {
    const std::string& target = req.target;
    const std::string path = target.substr(0, target.find('?'));
    const std::string query =
        target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    test_support::LoopbackResponse res;
    res.headers.emplace_back("Content-Type", "application/json");
    auto refuse = [&](const std::string& why) {
      {
        std::lock_guard<std::mutex> lock(mu);
        last_error = why;
      }
      res.status = 401;
      res.body = R"({"error":"invalid_grant"})";
      return res;
    };
    if (path == "/oauth2/exchange") {
      auto f = test_support::ParseFormEncoded(req.body);
      if (req.method != "POST") return refuse("exchange: not a POST");
      if (f["grant_type"] != "access_token")
        return refuse("exchange: grant_type " + f["grant_type"]);
      if (f["service"] != kService) return refuse("exchange: service " + f["service"]);
      if (f["tenant"] != expect.tenant) return refuse("exchange: tenant " + f["tenant"]);
      if (f["access_token"] != expect.aad_token) return refuse("exchange: wrong access_token");
      Count("exchange");
      res.body = std::string(R"({"refresh_token":")") + kRefreshToken + "\"}";
      return res;
    }
    if (path == "/oauth2/token") {
      if (req.method == "GET") {
        auto q = test_support::ParseFormEncoded(query);
        const std::string basic =
            "Basic " + Base64Encode(expect.user + ":" + expect.password, Base64Alphabet::kStandard);
        if (expect.user.empty() || req.header("authorization") != basic) {
          return refuse("token GET: wrong Basic credentials");
        }
        if (q["service"] != kService) return refuse("token GET: service " + q["service"]);
        if (q["scope"].rfind("repository:", 0) != 0)
          return refuse("token GET: scope " + q["scope"]);
        Count("token-get");
        res.body = std::string(R"({"token":")") + kAccessToken + "\"}";
        return res;
      }
      auto f = test_support::ParseFormEncoded(req.body);
      if (f["grant_type"] != "refresh_token")
        return refuse("token POST: grant_type " + f["grant_type"]);
      if (f["refresh_token"] != kRefreshToken) return refuse("token POST: wrong refresh_token");
      if (f["service"] != kService) return refuse("token POST: service " + f["service"]);
      if (f["scope"].rfind("repository:", 0) != 0) return refuse("token POST: scope " + f["scope"]);
      Count("token-post");
      res.body = std::string(R"({"access_token":")") + kAccessToken + "\"}";
      return res;
    }
    if (req.header("authorization") != std::string("Bearer ") + kAccessToken) {
      Count("challenged");
      std::string scope;
      const size_t at = path.find("/blobs/") != std::string::npos ? path.find("/blobs/")
                                                                  : path.find("/manifests/");
      if (path.rfind("/v2/", 0) == 0 && at != std::string::npos) {
        scope = ",scope=\"repository:" + path.substr(4, at - 4) + ":pull,push\"";
      }
      res.status = 401;
      res.headers.emplace_back(
          "WWW-Authenticate",
          "Bearer realm=\"" + self + "/oauth2/token\",service=\"" + kService + "\"" + scope);
      res.body = R"({"errors":[{"code":"UNAUTHORIZED"}]})";
      return res;
    }
    Count("authorized");
    // The registry sees its own Host (so its Locations name it) and never
    // the stand-in's token.
    auto relayed =
        test_support::RelayTo(client, upstream, req, {"host", "authorization", "user-agent"});
    if (!relayed.ok()) {
      res.status = 502;
      res.body = relayed.status().ToString();
      return res;
    }
    res.status = relayed->status;
    res.body = std::move(relayed->body);
    for (auto& [k, v] : relayed->headers) {
      if (k == "location" && v.rfind(upstream, 0) == 0) v = self + v.substr(upstream.size());
      res.headers.emplace_back(k, v);  // after Content-Type: upstream's wins
    }
    return res;
  }
};

TokenStandIn::TokenStandIn(std::string upstream_origin, Expect expect)
    : impl_(std::make_unique<Impl>()) {
  impl_->upstream = std::move(upstream_origin);
  impl_->expect = std::move(expect);
  test_support::LoopbackOptions options;
  options.max_request_body_bytes = 64u << 20;  // image layers
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<test_support::LoopbackHttpServer>(
      [impl](const test_support::LoopbackRequest& r) { return impl->Handle(r); }, options);
  port_ = impl_->server->port();
  impl_->self = origin();
}

TokenStandIn::~TokenStandIn() { impl_->server->Stop(); }

int TokenStandIn::count(const std::string& what) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->counts.find(what);
  return it == impl_->counts.end() ? 0 : it->second;
}

std::string TokenStandIn::last_error() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_error;
}

}  // namespace skiff::oci::testing
