// SPDX-License-Identifier: Apache-2.0
#include "listen_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::compute_local {

Status ListenSocket::Open(const std::string& address, int port) {
  Close();
  if (port < 0 || port > 65535) {
    return InvalidArgument("port " + std::to_string(port) + " is outside 0..65535");
  }
  sockaddr_storage storage{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return InvalidArgument("listen address '" + address +
                           "' is not an IPv4 or IPv6 address; use e.g. 127.0.0.1 or 0.0.0.0");
  }
  const std::string where = address + ":" + std::to_string(port);
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Unavailable("cannot create a socket for " + where + ": " + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    ::close(fd);
    return Unavailable("cannot listen on " + where + ": " + std::strerror(err));
  }
  len = sizeof(storage);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len);
  port_ = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  fd_ = fd;
  address_ = address;
  return OkStatus();
}

void ListenSocket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  port_ = 0;
  address_.clear();
}

}  // namespace skiff::compute_local
