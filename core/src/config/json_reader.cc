// SPDX-License-Identifier: Apache-2.0
#include "skiff/config/json_reader.h"

#include <cmath>
#include <set>
#include <utility>

#include "skiff/config/did_you_mean.h"
#include "json_path.h"

namespace skiff::config {
namespace {

using internal::JsonTypeName;
using internal::MemberPath;
using nlohmann::json;

[[noreturn]] void FailType(const json& value, const std::string& path, const char* expected) {
  Fail("`" + path + "` must be " + expected + ", got " + JsonTypeName(value));
}

std::string RangeText(int64_t min, int64_t max) {
  if (max == kNoMax) return "at least " + std::to_string(min);
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

// (line, column), both 1-based, of the character at 0-based `offset`.
std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// nlohmann's parse_error::what() is "[json.exception.parse_error.101] parse
// error at line 1, column 5: syntax error while parsing value - ...". Keep the
// part after the position, which says what was expected.
std::string ParseErrorDetail(const std::string& what) {
  const size_t colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

void Fail(const std::string& message) { throw ConfigError(message); }

json ParseJsonText(std::string_view text) {
  // One set of seen keys per open object, to refuse duplicates (nlohmann
  // would silently keep the last one, hiding a typo or a merge mistake).
  // A set, not a list: token headers and payloads reach this unauthenticated.
  std::vector<std::set<std::string>> open_objects;
  json::parser_callback_t reject_duplicates =
      [&open_objects](int /*depth*/, json::parse_event_t event, json& parsed) {
        switch (event) {
          case json::parse_event_t::object_start:
            open_objects.emplace_back();
            break;
          case json::parse_event_t::object_end:
            if (!open_objects.empty()) open_objects.pop_back();
            break;
          case json::parse_event_t::key: {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!open_objects.back().insert(key).second) {
              Fail("duplicate key \"" + key +
                   "\" in one JSON object; give each key once (the parser would otherwise "
                   "silently keep only the last value)");
            }
            break;
          }
          default:
            break;
        }
        return true;
      };
  try {
    return json::parse(text.begin(), text.end(), reject_duplicates);
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the character that failed.
    const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    const auto [line, column] = LineAndColumn(text, offset);
    Fail("malformed JSON at line " + std::to_string(line) + ", column " + std::to_string(column) +
         " (byte " + std::to_string(offset) + "): " + ParseErrorDetail(e.what()));
  } catch (const json::exception& e) {
    // Not a parse_error: a number too large for a double (1e400) is
    // out_of_range.406, which used to escape every config parser (found by
    // fuzz/deployment_config_fuzzer.cc).
    const std::string what = e.what();
    const size_t bracket = what.find("] ");
    Fail("malformed JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)) +
         "; numbers must fit in a double");
  }
}

bool ReadBool(const json& value, const std::string& path) {
  if (!value.is_boolean()) FailType(value, path, "a boolean (true or false)");
  return value.get<bool>();
}

int64_t ReadInt(const json& value, const std::string& path, int64_t min, int64_t max) {
  const std::string range = RangeText(min, max);
  if (value.is_number_unsigned()) {
    // nlohmann stores every non-negative integer literal as unsigned.
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(max) || (min > 0 && u < static_cast<uint64_t>(min))) {
      Fail("`" + path + "` must be " + range + ", got " + std::to_string(u));
    }
    return static_cast<int64_t>(u);
  }
  int64_t result = 0;
  if (value.is_number_integer()) {
    result = value.get<int64_t>();
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d) {
      Fail("`" + path + "` must be an integer, got " + NumberText(d));
    }
    // Compare in double space first: casting an out-of-range double is UB.
    if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
      Fail("`" + path + "` must be " + range + ", got " + NumberText(d));
    }
    result = static_cast<int64_t>(d);
  } else {
    FailType(value, path, "an integer");
  }
  if (result < min || result > max) {
    Fail("`" + path + "` must be " + range + ", got " + std::to_string(result));
  }
  return result;
}

double ReadNumber(const json& value, const std::string& path) {
  if (!value.is_number()) FailType(value, path, "a number");
  return value.get<double>();
}

std::string ReadString(const json& value, const std::string& path) {
  if (!value.is_string()) FailType(value, path, "a string");
  return value.get<std::string>();
}

ObjectReader::ObjectReader(const json& value, std::string path)
    : object_(&value), path_(std::move(path)) {
  if (!value.is_object()) FailType(value, path_, "an object");
}

std::string ObjectReader::PathOf(std::string_view key) const { return MemberPath(path_, key); }

const json* ObjectReader::Get(std::string_view key) {
  known_.emplace_back(key);
  const auto it = object_->find(std::string(key));
  return it == object_->end() ? nullptr : &*it;
}

std::optional<bool> ObjectReader::Bool(std::string_view key) {
  const json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  return ReadBool(*v, PathOf(key));
}

std::optional<int64_t> ObjectReader::Int(std::string_view key, int64_t min, int64_t max) {
  const json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  return ReadInt(*v, PathOf(key), min, max);
}

std::optional<double> ObjectReader::Number(std::string_view key) {
  const json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  return ReadNumber(*v, PathOf(key));
}

std::optional<std::string> ObjectReader::String(std::string_view key) {
  const json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  return ReadString(*v, PathOf(key));
}

std::optional<ObjectReader> ObjectReader::Object(std::string_view key) {
  const json* v = Get(key);
  if (v == nullptr) return std::nullopt;
  return ObjectReader(*v, PathOf(key));
}

void ObjectReader::RejectUnknownKeys(std::string_view what) const {
  for (const auto& item : object_->items()) {
    bool known = false;
    for (const std::string& k : known_) {
      if (k == item.key()) {
        known = true;
        break;
      }
    }
    if (known) continue;
    std::string message = what.empty() ? "unknown key `" + PathOf(item.key()) + "`"
                                       : "`" + PathOf(item.key()) + "` is not " + std::string(what);
    if (auto suggestion = ClosestMatch(item.key(), known_)) {
      message += "; did you mean `" + *suggestion + "`?";
    } else {
      std::string list;
      for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
      message += "; allowed keys here: " + list;
    }
    Fail(message);
  }
}

double RequirePositive(double value, const std::string& path) {
  if (!(value > 0)) Fail("`" + path + "` must be greater than 0, got " + NumberText(value));
  return value;
}

std::string NumberText(double value) { return json(value).dump(); }

StatusOr<json> ParseJsonObject(std::string_view text, const std::string& context) {
  return ReadConfig(context, [&] {
    json value = ParseJsonText(text);
    if (!value.is_object()) FailType(value, "$", "an object");
    return value;
  });
}

}  // namespace skiff::config
