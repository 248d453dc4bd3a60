// SPDX-License-Identifier: Apache-2.0
// InlineHost: an I/O thread's offer to run short work itself (run to
// completion) instead of handing it to another thread and back.
//
// Why: with one CPU (a local target's default 0.1 core, a pinned server),
// the I/O thread -> scoring worker -> I/O thread hand-off buys nothing: two
// thread wake-ups and context switches on the only core. Measured A/B
// (bench/README.md, "Run to completion"): about a third less CPU per
// request on the small CNN at 16 connections, and on the MLP at one; no
// gain on the MLP at 16, where the hand-off was already batched. The price
// of running a model on an I/O thread is that the
// thread serves nothing else meanwhile; a hung model would stall every
// connection of the loop and keep a 504 from being written. The host
// bounds that: work runs off every connection's strand, and a watchdog
// starts a rescue thread that serves the loop once work has held an I/O
// thread for longer than the host's stall bound (HttpServerOptions), so
// other connections wait at most that long and a scoringTimeoutMs 504 goes
// out on time. ScoringPool decides what to run inline (scoring_pool.h).
//
// std only, so the scoring pool's header stays free of Asio.
#pragma once

#include <chrono>
#include <memory>

namespace skiff::dataplane {

// Work handed to a host. Run() is called at most once; work destroyed
// without Run() (the host stopped first) must clean up after itself in its
// destructor.
class InlineWork {
 public:
  virtual ~InlineWork();
  virtual void Run() = 0;
};

class InlineHost {
 public:
  virtual ~InlineHost();

  // The host the calling thread runs for; null on any other thread (scoring
  // workers, gRPC threads, a rescue thread).
  static InlineHost* Current();

  // Runs `work` on this host's loop soon: after the handler that calls this
  // returns, outside any connection's strand. Threading: call on a thread
  // Current() returns this host for.
  virtual void Post(std::unique_ptr<InlineWork> work) = 0;

  // Brackets the part of inline work that may take long (a model's Score):
  // while the calling thread is inside, the host's watchdog may start a
  // rescue thread for the loop (see above). `since`: when the long part
  // began, the caller's own clock reading (ScoringPool's job start, read
  // just before), so the stall is timed from it without a second read.
  // Threading: the thread running the work.
  virtual void EnterLongWork(std::chrono::steady_clock::time_point since) = 0;
  virtual void LeaveLongWork() = 0;

 protected:
  // Makes `host` Current() on the calling thread (null: none).
  static void SetCurrent(InlineHost* host);
};

}  // namespace skiff::dataplane
