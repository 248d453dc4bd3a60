// SPDX-License-Identifier: Apache-2.0
// A minimal JSON reader for the fixture files (the accel-gpu tests must build
// with libtorch and the standard library only, so no nlohmann_json). Accepts
// objects, arrays, strings without escapes beyond \" and \\, numbers, true,
// false and null; throws std::runtime_error on anything else.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace skiff::test {

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json& operator[](const std::string& key) const {
    auto it = object.find(key);
    if (kind != kObject || it == object.end()) throw std::runtime_error("no key '" + key + "'");
    return it->second;
  }
  bool Has(const std::string& key) const { return kind == kObject && object.count(key) > 0; }

  static Json Parse(const std::string& text) {
    size_t pos = 0;
    Json v = ParseValue(text, pos);
    SkipSpace(text, pos);
    if (pos != text.size()) throw std::runtime_error("trailing characters in JSON");
    return v;
  }

 private:
  static void SkipSpace(const std::string& s, size_t& pos) {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  static void Expect(const std::string& s, size_t& pos, char c) {
    SkipSpace(s, pos);
    if (pos >= s.size() || s[pos] != c) {
      throw std::runtime_error(std::string("JSON: expected '") + c + "' at " + std::to_string(pos));
    }
    ++pos;
  }
  static std::string ParseString(const std::string& s, size_t& pos) {
    Expect(s, pos, '"');
    std::string out;
    while (pos < s.size() && s[pos] != '"') {
      if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
      out += s[pos++];
    }
    Expect(s, pos, '"');
    return out;
  }
  static Json ParseValue(const std::string& s, size_t& pos) {
    SkipSpace(s, pos);
    if (pos >= s.size()) throw std::runtime_error("JSON: unexpected end");
    Json v;
    const char c = s[pos];
    if (c == '{') {
      v.kind = kObject;
      ++pos;
      SkipSpace(s, pos);
      if (s[pos] == '}') return ++pos, v;
      while (true) {
        std::string key = ParseString(s, pos);
        Expect(s, pos, ':');
        v.object[key] = ParseValue(s, pos);
        SkipSpace(s, pos);
        if (s[pos] == ',') {
          ++pos;
          continue;
        }
        Expect(s, pos, '}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = kArray;
      ++pos;
      SkipSpace(s, pos);
      if (s[pos] == ']') return ++pos, v;
      while (true) {
        v.array.push_back(ParseValue(s, pos));
        SkipSpace(s, pos);
        if (s[pos] == ',') {
          ++pos;
          continue;
        }
        Expect(s, pos, ']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = kString;
      v.string = ParseString(s, pos);
      return v;
    }
    for (const char* word : {"true", "false", "null"}) {
      const std::string w(word);
      if (s.compare(pos, w.size(), w) == 0) {
        pos += w.size();
        v.kind = w == "null" ? kNull : kBool;
        v.boolean = w == "true";
        return v;
      }
    }
    char* end = nullptr;
    v.kind = kNumber;
    v.number = std::strtod(s.c_str() + pos, &end);
    if (end == s.c_str() + pos)
      throw std::runtime_error("JSON: bad value at " + std::to_string(pos));
    pos = static_cast<size_t>(end - s.c_str());
    return v;
  }
};

}  // namespace skiff::test
