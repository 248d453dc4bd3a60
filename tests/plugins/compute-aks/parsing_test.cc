// SPDX-License-Identifier: Apache-2.0
// Pure parsing: Retry-After, backoff, URLs, resource IDs, VM sizes, base64,
// managed-cluster bodies.
#include <gtest/gtest.h>

#include "aks_compute_target.h"
#include "arm/resource_id.h"
#include "arm/vm_sizes.h"
#include "skiff/util/url.h"
#include "transport/backoff.h"
#include "transport/retry_after.h"

namespace skiff::compute_aks {
namespace {

using std::chrono::milliseconds;

const auto kNow =
    std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(ComputeAksRetryAfterTest, Seconds) {
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "7"}}, kNow), milliseconds(7000));
  EXPECT_EQ(ParseRetryAfter({{"retry-after", " 0 "}}, kNow), milliseconds(0));
}

TEST(ComputeAksRetryAfterTest, HttpDate) {
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Sun, 06 Nov 1994 08:49:47 GMT"}}, kNow),
            milliseconds(10000));
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Sun, 06 Nov 1994 08:00:00 GMT"}}, kNow),
            milliseconds(0))
      << "a date in the past means now";
}

// Found by fuzz/retry_after_fuzzer.cc: converting these overflowed
// system_clock's nanosecond count (signed overflow, UB).
TEST(ComputeAksRetryAfterTest, DatesOutsideTheClocksRangeAreGarbage) {
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "Sun, 06 Nov 3000 08:49:37 GMT"}}, kNow));
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "Mon, 01 Jan 1000 00:00:00 GMT"}}, kNow));
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"));
  EXPECT_TRUE(ParseHttpDate("Fri, 01 Jan 2100 00:00:00 GMT"));
}

// Found by fuzz/arm_cluster_state_fuzzer.cc: summing huge pool counts
// overflowed int64 (UB). Implausible counts are left out.
TEST(ComputeAksClusterStateTest, ImplausibleNodeCountsAreIgnored) {
  nlohmann::json info = nlohmann::json::object();
  MergeClusterState(nlohmann::json::parse(R"({"properties": {"agentPoolProfiles": [
      {"count": 9223372036854775807}, {"count": 9223372036854775807},
      {"count": -5}, {"count": 18446744073709551615}, {"count": 2}, {"count": "3"}, 7]}})"),
                    &info);
  EXPECT_EQ(info["agentCount"], 2);
}

// Found by fuzz/arm_operation_fuzzer.cc: "retry-after: 33333333223" (s)
// overflowed when the poller added it to the clock's nanosecond time.
TEST(ComputeAksRetryAfterTest, HugeDelaysAreCappedAtADay) {
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "33333333223"}}, kNow), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter({{"retry-after-ms", "999999999999"}}, kNow), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "Fri, 01 Jan 2100 00:00:00 GMT"}}, kNow),
            kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter({{"retry-after", "86399"}}, kNow), milliseconds(86399000));
}

TEST(ComputeAksRetryAfterTest, GarbageIsIgnored) {
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "soon"}}, kNow));
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "-5"}}, kNow));
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "1.5"}}, kNow));
  EXPECT_FALSE(ParseRetryAfter({{"retry-after", "Sun, 06 Nov 1994 25:99:00 PST"}}, kNow));
  EXPECT_FALSE(ParseRetryAfter({}, kNow));
  EXPECT_EQ(ParseRetryAfter({{"retry-after-ms", "x"}, {"retry-after", "2"}}, kNow),
            milliseconds(2000));
}

TEST(ComputeAksRetryAfterTest, MillisecondHeadersWin) {
  EXPECT_EQ(ParseRetryAfter({{"retry-after-ms", "250"}, {"retry-after", "9"}}, kNow),
            milliseconds(250));
  EXPECT_EQ(ParseRetryAfter({{"x-ms-retry-after-ms", "1500"}, {"retry-after", "9"}}, kNow),
            milliseconds(1500));
}

TEST(ComputeAksBackoffTest, FullJitterStaysUnderTheCappedCeiling) {
  std::mt19937_64 rng(42);
  BackoffOptions o{milliseconds(100), milliseconds(1000)};
  for (int attempt = 0; attempt < 20; ++attempt) {
    const auto ceiling = std::min<int64_t>(1000, 100LL << std::min(attempt, 20));
    for (int i = 0; i < 50; ++i) {
      auto d = FullJitterDelay(o, attempt, rng);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), ceiling);
    }
  }
}

TEST(ComputeAksUrlTest, LoopbackOnlyForHttp) {
  for (const char* ok : {"https://management.azure.com", "http://127.0.0.1:8080/x",
                         "http://127.3.4.5", "http://localhost:1", "http://[::1]:9/"}) {
    auto url = ParseUrl(ok);
    ASSERT_TRUE(url.ok()) << ok;
    EXPECT_TRUE(CheckTransportAllowed(*url, "X").ok()) << ok;
  }
  for (const char* refused : {"http://management.azure.com", "http://10.0.0.1", "http://128.0.0.1",
                              "http://localhost.evil.com"}) {
    auto url = ParseUrl(refused);
    ASSERT_TRUE(url.ok()) << refused;
    Status s = CheckTransportAllowed(*url, "SKIFF_ARM_ENDPOINT");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << refused;
    EXPECT_NE(s.message().find("plain http://"), std::string::npos);
  }
  EXPECT_FALSE(ParseUrl("ftp://x").ok());
  EXPECT_FALSE(ParseUrl("management.azure.com").ok());
  EXPECT_EQ(ParseUrl("https://a.b:8443/p?q=1")->target, "/p?q=1");
  EXPECT_EQ(ParseUrl("https://a.b:8443/p")->Origin(), "https://a.b:8443");
}

TEST(ComputeAksResourceIdTest, ParsesAndRejects) {
  auto ref = ParseClusterId(
      "/subscriptions/s1/resourcegroups/rg1/providers/microsoft.containerservice/MANAGEDCLUSTERS/"
      "c1");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->subscription_id, "s1");
  EXPECT_EQ(ref->resource_group, "rg1");
  EXPECT_EQ(ref->name, "c1");
  EXPECT_EQ(ref->Id(),
            "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/"
            "managedClusters/c1");
  for (const char* bad :
       {"",
        "subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/c",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters",
        "/subscriptions/s/resourceGroups//providers/Microsoft.ContainerService/managedClusters/c",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c/",
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c/"
        "x"}) {
    auto r = ParseClusterId(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(SameResourceId("/subscriptions/A/x", "/SUBSCRIPTIONS/a/X"));
}

TEST(ComputeAksVmSizesTest, KnownSizes) {
  EXPECT_EQ(VcpusOf("Standard_D3_v2"), 4);
  EXPECT_EQ(VcpusOf("standard_d2_v2"), 2);
  EXPECT_EQ(VcpusOf("Standard_D5_v2"), 16);
  EXPECT_EQ(VcpusOf("Standard_DS2_v2"), 2);
  EXPECT_EQ(VcpusOf("Standard_D64s_v3"), 64);
  EXPECT_EQ(VcpusOf("Standard_D2as_v4"), 2);
  EXPECT_EQ(VcpusOf("Standard_D4ds_v5"), 4);
  EXPECT_EQ(VcpusOf("Standard_F2s_v2"), 2);
  EXPECT_EQ(VcpusOf("Standard_B4ms"), 4);
  EXPECT_EQ(VcpusOf("Standard_E8s_v3"), 8);
  EXPECT_EQ(VcpusOf("Standard_NC6"), 6);
  EXPECT_EQ(VcpusOf("Standard_NC6s_v3"), 6);
  EXPECT_EQ(VcpusOf("Standard_NC4as_T4_v3"), 4);
  EXPECT_EQ(VcpusOf("D3_v2"), 4);
  EXPECT_FALSE(VcpusOf("Standard_Imaginary_v9"));
}

}  // namespace
}  // namespace skiff::compute_aks
