// SPDX-License-Identifier: Apache-2.0
// Answers 503 on the supervisor's held listen socket while no skiff-server
// runs (after a crash, during the restart backoff), so clients get a status
// and a Retry-After instead of a refused or hanging connection.
//
// Single-threaded and non-blocking: the supervisor's poll loop asks for the
// fds to watch (AddPollFds) and calls Step() after every wake-up. Each
// connection reads at most a request head (16 KiB), gets one
//   503 Service Unavailable, Retry-After, Connection: close, {"error": ...}
// and is closed after a lingering read (so the client is not reset before
// it reads the answer). A connection is closed after `per_connection` in
// any case, and past `max_connections` new ones are closed at once: a slow
// or hostile client cannot stall the supervisor or grow its memory.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace skiff::compute_local {

class GapResponder {
 public:
  struct Options {
    size_t max_connections = 256;
    size_t max_head_bytes = 16 * 1024;
    std::chrono::milliseconds per_connection{2000};
  };
  using Clock = std::chrono::steady_clock;

  GapResponder() : GapResponder(Options()) {}
  explicit GapResponder(Options options) : options_(options) {}
  GapResponder(const GapResponder&) = delete;
  GapResponder& operator=(const GapResponder&) = delete;
  ~GapResponder() { CloseAll(); }

  // Accepts every connection pending on `listen_fd`; each will be answered
  // 503 with `message` and Retry-After `retry_after_s` (>= 1).
  void AcceptPending(int listen_fd, const std::string& message, int retry_after_s);

  // Appends the open connections' fds with the events they wait for.
  void AddPollFds(std::vector<pollfd>* fds) const;
  // Makes progress on every connection (non-blocking) and closes finished
  // and expired ones. Returns the time until the next expiry (or 1 h).
  std::chrono::milliseconds Step();

  void CloseAll();
  size_t open_connections() const { return conns_.size(); }
  // Responses written in full so far.
  size_t answered() const { return answered_; }

  // The bytes sent for `message` (exposed for tests).
  static std::string Response(const std::string& message, int retry_after_s);

 private:
  enum class Phase { kReadingHead, kWriting, kLingering };
  struct Conn {
    int fd;
    Phase phase;
    Clock::time_point deadline;
    std::string in;   // request bytes read so far (head search)
    std::string out;  // response bytes still to write
  };
  // False when the connection is finished and should be closed.
  bool Advance(Conn& c);

  Options options_;
  std::vector<Conn> conns_;
  size_t answered_ = 0;
};

}  // namespace skiff::compute_local
