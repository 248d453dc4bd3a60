// SPDX-License-Identifier: Apache-2.0
// skiff_bench_sticky: figures for sticky A/B assignment (docs/rollout.md).
// Over N keys (HMAC-SHA256 digests of "user-<i>" under a fixed salt, as the
// data plane makes them), prints each version's share of keys and how many
// keys move when one version's share goes from 10 % to 20 %, for weighted
// rendezvous (what skiff does, AssignSticky) and, for comparison, a point on
// the cumulative ranges the traffic draw uses (RoutingTable::Pick).
//   skiff_bench_sticky [KEYS]   (default 100000)
#include "skiff/rollout/sticky_assignment.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "skiff/util/sha256.h"

namespace {

skiff::RoutingTable Table(const std::vector<std::pair<std::string, double>>& shares) {
  skiff::RoutingTable t;
  double upper = 0;
  for (const auto& [name, share] : shares) {
    upper += share;
    t.entries.push_back({name, upper});
  }
  t.default_version = t.entries.back().version;
  return t;
}

void Compare(const char* label, const std::vector<uint64_t>& points,
             const skiff::RoutingTable& before, const skiff::RoutingTable& after,
             const std::string& grown) {
  size_t moved = 0, to_grown = 0, moved_ranges = 0;
  for (uint64_t p : points) {
    const std::string& a = skiff::AssignSticky(before, p);
    const std::string& b = skiff::AssignSticky(after, p);
    if (a != b) {
      ++moved;
      to_grown += b == grown;
    }
    const double u = static_cast<double>(p >> 11) * 0x1.0p-53 * 100;
    moved_ranges += before.Pick(u) != after.Pick(u);
  }
  const double n = static_cast<double>(points.size());
  std::printf("| %s | %.2f %% | %.2f %% | %.2f %% |\n", label, 100 * moved / n, 100 * to_grown / n,
              100 * moved_ranges / n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t keys = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const std::string salt = "bench-salt-0123456789abcdef0123456789";
  std::vector<uint64_t> points;
  points.reserve(keys);
  for (size_t i = 0; i < keys; ++i) {
    points.push_back(*skiff::RoutingPoint(skiff::HmacSha256Hex(salt, "user-" + std::to_string(i))));
  }
  std::printf("%zu keys\n\n| split | b | c | a |\n|---|---|---|---|\n", keys);
  for (const auto& shares : std::vector<std::vector<std::pair<std::string, double>>>{
           {{"b", 10}, {"a", 90}}, {{"b", 10}, {"c", 20}, {"a", 70}}}) {
    std::size_t b = 0, c = 0, a = 0;
    const skiff::RoutingTable t = Table(shares);
    for (uint64_t p : points) {
      const std::string& v = skiff::AssignSticky(t, p);
      b += v == "b";
      c += v == "c";
      a += v == "a";
    }
    std::string label;
    for (const auto& [name, share] : shares) {
      label += (label.empty() ? "" : " / ") + name + " " + std::to_string(int(share));
    }
    const double n = static_cast<double>(keys);
    std::printf("| %s | %.2f %% | %.2f %% | %.2f %% |\n", label.c_str(), 100 * b / n, 100 * c / n,
                100 * a / n);
  }
  std::printf(
      "\n| b 10 -> 20 %% | keys moved (rendezvous) | of them to b | keys moved (cumulative "
      "ranges) |\n|---|---|---|---|\n");
  Compare("b, a (default)", points, Table({{"b", 10}, {"a", 90}}), Table({{"b", 20}, {"a", 80}}),
          "b");
  Compare("b, c 10 %, a (default)", points, Table({{"b", 10}, {"c", 10}, {"a", 80}}),
          Table({{"b", 20}, {"c", 10}, {"a", 70}}), "b");
  return 0;
}
