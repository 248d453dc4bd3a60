// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/access_log.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include "skiff/dataplane/request_stages.h"
#include "skiff/util/log.h"

namespace skiff::dataplane {
namespace {

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out->append(buf, static_cast<size_t>(end - buf));
}

void AppendField(const char* key, std::string_view value, std::string* out) {
  out->append(",\"").append(key).append("\":");
  log::AppendJsonString(value, out);
}

// Writes all of `data` to `fd` (stdout may take it in pieces).
void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // best effort, as every log: never fail serving
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// What each buffer holds from the start: a flush's worth, never more than
// the bound on pending bytes.
size_t InitialReserve(const AccessLogOptions& o) {
  return std::min(o.flush_bytes, o.max_pending_bytes);
}

}  // namespace

std::string_view AnsweredVersion(const HttpResponse& response) {
  auto it = response.find(kVersionHeader);
  if (it == response.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

void FormatAccessLine(const AccessRecord& r, std::string* out) {
  char stamp[log::kTimestampSize];
  log::FormatTimestamp(r.time, stamp);
  out->append("{\"time\":\"").append(stamp, sizeof stamp).push_back('"');
  AppendField("requestId", r.request_id, out);
  if (!r.client_request_id.empty()) AppendField("clientRequestId", r.client_request_id, out);
  if (!r.trace_id.empty()) AppendField("traceId", r.trace_id, out);
  if (!r.span_id.empty()) AppendField("spanId", r.span_id, out);
  if (!r.parent_span_id.empty()) AppendField("parentSpanId", r.parent_span_id, out);
  AppendField("method", r.method.empty() ? std::string_view("-") : r.method, out);
  AppendField("route", r.route.empty() ? std::string_view("-") : r.route, out);
  out->append(",\"status\":");
  AppendUint(static_cast<uint64_t>(r.status < 0 ? 0 : r.status), out);
  if (!r.version.empty()) AppendField("version", r.version, out);
  char latency[32];
  const int n = std::snprintf(latency, sizeof latency, "%.3f",
                              r.latency_seconds > 0 ? r.latency_seconds * 1000.0 : 0.0);
  out->append(",\"latencyMs\":").append(latency, n > 0 ? static_cast<size_t>(n) : 0);
  out->append(",\"requestBytes\":");
  AppendUint(r.request_bytes, out);
  out->append(",\"responseBytes\":");
  AppendUint(r.response_bytes, out);
  AppendField("client", r.client, out);
  out->append("}\n");
}

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const AccessLogOptions& options) {
  if (options.destination.empty()) {
    return InvalidArgument("the access log needs a destination: \"stdout\" or a file path");
  }
  std::unique_ptr<AccessLog> log(new AccessLog(options));
  if (options.destination != kStdout) {
    SKIFF_ASSIGN_OR_RETURN(log->file_, JsonlWriter::Open(options.destination, options.rotation));
  }
  log->pending_.reserve(InitialReserve(options));
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void AccessLog::Record(const AccessRecord& record) {
  // Formatted outside the lock, into a buffer each thread keeps: no
  // allocation once it has grown to a line's size.
  thread_local std::string line;
  line.clear();
  FormatAccessLine(record, &line);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.size() + line.size() > options_.max_pending_bytes) {
      ++dropped_;
      return;
    }
    pending_.append(line);
    wake = pending_.size() >= options_.flush_bytes;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t ticket = ++flush_asked_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket || stopping_; });
}

uint64_t AccessLog::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void AccessLog::WriterLoop() {
  // Swapped with pending_ on every turn, so both keep their capacity.
  std::string out;
  out.reserve(InitialReserve(options_));
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval, [&] {
      return stopping_ || pending_.size() >= options_.flush_bytes || flush_asked_ > flush_done_;
    });
    const uint64_t asked = flush_asked_;
    const bool stop = stopping_;
    out.clear();
    out.swap(pending_);
    if (dropped_ > dropped_reported_) {
      // Said in the log itself, so a reader knows lines are missing there.
      out.append("{\"time\":\"")
          .append(log::Timestamp(std::chrono::system_clock::now()))
          .append("\",\"accessLogDropped\":");
      AppendUint(dropped_ - dropped_reported_, &out);
      out.append("}\n");
      dropped_reported_ = dropped_;
    }
    lock.unlock();
    if (!out.empty()) WriteOut(out);
    lock.lock();
    flush_done_ = asked;
    flushed_.notify_all();
    if (stop) return;
  }
}

void AccessLog::WriteOut(const std::string& lines) {
  if (file_) return file_->AppendLines(lines);
  WriteAll(STDOUT_FILENO, lines);
}

}  // namespace skiff::dataplane
