// SPDX-License-Identifier: Apache-2.0
// The one logging unit of skiff-server and skiff-supervisor: every line they
// print goes through here, to stderr, as
//   text: 2026-12-06T17:02:11.318Z INFO skiff-server: listening on 127.0.0.1:5001
//   json: {"time":"2026-12-06T17:02:11.318Z","level":"info","logger":"skiff-server",
//          "message":"listening on 127.0.0.1:5001"}
// (RFC 3339, UTC, milliseconds), filtered by a level. Set once at start from
// `--log-format`/`--log-level` or server.json's `logFormat`/`logLevel`
// (docs/logging.md). Never pass a key, token or other secret.
// std + POSIX only (skiff_abi), so the supervisor and plugins can use it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class Format { kText, kJson };

// "debug" | "info" | "warning" | "error" (also "warn"); nullopt otherwise.
std::optional<Level> ParseLevel(std::string_view text);
// "text" | "json"; nullopt otherwise.
std::optional<Format> ParseFormat(std::string_view text);
const char* LevelName(Level level);    // "info"
const char* FormatName(Format format);  // "text"

// The process-wide settings. `logger` names the program in every line
// ("skiff-server"). Threading: call before other threads log (at start);
// the level and format are atomics, so a later change is safe too.
void Configure(std::string_view logger, Format format, Level level);
void SetFormat(Format format);
void SetLevel(Level level);
Format CurrentFormat();
Level CurrentLevel();

// True when a line of `level` would be printed.
bool Enabled(Level level);

// Prints `message` at `level` (if Enabled) to stderr, in one write(2) so
// lines from threads never interleave mid-line. Threading: concurrent.
void Write(Level level, std::string_view message);
inline void Debug(std::string_view message) { Write(Level::kDebug, message); }
inline void Info(std::string_view message) { Write(Level::kInfo, message); }
inline void Warning(std::string_view message) { Write(Level::kWarning, message); }
inline void Error(std::string_view message) { Write(Level::kError, message); }

// One line as Write prints it (with its newline), for tests and for the
// access log's timestamp.
std::string FormatLine(Format format, Level level, std::string_view logger,
                       std::string_view message, std::chrono::system_clock::time_point time);

// `time` as RFC 3339 in UTC with milliseconds: 2026-12-06T17:02:11.318Z.
// Writes exactly kTimestampSize characters into `out` (no terminator).
inline constexpr size_t kTimestampSize = 24;
void FormatTimestamp(std::chrono::system_clock::time_point time, char* out);
std::string Timestamp(std::chrono::system_clock::time_point time);

// Appends `text` as a JSON string to *out: quotes included, '"' and '\\'
// escaped, control characters as \u00XX (so a message can never end a line
// early or forge another), other bytes as they are.
void AppendJsonString(std::string_view text, std::string* out);
// The same, written at `out`, which has room for JsonStringBound(text.size())
// bytes; returns the end of what it wrote. For a line built in one buffer.
char* PutJsonString(std::string_view text, char* out);
// The most bytes PutJsonString writes for `size` bytes of text: both quotes
// and every byte as \u00XX.
constexpr size_t JsonStringBound(size_t size) { return 2 + 6 * size; }

}  // namespace skiff::log
