// SPDX-License-Identifier: Apache-2.0
#include "health_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "skiff/net/http_client.h"
#include "skiff/util/file.h"

namespace skiff::compute_local {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

// Waits for `events` on fd until the deadline.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

std::string ProbeHost(const std::string& address) {
  if (address.empty() || address == "0.0.0.0") return "127.0.0.1";
  if (address == "::") return "::1";
  return address;
}

StatusOr<int> HttpsGetStatus(const std::string& host, uint16_t port, const std::string& path,
                             std::chrono::milliseconds timeout) {
  net::HttpClientOptions options;
  options.insecure_skip_verify = true;
  options.allow_plain_http_to_any_host = false;
  options.timeout = timeout;
  options.timeout_covers_exchange = true;
  options.max_body_bytes = 64 * 1024;
  SKIFF_ASSIGN_OR_RETURN(
      net::HttpResponse reply,
      net::HttpClient(std::move(options))
          .Send({"GET", "https://" + UrlHost(host) + ":" + std::to_string(port) + path, {}, ""}));
  return reply.status;
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

StatusOr<int> HttpGetStatus(const std::string& host, uint16_t port, const std::string& path,
                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = UrlHost(host) + ":" + std::to_string(port) + path;
  sockaddr_storage storage{};
  socklen_t addr_len = 0;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
      return InvalidArgument("'" + host + "' is not an IPv6 address");
    }
    addr_len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
      return InvalidArgument("'" + host + "' is not an IPv4 address");
    }
    addr_len = sizeof(sockaddr_in);
  }
  Fd fd(::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Unavailable(std::string("socket(): ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), addr_len) != 0) {
    if (errno != EINPROGRESS) {
      return Unavailable("GET " + where + ": " + std::strerror(errno));
    }
    if (!WaitFor(fd.get(), POLLOUT, deadline))
      return Unavailable("GET " + where + ": connect timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Unavailable("GET " + where + ": " + std::strerror(err));
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + UrlHost(host) + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd.get(), POLLOUT, deadline))
        return Unavailable("GET " + where + ": send timed out");
    } else {
      return Unavailable("GET " + where + ": send: " + std::strerror(errno));
    }
  }
  // Only the status line matters: "HTTP/1.1 200 OK\r\n".
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 1024) {
    if (!WaitFor(fd.get(), POLLIN, deadline))
      return Unavailable("GET " + where + ": no reply in time");
    char buf[512];
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      head.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      return Unavailable("GET " + where + ": recv: " + std::strerror(errno));
    }
  }
  if (head.compare(0, 5, "HTTP/") != 0) return Unavailable("GET " + where + ": not an HTTP reply");
  const size_t sp = head.find(' ');
  if (sp == std::string::npos || sp + 4 > head.size()) {
    return Unavailable("GET " + where + ": malformed status line");
  }
  const std::string code = head.substr(sp + 1, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Unavailable("GET " + where + ": malformed status line");
  }
  return std::stoi(code);
}

}  // namespace skiff::compute_local
