// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/request_ids.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace skiff::dataplane {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool AllLowerHex(std::string_view s) {
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// One generator per thread: no lock on the request path. Ids must be
// unique, not unguessable (they are printed in logs and responses).
std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

// Each byte's two hex digits, low nibble first, as PutHex writes them.
struct HexPairs {
  char pairs[256][2];
  constexpr HexPairs() : pairs() {
    for (int b = 0; b < 256; ++b) {
      pairs[b][0] = kHex[b & 0xf];
      pairs[b][1] = kHex[b >> 4];
    }
  }
};
constexpr HexPairs kHexPairs;

// The low 4 * n bits (n <= 16) as n hex digits, lowest nibble first: a
// byte at a time (every request makes 80 of them; a nibble at a time, with
// a scan for all zeros after, was ~1,000 instructions, issue 20.5).
void PutHex(uint64_t bits, char* out, size_t n) {
  size_t i = 0;
  for (; i + 2 <= n; i += 2, bits >>= 8) std::memcpy(out + i, kHexPairs.pairs[bits & 0xff], 2);
  if (i < n) out[i] = kHex[bits & 0xf];
}

}  // namespace

std::optional<TraceParent> ParseTraceparent(std::string_view text) {
  // version "-" trace-id "-" parent-id "-" trace-flags
  constexpr size_t kSize = 55;
  if (text.size() < kSize) return std::nullopt;
  const std::string_view version = text.substr(0, 2);
  if (!AllLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? text.size() != kSize : (text.size() > kSize && text[kSize] != '-')) {
    return std::nullopt;
  }
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  const std::string_view trace = text.substr(3, 32);
  const std::string_view parent = text.substr(36, 16);
  const std::string_view flags = text.substr(53, 2);
  if (!AllLowerHex(trace) || AllZero(trace) || !AllLowerHex(parent) || AllZero(parent) ||
      !AllLowerHex(flags)) {
    return std::nullopt;
  }
  TraceParent out;
  std::memcpy(out.trace_id.data(), trace.data(), 32);
  std::memcpy(out.parent_id.data(), parent.data(), 16);
  std::memcpy(out.flags.data(), flags.data(), 2);
  return out;
}

bool IsSafeClientRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientRequestId) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr("-_.:@/+=", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

void MakeHexId(char* out, size_t n) {
  auto& g = Generator();
  uint64_t written = 0;  // OR of the bits written: all zero digits iff 0
  do {
    written = 0;
    for (size_t i = 0; i < n; i += 16) {
      const size_t digits = std::min<size_t>(16, n - i);
      const uint64_t bits = g();
      written |= digits == 16 ? bits : bits & ((uint64_t{1} << (4 * digits)) - 1);
      PutHex(bits, out + i, digits);
    }
  } while (written == 0 && n > 0);
}

void MakeUuid(char* out) {
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx, y in 8..b (RFC 4122 version 4).
  char hex[32];
  MakeHexId(hex, 32);
  hex[12] = '4';
  hex[16] = kHex[8 + (hex[16] <= '9' ? hex[16] - '0' : hex[16] - 'a' + 10) % 4];
  size_t j = 0;
  for (size_t i = 0; i < 36; ++i) {
    out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[j++];
  }
}

RequestIds RequestIds::Fresh() {
  RequestIds ids;
  MakeUuid(ids.id.data());
  char* t = ids.traceparent.data();
  std::memcpy(t, "00-", 3);
  MakeHexId(t + 3, 32);
  t[35] = '-';
  MakeHexId(t + 36, 16);
  // A trace started here is not sampled: recording is the collector's
  // choice, and an unsampled flag asks nobody to record anything.
  std::memcpy(t + 52, "-00", 3);
  ids.set = true;
  return ids;
}

RequestIds RequestIds::For(const boost::beast::http::request_header<>& header) {
  RequestIds ids = Fresh();
  if (auto it = header.find(kClientRequestIdHeader); it != header.end()) {
    const std::string_view client(it->value().data(), it->value().size());
    if (IsSafeClientRequestId(client)) {
      std::memcpy(ids.client.data(), client.data(), client.size());
      ids.client_size = client.size();
    }
  }
  if (auto it = header.find(kTraceparentHeader); it != header.end()) {
    if (auto parent = ParseTraceparent(std::string_view(it->value().data(), it->value().size()))) {
      // Same trace, our own (fresh) span; the client's sampling decision.
      std::memcpy(ids.traceparent.data() + 3, parent->trace_id.data(), 32);
      std::memcpy(ids.traceparent.data() + 53, parent->flags.data(), 2);
      ids.parent = parent->parent_id;
      ids.has_parent = true;
    }
  }
  return ids;
}

namespace {
thread_local const RequestContext* t_context = nullptr;
}  // namespace

const RequestContext* CurrentRequestContext() { return t_context; }

ScopedRequestContext::ScopedRequestContext(const RequestContext* context) : previous_(t_context) {
  t_context = context;
}

ScopedRequestContext::~ScopedRequestContext() { t_context = previous_; }

}  // namespace skiff::dataplane
