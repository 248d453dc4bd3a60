// SPDX-License-Identifier: Apache-2.0
// The supervisor's restart policy as a pure function of what happened:
// exponential backoff (initial doubling to max), reset after a long healthy
// run, and "failed" after too many fast failures in a row.
#pragma once

#include <chrono>

namespace skiff::compute_local {

class RestartBackoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{500};         // first restart delay
    std::chrono::milliseconds max{30000};           // the delay never exceeds this
    std::chrono::milliseconds healthy_run{60000};   // a run this long resets the delay
    std::chrono::milliseconds fast_failure{10000};  // a run shorter than this is a fast failure
    int max_fast_failures = 5;                      // this many in a row -> failed()
  };

  RestartBackoff() : RestartBackoff(Options()) {}
  explicit RestartBackoff(Options options) : options_(options), next_(options.initial) {}

  // Records one exit of the server after it ran for `ran`; returns how long
  // to wait before the restart.
  std::chrono::milliseconds OnExit(std::chrono::milliseconds ran);

  // True after max_fast_failures consecutive fast failures, until a run
  // outlives fast_failure (see OnLongRun()).
  bool failed() const { return fast_failures_ >= options_.max_fast_failures; }
  int consecutive_fast_failures() const { return fast_failures_; }
  // The server has now been running for `running`: clears failed() past
  // fast_failure. Call while it runs.
  void OnRunning(std::chrono::milliseconds running);

  const Options& options() const { return options_; }

 private:
  Options options_;
  std::chrono::milliseconds next_;
  int fast_failures_ = 0;
};

}  // namespace skiff::compute_local
