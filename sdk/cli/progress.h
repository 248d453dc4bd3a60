// SPDX-License-Identifier: Apache-2.0
// Live progress of a long wait (deploy, update, wait, image push), as az
// shows it: on a terminal one status line redrawn in place with the elapsed
// time ticking; when piped, one plain line each time the state or the detail
// changes (no carriage returns, no escape codes), so logs stay readable.
// Colour only on a terminal without NO_COLOR.
//
//   ProgressReporter progress("Deploying 'svc'");
//   progress.Update("Transitioning", "pods 1/3 ready");
//   progress.Update("Transitioning", "layers 4/7 pushed");
//   progress.Done("Healthy");
//
// Thread-safe: Update may be called from any thread (a push's upload
// threads); Done once, from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace skiff::cli {

class ProgressReporter {
 public:
  struct Options {
    // Where lines go; stderr, so stdout keeps only the command's result.
    std::FILE* stream = stderr;
    // Redraw one line in place. Default: `stream` is a terminal.
    bool live;
    // Colour the state. Default: a terminal and NO_COLOR unset.
    bool color;
    // How often the live line's elapsed time is redrawn.
    std::chrono::milliseconds tick = std::chrono::milliseconds(500);
    Options();
  };

  // `what` starts every line ("Deploying 'svc'").
  explicit ProgressReporter(std::string what, Options options = Options());
  // Finishes the live line if Done was not called (an error is on its way).
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // The current state ("Transitioning") and an optional detail ("pods 1/3
  // ready", "layers 4/7 pushed").
  void Update(std::string_view state, std::string_view detail = "");
  // A finished step that keeps its own line ("mm-1 layer 0123456789ab:
  // exists"): on a terminal it is printed above the live line, which is
  // then redrawn; piped, it is one more plain line.
  void Note(std::string_view line);
  // The final state: the live line is drawn once more and ends with a
  // newline; piped, a last line is printed.
  void Done(std::string_view final_state);

 private:
  // The line; its detail cut to fit `columns` (0: no limit).
  std::string LineLocked(size_t columns) const;
  void DrawLocked();
  void Tick();

  const std::string what_;
  const Options options_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;  // guards everything below and writes to the stream
  std::condition_variable cv_;
  std::string state_, detail_;
  bool done_ = false;
  std::thread ticker_;  // live mode only: redraws the elapsed time
};

}  // namespace skiff::cli
