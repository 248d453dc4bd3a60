// SPDX-License-Identifier: Apache-2.0
#include "skiff/rollout/sticky_assignment.h"

#include <cmath>
#include <limits>

namespace skiff {
namespace {

// SplitMix64's finalizer: a bijection on 64 bits in which every input bit
// flips each output bit with probability ~1/2.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<uint64_t> RoutingPoint(std::string_view digest_hex) {
  if (digest_hex.size() < 16) {
    return InvalidArgument("a routing key digest needs at least 16 hex digits, got " +
                           std::to_string(digest_hex.size()));
  }
  uint64_t point = 0;
  for (size_t i = 0; i < 16; ++i) {
    const int v = HexValue(digest_hex[i]);
    if (v < 0) return InvalidArgument("a routing key digest must be hex");
    point = (point << 4) | static_cast<uint64_t>(v);
  }
  return point;
}

const std::string& AssignSticky(const RoutingTable& table, uint64_t point) {
  static const std::string kNone;
  const std::string* best = &kNone;
  double best_score = std::numeric_limits<double>::infinity();
  double previous = 0;
  for (const RoutingTable::Entry& e : table.entries) {
    const double share = e.upper - previous;
    previous = e.upper;
    if (share <= 0) continue;
    // The version's own uniform draw for this key, in (0, 1): the key's
    // point mixed with the version's name, so each version ranks keys
    // independently of the others and of the table's order.
    const uint64_t h = Mix(point ^ Mix(Fnv1a(e.version)));
    const double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
    const double score = -std::log(u) / share;
    if (score < best_score) {
      best_score = score;
      best = &e.version;
    }
  }
  return *best;
}

}  // namespace skiff
