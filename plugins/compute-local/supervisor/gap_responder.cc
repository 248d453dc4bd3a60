// SPDX-License-Identifier: Apache-2.0
#include "supervisor/gap_responder.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

namespace skiff::compute_local {

std::string GapResponder::Response(const std::string& message, int retry_after_s) {
  const std::string body = nlohmann::json{{"error", message}}.dump() + "\n";
  return "HTTP/1.1 503 Service Unavailable\r\n"
         "Server: skiff-supervisor\r\n"
         "Content-Type: application/json\r\n"
         "Retry-After: " +
         std::to_string(std::max(1, retry_after_s)) +
         "\r\n"
         "Connection: close\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

void GapResponder::AcceptPending(int listen_fd, const std::string& message, int retry_after_s) {
  // The file status flags are shared with the server's copy of the socket:
  // make sure accept() cannot block here.
  const int flags = ::fcntl(listen_fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
  const std::string response = Response(message, retry_after_s);
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: nothing pending; EMFILE etc.: try again on the next wake-up
    }
    if (conns_.size() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    conns_.push_back(
        Conn{fd, Phase::kReadingHead, Clock::now() + options_.per_connection, {}, response});
  }
}

void GapResponder::AddPollFds(std::vector<pollfd>* fds) const {
  for (const Conn& c : conns_) {
    fds->push_back(pollfd{c.fd, static_cast<short>(c.phase == Phase::kWriting ? POLLOUT : POLLIN),
                          0});
  }
}

bool GapResponder::Advance(Conn& c) {
  char buf[4096];
  if (c.phase == Phase::kReadingHead) {
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n == 0) return false;  // the client gave up
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        return false;
      }
      // Keep only what the head search needs.
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.find("\r\n\r\n") != std::string::npos || c.in.size() >= options_.max_head_bytes) {
        c.in.clear();
        c.in.shrink_to_fit();
        c.phase = Phase::kWriting;
        break;
      }
    }
  }
  if (c.phase == Phase::kWriting) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        return false;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
    ++answered_;
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLingering;
  }
  // Lingering: discard the rest of the request (a body) until the client
  // closes, so closing does not reset the connection under the response.
  // A few reads per wake-up: a client streaming a body cannot hold the loop.
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n == 0) return false;
    if (n < 0) return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
  }
  return true;
}

std::chrono::milliseconds GapResponder::Step() {
  const auto now = Clock::now();
  auto next = now + std::chrono::hours(1);
  for (size_t i = 0; i < conns_.size();) {
    Conn& c = conns_[i];
    if (now >= c.deadline || !Advance(c)) {
      ::close(c.fd);
      conns_[i] = std::move(conns_.back());
      conns_.pop_back();
      continue;
    }
    next = std::min(next, c.deadline);
    ++i;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(next - now) +
         std::chrono::milliseconds(1);
}

void GapResponder::CloseAll() {
  for (const Conn& c : conns_) ::close(c.fd);
  conns_.clear();
}

}  // namespace skiff::compute_local
