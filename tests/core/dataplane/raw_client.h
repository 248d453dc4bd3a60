// SPDX-License-Identifier: Apache-2.0
// RawClient: raw bytes in, raw HTTP responses out, over a loopback
// connection, so malformed and hostile requests can be sent as they are.
// Every read is bounded (5 s, SO_RCVTIMEO). Header-only, for the HTTP
// server tests.
#pragma once

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
  // One response (status line + headers + Content-Length body); "" on EOF.
  std::string ReadResponse() {
    boost::system::error_code ec;
    boost::asio::read_until(socket_, buf_, "\r\n\r\n", ec);
    if (ec) return "";
    std::string all(boost::asio::buffers_begin(buf_.data()), boost::asio::buffers_end(buf_.data()));
    const size_t head_end = all.find("\r\n\r\n") + 4;
    size_t length = 0;
    const auto pos = all.find("Content-Length: ");
    if (pos != std::string::npos && pos < head_end) length = std::stoul(all.substr(pos + 16));
    if (all.size() < head_end + length) {
      boost::asio::read(socket_, buf_,
                        boost::asio::transfer_exactly(head_end + length - all.size()), ec);
      all.assign(boost::asio::buffers_begin(buf_.data()), boost::asio::buffers_end(buf_.data()));
    }
    buf_.consume(head_end + length);
    return all.substr(0, head_end + length);
  }
  // True when the server closed the connection (EOF or reset; false on timeout).
  bool ClosedByServer() {
    boost::system::error_code ec;
    char c;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context ioc_;
  tcp::socket socket_;
  boost::asio::streambuf buf_;
};

}  // namespace skiff::testing
