// SPDX-License-Identifier: Apache-2.0
// net::HttpClient and net::HttpConnection against the shared loopback server
// (tests/support): what the SDK's old client could not do (an IPv6 literal;
// it asked the resolver for "[::1]"), the rules every caller shares (plain
// http only to loopback unless allowed, a bounded body), and what the
// router's upstream model needs from the kept-alive connection (one
// connection for many requests, re-opened when the peer closed it, a timeout
// told apart from a failure) and its probe (one deadline for the exchange),
// and what a followed log needs from Stream() (ticks while quiet, TCP
// keepalive on the socket, an end after a read-idle limit).
#include "skiff/net/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "loopback_http_server.h"
#include "loopback_relay.h"

namespace skiff::net {
namespace {

using test_support::ChunkWriter;
using test_support::LoopbackHttpServer;
using test_support::LoopbackOptions;
using test_support::LoopbackRequest;
using test_support::LoopbackResponse;

LoopbackOptions OnIpv6() {
  LoopbackOptions o;
  o.host = "::1";
  return o;
}

LoopbackResponse Text(std::string body) {
  LoopbackResponse r;
  r.body = std::move(body);
  return r;
}

HttpClientOptions Options() {
  HttpClientOptions o;
  o.timeout = std::chrono::milliseconds(10000);
  o.user_agent = "skiff-test";
  return o;
}

TEST(NetHttpClientTest, ReachesAnIpv6LoopbackServer) {
  LoopbackHttpServer server(
      [](const LoopbackRequest&) {
        LoopbackResponse r = Text("hello");
        r.headers = {{"X-Thing", "A"}};
        return r;
      },
      OnIpv6());
  auto r = HttpClient(Options()).Send(
      {"POST", server.url() + "/score?x=1", {{"Authorization", "Bearer k"}}, "{}"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("x-thing"), "A");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/score?x=1");
  EXPECT_EQ(requests[0].header("host"), "[::1]:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].header("user-agent"), "skiff-test");
  EXPECT_EQ(requests[0].header("connection"), "close");
}

TEST(NetHttpClientTest, RefusesABodyOverTheBound) {
  LoopbackHttpServer server(
      [](const LoopbackRequest&) {
        return LoopbackResponse::Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" +
                                     std::string(100, 'x'));
      },
      OnIpv6());
  HttpClientOptions o = Options();
  o.max_body_bytes = 10;
  auto r = HttpClient(o).Send({"GET", server.url() + "/", {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
}

// A registry answers HEAD on a blob with the blob's length and no body; the
// client used to wait for those bytes (or refuse them as over the bound).
TEST(NetHttpClientTest, HeadReadsOnlyTheHeader) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse::Raw(
        "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\nDocker-Content-Digest: "
        "sha256:ab\r\n\r\n");
  });
  HttpClientOptions o = Options();
  o.max_body_bytes = 10;
  auto r = HttpClient(o).Send({"HEAD", server.url() + "/v2/r/blobs/sha256:ab", {}, ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->header("content-length"), "1000000000");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method, "HEAD");
  EXPECT_EQ(server.requests()[0].target, "/v2/r/blobs/sha256:ab");
}

// The loopback server the fakes share (tests/support): a reply to HEAD is
// its head alone, with the length the fake states (a registry stand-in
// answers HEAD on a blob so). It used to send the body after the head, which
// the next exchange on a kept-alive connection read as its own answer, and
// replaced a stated length with the body's.
TEST(LoopbackHttpServerTest, AHeadReplyIsItsHeadWithTheStatedLength) {
  LoopbackHttpServer server([](const LoopbackRequest& r) {
    if (r.target == "/stated") {
      LoopbackResponse res;
      res.headers = {{"Content-Length", "1000000"}};
      return res;
    }
    return Text("body of " + r.method);
  });
  // Raw bytes on one kept-alive connection: HEAD, HEAD with a stated
  // length, then GET (closing), and everything the server sent back.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(server.port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string requests =
      "HEAD /plain HTTP/1.1\r\nHost: t\r\n\r\n"
      "HEAD /stated HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /plain HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::write(fd, requests.data(), requests.size()), static_cast<ssize_t>(requests.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, n);
  ::close(fd);

  const size_t second = answer.find("HTTP/1.1", 1);
  ASSERT_NE(second, std::string::npos) << answer;
  const size_t third = answer.find("HTTP/1.1", second + 1);
  ASSERT_NE(third, std::string::npos) << answer;
  const std::string head = answer.substr(0, second);
  const std::string stated = answer.substr(second, third - second);
  const std::string get = answer.substr(third);
  EXPECT_NE(head.find("Content-Length: 12\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << head;  // no body after it
  EXPECT_NE(stated.find("Content-Length: 1000000\r\n"), std::string::npos) << stated;
  EXPECT_EQ(stated.substr(stated.size() - 4), "\r\n\r\n") << stated;
  EXPECT_EQ(get.substr(get.size() - 11), "body of GET") << get;
  EXPECT_EQ(server.connections(), 1);
}

// Image layers are pushed in bodies over Beast's 1 MiB default: a fake that
// takes them raises the bound; without it such a request goes unanswered.
TEST(LoopbackHttpServerTest, RequestBodiesUpToTheConfiguredBound) {
  const std::string layer(2u << 20, 'x');
  auto echo_size = [](const LoopbackRequest& r) { return Text(std::to_string(r.body.size())); };
  LoopbackOptions large;
  large.max_request_body_bytes = 4u << 20;
  LoopbackHttpServer registry(echo_size, large);
  auto r = HttpClient(Options()).Send({"PUT", registry.url() + "/blob", {}, layer});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::to_string(layer.size()));

  LoopbackHttpServer bounded(echo_size);
  EXPECT_FALSE(HttpClient(Options()).Send({"PUT", bounded.url() + "/blob", {}, layer}).ok());
}

// RelayTo, as the TLS front and the ACR token stand-in use it: the request
// reaches upstream without hop-by-hop headers or the ones the fake drops, the
// reply comes back with upstream's status, headers and body, and a HEAD
// keeps upstream's length.
TEST(LoopbackHttpServerTest, RelayToForwardsAndAnswersWithUpstreamsReply) {
  LoopbackHttpServer upstream([](const LoopbackRequest& r) {
    LoopbackResponse res;
    res.status = 201;
    res.headers = {{"Location", "/v2/r/blobs/uploads/1"}};
    if (r.method == "HEAD") res.headers.emplace_back("Content-Length", "777");
    res.body = r.method == "HEAD" ? "" : "made " + r.body;
    return res;
  });
  const HttpClient client(Options());
  LoopbackHttpServer front([&](const LoopbackRequest& r) {
    auto reply = test_support::RelayTo(client, upstream.url(), r, {"authorization"});
    return reply.ok() ? std::move(*reply) : LoopbackResponse::Raw("");
  });
  auto post = HttpClient(Options()).Send(
      {"POST", front.url() + "/v2/r/blobs/uploads/", {{"Authorization", "Bearer t"}}, "x"});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->status, 201);
  EXPECT_EQ(post->header("location"), "/v2/r/blobs/uploads/1");
  EXPECT_EQ(post->body, "made x");
  auto head = HttpClient(Options()).Send({"HEAD", front.url() + "/v2/r/blobs/sha256:ab", {}, ""});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->header("content-length"), "777");
  const auto seen = upstream.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].header("authorization"), "");
  EXPECT_EQ(seen[0].target, "/v2/r/blobs/uploads/");
  EXPECT_EQ(seen[0].body, "x");
}

TEST(NetHttpClientTest, PlainHttpOnlyToLoopbackUnlessAllowed) {
  auto refused = HttpClient(Options()).Send({"GET", "http://10.1.2.3/x", {}, ""});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("clear text"), std::string::npos);
  auto kept = HttpConnection::Open("http://10.1.2.3/x", Options());
  EXPECT_EQ(kept.status().code(), StatusCode::kFailedPrecondition);
}

TEST(NetHttpClientTest, NothingListeningIsUnavailable) {
  // A port that was bound and released: connecting is refused, nothing sent.
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  const std::string url = "http://[::1]:" + std::to_string(ntohs(addr.sin6_port)) + "/";
  auto r = HttpClient(Options()).Send({"GET", url, {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  auto connection = HttpConnection::Open(url, Options());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  auto kept = (*connection)->Send("GET", "/", {}, "");
  EXPECT_EQ(kept.status().code(), StatusCode::kUnavailable) << kept.status().ToString();
}

// Issue 17.4: the router's upstream model scores over net::HttpConnection
// instead of its own Beast exchange; many requests share one connection.
TEST(NetHttpConnectionTest, ManyRequestsShareOneConnection) {
  LoopbackHttpServer server([](const LoopbackRequest& r) { return Text("echo:" + r.body); });
  auto connection = HttpConnection::Open(server.url() + "/v2/models/m/infer", Options());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  for (int i = 0; i < 5; ++i) {
    auto r = (*connection)
                 ->Send("POST", "/v2/models/m/infer", {{"Content-Type", "application/json"}},
                        std::to_string(i));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->body, "echo:" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[4].header("connection"), "keep-alive");
  EXPECT_EQ(requests[4].header("content-type"), "application/json");
  EXPECT_EQ(requests[4].header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

// HEAD on a kept-alive connection: the answer's stated length belongs to a
// body that never comes; the connection used to wait for it until its
// deadline.
TEST(NetHttpConnectionTest, AHeadAnswerEndsAtItsHead) {
  LoopbackHttpServer server([](const LoopbackRequest& r) {
    if (r.method == "HEAD") {
      LoopbackResponse res;
      res.headers = {{"Content-Length", "1000000"}};
      return res;
    }
    return Text("body of " + r.method);
  });
  HttpClientOptions o = Options();
  o.timeout = std::chrono::milliseconds(30000);
  auto connection = HttpConnection::Open(server.url() + "/blob", o);
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  const auto started = std::chrono::steady_clock::now();
  auto head = (*connection)->Send("HEAD", "/blob", {}, "");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->header("content-length"), "1000000");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  auto get = (*connection)->Send("GET", "/blob", {}, "");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->body, "body of GET");
  EXPECT_EQ(server.connections(), 1);
}

// A peer that closes an idle kept-alive connection (without saying so): the
// next request goes out again on a fresh connection, once.
TEST(NetHttpConnectionTest, AConnectionThePeerClosedIsReopened) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse::Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  auto connection = HttpConnection::Open(server.url() + "/x", Options());
  ASSERT_TRUE(connection.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = (*connection)->Send("GET", "/x", {}, "");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(server.requests().size(), 3u) << "each request reached the server once";
  EXPECT_EQ(server.connections(), 3);
}

// A fresh connection the peer cuts mid-answer is final (the request may have
// been acted on), and kAborted, not a timeout.
TEST(NetHttpConnectionTest, ACutAnswerOnAFreshConnectionIsNotRetried) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse::Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"half");
  });
  auto connection = HttpConnection::Open(server.url() + "/x", Options());
  ASSERT_TRUE(connection.ok());
  auto r = (*connection)->Send("POST", "/x", {}, "{}");
  EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  EXPECT_EQ(server.requests().size(), 1u);
}

// A server that does not answer in time: kDeadlineExceeded (the router's
// 504), told apart from a failed connection (502).
TEST(NetHttpConnectionTest, NoAnswerInTimeIsDeadlineExceeded) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return Text("late");
  });
  HttpClientOptions o = Options();
  o.timeout = std::chrono::milliseconds(200);
  auto connection = HttpConnection::Open(server.url() + "/x", o);
  ASSERT_TRUE(connection.ok());
  auto r = (*connection)->Send("POST", "/x", {}, "{}");
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
}

// The router's readiness probe: timeout_covers_exchange bounds the whole
// exchange, where the default bounds each step. The head comes after 450 ms
// and the body over 450 ms more: each step is well within 800 ms, the whole
// is not (the pauses only ever run long, which keeps the whole over).
TEST(NetHttpClientTest, TimeoutCanCoverTheWholeExchange) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    LoopbackResponse r;
    r.stream = [](const ChunkWriter& write) {
      for (int i = 0; i < 9 && write("x"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    };
    return r;
  });
  HttpClientOptions o = Options();
  o.timeout = std::chrono::milliseconds(800);
  auto per_step = HttpClient(o).Send({"GET", server.url() + "/slow", {}, ""});
  ASSERT_TRUE(per_step.ok()) << per_step.status().ToString();
  EXPECT_EQ(per_step->body, "xxxxxxxxx");
  o.timeout_covers_exchange = true;
  auto whole = HttpClient(o).Send({"GET", server.url() + "/slow", {}, ""});
  EXPECT_FALSE(whole.ok());
  EXPECT_NE(whole.status().message().find("timeout"), std::string::npos)
      << whole.status().ToString();
}

// A followed log (issue 23 item 3): with StreamOptions::idle_tick a quiet
// body is not a timeout; the callback hears an empty piece each tick and
// ends the stream by returning false, as a user's Ctrl-C does. Before the
// header it ends the same way, as kCancelled.
TEST(NetHttpClientTest, AQuietStreamTicksAndTheCallerEndsIt) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  LoopbackHttpServer server([&](const LoopbackRequest& r) {
    if (r.target == "/no-header") {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return release; });
      return Text("late");
    }
    LoopbackResponse res;
    res.stream = [&](const ChunkWriter& write) {
      if (!write("first\n")) return;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return release; });
    };
    return res;
  });
  HttpClientOptions o = Options();
  o.timeout = std::chrono::milliseconds(300);
  StreamOptions ticking;
  ticking.idle_tick = std::chrono::milliseconds(50);
  std::string body;
  int ticks = 0;
  // Quiet for longer than the timeout: 12 ticks of 50 ms after the first line.
  auto r = HttpClient(o).Stream(
      {"GET", server.url() + "/log", {}, ""},
      [&](std::string_view piece) {
        if (piece.empty()) return ++ticks < 12;
        body.append(piece);
        return true;
      },
      ticking);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body, "first\n");
  EXPECT_EQ(ticks, 12);

  ticks = 0;
  auto waiting = HttpClient(o).Stream(
      {"GET", server.url() + "/no-header", {}, ""},
      [&](std::string_view piece) { return !piece.empty() || ++ticks < 2; }, ticking);
  EXPECT_EQ(waiting.status().code(), StatusCode::kCancelled) << waiting.status().ToString();
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
}

// A server whose every answer is a stream: "first\n", then nothing until
// the test ends (the connection stays open), as a quiet followed log.
class HeldStream {
 public:
  HeldStream()
      : server_([this](const LoopbackRequest&) {
          LoopbackResponse res;
          res.stream = [this](const ChunkWriter& write) {
            if (!write("first\n")) return;
            std::unique_lock<std::mutex> lock(mu_);
            wake_.wait(lock, [&] { return released_; });
          };
          return res;
        }) {}
  ~HeldStream() {  // before server_ goes: its threads wait here
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    wake_.notify_all();
  }
  std::string url() const { return server_.url(); }
  uint16_t port() const { return server_.port(); }

 private:
  std::mutex mu_;                 // guards released_
  std::condition_variable wake_;  // released_ set
  bool released_ = false;
  LoopbackHttpServer server_;
};

// The socket of this process whose peer is 127.0.0.1:`port` (the client's
// end of a connection to a loopback test server, found among the process's
// descriptors as the kernel lists them), -1 when none.
int ClientSocketTo(uint16_t port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sin_family == AF_INET && ntohs(peer.sin_port) == port) {
      return fd;
    }
  }
  return -1;
}

struct KeepaliveSeen {
  int on = -1, idle = -1, interval = -1, probes = -1;
};

// What the kernel holds for the socket of a Stream() to `server`, read
// while the stream is open.
KeepaliveSeen KeepaliveOfAStream(const HeldStream& server, const StreamOptions& stream) {
  KeepaliveSeen seen;
  auto r = HttpClient(Options()).Stream(
      {"GET", server.url() + "/log", {}, ""},
      [&](std::string_view) {
        const int fd = ClientSocketTo(server.port());
        if (fd < 0) return false;
        socklen_t len = sizeof(int);
        ::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &seen.on, &len);
        ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seen.idle, &len);
        ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &seen.interval, &len);
        ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &seen.probes, &len);
        return false;  // seen: the stream ends
      },
      stream);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return seen;
}

// A followed log over a connection whose peer vanished without a FIN or
// RST waited forever; keepalive is what makes the kernel notice. The
// settings are those StreamOptions names, on the socket itself.
TEST(NetHttpClientTest, AStreamsSocketHasTcpKeepaliveAsConfigured) {
  HeldStream server;
  const KeepaliveSeen defaults = KeepaliveOfAStream(server, StreamOptions());
  EXPECT_EQ(defaults.on, 1);
  EXPECT_EQ(defaults.idle, 30);
  EXPECT_EQ(defaults.interval, 10);
  EXPECT_EQ(defaults.probes, 3);

  StreamOptions custom;
  custom.keepalive.idle = std::chrono::seconds(7);
  custom.keepalive.interval = std::chrono::seconds(2);
  custom.keepalive.probes = 5;
  const KeepaliveSeen set = KeepaliveOfAStream(server, custom);
  EXPECT_EQ(set.on, 1);
  EXPECT_EQ(set.idle, 7);
  EXPECT_EQ(set.interval, 2);
  EXPECT_EQ(set.probes, 5);

  StreamOptions off;
  off.keepalive.enabled = false;
  EXPECT_EQ(KeepaliveOfAStream(server, off).on, 0);

  // A value the kernel refuses fails the call naming the option.
  StreamOptions wrong;
  wrong.keepalive.probes = 0;
  auto r = HttpClient(Options()).Stream(
      {"GET", server.url() + "/log", {}, ""}, [](std::string_view) { return true; }, wrong);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TCP_KEEPCNT=0"), std::string::npos) << r.status().ToString();
}

// A connection that stays up but brings nothing (a stalled proxy keeps
// ACKing, so keepalive sees a live peer): with read_idle_limit the stream
// ends as kDeadlineExceeded, ticking or not, and the caller can open it
// again. The limit counts from the last byte: a slow but steady stream
// outlives it.
TEST(NetHttpClientTest, AStreamEndsAfterItsReadIdleLimit) {
  HeldStream server;
  StreamOptions ticking;
  ticking.idle_tick = std::chrono::milliseconds(50);
  ticking.read_idle_limit = std::chrono::milliseconds(400);
  std::string body;
  int ticks = 0;
  const auto started = std::chrono::steady_clock::now();
  auto r = HttpClient(Options()).Stream(
      {"GET", server.url() + "/log", {}, ""},
      [&](std::string_view piece) {
        if (piece.empty()) {
          ++ticks;
        } else {
          body.append(piece);
        }
        return true;
      },
      ticking);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_NE(r.status().message().find("read_idle_limit"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - started, ticking.read_idle_limit);
  EXPECT_EQ(body, "first\n");
  EXPECT_GT(ticks, 0);  // the caller could still stop it meanwhile

  StreamOptions plain;  // no ticks: the limit replaces the 10 s per-read timeout
  plain.read_idle_limit = std::chrono::milliseconds(400);
  auto p = HttpClient(Options()).Stream(
      {"GET", server.url() + "/log", {}, ""}, [](std::string_view) { return true; }, plain);
  EXPECT_EQ(p.status().code(), StatusCode::kDeadlineExceeded) << p.status().ToString();

  // 30 bytes 50 ms apart: 1.5 s in all, never 1 s without a byte.
  LoopbackHttpServer steady([](const LoopbackRequest&) {
    LoopbackResponse res;
    res.stream = [](const ChunkWriter& write) {
      for (int i = 0; i < 30 && write("x"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    };
    return res;
  });
  ticking.read_idle_limit = std::chrono::milliseconds(1000);
  std::string steady_body;
  auto s = HttpClient(Options()).Stream(
      {"GET", steady.url() + "/log", {}, ""},
      [&](std::string_view piece) {
        steady_body.append(piece);
        return true;
      },
      ticking);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(steady_body, std::string(30, 'x'));
}

// iptables, where scripts/deps installs it; "" when absent.
std::string IptablesPath() {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    const std::string path = std::string(dir) + "/iptables";
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Runs `argv` (a full path first) and waits; its exit status, -1 when it
// could not run.
int RunTool(const std::vector<std::string>& argv) {
  // Built before the fork: the server's threads may hold malloc's lock.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Writes `text` for the parent and ends the child.
[[noreturn]] void ReportAndExit(int out, const std::string& text) {
  (void)!::write(out, text.data(), text.size());
  ::_exit(0);
}

// In a child process, in a network namespace of its own (so nothing
// outside it is touched): a held stream on 127.0.0.1 whose server falls
// silent once the first line came (every packet from it dropped by
// iptables: no FIN, no RST, no ACK, as when its host vanishes), read as a
// followed log reads it (ticks, no read timeout) with keepalive 1 s idle,
// 1 s interval, 2 probes. What the stream ended with, as "CODE\nMS\nMESSAGE"
// on `out` (MS: from the drop to the end), or "skip\n" and why the machine
// cannot show it.
[[noreturn]] void SilentPeerChild(int out, const std::string& iptables) {
  const auto report = [&](const std::string& text) { ReportAndExit(out, text); };
  if (::unshare(CLONE_NEWNET) != 0) {
    report("skip\nunshare(CLONE_NEWNET): " + std::string(std::strerror(errno)));
  }
  // A new namespace's loopback starts down.
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (up) {
    ifr.ifr_flags |= IFF_UP;
    up = ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  if (!up) report("fail\n0\nbringing lo up: " + std::string(std::strerror(errno)));
  ::close(s);
  std::string result;
  {
    HeldStream server;
    StreamOptions follow;
    follow.idle_tick = std::chrono::milliseconds(100);
    follow.keepalive.idle = std::chrono::seconds(1);
    follow.keepalive.interval = std::chrono::seconds(1);
    follow.keepalive.probes = 2;
    std::chrono::steady_clock::time_point dropped{};
    std::string setup_error;
    auto r = HttpClient(Options()).Stream(
        {"GET", server.url() + "/log", {}, ""},
        [&](std::string_view piece) {
          if (!piece.empty() && dropped == std::chrono::steady_clock::time_point{}) {
            const int rc = RunTool({iptables, "-w", "-A", "INPUT", "-p", "tcp", "--sport",
                                    std::to_string(server.port()), "-j", "DROP"});
            if (rc != 0) {
              setup_error = iptables +
                            " -A INPUT -p tcp --sport PORT -j DROP in the new "
                            "namespace exited " +
                            std::to_string(rc) + " (no netfilter for a network namespace here?)";
              return false;
            }
            dropped = std::chrono::steady_clock::now();
          }
          // A bound on the child, far past keepalive's 3 s: then "OK".
          return dropped == std::chrono::steady_clock::time_point{} ||
                 std::chrono::steady_clock::now() - dropped < std::chrono::seconds(30);
        },
        follow);
    if (!setup_error.empty()) report("skip\n" + setup_error);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - dropped)
                        .count();
    result = std::string(StatusCodeName(r.status().code())) + "\n" + std::to_string(ms) + "\n" +
             r.status().message();
  }
  ReportAndExit(out, result);
}

// The defect this keepalive is for, for real: a peer that falls silent
// without closing (its host gone, a NAT dropping the flow). A followed log
// waited on it for ever; with keepalive the kernel declares the connection
// dead after idle + interval * probes and the stream fails, so the caller
// opens it again.
TEST(NetHttpClientTest, KeepaliveEndsAStreamWhosePeerFellSilent) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root: it creates a network namespace (unshare CLONE_NEWNET) and "
                    "drops the server's packets there with iptables";
  }
  const std::string iptables = IptablesPath();
  if (iptables.empty()) GTEST_SKIP() << "iptables is missing (scripts/deps installs it)";
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    SilentPeerChild(fds[1], iptables);
  }
  ::close(fds[1]);
  // The child's own bound is 30 s after the drop; this one covers its start.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[512];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, n);
  }
  ::close(fds[0]);
  ::kill(child, SIGKILL);  // gone already, unless it overran the deadline
  ::waitpid(child, nullptr, 0);
  if (text.rfind("skip\n", 0) == 0) GTEST_SKIP() << text.substr(5);
  ASSERT_FALSE(text.empty()) << "the child reported nothing within 60 s";
  const std::size_t a = text.find('\n'), b = text.find('\n', a + 1);
  ASSERT_NE(b, std::string::npos) << text;
  const std::string code = text.substr(0, a);
  const long ms = std::atol(text.substr(a + 1, b - a - 1).c_str());
  const std::string message = text.substr(b + 1);
  EXPECT_EQ(code, StatusCodeName(StatusCode::kAborted)) << message;
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
  // Nominally 3 s; generous for a loaded machine (the figure is not the test).
  EXPECT_LT(ms, 20000) << message;
}

}  // namespace
}  // namespace skiff::net
