// SPDX-License-Identifier: Apache-2.0
// Http2ServerAnswers: whether 127.0.0.1:port is an HTTP/2 (gRPC) server,
// without linking a gRPC client: it sends the client connection preface and
// an empty SETTINGS frame (RFC 9113 §3.4) and expects the server's first
// frame, a SETTINGS frame, within `timeout`. Tests of the gRPC listener's
// port use it where the call itself is tested elsewhere (GrpcPythonClient).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace skiff::testing {

inline bool Http2ServerAnswers(uint16_t port,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (ok) {
    static const char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    std::string hello(kPreface, sizeof kPreface - 1);
    hello.append("\0\0\0\x04\0\0\0\0\0", 9);  // SETTINGS, no flags, stream 0, empty
    ok = ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size());
  }
  unsigned char frame[9] = {};
  size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ok && got < sizeof frame) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      ok = false;
      break;
    }
    const ssize_t n = ::recv(fd, frame + got, sizeof frame - got, 0);
    if (n <= 0) {
      ok = false;
      break;
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok && frame[3] == 0x04;  // the frame type: SETTINGS
}

}  // namespace skiff::testing
