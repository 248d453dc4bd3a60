// SPDX-License-Identifier: Apache-2.0
// HttpServer against hostile clients on loopback (docs/reliability.md):
// slowloris, oversize header/URI/body, request smuggling framings, pipelined
// garbage, connections past the cap, requests refused on their header, the
// body budget, Expect: 100-continue. The handler answers 200 from another
// thread, as the data plane does, and refuses (401) a request whose header
// has X-Refuse. Every wait is bounded; the only sleeps pace the slow
// client's bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "raw_client.h"
#include "skiff/dataplane/http_server.h"

namespace skiff::dataplane {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using skiff::testing::RawClient;
using Ms = std::chrono::duration<double, std::milli>;

// Answers 200 "ok" from one worker thread.
class WorkerHandler : public HttpHandler {
 public:
  WorkerHandler() : worker_([this] { Loop(); }) {}
  ~WorkerHandler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  uint64_t BodyLimit(const http::request_header<>&) const override { return 1024; }
  std::optional<HttpResponse> Admit(const http::request_header<>& header,
                                    const std::string&) override {
    if (header.find("X-Refuse") == header.end()) return std::nullopt;
    return MakeResponse(http::status::unauthorized, "{}");
  }
  void Handle(HttpRequest, const std::string&, std::function<void(HttpResponse)> respond) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(respond));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      auto respond = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      respond(MakeResponse(http::status::ok, "ok", "text/plain"));
      lock.lock();
    }
  }

  std::mutex mu_;  // guards queue_ and stop_
  std::condition_variable cv_;
  std::deque<std::function<void(HttpResponse)>> queue_;
  bool stop_ = false;
  std::thread worker_;  // last: starts after the members it uses
};

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

class HostileHttpTest : public ::testing::Test {
 protected:
  void StartServer(std::chrono::milliseconds header_timeout,
                   const std::function<void(HttpServerOptions*)>& tune = {}) {
    HttpServerOptions options;
    options.io_threads = 2;
    options.header_timeout = header_timeout;
    options.request_timeout = std::chrono::milliseconds(2000);
    if (tune) tune(&options);
    auto server = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void SetUp() override { StartServer(std::chrono::milliseconds(2000)); }

  // Sends `bytes` on a fresh connection; expects `status` and then a close.
  void ExpectRefusedAndClosed(const std::string& bytes, const std::string& status) {
    RawClient c(server_->port());
    c.Send(bytes);
    const std::string r = c.ReadResponse();
    EXPECT_EQ(StatusLine(r).rfind("HTTP/1.1 " + status, 0), 0u) << StatusLine(r);
    EXPECT_TRUE(c.ClosedByServer());
  }

  WorkerHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

double P99(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
}

// 200 connections trickle a header one byte at a time; each is closed at the
// header timeout (the idle timeout is a minute) while a normal keep-alive
// client keeps being served.
TEST_F(HostileHttpTest, SlowlorisIsClosedAtHeaderTimeoutWhileNormalClientIsServed) {
  server_.reset();
  const auto header_timeout = std::chrono::milliseconds(1500);
  StartServer(header_timeout);
  const uint16_t port = server_->port();
  constexpr int kSlow = 200;
  constexpr int kBaselineRequests = 200;

  testing::HttpClient normal(port);
  auto measure = [&](std::vector<double>* out) {
    const auto t0 = Clock::now();
    auto reply = normal.Get("/ok");
    out->push_back(Ms(Clock::now() - t0).count());
    return reply.status;
  };
  std::vector<double> baseline;
  for (int i = 0; i < kBaselineRequests; ++i) ASSERT_EQ(measure(&baseline), 200);

  ASSERT_EQ(HttpServerOptions().idle_timeout, std::chrono::seconds(60));
  // The slow clients: one thread, non-blocking sockets, one byte per
  // connection every 50 ms, until the server has closed each of them.
  const std::string partial = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4096, 'a');
  std::vector<double> closed_after_ms(kSlow, -1);
  std::atomic<int> open_slow{0};
  std::atomic<bool> slow_done{false};
  std::thread slow([&] {
    asio::io_context ioc;
    std::vector<std::unique_ptr<tcp::socket>> sockets;
    std::vector<Clock::time_point> opened;
    for (int i = 0; i < kSlow; ++i) {
      auto s = std::make_unique<tcp::socket>(ioc);
      s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      s->non_blocking(true);
      opened.push_back(Clock::now());
      sockets.push_back(std::move(s));
    }
    open_slow = kSlow;
    const auto deadline = Clock::now() + header_timeout * 6;
    for (size_t sent = 0; open_slow > 0 && Clock::now() < deadline; ++sent) {
      for (int i = 0; i < kSlow; ++i) {
        if (closed_after_ms[i] >= 0) continue;
        boost::system::error_code ec;
        char c;
        sockets[i]->read_some(asio::buffer(&c, 1), ec);
        if (ec != asio::error::would_block) {  // EOF / reset: closed by the server
          closed_after_ms[i] = Ms(Clock::now() - opened[i]).count();
          --open_slow;
          continue;
        }
        sockets[i]->write_some(asio::buffer(&partial[sent % partial.size()], 1), ec);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing, not sync
    }
    slow_done = true;
  });

  std::vector<double> under_attack;
  int failures = 0;
  while (!slow_done.load()) {
    if (measure(&under_attack) != 200) ++failures;
    if (under_attack.size() > 200000) break;  // bound (the slow thread has a deadline)
  }
  slow.join();

  const double base_p99 = P99(baseline);
  const double attack_p99 = P99(under_attack);
  const double bound = std::max(5 * base_p99, 50.0);
  const double first_close = *std::min_element(closed_after_ms.begin(), closed_after_ms.end());
  const double last_close = *std::max_element(closed_after_ms.begin(), closed_after_ms.end());
  std::printf(
      "slowloris: %d slow connections, header timeout %lld ms; closed after %.0f..%.0f ms\n"
      "normal client: baseline p99 %.3f ms (%d requests), under attack p99 %.3f ms "
      "(%zu requests, %d failed), bound %.1f ms\n",
      kSlow, static_cast<long long>(header_timeout.count()), first_close, last_close, base_p99,
      kBaselineRequests, attack_p99, under_attack.size(), failures, bound);

  EXPECT_EQ(failures, 0);
  EXPECT_LT(attack_p99, bound);
  for (int i = 0; i < kSlow; ++i) {
    ASSERT_GE(closed_after_ms[i], 0) << "slow connection " << i << " was never closed";
    // Not before the timeout (small slack for when the server's clock starts)...
    EXPECT_GE(closed_after_ms[i], header_timeout.count() * 0.9) << "connection " << i;
    // ...and not long after it.
    EXPECT_LT(closed_after_ms[i], header_timeout.count() * 4) << "connection " << i;
  }
}

TEST_F(HostileHttpTest, OversizeHeaderGets431AndClose) {
  ExpectRefusedAndClosed("GET / HTTP/1.1\r\nHost: x\r\n" + std::string(200, 'X') + ": " +
                             std::string(17 * 1024, 'v') + "\r\n\r\n",
                         "431");
}

TEST_F(HostileHttpTest, ManySmallHeadersOverTheLimitGet431AndClose) {
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) request += "X-H" + std::to_string(i) + ": v\r\n";
  ExpectRefusedAndClosed(request + "\r\n", "431");
}

// The URI is part of the header section, so the same limit answers it.
TEST_F(HostileHttpTest, OversizeUriGets431AndClose) {
  ExpectRefusedAndClosed("GET /" + std::string(20 * 1024, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                         "431");
}

TEST_F(HostileHttpTest, OversizeBodyGets413AndClose) {
  ExpectRefusedAndClosed(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n" + std::string(1025, 'b'), "413");
}

TEST_F(HostileHttpTest, OversizeChunkedBodyGets413AndClose) {
  std::string request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) request += "64\r\n" + std::string(100, 'c') + "\r\n";
  ExpectRefusedAndClosed(request + "0\r\n\r\n", "413");
}

TEST_F(HostileHttpTest, SmugglingFramingsGet400AndClose) {
  const std::string tail = "\r\n5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"CL+TE", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"},
      {"TE+CL", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"},
      {"duplicate differing CL", "Content-Length: 4\r\nContent-Length: 5\r\n"},
      {"CL list differing", "Content-Length: 4, 5\r\n"},
      {"TE chunked, identity", "Transfer-Encoding: chunked, identity\r\n"},
      {"TE identity", "Transfer-Encoding: identity\r\n"},
      {"TE identity + CL", "Transfer-Encoding: identity\r\nContent-Length: 4\r\n"},
      {"TE gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n"},
      {"two TE headers", "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"},
      {"obs-fold TE", "Transfer-Encoding:\r\n chunked\r\n"},
      {"obs-fold other header", "X-Folded: a\r\n\tb\r\nContent-Length: 0\r\n"},
      {"negative CL", "Content-Length: -1\r\n"},
      {"CL with sign", "Content-Length: +5\r\n"},
  };
  for (const auto& [name, headers] : cases) {
    SCOPED_TRACE(name);
    ExpectRefusedAndClosed("POST / HTTP/1.1\r\nHost: x\r\n" + headers + tail, "400");
  }
}

// Same framing, still fine: must not be caught by the checks above.
TEST_F(HostileHttpTest, PlainFramingsStillWork) {
  for (const std::string headers :
       {"Transfer-Encoding: Chunked\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n"}) {
    SCOPED_TRACE(headers);
    RawClient c(server_->port());
    const bool chunked = headers.find("Chunked") != std::string::npos;
    c.Send("POST / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" +
           (chunked ? "5\r\nhello\r\n0\r\n\r\n" : "hello"));
    EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 200 OK");
  }
}

TEST_F(HostileHttpTest, PipelinedGarbageAfterValidRequestIsAnsweredThen400AndClose) {
  RawClient c(server_->port());
  using namespace std::string_literals;  // the garbage holds a NUL
  c.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01 GARBAGE\x00\xff\r\n\r\n"s);
  EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 200 OK");
  const std::string r = c.ReadResponse();
  EXPECT_EQ(StatusLine(r).rfind("HTTP/1.1 400", 0), 0u) << StatusLine(r);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HostileHttpTest, PipelinedValidRequestsAreAllAnswered) {
  RawClient c(server_->port());
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += "GET /p HTTP/1.1\r\nHost: x\r\n\r\n";
  c.Send(batch);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 200 OK") << i;
}

// Waits (bounded) until the server counts `n` open connections.
bool WaitForOpenConnections(const HttpServer& server, int64_t n) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server.open_connections() != n && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return server.open_connections() == n;
}

// Issue 16: idle connections past the cap close the oldest idle one; the
// newcomer is served. Before, every connection was kept until the process
// ran out of descriptors and then nobody was served.
TEST_F(HostileHttpTest, PastTheConnectionCapTheOldestIdleConnectionIsClosed) {
  server_.reset();
  StartServer(std::chrono::milliseconds(2000), [](HttpServerOptions* o) { o->max_connections = 20; });
  ASSERT_EQ(server_->max_connections(), 20);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(WaitForOpenConnections(*server_, i + 1));  // keeps their age order
  }
  for (int i = 0; i < 5; ++i) idle.push_back(std::make_unique<RawClient>(server_->port()));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(idle[i]->ClosedByServer()) << "oldest idle " << i;
  testing::HttpClient fresh(server_->port());
  EXPECT_EQ(fresh.Get("/ok").status, 200);
  EXPECT_TRUE(WaitForOpenConnections(*server_, 20));
  // The younger ones were left alone and still work.
  idle[24]->Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusLine(idle[24]->ReadResponse()), "HTTP/1.1 200 OK");
}

TEST(HttpServerDefaults, ConnectionCapLeavesHeadroomUnderTheFdLimit) {
  EXPECT_EQ(DefaultMaxConnections(1024), 896);
  EXPECT_EQ(DefaultMaxConnections(256), 192);
  EXPECT_EQ(DefaultMaxConnections(65536), 57344);
  EXPECT_EQ(DefaultMaxConnections(20), 16);
}

// Issue 16: the handler refuses on the header (authentication) and the
// client gets that answer without sending its body; the server then closes.
TEST_F(HostileHttpTest, RefusedOnTheHeaderIsAnsweredBeforeTheBody) {
  RawClient c(server_->port());
  c.Send("POST /score HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 401 Unauthorized");
  EXPECT_TRUE(c.ClosedByServer());
}

// A client that keeps sending the refused body still reads the answer (the
// server drains what it sends for a while instead of resetting).
TEST_F(HostileHttpTest, RefusedWhileTheBodyStreamsTheClientStillReadsTheAnswer) {
  RawClient c(server_->port());
  c.Send("POST /score HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\nContent-Length: 1000\r\n\r\n" +
         std::string(1000, 'b'));
  EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 401 Unauthorized");
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HostileHttpTest, ExpectContinueGets100ThenTheAnswer) {
  RawClient c(server_->port());
  c.Send("POST /score HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(c.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("hello");
  EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 200 OK");
}

// The final status instead of 100 when the request is refused on its header.
TEST_F(HostileHttpTest, ExpectContinueRefusedGetsTheFinalStatusInstead) {
  {
    RawClient c(server_->port());
    c.Send("POST /score HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
    EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 413 Payload Too Large");
    EXPECT_TRUE(c.ClosedByServer());
  }
  RawClient c(server_->port());
  c.Send("POST /score HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\nExpect: 100-continue\r\n"
         "Content-Length: 5\r\n\r\n");
  EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 401 Unauthorized");
  EXPECT_TRUE(c.ClosedByServer());
}

// Issue 16: request bodies in flight are bounded server-wide; past the
// budget a request gets 503 + Retry-After before its body is read (declared
// by Content-Length, or chunk by chunk), and the budget comes back once a
// request is answered.
TEST_F(HostileHttpTest, BodiesPastTheBudgetGet503BeforeTheyAreRead) {
  server_.reset();
  StartServer(std::chrono::milliseconds(2000),
              [](HttpServerOptions* o) { o->max_body_bytes_in_flight = 1500; });
  RawClient holder(server_->port());
  holder.Send("POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
  ASSERT_EQ(holder.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");  // admitted: 1000 held
  {
    RawClient c(server_->port());
    c.Send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    const std::string r = c.ReadResponse();
    EXPECT_EQ(StatusLine(r), "HTTP/1.1 503 Service Unavailable");
    EXPECT_NE(r.find("Retry-After: 1"), std::string::npos) << r;
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    RawClient c(server_->port());
    c.Send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
           std::string(600, 'c') + "\r\n0\r\n\r\n");
    EXPECT_EQ(StatusLine(c.ReadResponse()), "HTTP/1.1 503 Service Unavailable");
  }
  holder.Send(std::string(1000, 'a'));
  EXPECT_EQ(StatusLine(holder.ReadResponse()), "HTTP/1.1 200 OK");
  RawClient after(server_->port());
  after.Send("POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'd'));
  EXPECT_EQ(StatusLine(after.ReadResponse()), "HTTP/1.1 200 OK") << "the budget came back";
}

}  // namespace
}  // namespace skiff::dataplane
