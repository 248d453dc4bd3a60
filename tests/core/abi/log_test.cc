// SPDX-License-Identifier: Apache-2.0
// Issue 23.3: the one logging unit (skiff/util/log.h): RFC 3339 UTC
// timestamps, the level names, text and JSON lines, one line per event.
#include "skiff/util/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace skiff::log
