// SPDX-License-Identifier: Apache-2.0
// skiff_bench_auth: the data-plane cost of one Verify() per auth mode.
// Prints nanoseconds per operation (median of 15 runs of a timed loop, one thread).
// "token verify" is the whole check (an authenticator without a token cache);
// "token verify (cached)" the same token presented again to one with the cache.
//
//   skiff_bench_auth [--only ROW] [--iterations N]
// --only runs the one row named ROW exactly (and sets up nothing else);
// --iterations runs each row once, N times, for instruction counts
// (bench/auth_instructions.sh: callgrind at two N, the difference per op).
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "default_authenticator.h"
#include "service_keys.h"
#include "token_cache.h"

using skiff::auth::DefaultAuthenticator;
using skiff::auth::JwsAlg;

namespace {

const char* g_only = nullptr;  // --only
int g_fixed_iterations = 0;    // --iterations; 0: the row's own count, 15 runs

bool Want(const std::string& row) { return g_only == nullptr || row == g_only; }

// Never inlined: bench/auth_instructions.sh counts the instructions run
// inside it (callgrind --toggle-collect) and nothing else.
template <typename F>
__attribute__((noinline)) double NsPerOp(int iterations, F&& op) {
  std::vector<double> runs;
  const int rounds = g_fixed_iterations > 0 ? 1 : 15;
  if (g_fixed_iterations > 0) iterations = g_fixed_iterations;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) op();
    runs.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        iterations);
  }
  std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
  return runs[runs.size() / 2];
}

int Fail(const skiff::Status& st) {
  std::fprintf(stderr, "skiff_bench_auth: %s\n", st.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--only" && i + 1 < argc) {
      g_only = argv[++i];
    } else if (arg == "--iterations" && i + 1 < argc) {
      g_fixed_iterations = std::atoi(argv[++i]);
      if (g_fixed_iterations < 1) {
        std::fprintf(stderr, "skiff_bench_auth: --iterations needs a count of at least 1\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: skiff_bench_auth [--only ROW] [--iterations N]\n");
      return 2;
    }
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-bench-auth-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  std::printf("%-36s %12s\n", "operation", "ns/op");
  if (Want("key check (accepted)") || Want("key check (refused)")) {
    DefaultAuthenticator::Options o;
    o.workspace = "bench";
    o.keys_dir = dir + "/hs";
    auto auth = DefaultAuthenticator::Create(o);
    if (!auth.ok()) return Fail(auth.status());
    auto keys = skiff::auth::GenerateServiceKeys();
    if (!keys.ok()) return Fail(keys.status());
    if (auto st = (*auth)->Configure(skiff::auth::KeyModeConfig("svc", *keys)); !st.ok()) {
      return Fail(st);
    }
    const std::string good = "Bearer " + keys->secondary;
    const std::string bad = "Bearer " + std::string(keys->primary.size(), 'x');
    int failures = 0;
    if (Want("key check (accepted)")) {
      std::printf("%-36s %12.0f\n", "key check (accepted)",
                  NsPerOp(200000, [&] { failures += !(*auth)->Verify("svc", good).ok(); }));
    }
    if (Want("key check (refused)")) {
      std::printf("%-36s %12.0f\n", "key check (refused)",
                  NsPerOp(200000, [&] { failures += (*auth)->Verify("svc", bad).ok(); }));
    }
    if (failures != 0) rc = 1;
  }
  for (JwsAlg alg : {JwsAlg::kHS256, JwsAlg::kRS256, JwsAlg::kES256}) {
    const std::string alg_name = skiff::auth::JwsAlgName(alg);
    const std::string verify_row = alg_name + " token verify";
    const std::string cached_row = alg_name + " token verify (cached)";
    const std::string issue_row = alg_name + " token issue";
    if (!Want(verify_row) && !Want(cached_row) && !Want(issue_row)) continue;
    DefaultAuthenticator::Options o;
    o.workspace = "bench";
    o.keys_dir = dir + "/" + skiff::auth::JwsAlgName(alg);
    o.algorithm = alg;
    // The uncached rows measure the whole check on every call; the cached
    // ones the same token again, as a client that reuses it until it expires.
    o.token_cache_entries = 0;
    auto auth = DefaultAuthenticator::Create(o);
    if (!auth.ok()) return Fail(auth.status());
    o.token_cache_entries = skiff::auth::VerifiedTokenCache::kDefaultEntries;
    auto cached = DefaultAuthenticator::Create(o);  // the same keys, read from o.keys_dir
    if (!cached.ok()) return Fail(cached.status());
    skiff::ServiceAuthConfig c;
    c.service = "svc";
    c.mode = skiff::AuthMode::kToken;
    if (auto st = (*auth)->Configure(c); !st.ok()) return Fail(st);
    if (auto st = (*cached)->Configure(c); !st.ok()) return Fail(st);
    auto cred = (*auth)->Issue({"svc", 0});
    if (!cred.ok()) return Fail(cred.status());
    const std::string header = "Bearer " + cred->value;
    int failures = 0;
    const int n = alg == JwsAlg::kHS256 ? 100000 : 2000;
    if (Want(verify_row)) {
      std::printf("%-36s %12.0f\n", verify_row.c_str(),
                  NsPerOp(n, [&] { failures += !(*auth)->Verify("svc", header).ok(); }));
    }
    if (Want(cached_row)) {
      std::printf("%-36s %12.0f\n", cached_row.c_str(),
                  NsPerOp(200000, [&] { failures += !(*cached)->Verify("svc", header).ok(); }));
    }
    if (Want(issue_row)) {
      std::printf("%-36s %12.0f\n", issue_row.c_str(),
                  NsPerOp(alg == JwsAlg::kRS256 ? 200 : 2000, [&] {
                    failures += !(*auth)->Issue({"svc", 0}).ok();
                  }));
    }
    if (failures != 0) rc = 1;
  }
  std::filesystem::remove_all(dir);
  if (rc != 0) std::fprintf(stderr, "skiff_bench_auth: unexpected verification result\n");
  return rc;
}
