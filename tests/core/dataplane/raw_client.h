// SPDX-License-Identifier: Apache-2.0
// RawClient: raw bytes in, raw HTTP responses out, over a loopback
// connection, so malformed and hostile requests can be sent as they are.
// Every read is bounded (5 s, poll). Header-only, for the HTTP server
// tests.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <cstdint>
#include <string>

namespace skiff::testing {

class RawClient {
 public:
  explicit RawClient(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    struct timeval tv {
      5, 0
    };
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void Send(const std::string& bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(bytes), ec);  // the server may close mid-way
  }
  // One response (status line + headers + Content-Length body); "" on EOF
  // or when no header came within 5 s.
  std::string ReadResponse() {
    std::string all = Buffered();
    size_t head = all.find("\r\n\r\n");
    while (head == std::string::npos) {
      if (!Fill()) return "";
      all = Buffered();
      head = all.find("\r\n\r\n");
    }
    const size_t head_end = head + 4;
    size_t length = 0;
    const auto pos = all.find("Content-Length: ");
    if (pos != std::string::npos && pos < head_end) length = std::stoul(all.substr(pos + 16));
    while (all.size() < head_end + length && Fill()) all = Buffered();
    buf_.consume(head_end + length);
    return all.substr(0, head_end + length);
  }
  // True when the server closed the connection (EOF or reset; false on timeout).
  bool ClosedByServer() {
    if (!Readable()) return false;
    boost::system::error_code ec;
    char c;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  using tcp = boost::asio::ip::tcp;

  // Every read waits at most 5 s here. SO_RCVTIMEO alone does not bound
  // them: Asio's blocking read polls without a timeout once recv() gives
  // EAGAIN, so a test waiting for an answer that never comes would hang.
  bool Readable() {
    pollfd p{socket_.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 5000) > 0;
  }
  // Appends what arrived to buf_; false on timeout, EOF or an error.
  bool Fill() {
    if (!Readable()) return false;
    boost::system::error_code ec;
    const size_t n = socket_.read_some(buf_.prepare(16 * 1024), ec);
    if (ec) return false;
    buf_.commit(n);
    return true;
  }
  std::string Buffered() const {
    return std::string(boost::asio::buffers_begin(buf_.data()),
                       boost::asio::buffers_end(buf_.data()));
  }
  boost::asio::io_context ioc_;
  tcp::socket socket_;
  boost::asio::streambuf buf_;
};

}  // namespace skiff::testing
