// SPDX-License-Identifier: Apache-2.0
// A fast JSON tokenizer for the request bodies the data plane sees on every
// call, driving the same SAX handlers as nlohmann::json::sax_parse.
//
// nlohmann's lexer copies every number into a std::string and converts it
// with strtod: about 1,500 instructions per element of a float array, 73 %
// of the server's work on a 784-float CNN request. This one converts numbers
// in place with std::from_chars (correctly rounded, like strtod).
//
// It accepts only the plain subset of JSON: strings without escapes, control
// characters or non-ASCII bytes, integers of at most 18 digits, finite
// floats, nesting up to kMaxDepth. On anything else (including every syntax
// error) it returns kUnsupported and the caller parses the body again, from
// the start, with a fresh handler and nlohmann::json::sax_parse, which then
// produces the exact error message. Within that subset it calls the handler
// with exactly the events, in exactly the order, nlohmann's SAX parser does
// (start_object/start_array get static_cast<size_t>(-1), a key is reported
// before its ':' is checked, each value as soon as its token ends), so a
// handler that stops early (returns false) stops at the same place.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace skiff::protocol {

// A handler may define `bool number_text_needed() const`: when it returns
// false the `text` argument of number_float() is left empty (it is then
// ignored), which saves a copy per number.
template <typename H, typename = void>
struct HasNumberTextNeeded : std::false_type {};
template <typename H>
struct HasNumberTextNeeded<H, std::void_t<decltype(std::declval<const H&>().number_text_needed())>>
    : std::true_type {};

// A handler whose key() and string() take a std::string_view (nlohmann's
// std::string& converts to one) is given a view into the body: a plain
// string needs no unescaping, so nothing is copied. The view lives as long
// as the body, not just the call, but a handler must not rely on that (on
// the slow path it is nlohmann's token buffer, reused by the next token).
// Handlers taking std::string& get the token copied into text_, as before.
template <typename H, typename = void>
struct TakesStringViews : std::false_type {};
template <typename H>
struct TakesStringViews<
    H, std::void_t<decltype(std::declval<H&>().key(std::declval<std::string_view>())),
                   decltype(std::declval<H&>().string(std::declval<std::string_view>()))>>
    : std::true_type {};

enum class FastSaxResult {
  kParsed,       // the whole body parsed; every handler call returned true
  kStopped,      // a handler call returned false (its own status says why)
  kUnsupported,  // outside the fast subset or invalid: parse again with nlohmann
};

template <typename Handler>
class FastSaxParser {
 public:
  static constexpr int kMaxDepth = 64;

  FastSaxParser(std::string_view text, Handler* handler)
      : p_(text.data()), end_(text.data() + text.size()), handler_(handler) {}

  FastSaxResult Parse() {
    SkipWhitespace();
    if (p_ == end_ || *p_ != '{') return FastSaxResult::kUnsupported;  // BOM, bare values
    const FastSaxResult r = Value(0);
    if (r != FastSaxResult::kParsed) return r;
    SkipWhitespace();
    return p_ == end_ ? FastSaxResult::kParsed : FastSaxResult::kUnsupported;
  }

 private:
  static constexpr size_t kUnknownSize = static_cast<size_t>(-1);

  static FastSaxResult Event(bool ok) {
    return ok ? FastSaxResult::kParsed : FastSaxResult::kStopped;
  }

  void SkipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  FastSaxResult Value(int depth) {
    if (p_ == end_) return FastSaxResult::kUnsupported;
    switch (*p_) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"': {
        std::string_view token;
        if (!ScanString(&token)) return FastSaxResult::kUnsupported;
        if constexpr (TakesStringViews<Handler>::value) {
          return Event(handler_->string(token));
        } else {
          text_.assign(token);
          return Event(handler_->string(text_));
        }
      }
      case 't':
        if (!Literal("true")) return FastSaxResult::kUnsupported;
        return Event(handler_->boolean(true));
      case 'f':
        if (!Literal("false")) return FastSaxResult::kUnsupported;
        return Event(handler_->boolean(false));
      case 'n':
        if (!Literal("null")) return FastSaxResult::kUnsupported;
        return Event(handler_->null());
      default:
        return Number();
    }
  }

  FastSaxResult Object(int depth) {
    if (depth > kMaxDepth) return FastSaxResult::kUnsupported;
    ++p_;  // '{'
    if (!handler_->start_object(kUnknownSize)) return FastSaxResult::kStopped;
    SkipWhitespace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return Event(handler_->end_object());
    }
    for (;;) {
      std::string_view token;
      if (p_ == end_ || *p_ != '"' || !ScanString(&token)) return FastSaxResult::kUnsupported;
      if constexpr (TakesStringViews<Handler>::value) {
        if (!handler_->key(token)) return FastSaxResult::kStopped;
      } else {
        text_.assign(token);
        if (!handler_->key(text_)) return FastSaxResult::kStopped;
      }
      SkipWhitespace();
      if (p_ == end_ || *p_ != ':') return FastSaxResult::kUnsupported;
      ++p_;
      SkipWhitespace();
      const FastSaxResult r = Value(depth);
      if (r != FastSaxResult::kParsed) return r;
      SkipWhitespace();
      if (p_ == end_) return FastSaxResult::kUnsupported;
      if (*p_ == ',') {
        ++p_;
        SkipWhitespace();
        continue;
      }
      if (*p_ != '}') return FastSaxResult::kUnsupported;
      ++p_;
      return Event(handler_->end_object());
    }
  }

  FastSaxResult Array(int depth) {
    if (depth > kMaxDepth) return FastSaxResult::kUnsupported;
    ++p_;  // '['
    if (!handler_->start_array(kUnknownSize)) return FastSaxResult::kStopped;
    SkipWhitespace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return Event(handler_->end_array());
    }
    for (;;) {
      const FastSaxResult r = Value(depth);
      if (r != FastSaxResult::kParsed) return r;
      SkipWhitespace();
      if (p_ == end_) return FastSaxResult::kUnsupported;
      if (*p_ == ',') {
        ++p_;
        SkipWhitespace();
        continue;
      }
      if (*p_ != ']') return FastSaxResult::kUnsupported;
      ++p_;
      return Event(handler_->end_array());
    }
  }

  // A string with no escapes, control characters or non-ASCII bytes (which
  // nlohmann would unescape or validate as UTF-8): `*token` is its bytes,
  // without the quotes, in the body.
  bool ScanString(std::string_view* token) {
    // Locals, not p_ (see Number()).
    const char* p = p_ + 1;
    const char* const start = p;
    const char* const end = end_;
    while (p != end) {
      const unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        *token = std::string_view(start, static_cast<size_t>(p - start));
        p_ = p + 1;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p;
    }
    return false;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // JSON's number grammar, strictly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  FastSaxResult Number() {
    // Scans with locals (p_ is a member: through it every byte load could
    // alias it, so the compiler would reload and store it per character).
    const char* p = p_;
    const char* const end = end_;
    const char* start = p;
    const bool negative = *p == '-';
    if (negative) ++p;
    if (p == end || !IsDigit(*p)) return FastSaxResult::kUnsupported;
    uint64_t magnitude = 0;
    int digits = 0;  // significant digits so far (integer and fraction)
    if (*p == '0') {
      ++p;
    } else {
      while (p != end && IsDigit(*p)) {
        if (digits < 19) magnitude = magnitude * 10 + static_cast<uint64_t>(*p - '0');
        ++digits;
        ++p;
      }
    }
    bool is_float = false;
    int fraction_digits = 0;
    if (p != end && *p == '.') {
      is_float = true;
      ++p;
      if (p == end || !IsDigit(*p)) return FastSaxResult::kUnsupported;
      while (p != end && IsDigit(*p)) {
        if (digits < 19) magnitude = magnitude * 10 + static_cast<uint64_t>(*p - '0');
        if (magnitude != 0) ++digits;  // leading zeros of 0.000123 are not significant
        ++fraction_digits;
        ++p;
      }
    }
    int exponent = 0;
    if (p != end && (*p == 'e' || *p == 'E')) {
      is_float = true;
      ++p;
      bool negative_exponent = false;
      if (p != end && (*p == '+' || *p == '-')) negative_exponent = *p++ == '-';
      if (p == end || !IsDigit(*p)) return FastSaxResult::kUnsupported;
      while (p != end && IsDigit(*p)) {
        if (exponent < 10000) exponent = exponent * 10 + (*p - '0');
        ++p;
      }
      if (negative_exponent) exponent = -exponent;
    }
    p_ = p;
    if (!is_float) {
      // nlohmann: '-' numbers go through strtoll (number_integer, "-0" is 0),
      // others through strtoull (number_unsigned); 18 digits always fit.
      if (digits > 18) return FastSaxResult::kUnsupported;
      if (negative) return Event(handler_->number_integer(-static_cast<int64_t>(magnitude)));
      return Event(handler_->number_unsigned(magnitude));
    }
    double value = 0;
    if (!ExactDouble(negative, magnitude, digits, exponent - fraction_digits, &value)) {
      const auto [stop, ec] = std::from_chars(start, p_, value);
      if (ec != std::errc() || stop != p_) return FastSaxResult::kUnsupported;  // e.g. 1e999
    }
    if constexpr (HasNumberTextNeeded<Handler>::value) {
      if (!handler_->number_text_needed()) {
        text_.clear();
        return Event(handler_->number_float(value, text_));
      }
    }
    text_.assign(start, static_cast<size_t>(p_ - start));
    return Event(handler_->number_float(value, text_));
  }

  // Clinger's fast path: when the decimal significand is below 2^53 and the
  // power of ten at most 22, both are exact doubles and one IEEE multiply or
  // divide rounds correctly, giving what strtod gives. Otherwise false.
  static bool ExactDouble(bool negative, uint64_t significand, int digits, int exponent10,
                          double* out) {
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (digits > 19 || significand > (uint64_t{1} << 53) || exponent10 < -22 || exponent10 > 22) {
      return false;
    }
    double v = static_cast<double>(significand);
    v = exponent10 < 0 ? v / kPow10[-exponent10] : v * kPow10[exponent10];
    *out = negative ? -v : v;
    return true;
  }

  const char* p_;
  const char* const end_;
  Handler* handler_;
  std::string text_;  // a number's token, or a string's for a std::string& handler
};

// Parses `text` with `handler` if it lies in the fast subset (see above).
template <typename Handler>
FastSaxResult FastSaxParse(std::string_view text, Handler* handler) {
  return FastSaxParser<Handler>(text, handler).Parse();
}

}  // namespace skiff::protocol
