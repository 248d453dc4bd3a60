// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/log.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

namespace skiff::log {
namespace {

std::atomic<int> g_format{static_cast<int>(Format::kText)};
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_logger_mu;
std::string g_logger = "skiff";  // guarded by g_logger_mu

const char* UpperName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
  }
  return "INFO";
}

void Put2(int v, char* out) {
  out[0] = static_cast<char>('0' + v / 10 % 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warning" || text == "warn") return Level::kWarning;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> ParseFormat(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return std::nullopt;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

const char* FormatName(Format format) { return format == Format::kJson ? "json" : "text"; }

void Configure(std::string_view logger, Format format, Level level) {
  {
    std::lock_guard<std::mutex> lock(g_logger_mu);
    g_logger = std::string(logger);
  }
  SetFormat(format);
  SetLevel(level);
}

void SetFormat(Format format) { g_format.store(static_cast<int>(format)); }
void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
Format CurrentFormat() { return static_cast<Format>(g_format.load()); }
Level CurrentLevel() { return static_cast<Level>(g_level.load()); }

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void FormatTimestamp(std::chrono::system_clock::time_point time, char* out) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(time.time_since_epoch()).count();
  time_t seconds = static_cast<time_t>(ms_total / 1000);
  int ms = static_cast<int>(ms_total % 1000);
  if (ms < 0) {  // before 1970: floor, not truncate
    ms += 1000;
    --seconds;
  }
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  const int year = tm.tm_year + 1900;
  // YYYY-MM-DDTHH:MM:SS.mmmZ
  Put2(year / 100, out);
  Put2(year % 100, out + 2);
  out[4] = '-';
  Put2(tm.tm_mon + 1, out + 5);
  out[7] = '-';
  Put2(tm.tm_mday, out + 8);
  out[10] = 'T';
  Put2(tm.tm_hour, out + 11);
  out[13] = ':';
  Put2(tm.tm_min, out + 14);
  out[16] = ':';
  Put2(tm.tm_sec, out + 17);
  out[19] = '.';
  out[20] = static_cast<char>('0' + ms / 100);
  Put2(ms % 100, out + 21);
  out[23] = 'Z';
}

std::string Timestamp(std::chrono::system_clock::time_point time) {
  std::string s(kTimestampSize, ' ');
  FormatTimestamp(time, s.data());
  return s;
}

namespace {

// 1 for the bytes a JSON string carries escaped: '"', '\\', control bytes, DEL.
constexpr std::array<uint8_t, 256> EscapedBytes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  t[0x7f] = 1;
  return t;
}
constexpr std::array<uint8_t, 256> kEscaped = EscapedBytes();

constexpr uint64_t kEachByte = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Whether any of the 8 bytes in `w` is one kEscaped marks: below 0x20, '"',
// '\\' or DEL. The bit tricks are exact for "any byte" (not for which one):
// (x - 0x01..) & ~x & 0x80.. is non-zero iff a byte of x is zero, and with
// 0x20.. in place of 0x01.. iff a byte is below 0x20.
bool AnyEscaped(uint64_t w) {
  const auto zero_byte = [](uint64_t x) { return (x - kEachByte) & ~x & kHighBits; };
  return (((w - kEachByte * 0x20) & ~w & kHighBits) | zero_byte(w ^ (kEachByte * '"')) |
          zero_byte(w ^ (kEachByte * '\\')) | zero_byte(w ^ (kEachByte * 0x7f))) != 0;
}

}  // namespace

char* PutJsonString(std::string_view text, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  // Runs of bytes that need no escape are copied whole: the access log
  // writes ~8 short strings a request, and a push_back per byte was ~4,000
  // instructions of it (bench/README.md, issue 20 sixth session). They are
  // checked 8 bytes at a time, a byte at a time only in a word that holds
  // one to escape and at the end (a look-up per byte was ~1,300
  // instructions a line, issue 20 eighth session).
  const size_t size = text.size();
  size_t run = 0;
  size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if (!AnyEscaped(word)) {
        i += 8;
        continue;
      }
    }
    for (const size_t end = std::min(i + 8, size); i < end; ++i) {
      const auto u = static_cast<unsigned char>(text[i]);
      if (kEscaped[u] == 0) continue;
      std::memcpy(out, text.data() + run, i - run);
      out += i - run;
      run = i + 1;
      *out++ = '\\';
      if (u == '"' || u == '\\') {
        *out++ = static_cast<char>(u);
      } else {
        std::memcpy(out, "u00", 3);
        out[3] = kHex[u >> 4];
        out[4] = kHex[u & 0xf];
        out += 5;
      }
    }
  }
  std::memcpy(out, text.data() + run, size - run);
  out += size - run;
  *out++ = '"';
  return out;
}

void AppendJsonString(std::string_view text, std::string* out) {
  const size_t at = out->size();
  out->resize(at + JsonStringBound(text.size()));
  char* const end = PutJsonString(text, out->data() + at);
  out->resize(static_cast<size_t>(end - out->data()));
}

std::string FormatLine(Format format, Level level, std::string_view logger,
                       std::string_view message, std::chrono::system_clock::time_point time) {
  std::string line;
  line.reserve(message.size() + logger.size() + 80);
  char stamp[kTimestampSize];
  FormatTimestamp(time, stamp);
  if (format == Format::kJson) {
    line.append("{\"time\":\"").append(stamp, kTimestampSize).append("\",\"level\":\"");
    line.append(LevelName(level)).append("\",\"logger\":");
    AppendJsonString(logger, &line);
    line.append(",\"message\":");
    AppendJsonString(message, &line);
    line.append("}\n");
    return line;
  }
  line.append(stamp, kTimestampSize).push_back(' ');
  line.append(UpperName(level)).push_back(' ');
  line.append(logger).append(": ");
  // One event, one line: a newline inside a message (a plugin's error text)
  // would start a line without a timestamp or level that collectors then
  // take for an event of its own.
  for (const char c : message) {
    if (c == '\n') {
      line.append("\\n");
    } else if (c != '\r') {
      line.push_back(c);
    }
  }
  line.push_back('\n');
  return line;
}

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  std::string logger;
  {
    std::lock_guard<std::mutex> lock(g_logger_mu);
    logger = g_logger;
  }
  const std::string line =
      FormatLine(CurrentFormat(), level, logger, message, std::chrono::system_clock::now());
  // One write: concurrent lines never interleave (stderr is unbuffered, and
  // a pipe or O_APPEND file takes a write of this size whole).
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: logging must never fail the caller
    done += static_cast<size_t>(n);
  }
}

}  // namespace skiff::log
