// SPDX-License-Identifier: Apache-2.0
#include "fast_sax.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::protocol {
namespace {

using json = nlohmann::json;

// Records every SAX event as text; stops (returns false) at event number
// `stop_at` if set, like a handler that found a semantic error.
class Recorder {
 public:
  explicit Recorder(int stop_at = -1) : stop_at_(stop_at) {}
  bool null() { return Add("null"); }
  bool boolean(bool v) { return Add(v ? "true" : "false"); }
  bool number_integer(int64_t v) { return Add("int:" + std::to_string(v)); }
  bool number_unsigned(uint64_t v) { return Add("uint:" + std::to_string(v)); }
  bool number_float(double v, const std::string& text) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return Add("float:" + std::string(buf) + "/" + text);
  }
  bool string(std::string& v) { return Add("string:" + v); }
  bool binary(json::binary_t&) { return Add("binary"); }
  bool start_object(size_t n) { return Add("{" + std::to_string(n)); }
  bool key(std::string& k) { return Add("key:" + k); }
  bool end_object() { return Add("}"); }
  bool start_array(size_t n) { return Add("[" + std::to_string(n)); }
  bool end_array() { return Add("]"); }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception&) {
    return Add("error");
  }
  std::vector<std::string> events;

 private:
  bool Add(std::string e) {
    events.push_back(std::move(e));
    return static_cast<int>(events.size()) != stop_at_;
  }
  int stop_at_;
};

std::vector<std::string> Nlohmann(const std::string& text, int stop_at = -1) {
  Recorder r(stop_at);
  json::sax_parse(text.begin(), text.end(), &r);
  return r.events;
}

// Where the fast parser accepts a body, its events are nlohmann's, exactly.
TEST(FastSaxTest, SameEventsAsNlohmannOnThePlainSubset) {
  const std::vector<std::string> bodies = {
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[0.1,0.2,0.3,0.4]}]})",
      R"( { "a" : [ 1 , -2 , 0 , -0 , 3.5e2 , 1E-3 , -0.0 , 123456789012345678 ] } )",
      "{\"n\":null,\"t\":true,\"f\":false,\"o\":{},\"e\":[],\"x\":[[1,2],[3,4]]}\n",
      R"({"id":"r1","parameters":{"k":"v","n":1.25},"outputs":[{"name":"y"}]})",
      R"({"data":[[0.1, 0.2, 0.3, 0.4]]})",
      R"({"a":1,"a":2})",
      R"({"big":-999999999999999999,"tiny":2.2250738585072014e-308})",
  };
  for (const std::string& body : bodies) {
    Recorder fast;
    ASSERT_EQ(FastSaxParse(body, &fast), FastSaxResult::kParsed) << body;
    EXPECT_EQ(fast.events, Nlohmann(body)) << body;
  }
}

// A handler that stops sees the same events up to where it stopped.
TEST(FastSaxTest, StopsWhereTheHandlerSaysLikeNlohmann) {
  const std::string body = R"({"inputs":[{"name":"x","data":[1,2,3]}],"tail":5})";
  for (int stop = 1; stop <= 12; ++stop) {
    Recorder fast(stop);
    EXPECT_EQ(FastSaxParse(body, &fast), FastSaxResult::kStopped) << stop;
    EXPECT_EQ(fast.events, Nlohmann(body, stop)) << stop;
  }
}

// Escapes, non-ASCII, huge or out-of-range numbers, bare values, a BOM and
// every syntax error go back to nlohmann (which reports them exactly).
TEST(FastSaxTest, LeavesEverythingElseToNlohmann) {
  const std::vector<std::string> bodies = {
      R"({"a":"x\"y"})",
      "{\"a\":\"\xc3\xa9\"}",
      "{\"a\":\"tab\there\"}",
      R"({"a":1234567890123456789})",
      R"({"a":1e999})",
      R"({"a":1e-400})",
      "[1,2]",
      "4",
      "\"s\"",
      "\xEF\xBB\xBF{}",
      "",
      "   ",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":-})",
      R"({"a":1e})",
      R"({"a":+1})",
      R"({"a":1,})",
      R"({"a":[1,]})",
      R"({"a" 1})",
      R"({"a":1})x",
      R"({"a":tru})",
      R"({"a":nul})",
      R"({"a":[1,2})",
      R"({"a":1)",
      R"({a:1})",
      R"({"a":NaN})",
      R"({"a":1}{})",
  };
  for (const std::string& body : bodies) {
    Recorder fast;
    EXPECT_EQ(FastSaxParse(body, &fast), FastSaxResult::kUnsupported) << body;
  }
}

// Every float comes out bit for bit as strtod (what nlohmann uses) makes it,
// on both sides of the exact fast path's limits (2^53, 10^22).
TEST(FastSaxTest, FloatsAreBitExactWithStrtod) {
  std::vector<std::string> numbers = {"0.0",
                                      "-0.0",
                                      "0.1",
                                      "0.2",
                                      "0.3",
                                      "-0.4",
                                      "1.5",
                                      "3.14159",
                                      "0.000123",
                                      "1e22",
                                      "1e23",
                                      "1e-22",
                                      "1e-23",
                                      "123456789012345.6",
                                      "9007199254740992.0",
                                      "9007199254740993.0",
                                      "9007199254740993e-5",
                                      "0.30000000000000004",
                                      "2.2250738585072014e-308",
                                      "1.7976931348623157e308",
                                      "4.9e-324",
                                      "1234567890123456789.5",
                                      "12345678901234567890.5",
                                      "0.1e1",
                                      "100e-2",
                                      "5E+3",
                                      "-1.0000000000000002",
                                      "0.00000000000000000000000000001",
                                      "7.038531e-26",
                                      "1.0e-5"};
  for (int i = 0; i < 2000; ++i) {  // deterministic pseudo-random decimals
    const unsigned x = 2654435761u * static_cast<unsigned>(i + 1);
    numbers.push_back(std::to_string(x % 100000) + "." + std::to_string((x >> 7) % 1000000) + "e" +
                      std::to_string(static_cast<int>((x >> 3) % 60) - 30));
  }
  for (const std::string& n : numbers) {
    const std::string body = "{\"a\":" + n + "}";
    Recorder fast;
    ASSERT_EQ(FastSaxParse(body, &fast), FastSaxResult::kParsed) << n;
    EXPECT_EQ(fast.events, Nlohmann(body)) << n;
  }
}

// The digits of a number are taken a run at a time when they fit the 19
// significant digits the exact path can hold, else one by one: on both
// sides of that limit, in the integer and the fraction part, with leading
// zeros (not significant) before the fraction's digits, and for integers
// (18 digits at most on the fast path), the events are nlohmann's.
TEST(FastSaxTest, DigitRunsOnBothSidesOfTheSignificantDigitLimit) {
  auto digits = [](int n, int offset) {
    std::string d;
    for (int i = 0; i < n; ++i) d += static_cast<char>('1' + (i + offset) % 9);
    return d;
  };
  int parsed = 0;
  for (int whole = 0; whole <= 21; ++whole) {
    for (int zeros = 0; zeros <= 3; ++zeros) {
      for (int fraction = 0; fraction <= 21; ++fraction) {
        for (const char* sign : {"", "-"}) {
          std::string n = sign + (whole == 0 ? "0" : digits(whole, 0));
          if (zeros + fraction > 0) n += "." + std::string(zeros, '0') + digits(fraction, 3);
          for (const std::string& text : {n, n + "e-7", n + "E+3"}) {
            const std::string body = "{\"a\":[" + text + "]}";
            Recorder fast;
            const FastSaxResult r = FastSaxParse(body, &fast);
            if (r == FastSaxResult::kUnsupported) {
              // Only an integer past 18 digits leaves the fast path.
              EXPECT_TRUE(text.find_first_of(".eE") == std::string::npos && whole >= 19) << text;
              continue;
            }
            ASSERT_EQ(r, FastSaxResult::kParsed) << text;
            EXPECT_EQ(fast.events, Nlohmann(body)) << text;
            ++parsed;
          }
        }
      }
    }
  }
  EXPECT_GT(parsed, 5000);
}

// A deterministic differential fuzz: every seed of the OIP and Azure fuzz
// corpora, every prefix of it and every one-byte change to it (with bytes
// that matter to JSON): whenever the fast parser accepts the text, nlohmann
// accepts it too with exactly the same events.
TEST(FastSaxTest, AgreesWithNlohmannOnMutatedFuzzSeeds) {
  const std::filesystem::path root = std::getenv("SKIFF_SOURCE_DIR");
  std::vector<std::string> seeds = {
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[0.1,-2e3,3,0.4]}],"outputs":[{"name":"y"}],"id":"x"})"};
  for (const char* dir : {"oip_infer_request", "azure_score_request"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root / "fuzz" / "corpus" / dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  ASSERT_GT(seeds.size(), 10u);
  const std::string bytes = "\"\\,:[]{}-+.eE0159 \ntfnx\x80";
  int accepted = 0, checked = 0;
  auto check = [&](const std::string& text) {
    ++checked;
    Recorder fast;
    if (FastSaxParse(text, &fast) != FastSaxResult::kParsed) return;
    ++accepted;
    const std::vector<std::string> slow = Nlohmann(text);
    ASSERT_TRUE(std::find(slow.begin(), slow.end(), "error") == slow.end()) << text;
    ASSERT_EQ(fast.events, slow) << text;
  };
  for (const std::string& seed : seeds) {
    if (seed.size() > 4096) continue;
    for (size_t n = 0; n <= seed.size(); ++n) check(seed.substr(0, n));
    for (size_t i = 0; i < seed.size(); ++i) {
      for (char b : bytes) {
        std::string m = seed;
        m[i] = b;
        check(m);
      }
    }
  }
  EXPECT_GT(accepted, 100) << "of " << checked;
}

TEST(FastSaxTest, RefusesNestingDeeperThanItsLimit) {
  std::string deep = "{\"a\":" + std::string(FastSaxParser<Recorder>::kMaxDepth, '[') +
                     std::string(FastSaxParser<Recorder>::kMaxDepth, ']') + "}";
  Recorder r;
  EXPECT_EQ(FastSaxParse(deep, &r), FastSaxResult::kUnsupported);
  std::string ok = "{\"a\":" + std::string(10, '[') + std::string(10, ']') + "}";
  Recorder r2;
  EXPECT_EQ(FastSaxParse(ok, &r2), FastSaxResult::kParsed);
  EXPECT_EQ(r2.events, Nlohmann(ok));
}

}  // namespace
}  // namespace skiff::protocol
