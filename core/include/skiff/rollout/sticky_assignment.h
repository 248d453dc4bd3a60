// SPDX-License-Identifier: Apache-2.0
// Sticky (consistent) assignment of routing keys to versions: a request
// that carries the endpoint's routing key (a header such as `x-user-id`, or
// a cookie) gets the same version on every request, and a change of the
// traffic split moves as few keys as it can (docs/rollout.md).
//
// Why weighted rendezvous hashing, and not a point on the cumulative ranges
// that RoutingTable::Pick uses for draws: with ranges [b 0-10, c 10-20,
// default 20-100], raising b to 20 % shifts c's whole range, so c's keys
// move too (20 % of keys for a 10-point change). Here each version scores a
// key on its own, score = -ln(h(key, version)) / share, and the lowest score
// wins, so a version wins a key with probability equal to its share.
// Raising b's share lowers only b's scores: with one treatment and the
// default (the A/B case) a key can only move to b, and 10 % of keys do for
// 10 -> 20 %. With more treatments the default's share shrinks at the same
// time, and the others trade a few keys (b 10 -> 20 next to c 10 and the
// default: ~11 % of keys move, 10 % of them to b); no stateless rule can
// keep every other version's keys exactly (docs/rollout.md). A version
// leaving the table loses only its own keys, and gets them back on return.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "skiff/rollout_policy.h"

namespace skiff {

// The 64-bit point of a key digest: its first 16 hex digits (the digest is
// HMAC-SHA256(salt, key) in hex, uniformly distributed). kInvalidArgument
// unless `digest_hex` starts with 16 hex digits.
StatusOr<uint64_t> RoutingPoint(std::string_view digest_hex);

// The version of `table` for the key at `point`: weighted rendezvous over
// the entries' shares (entry upper bound minus the previous one). Entries
// with no share never win; empty when the table is. The same table and
// point always give the same version. Threading: pure.
const std::string& AssignSticky(const RoutingTable& table, uint64_t point);

}  // namespace skiff
