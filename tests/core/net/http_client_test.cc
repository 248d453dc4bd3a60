// net::HttpClient against a one-shot loopback server: what the SDK's old
// client could not do (an IPv6 literal; it asked the resolver for "[::1]")
// and the rules every caller now shares (plain http only to loopback unless
// allowed, a bounded body).
#include "skiff/net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace skiff::net {
namespace {

// Accepts one connection on ::1, records the request head, sends `reply`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 1) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      ADD_FAILURE() << "cannot listen on [::1]";
      return;
    }
    port_ = ntohs(addr.sin6_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      while (head_.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head_.append(buf, static_cast<size_t>(n));
      }
      for (size_t done = 0; done < reply_.size();) {
        const ssize_t n = ::write(c, reply_.data() + done, reply_.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(c);
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) {
      ::shutdown(fd_, SHUT_RDWR);
      thread_.join();
    }
    if (fd_ >= 0) ::close(fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://[::1]:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  // The request head; waits for the server's one exchange to finish.
  const std::string& head() {
    if (thread_.joinable()) thread_.join();
    return head_;
  }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::string head_;
  std::thread thread_;
};

HttpClientOptions Options() {
  HttpClientOptions o;
  o.timeout = std::chrono::milliseconds(10000);
  o.user_agent = "skiff-test";
  return o;
}

TEST(NetHttpClientTest, ReachesAnIpv6LoopbackServer) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: A\r\n\r\nhello");
  auto r = HttpClient(Options()).Send(
      {"POST", server.Url("/score?x=1"), {{"Authorization", "Bearer k"}}, "{}"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("x-thing"), "A");
  const std::string& head = server.head();
  EXPECT_EQ(head.rfind("POST /score?x=1 HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: [::1]:" + std::to_string(server.port())), std::string::npos) << head;
  EXPECT_NE(head.find("User-Agent: skiff-test"), std::string::npos) << head;
}

TEST(NetHttpClientTest, RefusesABodyOverTheBound) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  HttpClientOptions o = Options();
  o.max_body_bytes = 10;
  auto r = HttpClient(o).Send({"GET", server.Url("/"), {}, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
}

// A registry answers HEAD on a blob with the blob's length and no body; the
// client used to wait for those bytes (or refuse them as over the bound).
TEST(NetHttpClientTest, HeadReadsOnlyTheHeader) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\nDocker-Content-Digest: sha256:ab\r\n\r\n");
  HttpClientOptions o = Options();
  o.max_body_bytes = 10;
  auto r = HttpClient(o).Send({"HEAD", server.Url("/v2/r/blobs/sha256:ab"), {}, ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->header("content-length"), "1000000000");
  EXPECT_EQ(server.head().rfind("HEAD /v2/r/blobs/sha256:ab HTTP/1.1\r\n", 0), 0u);
}

TEST(NetHttpClientTest, PlainHttpOnlyToLoopbackUnlessAllowed) {
  auto refused = HttpClient(Options()).Send({"GET", "http://10.1.2.3/x", {}, ""});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("clear text"), std::string::npos);
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
}

}  // namespace
}  // namespace skiff::net
