// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/access_log.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "skiff/dataplane/request_stages.h"
#include "skiff/util/log.h"

namespace skiff::dataplane {
namespace {

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out->append(buf, static_cast<size_t>(end - buf));
}

// The line is written into one buffer sized for its longest form, through
// a pointer: appending piece by piece (~30 appends a line, each checking
// the capacity) was a third of the line's cost (bench/README.md, issue 20
// sixth session).
template <size_t N>
char* Put(const char (&literal)[N], char* p) {
  std::memcpy(p, literal, N - 1);
  return p + N - 1;
}

char* PutUint(uint64_t v, char* p) { return std::to_chars(p, p + 20, v).ptr; }

// `prefix` is the separator, the quoted key and the colon in one literal
// (",\"route\":").
template <size_t N>
char* PutField(const char (&prefix)[N], std::string_view value, char* p) {
  return log::PutJsonString(value, Put(prefix, p));
}

// Milliseconds with three decimals, as "%.3f" writes them ("1.920"), from
// whole microseconds: snprintf's float formatting was ~2,600 instructions a
// line. A value within half a nanosecond of a half microsecond may round the
// other way than snprintf's would. A latency past 10^9 s is written as
// 999999999999.999, not a number as 0.000: a JSON number either way. At
// most 24 bytes.
char* PutMilliseconds(double seconds, char* p) {
  constexpr double kMaxMicroseconds = 1e15 - 1;
  double us = seconds > 0 ? seconds * 1e6 : 0.0;
  if (!(us < kMaxMicroseconds)) us = kMaxMicroseconds;
  const auto whole = static_cast<uint64_t>(std::llround(us));
  p = PutUint(whole / 1000, p);
  const auto frac = static_cast<unsigned>(whole % 1000);
  p[0] = '.';
  p[1] = static_cast<char>('0' + frac / 100);
  p[2] = static_cast<char>('0' + frac / 10 % 10);
  p[3] = static_cast<char>('0' + frac % 10);
  return p + 4;
}

// log::FormatTimestamp's 24 bytes. All but the milliseconds change once a
// second, and gmtime_r with the digits around it was ~450 instructions a
// line (issue 20 eighth session): each thread keeps the last second it
// wrote and reuses its first 20 bytes ("2026-12-06T17:02:11.") within it.
char* PutTimestamp(std::chrono::system_clock::time_point time, char* p) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  struct Cache {
    int64_t second = std::numeric_limits<int64_t>::min();  // none yet
    char text[log::kTimestampSize];
  };
  thread_local Cache cache;
  const int64_t ms_total = duration_cast<milliseconds>(time.time_since_epoch()).count();
  int64_t second = ms_total / 1000;
  int ms = static_cast<int>(ms_total % 1000);
  if (ms < 0) {  // before 1970: floor, as FormatTimestamp does
    ms += 1000;
    --second;
  }
  if (second != cache.second) {
    log::FormatTimestamp(time, cache.text);
    cache.second = second;
  }
  std::memcpy(p, cache.text, 20);
  p[20] = static_cast<char>('0' + ms / 100);
  p[21] = static_cast<char>('0' + ms / 10 % 10);
  p[22] = static_cast<char>('0' + ms % 10);
  p[23] = 'Z';
  return p + log::kTimestampSize;
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
  // A walk over the answer's few fields, comparing names only where the
  // length matches: Beast's find by name looks the name up among the known
  // fields first, then compares case-insensitively down its tree (~1,000
  // instructions a line, issue 20 sixth session).
  constexpr std::string_view kName = kVersionHeader;
  for (const auto& field : response) {
    if (field.name() != boost::beast::http::field::unknown) continue;
    const auto name = field.name_string();
    if (name.size() == kName.size() &&
        boost::beast::iequals(name, boost::beast::string_view(kName.data(), kName.size()))) {
      return std::string_view(field.value().data(), field.value().size());
    }
  }
  return {};
}

void FormatAccessLine(const AccessRecord& r, std::string* out) {
  const std::string_view method = r.method.empty() ? std::string_view("-") : r.method;
  const std::string_view route = r.route.empty() ? std::string_view("-") : r.route;
  // Keys, separators and the timestamp take 200 bytes, the numbers at most
  // 84; each string at most its JsonStringBound.
  size_t bound = 384;
  for (std::string_view v : {r.request_id, r.client_request_id, r.trace_id, r.span_id,
                             r.parent_span_id, method, route, r.version, r.client}) {
    bound += log::JsonStringBound(v.size());
  }
  const size_t at = out->size();
  out->resize(at + bound);
  char* p = out->data() + at;
  p = Put("{\"time\":\"", p);
  p = PutTimestamp(r.time, p);
  *p++ = '"';
  p = PutField(",\"requestId\":", r.request_id, p);
  if (!r.client_request_id.empty()) p = PutField(",\"clientRequestId\":", r.client_request_id, p);
  if (!r.trace_id.empty()) p = PutField(",\"traceId\":", r.trace_id, p);
  if (!r.span_id.empty()) p = PutField(",\"spanId\":", r.span_id, p);
  if (!r.parent_span_id.empty()) p = PutField(",\"parentSpanId\":", r.parent_span_id, p);
  p = PutField(",\"method\":", method, p);
  p = PutField(",\"route\":", route, p);
  p = Put(",\"status\":", p);
  p = PutUint(static_cast<uint64_t>(r.status < 0 ? 0 : r.status), p);
  if (!r.version.empty()) p = PutField(",\"version\":", r.version, p);
  p = Put(",\"latencyMs\":", p);
  p = PutMilliseconds(r.latency_seconds, p);
  p = Put(",\"requestBytes\":", p);
  p = PutUint(r.request_bytes, p);
  p = Put(",\"responseBytes\":", p);
  p = PutUint(r.response_bytes, p);
  p = PutField(",\"client\":", r.client, p);
  p = Put("}\n", p);
  out->resize(static_cast<size_t>(p - out->data()));
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
  pthread_setname_np(pthread_self(), "skiff-accesslog");  // docs/architecture.md
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
