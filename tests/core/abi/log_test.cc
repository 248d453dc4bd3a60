// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: the one logging unit (skiff/util/log.h): RFC 3339 UTC
// timestamps, the level names, text and JSON lines, one line per event.
#include "skiff/util/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace skiff::log {
namespace {

const auto kTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796576531318));

TEST(Log, TimestampsAreRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(Timestamp(kTime), "2026-12-06T17:02:11.318Z");
  EXPECT_EQ(Timestamp(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Timestamp(std::chrono::system_clock::time_point(std::chrono::milliseconds(7))),
            "1970-01-01T00:00:00.007Z");
}

TEST(Log, TextLinesHaveTimestampLevelLoggerAndOneLine) {
  EXPECT_EQ(FormatLine(Format::kText, Level::kInfo, "skiff-server", "listening on 127.0.0.1:5001",
                       kTime),
            "2026-12-06T17:02:11.318Z INFO skiff-server: listening on 127.0.0.1:5001\n");
  EXPECT_EQ(FormatLine(Format::kText, Level::kError, "skiff-supervisor", "two\nlines\r", kTime),
            "2026-12-06T17:02:11.318Z ERROR skiff-supervisor: two\\nlines\n")
      << "a newline in a message never starts a line of its own";
}

TEST(Log, JsonLinesAreOneObjectEach) {
  const std::string line =
      FormatLine(Format::kJson, Level::kWarning, "skiff-server", "a \"quoted\"\nword\x01", kTime);
  ASSERT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-12-06T17:02:11.318Z");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["logger"], "skiff-server");
  EXPECT_EQ(j["message"], "a \"quoted\"\nword\x01");
}

TEST(Log, LevelsAndFormatsParseAndFilter) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("warn"), Level::kWarning);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_FALSE(ParseLevel("INFO"));
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("xml"));
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarning, Level::kError}) {
    EXPECT_EQ(ParseLevel(LevelName(l)), l);
  }
  const Level before = CurrentLevel();
  SetLevel(Level::kWarning);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kWarning));
  EXPECT_TRUE(Enabled(Level::kError));
  SetLevel(before);
}

// What PutJsonString wrote a byte at a time before it checked 8 at once
// (issue 20, eighth session): the escapes must not change.
std::string EscapedByteByByte(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '"' || u == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(Log, JsonStringsAreEscapedAsAByteAtATimeWouldForEveryLengthAndPlace) {
  // Every byte value at every place of every length around the 8-byte
  // words, among plain bytes and bytes at the edges of each class.
  const std::string fills[] = {"a", "\x1f", "\x20", "\x21", "\x7e", "\x80", "\xff", "/"};
  std::vector<std::string> texts = {"", "0f8fad5b-d9cb-469f-a165-70867728950e",
                                    "/api/v1/service/{service}/score", "a\"b"};
  for (const std::string& fill : fills) {
    for (size_t size = 1; size <= 19; ++size) {
      for (size_t at = 0; at < size; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::string t(size, fill[0]);
          t[at] = static_cast<char>(b);
          texts.push_back(t);
        }
      }
    }
  }
  // Bytes of many kinds together, in a fixed pseudo-random order.
  uint32_t state = 12345;
  for (int n = 0; n < 2000; ++n) {
    std::string t(static_cast<size_t>(n % 41), ' ');
    for (char& c : t) {
      state = state * 1664525u + 1013904223u;
      c = static_cast<char>(state >> 24);
    }
    texts.push_back(t);
  }
  for (const std::string& t : texts) {
    std::string out;
    AppendJsonString(t, &out);
    ASSERT_EQ(out, EscapedByteByByte(t)) << ::testing::PrintToString(t);
  }
}

}  // namespace
}  // namespace skiff::log
