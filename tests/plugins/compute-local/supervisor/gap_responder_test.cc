// SPDX-License-Identifier: Apache-2.0
// GapResponder on real loopback sockets: what a client of a local service
// gets while its skiff-server is down.
#include "supervisor/gap_responder.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "listen_socket.h"

namespace skiff::compute_local {
namespace {

using Clock = std::chrono::steady_clock;

int Connect(uint16_t port) {
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return c;
}

void SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    off += static_cast<size_t>(n);
  }
}

// Runs the responder the way the supervisor does (poll, accept, step) until
// `done` or 10 s.
template <typename Done>
void Drive(GapResponder& r, int listen_fd, Done done) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!done() && Clock::now() < deadline) {
    std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
    r.AddPollFds(&fds);
    ::poll(fds.data(), fds.size(), 20);
    if (fds[0].revents & POLLIN) r.AcceptPending(listen_fd, "service 'svc' is restarting", 3);
    r.Step();
  }
}

// Reads until the peer closes (or 10 s); true when it closed.
bool ReadToEof(int fd, std::string* out) {
  char buf[4096];
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
  return false;
}

TEST(ComputeLocalGapResponderTest, AnswersEachRequest503WithRetryAfterAndCloses) {
  ListenSocket listen;
  ASSERT_TRUE(listen.Open("127.0.0.1", 0).ok());
  GapResponder r;
  // A POST with a body of many reads (it fits the socket buffers): the lingering
  // read must take it so the client is not reset before it reads the 503.
  const std::string body(60 * 1024, 'x');
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Connect(listen.port()));
  for (int c : clients) {
    SendAll(c, "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n");
  }
  Drive(r, listen.fd(), [&] { return r.answered() == clients.size(); });
  ASSERT_EQ(r.answered(), clients.size());
  for (int c : clients) {
    SendAll(c, body);  // the client sends its body after the answer came
    ::shutdown(c, SHUT_WR);
  }
  Drive(r, listen.fd(), [&] { return r.open_connections() == 0; });
  EXPECT_EQ(r.open_connections(), 0u);
  for (int c : clients) {
    std::string got;
    EXPECT_TRUE(ReadToEof(c, &got));
    EXPECT_EQ(got, GapResponder::Response("service 'svc' is restarting", 3));
    ::close(c);
  }
  const std::string response = GapResponder::Response("service 'svc' is restarting", 3);
  EXPECT_EQ(response.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
  EXPECT_NE(response.find("\r\nRetry-After: 3\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nConnection: close\r\n"), std::string::npos);
  const auto json = nlohmann::json::parse(response.substr(response.find("\r\n\r\n") + 4));
  EXPECT_EQ(json["error"], "service 'svc' is restarting");
}

TEST(ComputeLocalGapResponderTest, RetryAfterIsAtLeastOneSecond) {
  EXPECT_NE(GapResponder::Response("m", 0).find("\r\nRetry-After: 1\r\n"), std::string::npos);
}

TEST(ComputeLocalGapResponderTest, SlowClientsAreClosedAtTheirDeadlineAndExtrasAtOnce) {
  ListenSocket listen;
  ASSERT_TRUE(listen.Open("127.0.0.1", 0).ok());
  GapResponder::Options options;
  options.max_connections = 4;
  options.per_connection = std::chrono::milliseconds(300);
  GapResponder r(options);
  // Six clients that never finish a request head (slowloris).
  std::vector<int> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(Connect(listen.port()));
    SendAll(clients.back(), "GET / HTTP/1.1\r\nHost: x\r\n");
  }
  const auto start = Clock::now();
  Drive(r, listen.fd(), [&] { return r.open_connections() == 4; });
  EXPECT_EQ(r.open_connections(), 4u) << "no more than max_connections are kept";
  Drive(r, listen.fd(), [&] { return r.open_connections() == 0; });
  EXPECT_EQ(r.open_connections(), 0u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(300)) << "kept until the deadline";
  EXPECT_EQ(r.answered(), 0u);
  for (int c : clients) {
    std::string got;
    EXPECT_TRUE(ReadToEof(c, &got)) << "closed";
    EXPECT_EQ(got, "") << "no answer to an unfinished request";
    ::close(c);
  }
}

}  // namespace
}  // namespace skiff::compute_local
