// SPDX-License-Identifier: Apache-2.0
// The one typed, path-aware reader of config JSON: every config file and
// every plugin's create() options are read with it, so each refuses
// duplicate keys, names the JSON path of a bad value and suggests the
// closest key for an unknown one ("did you mean").
//
// Inside a parse the readers throw ConfigError; the caller turns that into a
// Status at its edge with ReadConfig() (or ParseJsonObject()), so no
// exception leaves a library or crosses the plugin boundary.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/status.h"

namespace skiff::config {

// A config error; what() names the JSON path, the problem and the fix.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& message);

// Parses `text` as one JSON document. Malformed JSON and duplicate object keys
// throw ConfigError naming the line, column and byte offset.
nlohmann::json ParseJsonText(std::string_view text);

inline constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

// An options object read at the root of a plugin's create() options is
// conventionally given the path "" so that its members read bare
// (`agentCount`), not as `$.agentCount`.
inline constexpr char kOptionsRoot[] = "";

// Readers for one value at `path`; they throw on a wrong type or a value out
// of [min, max]. Integers may be written as integral floats (3.0, as in JSON
// Schema); 3.5 is rejected.
bool ReadBool(const nlohmann::json& value, const std::string& path);
int64_t ReadInt(const nlohmann::json& value, const std::string& path, int64_t min = 0,
                int64_t max = kNoMax);
double ReadNumber(const nlohmann::json& value, const std::string& path);
std::string ReadString(const nlohmann::json& value, const std::string& path);

// Reads the members of one JSON object and remembers which keys the schema
// asked for, so that anything else can be reported as unknown.
class ObjectReader {
 public:
  // Throws unless `value` is an object. `value` must outlive the reader.
  ObjectReader(const nlohmann::json& value, std::string path);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const;

  // Marks `key` as part of the schema; returns its value, or nullptr when the
  // key is absent.
  const nlohmann::json* Get(std::string_view key);

  // Typed lookups; nullopt when the key is absent.
  std::optional<bool> Bool(std::string_view key);
  std::optional<int64_t> Int(std::string_view key, int64_t min = 0, int64_t max = kNoMax);
  std::optional<double> Number(std::string_view key);
  std::optional<std::string> String(std::string_view key);
  std::optional<ObjectReader> Object(std::string_view key);

  // Throws for the first key that was never passed to Get(), with a
  // "did you mean" hint. Call after reading every schema key.
  // "unknown key `<path>`; did you mean `<key>`?" by default; with `what`,
  // "`<path>` is not <what>; did you mean ...".
  void RejectUnknownKeys(std::string_view what = {}) const;

 private:
  const nlohmann::json* object_;
  std::string path_;
  std::vector<std::string> known_;
};

// `path` must be > 0 ("must be greater than 0, got -1").
double RequirePositive(double value, const std::string& path);

// Renders a number for an error message (2.5, 1e+300).
std::string NumberText(double value);

// Runs `read` (which reads with the functions above and may throw
// ConfigError) and returns what it returns, or kInvalidArgument
// "<context>: <what was wrong>". The edge where a reader's exception becomes
// a Status.
template <typename Read>
auto ReadConfig(const std::string& context, Read&& read) -> StatusOr<decltype(read())> {
  try {
    return read();
  } catch (const ConfigError& e) {
    return InvalidArgument(context + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    // Should not happen (the readers check types first); still never let an
    // exception escape.
    return InvalidArgument(context + ": " + e.what());
  }
}

// Parses `text` (ParseJsonText: duplicate keys refused) and requires an
// object. kInvalidArgument "<context>: ..." otherwise. Never throws.
StatusOr<nlohmann::json> ParseJsonObject(std::string_view text, const std::string& context);

}  // namespace skiff::config
