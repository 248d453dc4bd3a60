// SPDX-License-Identifier: Apache-2.0
// AccessLog: one JSON line per answered request, whatever answered it (the
// framer's 400/431, Admit's 401/413/429/503, routing's 404, scoring), written
// by the HTTP server as the response goes out (docs/logging.md):
//   {"time":"2026-12-06T17:02:11.318Z","requestId":"<uuid>","clientRequestId":"abc",
//    "traceId":"<32 hex>","spanId":"<16 hex>","parentSpanId":"<16 hex>","method":"POST","route":"/api/v1/service/{service}/score",
//    "status":200,"version":"blue","latencyMs":1.92,"requestBytes":312,
//    "responseBytes":87,"client":"10.0.0.7"}
// `route` is the path template (HttpHandler::RouteTemplate), never the raw
// path or its query (which may hold a key); no header value other than the
// ids, no body. clientRequestId only when the client sent a safe one,
// parentSpanId only when it sent a valid traceparent, version only when one
// was picked.
//
// Cost on the request path: the line is formatted into a per-thread buffer
// and appended to a shared in-memory buffer under a mutex held for a memcpy;
// a writer thread of its own writes the buffer out (every `flush_interval`,
// or sooner once `flush_bytes` have gathered). So an I/O thread never waits
// on a disk or on a stdout pipe a collector reads slowly. When the writer
// falls behind by `max_pending_bytes`, lines are dropped (and counted: the
// next line written says how many), never queued without bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <boost/beast/http.hpp>

#include "skiff/dataplane/jsonl_writer.h"
#include "skiff/status.h"

namespace skiff::dataplane {

// What one access-log line records. Views: valid for the Record() call.
struct AccessRecord {
  std::chrono::system_clock::time_point time;  // when the answer went out
  std::string_view request_id;                 // x-ms-request-id
  std::string_view client_request_id;          // "" = none (or unsafe)
  std::string_view trace_id;                   // 32 hex of traceparent; "" = none
  std::string_view span_id;                    // this server's span (16 hex)
  std::string_view parent_span_id;             // the caller's span; "" = none
  std::string_view method;                     // "" when no header was parsed
  std::string_view route;                      // the path template; "" = none
  int status = 0;
  std::string_view version;  // "" = none picked
  double latency_seconds = 0;
  uint64_t request_bytes = 0;   // header section + body bytes read
  uint64_t response_bytes = 0;  // header section + body
  std::string_view client;      // the peer's address
};

// The version named by an answer (its azureml-model-deployment header,
// kVersionHeader), viewing `response`; "" when it names none.
std::string_view AnsweredVersion(const boost::beast::http::response<boost::beast::http::string_body>& response);

// Appends `record` as one JSON line, newline included, to *out.
void FormatAccessLine(const AccessRecord& record, std::string* out);

struct AccessLogOptions {
  // "stdout", or a file path (created 0600, its folder too).
  std::string destination;
  JsonlRotation rotation;  // files only
  std::chrono::milliseconds flush_interval{200};
  size_t flush_bytes = 64 * 1024;
  size_t max_pending_bytes = 4 * 1024 * 1024;
};

class AccessLog {
 public:
  static constexpr char kStdout[] = "stdout";
  static StatusOr<std::unique_ptr<AccessLog>> Open(const AccessLogOptions& options);
  // Writes what is pending, then stops the writer thread.
  ~AccessLog();

  // Threading: concurrent, from any thread; never does I/O.
  void Record(const AccessRecord& record);
  // Writes what is pending now and returns once it is written (tests, exit).
  void Flush();
  // Lines dropped because the writer was `max_pending_bytes` behind.
  uint64_t dropped() const;

 private:
  explicit AccessLog(const AccessLogOptions& options) : options_(options) {}
  void WriterLoop();
  void WriteOut(const std::string& lines);  // on the writer thread only

  const AccessLogOptions options_;
  std::unique_ptr<JsonlWriter> file_;  // null: stdout
  mutable std::mutex mu_;
  std::condition_variable wake_;     // the writer waits here
  std::condition_variable flushed_;  // Flush() waits here
  std::string pending_;              // guarded by mu_
  uint64_t dropped_ = 0;             // guarded by mu_
  uint64_t dropped_reported_ = 0;    // guarded by mu_
  uint64_t flush_asked_ = 0;         // guarded by mu_
  uint64_t flush_done_ = 0;          // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  std::thread writer_;
};

}  // namespace skiff::dataplane
