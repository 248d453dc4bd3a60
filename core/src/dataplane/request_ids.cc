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

// Eight hex digits of the low 32 bits of `bits`, lowest nibble first,
// computed in one 64-bit word: each nibble spread into a byte of its own,
// then '0' added to every byte and 'a' - '0' - 10 more where the nibble is
// 10 or over (no byte carries into the next). A table look-up per byte pair
// was ~590 instructions for a request's 80 digits (issue 20 eighth session).
uint64_t HexWord(uint64_t bits) {
  constexpr uint64_t kEachByte = 0x0101010101010101ull;
  uint64_t v = bits & 0xffffffffull;
  v = (v | (v << 16)) & 0x0000ffff0000ffffull;
  v = (v | (v << 8)) & 0x00ff00ff00ff00ffull;
  v = (v | (v << 4)) & 0x0f0f0f0f0f0f0f0full;
  const uint64_t letters = ((v + kEachByte * 6) >> 4) & kEachByte;  // 1 where nibble >= 10
  return v + kEachByte * '0' + letters * ('a' - '0' - 10);
}

// PutHexDigits, inlined where the ids are made.
inline void PutHex(uint64_t bits, char* out, size_t n) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "HexWord's bytes are in memory order");
  size_t i = 0;
  for (; i + 8 <= n; i += 8, bits >>= 32) {
    const uint64_t word = HexWord(bits);
    std::memcpy(out + i, &word, 8);
  }
  if (i < n) {
    const uint64_t word = HexWord(bits);
    std::memcpy(out + i, &word, n - i);
  }
}

}  // namespace

void PutHexDigits(uint64_t bits, char* out, size_t n) { PutHex(bits, out, n); }

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
    size_t i = 0;
    // 16 digits a draw; the ids are 16 and 32 digits long.
    for (; i + 16 <= n; i += 16) {
      const uint64_t bits = g();
      written |= bits;
      const uint64_t low = HexWord(bits);
      const uint64_t high = HexWord(bits >> 32);
      std::memcpy(out + i, &low, 8);
      std::memcpy(out + i + 8, &high, 8);
    }
    if (i < n) {
      const size_t digits = n - i;
      const uint64_t bits = g();
      written |= bits & ((uint64_t{1} << (4 * digits)) - 1);
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
  // Group by group: a test per character was ~350 instructions an id.
  std::memcpy(out, hex, 8);
  out[8] = '-';
  std::memcpy(out + 9, hex + 8, 4);
  out[13] = '-';
  std::memcpy(out + 14, hex + 12, 4);
  out[18] = '-';
  std::memcpy(out + 19, hex + 16, 4);
  out[23] = '-';
  std::memcpy(out + 24, hex + 20, 12);
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
