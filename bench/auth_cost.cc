// SPDX-License-Identifier: Apache-2.0
// skiff_bench_auth: the data-plane cost of one Verify() per auth mode.
// Prints nanoseconds per operation (median of 15 runs of a timed loop, one thread).
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "default_authenticator.h"
#include "service_keys.h"

using skiff::auth::DefaultAuthenticator;
using skiff::auth::JwsAlg;

namespace {

template <typename F>
double NsPerOp(int iterations, F&& op) {
  std::vector<double> runs;
  for (int r = 0; r < 15; ++r) {
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

int main() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-bench-auth-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  int rc = 0;
  std::printf("%-28s %12s\n", "operation", "ns/op");
  {
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
    std::printf("%-28s %12.0f\n", "key check (accepted)",
                NsPerOp(200000, [&] { failures += !(*auth)->Verify("svc", good).ok(); }));
    std::printf("%-28s %12.0f\n", "key check (refused)",
                NsPerOp(200000, [&] { failures += (*auth)->Verify("svc", bad).ok(); }));
    if (failures != 0) rc = 1;
  }
  for (JwsAlg alg : {JwsAlg::kHS256, JwsAlg::kRS256, JwsAlg::kES256}) {
    DefaultAuthenticator::Options o;
    o.workspace = "bench";
    o.keys_dir = dir + "/" + skiff::auth::JwsAlgName(alg);
    o.algorithm = alg;
    auto auth = DefaultAuthenticator::Create(o);
    if (!auth.ok()) return Fail(auth.status());
    skiff::ServiceAuthConfig c;
    c.service = "svc";
    c.mode = skiff::AuthMode::kToken;
    if (auto st = (*auth)->Configure(c); !st.ok()) return Fail(st);
    auto cred = (*auth)->Issue({"svc", 0});
    if (!cred.ok()) return Fail(cred.status());
    const std::string header = "Bearer " + cred->value;
    int failures = 0;
    const int n = alg == JwsAlg::kHS256 ? 100000 : 2000;
    const std::string name = std::string(skiff::auth::JwsAlgName(alg)) + " token verify";
    std::printf("%-28s %12.0f\n", name.c_str(),
                NsPerOp(n, [&] { failures += !(*auth)->Verify("svc", header).ok(); }));
    const std::string issue = std::string(skiff::auth::JwsAlgName(alg)) + " token issue";
    std::printf("%-28s %12.0f\n", issue.c_str(), NsPerOp(alg == JwsAlg::kRS256 ? 200 : 2000, [&] {
                  failures += !(*auth)->Issue({"svc", 0}).ok();
                }));
    if (failures != 0) rc = 1;
  }
  std::filesystem::remove_all(dir);
  if (rc != 0) std::fprintf(stderr, "skiff_bench_auth: unexpected verification result\n");
  return rc;
}
