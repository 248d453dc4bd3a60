// SPDX-License-Identifier: Apache-2.0
// The ids a request carries (docs/logging.md):
//   x-ms-request-id  a UUID the server makes for every request it parses,
//                    returned on the response and written in its access-log
//                    line (Azure ML's response header of the same name);
//   x-request-id     the client's own id, echoed when it is safe (1-128 of
//                    A-Z a-z 0-9 - _ . : @ / + =), else the server's id;
//   traceparent      W3C Trace Context: the server's span continues the
//                    client's trace (or starts one), and the router hands
//                    its span on to the version it asks (UpstreamModel), so
//                    the version's pods see the same trace id with the
//                    router's span as parent.
// The HTTP server makes them once the header is parsed (RequestIds::For)
// and writes the onward values into the request it hands to the handler
// (x-ms-request-id, traceparent), as a proxy such as Envoy does, so the
// handler interface stays as it is. Fixed-size buffers: no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "skiff/dataplane/request_context.h"

namespace skiff::dataplane {

inline constexpr char kRequestIdHeader[] = "x-ms-request-id";
inline constexpr char kClientRequestIdHeader[] = "x-request-id";
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr size_t kMaxClientRequestId = 128;

// A W3C traceparent's fields (https://www.w3.org/TR/trace-context/#traceparent-header).
struct TraceParent {
  std::array<char, 32> trace_id{};  // lowercase hex, not all zero
  std::array<char, 16> parent_id{};  // lowercase hex, not all zero
  std::array<char, 2> flags{};      // lowercase hex
};

// Parses a traceparent by the spec's rules: version 2 lowercase hex, not
// "ff"; version "00" is exactly 55 characters, a later version at least 55
// with a '-' after them (its extra fields ignored); trace-id and parent-id
// lowercase hex and not all zero. nullopt otherwise (the header is then
// ignored and a new trace starts, as the spec asks).
std::optional<TraceParent> ParseTraceparent(std::string_view text);

// True when `id` may be echoed as x-request-id (see the file comment).
bool IsSafeClientRequestId(std::string_view id);

// Fills `out` with a random (version 4) UUID, 36 characters, lowercase.
// Not for secrets: a per-thread PRNG seeded once from the OS.
void MakeUuid(char* out);
// `n` random lowercase hex characters, not all zero.
void MakeHexId(char* out, size_t n);
// The low 4 * n bits of `bits` (n <= 16) as n lowercase hex digits, lowest
// nibble first: MakeHexId's digits.
void PutHexDigits(uint64_t bits, char* out, size_t n);

struct RequestIds {
  std::array<char, 36> id{};  // x-ms-request-id
  // The client's x-request-id when safe (its first client_size chars);
  // empty otherwise (the response's x-request-id is then `id`). Copied: the
  // header goes to the handler while the ids stay with the connection.
  std::array<char, kMaxClientRequestId> client{};
  size_t client_size = 0;
  // 00-<trace id>-<this server's span id>-<flags>: what goes onward.
  std::array<char, 55> traceparent{};
  // The caller's span (parent-id of a valid incoming traceparent); empty
  // when this server started the trace.
  std::array<char, 16> parent{};
  bool has_parent = false;
  bool set = false;

  std::string_view request_id() const { return {id.data(), id.size()}; }
  std::string_view client_id() const { return {client.data(), client_size}; }
  std::string_view echoed_id() const { return client_size == 0 ? request_id() : client_id(); }
  std::string_view onward_traceparent() const { return {traceparent.data(), traceparent.size()}; }
  std::string_view trace_id() const { return {traceparent.data() + 3, 32}; }
  std::string_view span_id() const { return {traceparent.data() + 36, 16}; }
  std::string_view parent_span_id() const {
    return has_parent ? std::string_view(parent.data(), parent.size()) : std::string_view();
  }

  // New ids for a request with `header`.
  static RequestIds For(const boost::beast::http::request_header<>& header);
  // New ids for an answer sent before any header was parsed (431, 400).
  static RequestIds Fresh();
};

}  // namespace skiff::dataplane
