#include "skiff/dataplane/http_server.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

namespace skiff::dataplane {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

HttpResponse MakeResponse(http::status status, std::string body, const std::string& content_type) {
  HttpResponse res{status, 11};
  res.set(http::field::server, "skiff");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

std::string ErrorBody(const std::string& message) {
  std::string out = "{\"error\": \"";
  for (char c : message) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"}";
}

bool ObsFoldScanner::Scan(std::string_view bytes) {
  // Only the first byte of each line matters: jump from line to line with
  // memchr rather than branching on every header byte.
  size_t i = 0;
  while (i < bytes.size() && !ended_ && !folded_) {
    if (line_start_) {
      const char c = bytes[i];
      if (c == ' ' || c == '\t') {
        folded_ = true;
      } else if (c == '\r' || c == '\n') {
        ended_ = true;  // the empty line: what follows is body
      } else {
        line_start_ = false;
        ++i;
      }
      continue;
    }
    const void* newline = std::memchr(bytes.data() + i, '\n', bytes.size() - i);
    if (newline == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(newline) - bytes.data()) + 1;
    line_start_ = true;
  }
  return !folded_;
}

std::string FramingError(const http::request_header<>& header, bool chunked) {
  const auto range = header.equal_range(http::field::transfer_encoding);
  if (range.first == range.second) return "";
  if (std::next(range.first) != range.second) return "more than one Transfer-Encoding header";
  const auto value = range.first->value();
  if (!chunked || !beast::iequals(value, "chunked")) {
    return "Transfer-Encoding '" + std::string(value.data(), value.size()) +
           "' is not supported; send exactly 'chunked' or use Content-Length";
  }
  return "";
}

bool SerializeResponseHeader(const HttpResponse& response, std::string* out) {
  const unsigned version = response.version();
  if ((version != 10 && version != 11) || response.chunked() || !response.has_content_length()) {
    return false;
  }
  out->clear();
  out->append(version == 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  const unsigned code = response.result_int();
  if (code < 100 || code > 999) return false;
  const char digits[3] = {static_cast<char>('0' + code / 100),
                          static_cast<char>('0' + code / 10 % 10),
                          static_cast<char>('0' + code % 10)};
  out->append(digits, 3);
  out->push_back(' ');
  beast::string_view reason = response.reason();
  if (reason.empty()) reason = http::obsolete_reason(response.result());
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  for (const auto& field : response) {
    const beast::string_view name = field.name_string();
    const beast::string_view value = field.value();
    out->append(name.data(), name.size());
    out->append(": ");
    out->append(value.data(), value.size());
    out->append("\r\n");
  }
  out->append("\r\n");
  return true;
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, HttpHandler* handler,
          std::atomic<int64_t>* open)
      : stream_(std::move(socket)), options_(options), handler_(handler), open_(open) {
    open_->fetch_add(1);
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) client_ = remote.address().to_string();
  }
  ~Session() { open_->fetch_sub(1); }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(options_.max_header_bytes);
    // The real limit depends on the target; it is checked against
    // Content-Length and set once the header is in (before any body byte).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    obs_fold_ = ObsFoldScanner();
    scanned_ = 0;
    stream_.expires_after(options_.idle_timeout);
    ParseHeader();
  }

  // Beast's async_read_header, unrolled so that every header byte goes
  // through ObsFoldScanner before the parser sees (and unfolds) it. The
  // parser stops at the end of the header; body bytes stay in buffer_.
  void ParseHeader() {
    const auto data = buffer_.data();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    if (!obs_fold_.Scan(bytes.substr(scanned_))) {
      return SendError(http::status::bad_request,
                       "malformed request: a header line starts with whitespace (obs-fold); "
                       "send each header on one line");
    }
    scanned_ = bytes.size();
    beast::error_code ec;
    const size_t used = bytes.empty() ? 0 : parser_->put(data, ec);
    buffer_.consume(used);
    scanned_ -= used;
    if (parser_->is_header_done()) return OnHeader();
    if (ec && ec != http::error::need_more) return OnReadError(ec);
    stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->OnReadError(ec);
                              self->buffer_.commit(n);
                              self->ParseHeader();
                            });
  }

  void OnHeader() {
    const auto& header = parser_->get();
    if (std::string error = FramingError(header, parser_->chunked()); !error.empty()) {
      return SendError(http::status::bad_request, "malformed request: " + error);
    }
    const uint64_t limit = handler_->BodyLimit(header);
    if (auto length = parser_->content_length(); length && *length > limit) {
      return SendError(http::status::payload_too_large,
                       "request body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                           std::to_string(limit) + " bytes (maxRequestBodyBytes)");
    }
    parser_->body_limit(limit);
    stream_.expires_after(options_.request_timeout);
    // A small request's body usually arrived with its header: parse what is
    // buffered here rather than through Beast's composed async_read (which
    // completes through the executor even with nothing to read, ~20,000
    // instructions). What is missing is read as before.
    while (!parser_->is_done() && buffer_.size() > 0) {
      beast::error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return OnBody(ec);
      if (used == 0) break;
    }
    if (parser_->is_done()) return OnBody({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    HttpRequest request = parser_->release();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    auto self = shared_from_this();
    handler_->Handle(std::move(request), client_, [self](HttpResponse response) {
      auto shared = std::make_shared<HttpResponse>(std::move(response));
      asio::post(self->stream_.get_executor(), [self, shared] { self->Write(shared, false); });
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::header_limit) {
      return SendError(http::status::request_header_fields_too_large,
                       "request header section exceeds " + std::to_string(options_.max_header_bytes) +
                           " bytes");
    }
    if (ec == http::error::body_limit) {
      return SendError(http::status::payload_too_large,
                       "request body exceeds the limit (maxRequestBodyBytes)");
    }
    if (ec == http::error::bad_transfer_encoding || ec == http::error::bad_content_length) {
      return SendError(http::status::bad_request,
                       "malformed request: conflicting or invalid Content-Length / "
                       "Transfer-Encoding (" + ec.message() + ")");
    }
    SendError(http::status::bad_request, "malformed HTTP request: " + ec.message());
  }

  // Errors found while reading end the connection: the stream may be out of
  // sync with message boundaries.
  void SendError(http::status status, const std::string& message) {
    auto response = std::make_shared<HttpResponse>(MakeResponse(status, ErrorBody(message)));
    Write(response, true);
  }

  void Write(const std::shared_ptr<HttpResponse>& response, bool close) {
    close_ = close || !keep_alive_ || !response->keep_alive() ||
             response->find(http::field::connection) != response->end();
    response->version(version_);
    response->keep_alive(!close_);
    response->prepare_payload();
    stream_.expires_after(options_.write_timeout);
    auto after = [self = shared_from_this(), response](beast::error_code ec, size_t) {
      if (ec || self->close_) return self->Close();
      self->ReadHeader();
    };
    if (SerializeResponseHeader(*response, &head_)) {
      // The header section as Beast's serializer would write it, in one
      // reused buffer, and the body beside it (one gather write): Beast's
      // serializer cost ~20,000 instructions per response.
      const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_),
                                                         asio::buffer(response->body())};
      return asio::async_write(stream_, buffers, std::move(after));
    }
    http::async_write(stream_, *response, std::move(after));
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string head_;  // the response header being written; reused
  const HttpServerOptions& options_;
  HttpHandler* handler_;
  std::atomic<int64_t>* open_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ObsFoldScanner obs_fold_;  // over the header section being read
  size_t scanned_ = 0;       // bytes at the front of buffer_ already scanned
  std::string client_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_ = false;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options), handler_(handler), ioc_(options.io_threads), acceptor_(ioc_) {}

  Status Listen() {
    beast::error_code ec;
    if (options_.listen_fd >= 0) {
      SKIFF_RETURN_IF_ERROR(AdoptListeningSocket(options_.listen_fd));
      return Run();
    }
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec) return InvalidArgument("listen address '" + options_.address + "': " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("cannot listen on " + options_.address + ":" +
                         std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return Run();
  }

  // Takes over `fd`, which must be a listening TCP socket.
  Status AdoptListeningSocket(int fd) {
    const std::string what = "listen socket (fd " + std::to_string(fd) + ")";
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) {
      return InvalidArgument(what + " is not a socket: " + std::strerror(errno) +
                             "; pass a listening TCP socket or none");
    }
    sockaddr_storage local{};
    len = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 ||
        (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
      return InvalidArgument(what + " is not a TCP/IP socket; pass a listening TCP socket");
    }
    if (!listening) {
      return InvalidArgument(what + " is not listening; call listen() on it before passing it");
    }
    const tcp protocol = local.ss_family == AF_INET ? tcp::v4() : tcp::v6();
    beast::error_code ec;
    acceptor_.assign(protocol, fd, ec);
    if (ec) return Unavailable("cannot accept on " + what + ": " + ec.message());
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return Unavailable("cannot read the address of " + what + ": " + ec.message());
    return OkStatus();
  }

  Status Run() {
    Accept();
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return OkStatus();
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(s), options_, handler_, &open_)->Run();
      Accept();
    });
  }

  void StopAccepting() {
    asio::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
  }

  void Shutdown() {
    StopAccepting();
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  HttpServerOptions options_;
  HttpHandler* handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> open_{0};
  uint16_t port_ = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->Shutdown(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        HttpHandler* handler) {
  auto impl = std::make_unique<Impl>(options, handler);
  SKIFF_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port_; }
void HttpServer::StopAccepting() { impl_->StopAccepting(); }
int64_t HttpServer::open_connections() const { return impl_->open_.load(); }

}  // namespace skiff::dataplane
