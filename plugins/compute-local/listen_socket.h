// SPDX-License-Identifier: Apache-2.0
// The listening socket skiff-supervisor holds for its service, so the port
// stays open while skiff-server restarts: connections made in the gap wait
// in the kernel's backlog or are answered 503 (GapResponder) instead of
// being refused. The server inherits it as fd 3 (socket activation).
#pragma once

#include <cstdint>
#include <string>

#include "skiff/status.h"

namespace skiff::compute_local {

class ListenSocket {
 public:
  ListenSocket() = default;
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  ~ListenSocket() { Close(); }

  // Binds address:port (IPv4 or IPv6 literal; port 0 = a free one) with
  // SO_REUSEADDR and listens. The fd is close-on-exec and non-blocking.
  Status Open(const std::string& address, int port);
  void Close();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

  // True when a server configured with address:port may take this socket:
  // same address, and port 0 (any) or the bound one.
  bool Serves(const std::string& address, int port) const {
    return is_open() && address == address_ && (port == 0 || port == port_);
  }

 private:
  int fd_ = -1;
  std::string address_;
  uint16_t port_ = 0;
};

}  // namespace skiff::compute_local
