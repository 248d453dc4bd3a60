// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/http_server.h"

#include <sys/resource.h>
#include <pthread.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <charconv>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "skiff/dataplane/access_log.h"
#include "skiff/dataplane/inline_host.h"
#include "skiff/dataplane/request_framer.h"
#include "skiff/dataplane/request_ids.h"
#include "skiff/dataplane/tls_context.h"
#include "skiff/protocol/infer_response.h"

namespace skiff::dataplane {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

HttpResponse MakeResponse(http::status status, std::string body, std::string_view content_type) {
  HttpResponse res{status, 11};
  // insert, not set: the fields are empty, so there is nothing to replace
  // (set looks each name up first). No Server field: the HTTP server
  // writes it into every answer's header bytes (kServerField).
  res.insert(http::field::content_type,
             beast::string_view(content_type.data(), content_type.size()));
  res.body() = std::move(body);
  return res;
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

namespace {

// A header section is written through a pointer into a buffer sized once
// for it: ~30 appends (each checking the capacity) were ~1,400 instructions
// a response (issue 20 eighth session).
char* PutBytes(std::string_view bytes, char* p) {
  std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}

char* PutField(std::string_view name, std::string_view value, char* p) {
  p = PutBytes(name, p);
  p = PutBytes(": ", p);
  p = PutBytes(value, p);
  return PutBytes("\r\n", p);
}

std::string_view AsStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

// "HTTP/1.x NNN reason\r\n" (code of three digits): 15 bytes and the reason.
char* PutStatusLine(unsigned version, unsigned code, beast::string_view reason, char* p) {
  p = PutBytes(version == 11 ? "HTTP/1.1 " : "HTTP/1.0 ", p);
  p[0] = static_cast<char>('0' + code / 100);
  p[1] = static_cast<char>('0' + code / 10 % 10);
  p[2] = static_cast<char>('0' + code % 10);
  p[3] = ' ';
  p = PutBytes(AsStd(reason), p + 4);
  return PutBytes("\r\n", p);
}

}  // namespace

void WithServerFirst(HttpResponse* response) {
  if (response->find(http::field::server) != response->end()) return;
  // Beast adds a field at the end; Server goes first, where the answer's
  // own path writes it, so the fields are copied after it.
  HttpResponse with;
  with.result(response->result_int());  // the code as it is, a code Beast does not know too
  with.version(response->version());
  if (!response->reason().empty()) with.reason(response->reason());
  with.insert(http::field::server, "skiff");
  for (const auto& field : *response) with.insert(field.name_string(), field.value());
  with.body() = std::move(response->body());
  *response = std::move(with);
}

bool SerializeResponseHeader(const HttpResponse& response, std::string* out) {
  const unsigned version = response.version();
  const unsigned code = response.result_int();
  if ((version != 10 && version != 11) || response.chunked() || !response.has_content_length() ||
      code < 100 || code > 999) {
    return false;
  }
  beast::string_view reason = response.reason();
  if (reason.empty()) reason = http::obsolete_reason(response.result());
  size_t bound = 15 + reason.size() + 2;  // the status line, the empty line
  for (const auto& field : response) {
    bound += field.name_string().size() + field.value().size() + 4;
  }
  out->resize(bound);
  char* p = PutStatusLine(version, code, reason, out->data());
  for (const auto& field : response) {
    p = PutField(AsStd(field.name_string()), AsStd(field.value()), p);
  }
  p = PutBytes("\r\n", p);
  out->resize(static_cast<size_t>(p - out->data()));
  return true;
}


bool SerializeAnswerHeader(const HttpResponse& response, unsigned version, bool keep_alive,
                           std::string_view request_id, std::string_view echoed_id,
                           std::string* out) {
  const unsigned code = response.result_int();
  if ((version != 10 && version != 11) || code < 200 || code > 999 || code == 204 ||
      code == 304) {
    return false;
  }
  beast::string_view reason = response.reason();
  if (reason.empty()) reason = http::obsolete_reason(response.result());
  constexpr std::string_view kRequestId = kRequestIdHeader;
  constexpr std::string_view kClientRequestId = kClientRequestIdHeader;
  // The status line; the ids, the longest Connection field,
  // Content-Length with 20 digits, the empty line.
  size_t bound = 15 + reason.size() + kServerField.size() + kRequestId.size() +
                 request_id.size() + 4 + kClientRequestId.size() + echoed_id.size() + 4 + 24 + 16 +
                 20 + 2 + 2;
  bool own_server = false;  // the handler named a Server itself: it stays, in its place
  for (const auto& field : response) {
    const http::field known = field.name();
    const beast::string_view name = field.name_string();
    // What the path through the response's own fields would replace or
    // rewrite: that path keeps it (rare: the handler set it).
    if (known == http::field::connection || known == http::field::content_length ||
        known == http::field::transfer_encoding ||
        (known == http::field::unknown && (beast::iequals(name, kRequestIdHeader) ||
                                           beast::iequals(name, kClientRequestIdHeader)))) {
      return false;
    }
    own_server = own_server || known == http::field::server;
    bound += name.size() + field.value().size() + 4;
  }
  out->resize(bound);
  char* p = out->data();
  p = PutStatusLine(version, code, reason, p);
  if (!own_server) p = PutBytes(kServerField, p);
  for (const auto& field : response) {
    p = PutField(AsStd(field.name_string()), AsStd(field.value()), p);
  }
  p = PutField(kRequestId, request_id, p);
  p = PutField(kClientRequestId, echoed_id, p);
  // What keep_alive() adds where the response has no Connection field.
  if (version == 11 && !keep_alive) p = PutField("Connection", "close", p);
  if (version == 10 && keep_alive) p = PutField("Connection", "keep-alive", p);
  p = PutBytes("Content-Length: ", p);
  p = std::to_chars(p, p + 20, response.body().size()).ptr;
  p = PutBytes("\r\n\r\n", p);
  out->resize(static_cast<size_t>(p - out->data()));
  return true;
}

void HttpHandler::Handle(HttpRequest request, const std::string& client_address,
                         const OnwardIds& ids, std::function<void(HttpResponse)> respond) {
  request.set(kRequestIdHeader, beast::string_view(ids.request_id.data(), ids.request_id.size()));
  request.set(kTraceparentHeader,
              beast::string_view(ids.traceparent.data(), ids.traceparent.size()));
  Handle(std::move(request), client_address, std::move(respond));
}

int64_t DefaultMaxConnections(uint64_t fd_limit) {
  const uint64_t headroom = std::max<uint64_t>(fd_limit / 8, 64);
  const uint64_t cap = fd_limit > headroom ? fd_limit - headroom : 0;
  return static_cast<int64_t>(std::clamp<uint64_t>(cap, 16, uint64_t{1} << 40));
}

namespace {

class SessionBase;

// What the sessions of one server share: its options, the handler, and the
// accounting of connections and request body bytes.
struct ServerState {
  ServerState(const HttpServerOptions& o, HttpHandler* h, int64_t cap)
      : options(o), handler(h), max_connections(cap) {}

  const HttpServerOptions& options;
  HttpHandler* const handler;
  const int64_t max_connections;
  std::atomic<int64_t> open{0};
  std::atomic<uint64_t> body_bytes{0};    // reserved by requests not yet answered
  std::atomic<uint64_t> idle_ticket{1};   // orders sessions by when they went idle
  std::mutex mu;                          // guards `sessions` and every session's prev_/next_
  SessionBase* sessions = nullptr;        // intrusive list of running sessions
  TlsContextSource* tls = nullptr;        // null: plain http
  // Connections whose TLS handshake has not finished, counting those still
  // waiting for their peer's first byte: their number has its own bound
  // (TlsServerOptions::max_handshakes).
  std::atomic<int64_t> handshaking{0};
  // Those of them that hold TLS state (the OpenSSL connection, its BIO pair
  // and Asio's record buffers, ~90 KiB): created only once the peer has sent
  // a byte, so a peer that connects and stays silent costs a socket and a
  // timer, not a TLS engine.
  std::atomic<int64_t> handshaking_with_state{0};
  // Respond callbacks the handler holds (copies included), called or not. A
  // handler thread that drops the last one may run the destructors of a
  // session or its strand, which need this state and the io_context: the
  // server's destructor waits for this to reach 0 before they go.
  std::atomic<int64_t> callbacks{0};

  // Reserves `n` body bytes from the server-wide budget; false when they do
  // not fit. Threading: any thread.
  bool TryReserve(uint64_t n) {
    uint64_t used = body_bytes.load(std::memory_order_relaxed);
    do {
      if (n > options.max_body_bytes_in_flight - used) return false;
    } while (!body_bytes.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void Release(uint64_t n) { body_bytes.fetch_sub(n, std::memory_order_relaxed); }
};

// Session::idle_since_ when the session is handling a request (not idle).
constexpr uint64_t kBusy = 0;
// Session::idle_since_ once a shed has claimed the session.
constexpr uint64_t kShed = std::numeric_limits<uint64_t>::max();

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

bool ExpectsContinue(const http::request_header<>& header) {
  const auto it = header.find(http::field::expect);
  return it != header.end() && beast::iequals(it->value(), "100-continue");
}

// What the connection cap needs of a session, plain or TLS: its place in
// the server's list and whether (since when) it is idle.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  explicit SessionBase(ServerState* state) : state_(state) { state_->open.fetch_add(1); }
  virtual ~SessionBase() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (prev_ != nullptr) prev_->next_ = next_;
      if (next_ != nullptr) next_->prev_ = prev_;
      if (state_->sessions == this) state_->sessions = next_;
    }
    state_->open.fetch_sub(1);
  }

  // Closes the session that has been idle (waiting for a request's header,
  // or for a TLS handshake to finish) the longest, to make room for a new
  // connection; `then` (may be empty) runs on that session's strand once its
  // socket is closed. `handshakes_only`: only sessions still in their TLS
  // handshake qualify. False when none does. Threading: any thread.
  static bool ShedOldestIdle(ServerState* state, std::function<void()> then,
                             bool handshakes_only = false) {
    std::shared_ptr<SessionBase> victim;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      for (int attempt = 0; attempt < 4 && victim == nullptr; ++attempt) {
        SessionBase* oldest = nullptr;
        uint64_t oldest_ticket = kShed;
        for (SessionBase* s = state->sessions; s != nullptr; s = s->next_) {
          const uint64_t ticket = s->idle_since_.load(std::memory_order_acquire);
          if (handshakes_only && !s->in_handshake_.load(std::memory_order_acquire)) continue;
          if (ticket != kBusy && ticket < oldest_ticket) {
            oldest = s;
            oldest_ticket = ticket;
          }
        }
        if (oldest == nullptr) return false;
        // A session being destroyed (last reference gone) cannot be locked.
        std::shared_ptr<SessionBase> locked = oldest->weak_from_this().lock();
        uint64_t expected = oldest_ticket;
        if (locked && oldest->idle_since_.compare_exchange_strong(expected, kShed)) {
          victim = std::move(locked);
        }
      }
    }
    if (victim == nullptr) return false;
    victim->CloseOnStrand(std::move(then));
    return true;
  }

 protected:
  void Link() {
    std::lock_guard<std::mutex> lock(state_->mu);
    next_ = state_->sessions;
    if (next_ != nullptr) next_->prev_ = this;
    state_->sessions = this;
  }
  // Closes the socket on the session's strand, then runs `then`.
  virtual void CloseOnStrand(std::function<void()> then) = 0;

  ServerState* const state_;
  // kBusy while a request is handled, kShed once shed, else a ticket from
  // ServerState::idle_ticket taken when the session went idle (older = smaller).
  std::atomic<uint64_t> idle_since_{kBusy};
  // True from the start of a TLS handshake until it ends (either way).
  std::atomic<bool> in_handshake_{false};

 private:
  SessionBase* prev_ = nullptr;  // guarded by state_->mu
  SessionBase* next_ = nullptr;  // guarded by state_->mu
};

// Beast's fields take its own string_view.
beast::string_view AsBeast(std::string_view s) { return {s.data(), s.size()}; }

// Each connection runs on a strand of its own. Naming the strand's type
// (instead of Beast's default any_io_executor) keeps the executor copies
// every async operation, timer and post makes off the heap: a type-erased
// strand does not fit any_executor's small buffer, and cost ~16 allocations
// per request (bench/profile.py --allocs, issue 20.5).
using ConnectionExecutor = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<tcp, ConnectionExecutor>;
// The socket itself, not Beast's basic_stream: the session keeps its own
// deadline (Session::ExpiresAt), see there why.
using PlainStream = Socket;
using TlsStream = beast::ssl_stream<Socket>;

// One connection over `Stream`: PlainStream, or TlsStream (a handshake first).
template <class Stream>
class Session : public SessionBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `tls`: the context to shake hands with (TlsStream only; kept for the
  // connection's life, whatever a reload makes current meanwhile).
  // `handshake_deadline`: when an unfinished handshake is closed (TlsStream
  // only; set when the connection was accepted).
  Session(Socket socket, ServerState* state, std::shared_ptr<ssl::context> tls = nullptr,
          std::chrono::steady_clock::time_point handshake_deadline = {})
      : SessionBase(state),
        tls_(std::move(tls)),
        handshake_deadline_(handshake_deadline),
        stream_(MakeStream(std::move(socket))),
        timer_(stream_.get_executor()),
        options_(state->options),
        handler_(state->handler) {
    beast::error_code ec;
    auto remote = Lowest().remote_endpoint(ec);
    if (!ec) client_ = remote.address().to_string();
    on_chunk_ = [this](uint64_t size, beast::string_view, beast::error_code& ec) {
      OnChunkHeader(size, ec);
    };
  }
  ~Session() override {
    if (reserved_ > 0) state_->Release(reserved_);
    EndHandshake();
  }

  void Run() {
    Link();
    asio::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  Stream MakeStream(Socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls_);
    } else {
      return Stream(std::move(socket));
    }
  }
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  Socket& Lowest() { return beast::get_lowest_layer(stream_); }

  // Timeouts: one timer per connection, armed lazily. Moving the deadline
  // later, as every request does (idle, then body, then write), only stores
  // the time; the timer is re-armed only for an earlier deadline, and a
  // timer that fires before the current deadline waits again. Beast's
  // basic_stream started and cancelled a timer wait around every read and
  // write (a timer-queue insert, the cancelled wait's handler run through
  // the strand, a timerfd_settime when it was the earliest timer), with its
  // own layer of composed operations: ~8,000 instructions and 4 allocations
  // per request (bench/README.md, issue 20.5). At the deadline
  // the socket is closed: the operation in progress ends with
  // operation_aborted, which every completion takes as the peer gone, as it
  // took Beast's timeout error.
  using Clock = std::chrono::steady_clock;
  void ExpiresAfter(Clock::duration d) { ExpiresAt(Clock::now() + d); }
  void ExpiresAt(Clock::time_point t) {
    deadline_ = t;
    if (!timer_waiting_ || t < timer_expiry_) ArmTimer();
  }
  void ExpiresNever() { deadline_ = Clock::time_point::max(); }
  void ArmTimer() {
    timer_expiry_ = deadline_;
    timer_waiting_ = true;
    // A wait still pending ends with operation_aborted; its generation is
    // stale by then, so it changes nothing.
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this(), generation = ++timer_generation_](
                          beast::error_code ec) {
      // The timer does not keep a closed connection's session alive.
      const std::shared_ptr<SessionBase> locked = weak.lock();
      if (locked == nullptr) return;
      auto* self = static_cast<Session*>(locked.get());
      if (generation != self->timer_generation_) return;
      self->timer_waiting_ = false;
      if (ec || self->deadline_ == Clock::time_point::max()) return;
      if (Clock::now() >= self->deadline_) return self->Close();
      self->ArmTimer();
    });
  }

  void CloseOnStrand(std::function<void()> then) override {
    asio::dispatch(stream_.get_executor(), [self = Self(), then = std::move(then)] {
      self->Close();
      if (then) then();
    });
  }

  // The TLS handshake, bounded by handshake_timeout. Until it is done the
  // session counts as idle: at the cap a stalled handshake is shed before
  // any connection that is serving a request. A peer that sends garbage,
  // stalls or offers no protocol we speak costs one closed connection; SNI
  // is not required (one certificate).
  void Handshake() {
    uint64_t busy = kBusy;
    if (!idle_since_.compare_exchange_strong(
            busy, state_->idle_ticket.fetch_add(1, std::memory_order_relaxed))) {
      return Close();  // claimed by a shed
    }
    in_handshake_.store(true, std::memory_order_release);
    state_->handshaking.fetch_add(1, std::memory_order_relaxed);
    state_->handshaking_with_state.fetch_add(1, std::memory_order_relaxed);
    ExpiresAt(handshake_deadline_);
    stream_.async_handshake(ssl::stream_base::server, [self = Self()](beast::error_code ec) {
      self->EndHandshake();
      if (self->idle_since_.exchange(kBusy) == kShed || ec) return self->Close();
      self->ReadHeader();
    });
  }
  void EndHandshake() {
    if (in_handshake_.exchange(false, std::memory_order_acq_rel)) {
      state_->handshaking.fetch_sub(1, std::memory_order_relaxed);
      state_->handshaking_with_state.fetch_sub(1, std::memory_order_relaxed);
    }
  }

 private:
  void ReadHeader() {
    framer_.Reset();
    header_started_ = false;
    ids_.set = false;
    first_byte_ = {};
    verb_ = http::verb::unknown;
    route_ = {};
    request_bytes_ = 0;
    // Idle until the header is in: the oldest idle session is shed first.
    uint64_t busy = kBusy;
    if (!idle_since_.compare_exchange_strong(
            busy, state_->idle_ticket.fetch_add(1, std::memory_order_relaxed))) {
      return Close();  // claimed by a shed
    }
    ExpiresAfter(options_.idle_timeout);
    ParseHeader();
  }

  // Beast's async_read_header, unrolled so that the framer sees every
  // header byte (obs-fold first). The parser stops at the end of the
  // header; body bytes stay in buffer_.
  void ParseHeader() {
    const std::string_view bytes = Buffered();
    if (!bytes.empty() && first_byte_ == std::chrono::steady_clock::time_point{}) {
      first_byte_ = std::chrono::steady_clock::now();  // the access log's latency starts here
    }
    std::optional<HttpResponse> answer;
    const size_t used = framer_.PutHeader(bytes, &answer);
    if (answer) {
      request_bytes_ += bytes.size();  // what was read of the refused header
      return Write(std::move(*answer), true);
    }
    request_bytes_ += used;
    buffer_.consume(used);
    if (framer_.header_done()) return OnHeader();
    if (!bytes.empty() && !header_started_) {
      // Part of a header is in: the rest must follow within header_timeout
      // (a header that arrives whole never gets here).
      header_started_ = true;
      ExpiresAfter(options_.header_timeout);
    }
    stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)),
                            [self = Self()](beast::error_code ec, size_t n) {
                              if (ec) return self->OnReadError(ec);
                              self->buffer_.commit(n);
                              self->ParseHeader();
                            });
  }

  void OnHeader() {
    if (idle_since_.exchange(kBusy) == kShed) return Close();
    RequestParser& parser = framer_.parser();
    version_ = parser.get().version();
    // Ids and route first: a refusal below is answered and logged with them.
    ids_ = RequestIds::For(parser.get());
    verb_ = parser.get().method();
    route_ = handler_->RouteTemplate(parser.get());
    const auto declared = parser.content_length();
    body_unread_ = parser.chunked() || (declared && *declared > 0);
    // Framing, the handler's verdict (authentication) and its body limit,
    // before any body byte is read.
    if (std::optional<HttpResponse> refusal = framer_.Admit(*handler_, client_, &memo_)) {
      return Write(std::move(*refusal), true);
    }
    if (declared && *declared > 0) {
      if (!state_->TryReserve(*declared)) return SendBusy();
      reserved_ = *declared;
    }
    if (parser.chunked()) parser.on_chunk_header(on_chunk_);
    // The body's time counts from the header's end (bodyTimeoutMs). A header
    // that came whole in one read ended when that read was taken up, which
    // first_byte_ already holds: no second clock read for it (the parse and
    // the handler's Admit, a few microseconds, lie between the two).
    ExpiresAt((header_started_ ? Clock::now() : first_byte_) + options_.request_timeout);
    // A small request's body usually arrived with its header: parse what is
    // buffered here rather than through Beast's composed async_read (which
    // completes through the executor even with nothing to read, ~20,000
    // instructions). What is missing is read as before.
    while (!parser.is_done() && buffer_.size() > 0) {
      beast::error_code ec;
      const size_t used = framer_.PutBody(Buffered(), &ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return OnBody(ec);
      if (used == 0) break;
    }
    if (parser.is_done()) return OnBody({});
    if (version_ == 11 && ExpectsContinue(parser.get())) {
      // The client waits for this before it sends the body (RFC 7231 5.1.1).
      return asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                               [self = Self()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  std::string_view Buffered() const {
    const auto data = buffer_.data();
    return std::string_view(static_cast<const char*>(data.data()), data.size());
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, framer_.parser(),
                     [self = Self()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  // Chunked bodies take their budget chunk by chunk.
  void OnChunkHeader(uint64_t size, beast::error_code& ec) {
    if (size > framer_.body_limit()) return;  // the parser answers body_limit (413) itself
    if (!state_->TryReserve(size)) {
      over_budget_ = true;
      ec = http::error::body_limit;
      return;
    }
    reserved_ += size;
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    body_unread_ = false;
    ExpiresNever();
    HttpRequest request = framer_.Release();
    keep_alive_ = request.keep_alive();
    request_bytes_ += request.body().size();
    // Onward ids, as a proxy (Envoy) sets x-request-id: the handler and
    // whatever it asks upstream see the server's id and span. A client's
    // own x-ms-request-id is replaced, never trusted (HttpHandler::Handle).
    handler_->Handle(std::move(request), client_,
                     OnwardIds{ids_.request_id(), ids_.onward_traceparent()}, Responder(Self()));
  }

  // The callback Handle() gets: hands the answer to the session's strand.
  // Counted in ServerState::callbacks while it (or a copy) exists, so the
  // server outlives whatever a handler thread releases with it (TSan:
  // ~SessionBase, and ~strand_impl, on a scoring worker against ~HttpServer).
  class Responder {
   public:
    explicit Responder(std::shared_ptr<Session> self) : self_(std::move(self)) {
      self_->state_->callbacks.fetch_add(1, std::memory_order_relaxed);
    }
    Responder(const Responder& other) : self_(other.self_), state_(other.state_) {
      state_->callbacks.fetch_add(1, std::memory_order_relaxed);
    }
    Responder& operator=(const Responder&) = delete;
    ~Responder() {
      self_.reset();  // may be the session's last reference: before the count
      state_->callbacks.fetch_sub(1, std::memory_order_release);
    }
    void operator()(HttpResponse response) {
      // The response moves into the handler and then into the session
      // (response_): no shared copy of it per request.
      // dispatch, not post: called on a thread that runs the loop (inline
      // scoring answers from the I/O thread, outside the strand) the strand
      // runs Write here when it is free, instead of a round trip through the
      // scheduler's queue (its post and its lock, and 2 allocations per
      // inline request: bench/README.md "Locks and clocks (ninth
      // session)"). Called from any other thread (a scoring
      // worker, the deadline thread) it posts as before. Called on the
      // strand itself (an answer given inside Handle) Write runs nested in
      // Handle: it only starts the write, whose completion Asio never runs
      // inline, and OnBody touches nothing of the session after Handle.
      asio::dispatch(self_->stream_.get_executor(),
                     [self = self_, response = std::move(response)]() mutable {
                       self->Write(std::move(response), false);
                     });
    }

   private:
    std::shared_ptr<Session> self_;
    ServerState* const state_ = self_->state_;
  };

  void OnReadError(beast::error_code ec) {
    if (over_budget_) return SendBusy();
    std::optional<HttpResponse> answer = framer_.AnswerFor(ec);
    if (!answer) return Close();  // the peer went away or timed out
    // The stream may be out of sync with message boundaries: answer, close.
    Write(std::move(*answer), true);
  }

  // The body budget is spent: 503 before (the rest of) the body is read.
  void SendBusy() {
    HttpResponse response(MakeResponse(
        http::status::service_unavailable,
        protocol::EncodeError("the server is reading as many request bodies as it may at once "
                              "(maxBodyBytesInFlight); retry shortly")));
    response.set(http::field::retry_after, "1");
    Write(std::move(response), true);
  }

  // One response is written at a time (the next header is read only once
  // it is out), so the session holds it in response_ until the write ends.
  void Write(HttpResponse response, bool close) {
    response_ = std::move(response);
    HttpResponse* const out = &response_;
    // Answered: the body's budget goes back (the handler is done with it).
    if (reserved_ > 0) {
      state_->Release(reserved_);
      reserved_ = 0;
    }
    // Any Connection field closes; without one, keep_alive() is true for
    // HTTP/1.1 and false for 1.0, so the version answers it without a
    // second look-up of the field.
    close_ = close || !keep_alive_ || out->find(http::field::connection) != out->end() ||
             out->version() < 11;
    // An answer before any header was parsed (431, 400) still gets ids.
    if (!ids_.set) ids_ = RequestIds::Fresh();
    // One clock read for the write's deadline and the access log's latency
    // end: only the header's serialisation lies between the two uses, well
    // under a microsecond, so the latency is the time until the answer was
    // ready to send and write_timeout still counts from here.
    const Clock::time_point now = Clock::now();
    ExpiresAt(now + options_.write_timeout);
    auto after = [self = Self()](beast::error_code ec, size_t) {
      // Written: an idle keep-alive connection holds no response body.
      self->response_ = HttpResponse();
      if (ec) return self->Close();
      if (self->close_) return self->body_unread_ ? self->Linger() : self->Close();
      self->ReadHeader();
    };
    // The usual answer: the ids, Connection and Content-Length go straight
    // into the header bytes rather than into the response's fields.
    if (SerializeAnswerHeader(*out, version_, !close_, ids_.request_id(), ids_.echoed_id(),
                              &head_)) {
      return WriteHeadAndBody(std::move(after), now);
    }
    WithServerFirst(out);
    out->set(kRequestIdHeader, AsBeast(ids_.request_id()));
    out->set(kClientRequestIdHeader, AsBeast(ids_.echoed_id()));
    out->version(version_);
    out->keep_alive(!close_);
    out->prepare_payload();
    if (SerializeResponseHeader(*out, &head_)) return WriteHeadAndBody(std::move(after), now);
    LogAccess(*out, 0, now);
    http::async_write(stream_, *out, std::move(after));
  }

  // Sends head_ and response_'s body. The header section as Beast's
  // serializer would write it, in one reused buffer, and the body beside it
  // (one gather write): Beast's serializer cost ~20,000 instructions per
  // response.
  template <class After>
  void WriteHeadAndBody(After after, Clock::time_point now) {
    LogAccess(response_, head_.size(), now);
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_),
                                                       asio::buffer(response_.body())};
    asio::async_write(stream_, buffers, std::move(after));
  }

  // One access-log line for the answer being sent (`head_bytes`: its header
  // section's size, 0 when Beast serialises it and it is not known here;
  // `now`: Write's clock read, the latency's end).
  void LogAccess(const HttpResponse& response, size_t head_bytes, Clock::time_point now) {
    if (options_.access_log == nullptr) return;
    const auto start = first_byte_ == Clock::time_point{} ? now : first_byte_;
    AccessRecord r;
    r.time = std::chrono::system_clock::now();
    r.request_id = ids_.request_id();
    r.client_request_id = ids_.client_id();
    r.trace_id = ids_.trace_id();
    r.span_id = ids_.span_id();
    r.parent_span_id = ids_.parent_span_id();
    if (verb_ != http::verb::unknown) {
      const auto method = http::to_string(verb_);
      r.method = std::string_view(method.data(), method.size());
    }
    r.route = route_;
    r.status = static_cast<int>(response.result_int());
    r.version = AnsweredVersion(response);
    r.latency_seconds = std::chrono::duration<double>(now - start).count();
    r.request_bytes = request_bytes_;
    r.response_bytes = head_bytes + response.body().size();
    r.client = client_;
    options_.access_log->Record(r);
  }

  // Answered before the body was read: close our side, then read and drop
  // what the client still sends for up to linger_timeout. Closing at once
  // with unread bytes would reset the connection, and the client could lose
  // the answer (a 401, a 503) before it reads it.
  void Linger() {
    beast::error_code ec;
    Lowest().shutdown(tcp::socket::shutdown_send, ec);
    ExpiresAfter(options_.linger_timeout);
    Discard();
  }
  void Discard() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = Self()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Discard();
                            });
  }

  void Close() {
    beast::error_code ec;
    Lowest().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close(ec);
    timer_.cancel();
  }

  const std::shared_ptr<ssl::context> tls_;  // TlsStream: what stream_ shook hands with
  const std::chrono::steady_clock::time_point handshake_deadline_;  // TlsStream only
  Stream stream_;
  asio::steady_timer timer_;  // ExpiresAt's; on the strand, as stream_
  Clock::time_point deadline_ = Clock::time_point::max();  // closed then; max: none
  Clock::time_point timer_expiry_{};  // what timer_ waits for while timer_waiting_
  bool timer_waiting_ = false;
  uint64_t timer_generation_ = 0;  // of the latest wait; earlier ones are stale
  beast::flat_buffer buffer_;
  std::string head_;  // the response header being written; reused
  HttpResponse response_;  // the response being written (Write)
  const HttpServerOptions& options_;
  HttpHandler* handler_;
  RequestFramer framer_{options_.max_header_bytes};  // the request being read
  ConnectionMemo memo_;  // the handler's, across this connection's requests (Admit)
  std::string client_;
  // The parser holds a reference to this (Beast's on_chunk_header).
  std::function<void(uint64_t, beast::string_view, beast::error_code&)> on_chunk_;
  uint64_t reserved_ = 0;    // body bytes of the server's budget held by this request
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_ = false;
  bool header_started_ = false;  // part of the current header has arrived
  bool body_unread_ = false;     // the current request has body bytes not read yet
  bool over_budget_ = false;     // a chunk did not fit the body budget
  // The current request, for its answer's ids and access-log line.
  RequestIds ids_;
  std::chrono::steady_clock::time_point first_byte_{};  // its first header byte
  http::verb verb_ = http::verb::unknown;
  std::string_view route_;     // HttpHandler::RouteTemplate: static storage
  uint64_t request_bytes_ = 0;  // header bytes parsed + body bytes read
};

// Sent to a connection refused because every open one is busy.
constexpr char kTooManyConnections[] =
    "HTTP/1.1 503 Service Unavailable\r\nServer: skiff\r\nRetry-After: 1\r\n"
    "Content-Type: application/json\r\nConnection: close\r\nContent-Length: 50\r\n\r\n"
    "{\"error\":\"too many open connections; retry later\"}";
static_assert(sizeof("{\"error\":\"too many open connections; retry later\"}") - 1 == 50);

int64_t ConnectionCap(const HttpServerOptions& options) {
  if (options.max_connections > 0) return options.max_connections;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return DefaultMaxConnections(uint64_t{1} << 20);
  }
  return DefaultMaxConnections(limit.rlim_cur);
}

}  // namespace

// A TLS connection until its peer's first byte: a socket and a timer, no
// TLS engine yet (an ssl_stream costs ~90 KiB the moment it is built: Asio's
// two 17 KiB record buffers, zero-filled, and OpenSSL's connection with its
// two 17 KiB BIO-pair buffers). It counts as a handshake in progress (the
// handshake timeout runs from the accept, max_handshakes and the connection
// cap shed it like one) and hands the socket to a Session<TlsStream> once a
// byte is readable.
class TlsFirstByteWait : public SessionBase {
 public:
  TlsFirstByteWait(Socket socket, ServerState* state, std::shared_ptr<ssl::context> tls)
      : SessionBase(state),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        tls_(std::move(tls)),
        deadline_(std::chrono::steady_clock::now() + state->tls->options().handshake_timeout) {}
  ~TlsFirstByteWait() override {
    if (in_handshake_.exchange(false, std::memory_order_acq_rel)) {
      state_->handshaking.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  void Run() {
    Link();
    asio::dispatch(socket_.get_executor(), [self = Self()] { self->Wait(); });
  }

 private:
  std::shared_ptr<TlsFirstByteWait> Self() {
    return std::static_pointer_cast<TlsFirstByteWait>(shared_from_this());
  }

  void Wait() {
    uint64_t busy = kBusy;
    if (!idle_since_.compare_exchange_strong(
            busy, state_->idle_ticket.fetch_add(1, std::memory_order_relaxed))) {
      return Close();  // claimed by a shed
    }
    in_handshake_.store(true, std::memory_order_release);
    state_->handshaking.fetch_add(1, std::memory_order_relaxed);
    timer_.expires_at(deadline_);
    timer_.async_wait([self = Self()](beast::error_code ec) {
      if (!ec) self->Close();  // silent until the handshake timeout
    });
    socket_.async_wait(tcp::socket::wait_read, [self = Self()](beast::error_code ec) {
      self->timer_.cancel();
      uint64_t ticket = self->idle_since_.load(std::memory_order_acquire);
      // A shed that claimed the session (kShed) has closed or will close it.
      if (ec || ticket == kShed || !self->idle_since_.compare_exchange_strong(ticket, kBusy)) {
        return self->Close();
      }
      std::make_shared<Session<TlsStream>>(std::move(self->socket_), self->state_,
                                           std::move(self->tls_), self->deadline_)
          ->Run();
    });
  }

  void CloseOnStrand(std::function<void()> then) override {
    asio::dispatch(socket_.get_executor(), [self = Self(), then = std::move(then)] {
      self->Close();
      if (then) then();
    });
  }

  void Close() {
    beast::error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  Socket socket_;  // moved to the Session once a byte is readable
  asio::steady_timer timer_;
  std::shared_ptr<ssl::context> tls_;  // the context current at the accept
  const std::chrono::steady_clock::time_point deadline_;
};

namespace {

// The I/O loop as an InlineHost (options.inline_work; inline_host.h).
//
// Each I/O thread, and each rescue thread while it runs, has a slot that
// says since when it has been inside long work (0: not). The watchdog
// looks at the slots every inline_stall / 2 while any inline work was seen
// in the last second, and sleeps otherwise (the next EnterLongWork wakes
// it), so an idle server does not wake for it. A slot inside long work for
// inline_stall or more gets a rescue thread, which runs the loop until that
// work ends: the loop's other connections and its timers (a 504 at
// scoringTimeoutMs, a drain's 503) go on meanwhile. Rescue threads are
// hosts too (watched, rescued in turn), at most max_rescue_threads at once.
class LoopHost final : public InlineHost {
 public:
  using Clock = std::chrono::steady_clock;

  LoopHost(asio::io_context& ioc, const HttpServerOptions& options)
      : ioc_(ioc),
        io_threads_(std::max(1, options.io_threads)),
        stall_(options.inline_stall),
        period_(std::max(std::chrono::milliseconds(1), options.inline_stall / 2)),
        slots_(static_cast<size_t>(io_threads_ + std::max(0, options.max_rescue_threads))) {}
  ~LoopHost() override { Stop(); }

  void Start() {
    watchdog_ = std::thread([this] { Watch(); });
    pthread_setname_np(watchdog_.native_handle(), "skiff-io-watch");
  }

  // The body of I/O thread `index` (0 .. io_threads - 1).
  void RunIoThread(int index) {
    current_slot = &slots_[static_cast<size_t>(index)];
    SetCurrent(this);
    ioc_.run();
    SetCurrent(nullptr);
    current_slot = nullptr;
  }

  // Once the loop is stopped and its I/O threads are joined: stops the
  // watchdog and the rescue threads, then drops the work never run (each
  // answers its request itself: InlineWork's contract).
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    watch_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    for (Rescuer& r : rescuers_) r.thread.join();
    rescuers_.clear();
    std::deque<std::unique_ptr<InlineWork>> never_run;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      never_run.swap(pending_);
    }
  }

  void Post(std::unique_ptr<InlineWork> work) override {
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      pending_.push_back(std::move(work));
    }
    // Owned by pending_, not by the handler: a handler the stopped loop
    // never runs is destroyed without running, and Stop() ends the work.
    asio::post(ioc_, [this] { RunOne(); });
  }

  void EnterLongWork(Clock::time_point since) override {
    if (current_slot == nullptr) return;
    current_slot->since_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count());
    if (asleep_.load()) Wake();
  }
  void LeaveLongWork() override {
    if (current_slot != nullptr) current_slot->since_ns.store(0);
  }

  int64_t rescues() const { return rescues_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<int64_t> since_ns{0};  // inside long work since; 0: not
    int64_t rescued_since = 0;         // the since_ns a rescue was started for; watch_mu_
    // Rescue slots: a rescuer has it (watch_mu_); its thread has ended.
    bool in_use = false;
    std::atomic<bool> rescuer_done{false};
  };
  struct Rescuer {
    std::thread thread;
    Slot* slot;  // the rescuer's own
  };

  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
  }

  void RunOne() {
    std::unique_ptr<InlineWork> work;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (pending_.empty()) return;
      work = std::move(pending_.front());
      pending_.pop_front();
    }
    work->Run();
  }

  void Wake() {
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      woken_ = true;
    }
    watch_cv_.notify_one();
  }

  bool AnyInside() const {
    for (const Slot& s : slots_) {
      if (s.since_ns.load() != 0) return true;
    }
    return false;
  }

  void Watch() {
    std::unique_lock<std::mutex> lock(watch_mu_);
    auto last_seen = Clock::now();
    while (!stopped_) {
      const int64_t now = NowNs();
      bool inside = false;
      for (Slot& s : slots_) {
        const int64_t since = s.since_ns.load();
        if (since == 0) continue;
        inside = true;
        if (now - since >= std::chrono::nanoseconds(stall_).count() && s.rescued_since != since &&
            StartRescue(&s, since)) {
          s.rescued_since = since;
        }
      }
      JoinFinishedRescuers();
      if (inside || !rescuers_.empty()) {
        last_seen = Clock::now();
      } else if (Clock::now() - last_seen > std::chrono::seconds(1)) {
        // Asleep until EnterLongWork: it stores its slot, then reads
        // asleep_; this stores asleep_, then reads the slots (both
        // sequentially consistent), so one of the two sees the other.
        asleep_.store(true);
        if (!AnyInside()) watch_cv_.wait(lock, [this] { return stopped_ || woken_; });
        woken_ = false;
        asleep_.store(false);
        last_seen = Clock::now();
        continue;
      }
      watch_cv_.wait_for(lock, period_, [this] { return stopped_; });
    }
  }

  // watch_mu_ held. False when every rescue slot is taken.
  bool StartRescue(Slot* stuck, int64_t since) {
    Slot* mine = nullptr;
    for (size_t i = static_cast<size_t>(io_threads_); i < slots_.size(); ++i) {
      if (!slots_[i].in_use) {
        mine = &slots_[i];
        break;
      }
    }
    if (mine == nullptr) return false;
    mine->in_use = true;
    mine->rescuer_done.store(false);
    std::thread thread([this, stuck, since, mine] {
      current_slot = mine;
      SetCurrent(this);
      while (!ioc_.stopped() && stuck->since_ns.load() == since) {
        ioc_.run_one_for(std::chrono::milliseconds(10));
      }
      SetCurrent(nullptr);
      current_slot = nullptr;
      // With a concurrency hint of 1 (one I/O thread) Asio takes the
      // one-thread shortcut: a thread running the loop does not wake
      // another for the handlers it queues. The I/O thread may have gone
      // to sleep meanwhile, with handlers this thread queued (or the
      // reactor it held) waiting: a post from outside the loop wakes it.
      asio::post(ioc_, [] {});
      mine->rescuer_done.store(true);
    });
    pthread_setname_np(thread.native_handle(), "skiff-io-rescue");
    rescues_.fetch_add(1, std::memory_order_relaxed);
    rescuers_.push_back(Rescuer{std::move(thread), mine});
    return true;
  }

  // watch_mu_ held.
  void JoinFinishedRescuers() {
    for (auto it = rescuers_.begin(); it != rescuers_.end();) {
      if (!it->slot->rescuer_done.load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it->slot->in_use = false;
      it = rescuers_.erase(it);
    }
  }

  static thread_local Slot* current_slot;

  asio::io_context& ioc_;
  const int io_threads_;
  const std::chrono::milliseconds stall_;
  const std::chrono::milliseconds period_;
  std::vector<Slot> slots_;  // the I/O threads', then the rescue threads'
  std::mutex pending_mu_;
  std::deque<std::unique_ptr<InlineWork>> pending_;  // posted, not yet run; pending_mu_
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopped_ = false;  // watch_mu_
  bool woken_ = false;    // watch_mu_
  std::atomic<bool> asleep_{false};
  std::atomic<int64_t> rescues_{0};  // rescue threads started so far
  std::vector<Rescuer> rescuers_;  // watch_mu_ (the watchdog's, then Stop's)
  std::thread watchdog_;
};

thread_local LoopHost::Slot* LoopHost::current_slot = nullptr;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler* handler)
      : options_(options),
        state_(options_, handler, ConnectionCap(options_)),
        ioc_(options.io_threads),
        accept_strand_(asio::make_strand(ioc_)),
        acceptor_(accept_strand_),
        retry_timer_(accept_strand_),
        reload_timer_(ioc_) {}

  // Loads the certificate pair when options.tls is set (before listening:
  // a server that cannot serve TLS does not take the port).
  Status LoadTls() {
    if (!options_.tls) return OkStatus();
    SKIFF_ASSIGN_OR_RETURN(tls_, TlsContextSource::Create(*options_.tls));
    state_.tls = tls_.get();
    return OkStatus();
  }

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
    asio::dispatch(accept_strand_, [this] { Accept(); });
    if (tls_) WatchCertificate();
    if (options_.inline_work) {
      host_ = std::make_unique<LoopHost>(ioc_, options_);
      host_->Start();
    }
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
      threads_.emplace_back([this, i] {
        if (host_) return host_->RunIoThread(i);
        ioc_.run();
      });
      pthread_setname_np(threads_.back().native_handle(), "skiff-io");
    }
    return OkStatus();
  }

  // Runs on accept_strand_ (as do its completions and StopAccepting's close).
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, Socket s) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory ||
          ec == boost::system::errc::too_many_files_open_in_system) {
        return OutOfDescriptors();
      }
      backoff_ = std::chrono::milliseconds(0);
      if (!ec) Admit(std::move(s));
      Accept();
    });
  }

  // accept() failed for want of a descriptor (EMFILE, ENFILE) or memory:
  // retrying at once would spin (the pending connection stays pending). Free
  // a descriptor by closing the oldest idle connection and retry once it is
  // closed; with none idle, retry after a back-off (10 ms doubling to 1 s).
  // Waiting clients stay in the listen backlog meanwhile.
  void OutOfDescriptors() {
    const bool shed = SessionBase::ShedOldestIdle(
        &state_, [this] { asio::post(accept_strand_, [this] { Accept(); }); });
    if (shed) return;
    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(10),
                          std::chrono::milliseconds(1000));
    retry_timer_.expires_after(backoff_);
    retry_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) Accept();
    });
  }

  // At the cap a new connection takes the place of the oldest idle one;
  // with every connection busy it is refused (503 best effort, then close).
  void Admit(Socket socket) {
    if (state_.open.load(std::memory_order_relaxed) >= state_.max_connections &&
        !SessionBase::ShedOldestIdle(&state_, nullptr)) {
      ::send(socket.native_handle(), kTooManyConnections, sizeof(kTooManyConnections) - 1,
             MSG_DONTWAIT | MSG_NOSIGNAL);
      beast::error_code ec;
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
    if (state_.tls != nullptr) {
      // Past the handshake bound the oldest unfinished handshake makes room:
      // a real client's handshake takes milliseconds, a stalled one is old.
      if (state_.handshaking.load(std::memory_order_relaxed) >=
          state_.tls->options().max_handshakes) {
        SessionBase::ShedOldestIdle(&state_, nullptr, /*handshakes_only=*/true);
      }
      std::make_shared<TlsFirstByteWait>(std::move(socket), &state_, state_.tls->Current())->Run();
    } else {
      std::make_shared<Session<PlainStream>>(std::move(socket), &state_)->Run();
    }
  }

  void StopAccepting() {
    asio::post(accept_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      retry_timer_.cancel();
    });
  }

  // Checks the certificate pair every reload_check; a changed pair is
  // served to connections accepted from then on.
  void WatchCertificate() {
    reload_timer_.expires_after(tls_->options().reload_check);
    reload_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      if (std::optional<Status> reloaded = tls_->ReloadIfChanged()) {
        if (tls_->options().on_reload) tls_->options().on_reload(*reloaded);
      }
      WatchCertificate();
    });
  }

  void Shutdown() {
    StopAccepting();
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    if (host_) host_->Stop();
    // The handler answered every request (the contract), but a handler
    // thread may still be releasing a callback, and with it a session or
    // its strand: their destructors need state_ and ioc_, so wait for that.
    // Polled: once, at the end of the server's life.
    while (state_.callbacks.load(std::memory_order_acquire) > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  HttpServerOptions options_;
  // Before ioc_: sessions still queued in ioc_ use it when they are destroyed.
  ServerState state_;
  asio::io_context ioc_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;           // used on accept_strand_ only
  asio::steady_timer retry_timer_;   // used on accept_strand_ only
  std::chrono::milliseconds backoff_{0};  // used on accept_strand_ only
  std::vector<std::thread> threads_;
  std::unique_ptr<LoopHost> host_;  // options_.inline_work; runs threads_ (after ioc_)
  std::unique_ptr<TlsContextSource> tls_;  // set when options_.tls is
  asio::steady_timer reload_timer_;        // WatchCertificate's; one wait at a time
  uint16_t port_ = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->Shutdown(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        HttpHandler* handler) {
  auto impl = std::make_unique<Impl>(options, handler);
  SKIFF_RETURN_IF_ERROR(impl->LoadTls());
  SKIFF_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port_; }
void HttpServer::StopAccepting() { impl_->StopAccepting(); }
int64_t HttpServer::open_connections() const { return impl_->state_.open.load(); }

int64_t HttpServer::tls_handshakes_with_state() const {
  return impl_->state_.handshaking_with_state.load();
}
int64_t HttpServer::max_connections() const { return impl_->state_.max_connections; }
int64_t HttpServer::inline_rescues() const {
  return impl_->host_ ? impl_->host_->rescues() : 0;
}

}  // namespace skiff::dataplane
