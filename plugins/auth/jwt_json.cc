// SPDX-License-Identifier: Apache-2.0
#include "jwt_json.h"

#include <cstring>
#include <utility>

#include "skiff/config/json_reader.h"

namespace skiff::auth {

namespace {

enum class Member { kOther, kCrit, kAlg, kKid, kIss, kAud, kExp, kNbf, kIat };

constexpr std::pair<const char*, Member> kStringMembers[] = {
    {"alg", Member::kAlg}, {"kid", Member::kKid}, {"iss", Member::kIss}, {"aud", Member::kAud}};
constexpr std::pair<const char*, Member> kIntMembers[] = {
    {"exp", Member::kExp}, {"nbf", Member::kNbf}, {"iat", Member::kIat}};

// The claims and header members skiff reads, named once in the tables above.
Member MemberOf(std::string_view key) {
  if (key.size() != 3 && key.size() != 4) return Member::kOther;
  for (const auto& [name, member] : kStringMembers) {
    if (key == name) return member;
  }
  for (const auto& [name, member] : kIntMembers) {
    if (key == name) return member;
  }
  return key == "crit" ? Member::kCrit : Member::kOther;
}

std::optional<std::string_view>* StringSlot(JwtObjectFields& f, Member m) {
  switch (m) {
    case Member::kAlg:
      return &f.alg;
    case Member::kKid:
      return &f.kid;
    case Member::kIss:
      return &f.iss;
    case Member::kAud:
      return &f.aud;
    default:
      return nullptr;
  }
}

std::optional<int64_t>* IntSlot(JwtObjectFields& f, Member m) {
  switch (m) {
    case Member::kExp:
      return &f.exp;
    case Member::kNbf:
      return &f.nbf;
    case Member::kIat:
      return &f.iat;
    default:
      return nullptr;
  }
}

// The plain-subset scanner. Every method returns false to step aside.
class FlatScanner {
 public:
  explicit FlatScanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool Object(JwtObjectFields* out) {
    JwtObjectFields f;
    std::string_view keys[kMaxFlatKeys];
    std::size_t key_count = 0;
    SkipWhitespace();
    if (!Take('{')) return false;  // also a BOM or a bare value
    SkipWhitespace();
    if (!Take('}')) {
      for (;;) {
        std::string_view key;
        if (!PlainString(&key)) return false;
        // A repeat is ParseJsonObject's to refuse, with its message. Keys
        // here have no escapes, so equal bytes are equal keys and unequal
        // bytes unequal ones.
        for (std::size_t i = 0; i < key_count; ++i) {
          if (keys[i] == key) return false;
        }
        if (key_count == kMaxFlatKeys) return false;
        keys[key_count++] = key;
        SkipWhitespace();
        if (!Take(':')) return false;
        SkipWhitespace();
        if (p_ == end_) return false;
        const Member member = MemberOf(key);
        if (*p_ == '"') {
          std::string_view value;
          if (!PlainString(&value)) return false;
          if (auto* slot = StringSlot(f, member)) *slot = value;
        } else if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          int64_t value = 0;
          if (!PlainInteger(&value)) return false;
          if (auto* slot = IntSlot(f, member)) *slot = value;
        } else if (!Literal("true") && !Literal("false") && !Literal("null")) {
          return false;  // an object, an array, or not JSON
        }
        if (member == Member::kCrit) f.has_crit = true;
        SkipWhitespace();
        if (Take(',')) {
          SkipWhitespace();
          continue;
        }
        if (Take('}')) break;
        return false;
      }
    }
    SkipWhitespace();
    if (p_ != end_) return false;  // trailing bytes
    *out = f;
    return true;
  }

 private:
  void SkipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // "..." of printable ASCII without '\\': its bytes are its value.
  bool PlainString(std::string_view* out) {
    if (!Take('"')) return false;
    const char* start = p_;
    while (p_ != end_) {
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
      ++p_;
    }
    return false;
  }
  // -?(0|[1-9][0-9]*) of at most 18 digits (so it fits int64), not followed
  // by a fraction or an exponent.
  bool PlainInteger(int64_t* out) {
    const bool negative = Take('-');
    const char* start = p_;
    int64_t value = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      if (p_ - start == 18) return false;
      value = value * 10 + (*p_ - '0');
      ++p_;
    }
    const std::size_t digits = static_cast<std::size_t>(p_ - start);
    if (digits == 0 || (digits > 1 && *start == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = negative ? -value : value;
    return true;
  }
  bool Literal(const char* word) {
    const std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool ParseFlatJwtObject(std::string_view text, JwtObjectFields* out) {
  return FlatScanner(text).Object(out);
}

bool JwtObject::Parse(std::string_view text) {
  flat_ = ParseFlatJwtObject(text, &fields_);
  return flat_ || ParseReference(text);
}

bool JwtObject::ParseReference(std::string_view text) {
  flat_ = false;
  fields_ = JwtObjectFields();
  auto parsed = config::ParseJsonObject(text, "token");
  if (!parsed.ok()) return false;
  document_ = std::move(*parsed);
  fields_.has_crit = document_.contains("crit");
  // The same reads as before the scanner: a string member as a string, an
  // integer as int64 (an unsigned one only up to INT64_MAX).
  for (const auto& [name, member] : kStringMembers) {
    auto it = document_.find(name);
    if (it != document_.end() && it->is_string()) {
      *StringSlot(fields_, member) = it->get_ref<const std::string&>();
    }
  }
  for (const auto& [name, member] : kIntMembers) {
    auto it = document_.find(name);
    if (it == document_.end()) continue;
    if (it->is_number_unsigned()) {
      const uint64_t v = it->get<uint64_t>();
      if (v <= static_cast<uint64_t>(INT64_MAX))
        *IntSlot(fields_, member) = static_cast<int64_t>(v);
    } else if (it->is_number_integer()) {
      *IntSlot(fields_, member) = it->get<int64_t>();
    }
  }
  return true;
}

}  // namespace skiff::auth
