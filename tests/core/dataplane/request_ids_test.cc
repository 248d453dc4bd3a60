// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: the ids a request carries (request_ids.h): traceparent parsed
// by the W3C rules, x-request-id echoed only when safe, UUIDs well formed,
// and the scoring pool's request context current while a model scores.
#include "skiff/dataplane/request_ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <vector>

namespace skiff::dataplane {
namespace {

namespace http = boost::beast::http;

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kSpan = "00f067aa0ba902b7";

TEST(Traceparent, ParsesTheSpecsExampleAndRefusesWhatTheSpecRefuses) {
  auto ok = ParseTraceparent("00-" + kTrace + "-" + kSpan + "-01");
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::string(ok->trace_id.data(), 32), kTrace);
  EXPECT_EQ(std::string(ok->parent_id.data(), 16), kSpan);
  EXPECT_EQ(std::string(ok->flags.data(), 2), "01");
  // A later version may add fields after a '-'.
  EXPECT_TRUE(ParseTraceparent("cc-" + kTrace + "-" + kSpan + "-01-what-the-future-adds"));
  for (const std::string& bad : std::vector<std::string>{
           "",
           "00-" + kTrace + "-" + kSpan + "-01-extra",    // version 00 is exactly 55
           "ff-" + kTrace + "-" + kSpan + "-01",          // forbidden version
           "00-" + std::string(32, '0') + "-" + kSpan + "-01",  // all-zero trace id
           "00-" + kTrace + "-" + std::string(16, '0') + "-01",  // all-zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + kSpan + "-01",  // upper case
           "00-" + kTrace + "-" + kSpan + "-1",                   // short flags
           "00_" + kTrace + "-" + kSpan + "-01",                  // separator
           "cc-" + kTrace + "-" + kSpan + "-01x",                 // no '-' after the fields
           "00-" + kTrace.substr(1) + "g-" + kSpan + "-01",       // not hex
       }) {
    EXPECT_FALSE(ParseTraceparent(bad)) << bad;
  }
}

TEST(RequestIds, ContinueAValidTraceWithANewSpanAndStartOneOtherwise) {
  http::request_header<> with;
  with.set(kTraceparentHeader, "00-" + kTrace + "-" + kSpan + "-01");
  const RequestIds a = RequestIds::For(with);
  EXPECT_EQ(a.trace_id(), kTrace);
  EXPECT_EQ(a.parent_span_id(), kSpan);
  EXPECT_NE(a.span_id(), kSpan);
  EXPECT_TRUE(ParseTraceparent(a.onward_traceparent())) << a.onward_traceparent();
  EXPECT_EQ(a.onward_traceparent().substr(53), "01") << "the client's sampling decision";

  http::request_header<> without;
  without.set(kTraceparentHeader, "garbage");
  const RequestIds b = RequestIds::For(without);
  EXPECT_TRUE(ParseTraceparent(b.onward_traceparent())) << b.onward_traceparent();
  EXPECT_TRUE(b.parent_span_id().empty());
  EXPECT_NE(b.trace_id(), RequestIds::For(without).trace_id()) << "a new trace per request";
}

TEST(RequestIds, EchoASafeClientIdOnlyAndMakeUuids) {
  http::request_header<> h;
  h.set(kClientRequestIdHeader, "order-7:retry_2/a+b=c@d.e");
  RequestIds ids = RequestIds::For(h);
  EXPECT_EQ(ids.echoed_id(), "order-7:retry_2/a+b=c@d.e");
  for (const std::string& bad :
       std::vector<std::string>{std::string(kMaxClientRequestId + 1, 'a'), "a b", "a\"b",
                                "<script>", ""}) {
    EXPECT_FALSE(IsSafeClientRequestId(bad)) << bad;
    http::request_header<> unsafe;
    unsafe.set(kClientRequestIdHeader, bad);
    RequestIds replaced = RequestIds::For(unsafe);
    EXPECT_EQ(replaced.echoed_id(), replaced.request_id()) << bad;
  }
  EXPECT_TRUE(IsSafeClientRequestId(std::string(kMaxClientRequestId, 'a')));

  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id(RequestIds::Fresh().request_id());
    ASSERT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// The digits are written eight at a time in one word (issue 20, eighth
// session): for every length up to 16 and bits of every kind they are what
// a nibble at a time writes.
TEST(RequestIds, HexDigitsAreEachNibbleLowestFirstAsANibbleAtATimeWrites) {
  constexpr char kHex[] = "0123456789abcdef";
  std::vector<uint64_t> values = {0,
                                  ~uint64_t{0},
                                  0x0123456789abcdefull,
                                  0xfedcba9876543210ull,
                                  0x9999999999999999ull,
                                  0xaaaaaaaaaaaaaaaaull};
  for (int shift = 0; shift < 64; ++shift) {
    values.push_back(uint64_t{1} << shift);
    values.push_back(~(uint64_t{1} << shift));
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 5000; ++i)
    values.push_back(x = x * 6364136223846793005ull + 1442695040888963407ull);
  for (uint64_t v : values) {
    for (size_t n = 0; n <= 16; ++n) {
      std::string want(n, ' ');
      for (size_t i = 0; i < n; ++i) want[i] = kHex[(v >> (4 * i)) & 0xf];
      std::string got(n + 1, '#');  // one byte past: never written
      PutHexDigits(v, got.data(), n);
      ASSERT_EQ(got, want + "#") << std::hex << v << " " << std::dec << n;
    }
  }
}

// Every length, odd ones too, gives lowercase hex, never all zeros, and no
// position is stuck.
TEST(RequestIds, HexIdsAreLowercaseHexOfAnyLengthNeverAllZeroAndVary) {
  for (size_t n = 1; n <= 40; ++n) {
    std::vector<std::set<char>> digits(n);
    for (int draw = 0; draw < 300; ++draw) {
      std::string id(n, 'x');
      MakeHexId(id.data(), n);
      ASSERT_TRUE(std::regex_match(id, std::regex("[0-9a-f]+"))) << id;
      ASSERT_NE(id, std::string(n, '0'));
      for (size_t i = 0; i < n; ++i) digits[i].insert(id[i]);
    }
    for (size_t i = 0; i < n; ++i) {
      // 15 for a single digit: it is never '0'.
      EXPECT_EQ(digits[i].size(), n == 1 ? 15u : 16u) << "length " << n << ", position " << i;
    }
  }
}

TEST(RequestContext, IsCurrentOnlyInsideItsScope) {
  EXPECT_EQ(CurrentRequestContext(), nullptr);
  RequestContext outer{"id-1", "tp-1"}, inner{"id-2", "tp-2"};
  {
    ScopedRequestContext a(&outer);
    EXPECT_EQ(CurrentRequestContext(), &outer);
    {
      ScopedRequestContext b(&inner);
      EXPECT_EQ(CurrentRequestContext()->request_id, "id-2");
    }
    EXPECT_EQ(CurrentRequestContext(), &outer);
  }
  EXPECT_EQ(CurrentRequestContext(), nullptr);
}

}  // namespace
}  // namespace skiff::dataplane
