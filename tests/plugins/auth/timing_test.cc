// SPDX-License-Identifier: Apache-2.0
// The key check must not leak how much of a wrong key matches the right one.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "auth_test_util.h"
#include "service_keys.h"

namespace skiff::auth {
namespace {

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

TEST(AuthTimingTest, LongSharedPrefixTakesNoLongerThanWhollyWrongKey) {
  testing::TempDir dir;
  DefaultAuthenticator::Options o;
  o.workspace = "ws";
  o.keys_dir = dir.Sub("signing");
  auto auth = DefaultAuthenticator::Create(o);
  ASSERT_TRUE(auth.ok());
  auto keys = GenerateServiceKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE((*auth)->Configure(KeyModeConfig("svc", *keys)).ok());

  std::string prefix = "Bearer " + keys->primary;
  prefix.back() = prefix.back() == 'A' ? 'B' : 'A';  // all but the last char right
  std::string wholly = "Bearer " + std::string(keys->primary.size(), '~');
  ASSERT_FALSE((*auth)->Verify("svc", prefix).ok());
  ASSERT_FALSE((*auth)->Verify("svc", wholly).ok());

  constexpr int kRounds = 2000;
  constexpr int kBatch = 20;
  std::vector<double> t_prefix, t_wholly;
  t_prefix.reserve(kRounds);
  t_wholly.reserve(kRounds);
  using Clock = std::chrono::steady_clock;
  auto time_batch = [&](const std::string& header) {
    const auto start = Clock::now();
    for (int i = 0; i < kBatch; ++i) {
      if ((*auth)->Verify("svc", header).ok()) ADD_FAILURE() << "wrong key accepted";
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  };
  for (int r = 0; r < kRounds; ++r) {
    // Interleaved, alternating which goes first, so drift hits both alike.
    if (r % 2 == 0) {
      t_prefix.push_back(time_batch(prefix));
      t_wholly.push_back(time_batch(wholly));
    } else {
      t_wholly.push_back(time_batch(wholly));
      t_prefix.push_back(time_batch(prefix));
    }
  }
  const double m_prefix = Median(t_prefix) / kBatch;
  const double m_wholly = Median(t_wholly) / kBatch;
  const double ratio = m_prefix / m_wholly;
  std::printf("median Verify: shared-prefix %.0f ns, wholly wrong %.0f ns, ratio %.3f\n", m_prefix,
              m_wholly, ratio);
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 2.0);
}

}  // namespace
}  // namespace skiff::auth
