#include "progress.h"

#include <cstdio>

#include "terminal.h"

namespace skiff::cli {

ProgressReporter::Options::Options()
    : live(IsTerminal(fileno(stderr))), color(UseColor(fileno(stderr))) {}

ProgressReporter::ProgressReporter(std::string what, Options options)
    : what_(std::move(what)), options_(options), start_(std::chrono::steady_clock::now()) {
  if (options_.live) ticker_ = std::thread([this] { Tick(); });
}

ProgressReporter::~ProgressReporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_ && options_.live) std::fputs("\n", options_.stream);
    done_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string ProgressReporter::LineLocked() const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start_)
                      .count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f s", static_cast<double>(ms) / 1000.0);
  const char* color = state_ == "Healthy" || state_ == "Succeeded" || state_ == "done" ? "32"
                      : state_ == "Failed" || state_ == "Unhealthy"                    ? "31"
                                                                                       : "33";
  std::string line = what_ + ": " + Colored(state_, color, options_.color) + "  " + elapsed;
  if (!detail_.empty()) line += "  " + detail_;
  return line;
}

void ProgressReporter::DrawLocked() {
  // "\r" + erase to end of line: the line is redrawn in place.
  std::fprintf(options_.stream, "\r%s\x1b[K", LineLocked().c_str());
  std::fflush(options_.stream);
}

void ProgressReporter::Update(std::string_view state, std::string_view detail) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) return;
  const bool changed = state != state_ || detail != detail_;
  state_ = std::string(state);
  detail_ = std::string(detail);
  if (options_.live) {
    DrawLocked();
  } else if (changed) {
    std::fprintf(options_.stream, "%s\n", LineLocked().c_str());
    std::fflush(options_.stream);
  }
}

void ProgressReporter::Done(std::string_view final_state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    state_ = std::string(final_state);
    if (options_.live) {
      DrawLocked();
      std::fputs("\n", options_.stream);
    } else {
      std::fprintf(options_.stream, "%s\n", LineLocked().c_str());
    }
    std::fflush(options_.stream);
    done_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ProgressReporter::Tick() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, options_.tick);
    if (!done_ && !state_.empty()) DrawLocked();
  }
}

}  // namespace skiff::cli
