// SPDX-License-Identifier: Apache-2.0
#include "progress.h"

#include <sys/ioctl.h>

#include <cstdio>
#include <cstring>

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

namespace {

// The terminal's width; 0 when unknown.
size_t Columns(std::FILE* stream) {
  winsize ws{};
  if (::ioctl(fileno(stream), TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

// At most `max` bytes of `s`, not cutting a UTF-8 character.
std::string Clip(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

std::string ProgressReporter::LineLocked(size_t columns) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start_)
                      .count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f s", static_cast<double>(ms) / 1000.0);
  const char* color = state_ == "Healthy" || state_ == "Succeeded" || state_ == "done" ? "32"
                      : state_ == "Failed" || state_ == "Unhealthy"                    ? "31"
                                                                                       : "33";
  std::string line = what_ + ": " + Colored(state_, color, options_.color) + "  " + elapsed;
  if (detail_.empty()) return line;
  // A live line longer than the terminal would wrap, and "\r" would then
  // redraw only its last row: the detail is cut to fit.
  const size_t used = what_.size() + 2 + state_.size() + 2 + std::strlen(elapsed) + 2;
  if (columns == 0) return line + "  " + detail_;
  if (used + 1 >= columns) return line;
  return line + "  " + Clip(detail_, columns - 1 - used);
}

void ProgressReporter::DrawLocked() {
  // "\r" + erase to end of line: the line is redrawn in place.
  std::fprintf(options_.stream, "\r%s\x1b[K", LineLocked(Columns(options_.stream)).c_str());
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
    std::fprintf(options_.stream, "%s\n", LineLocked(0).c_str());
    std::fflush(options_.stream);
  }
}

void ProgressReporter::Note(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) return;
  if (options_.live) {
    // Erase the live line, print the note in its place, draw it again below.
    std::fprintf(options_.stream, "\r\x1b[K%.*s\n", static_cast<int>(line.size()), line.data());
    if (!state_.empty()) DrawLocked();
  } else {
    std::fprintf(options_.stream, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
  std::fflush(options_.stream);
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
      std::fprintf(options_.stream, "%s\n", LineLocked(0).c_str());
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
