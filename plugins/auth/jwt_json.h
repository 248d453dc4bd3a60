// SPDX-License-Identifier: Apache-2.0
// The JSON of a JWS header or JWT payload, read for VerifyJwt: one object
// without duplicate keys (config::ParseJsonObject's rules), and the members
// the verifier looks at.
//
// Tokens skiff issues are flat objects of plain strings and integers, and
// building nlohmann's DOM for them (with the duplicate-key callback) was
// about half of an HS256 check. So a small scanner reads that plain subset
// in place first: one flat object, keys and strings without escapes, control
// characters or non-ASCII bytes, integers of at most 18 digits, true, false,
// null, at most kMaxFlatKeys members. It only ever accepts: on anything
// outside the subset (escapes, floats, nesting, a BOM, trailing bytes, a
// repeated key, every syntax error) it steps aside and ParseJsonObject
// decides, so what is refused, and what an escaped key means, is exactly
// what it was (ctest -R AuthJwtJson; fuzz/jwt_json_fuzzer.cc compares both).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace skiff::auth {

// What VerifyJwt reads from one object. The views point into the text given
// to Parse() or into the JwtObject's own document; they live as long as both.
struct JwtObjectFields {
  bool has_crit = false;                // a member "crit", of any type
  std::optional<std::string_view> alg;  // each: present and a string
  std::optional<std::string_view> kid;
  std::optional<std::string_view> iss;
  std::optional<std::string_view> aud;
  std::optional<int64_t> exp;  // each: present and an integer within int64
  std::optional<int64_t> nbf;
  std::optional<int64_t> iat;
};

// More members than this are left to ParseJsonObject (its duplicate check
// is a set; the scanner's is a pairwise compare, cheap only while short).
inline constexpr std::size_t kMaxFlatKeys = 16;

// The scanner alone: true when `text` is within the plain subset (then *out
// holds its fields); false means "not decided here", never "refused".
bool ParseFlatJwtObject(std::string_view text, JwtObjectFields* out);

class JwtObject {
 public:
  JwtObject() = default;
  JwtObject(const JwtObject&) = delete;  // fields_ may point into document_
  JwtObject& operator=(const JwtObject&) = delete;

  // False when `text` is not one JSON object without duplicate keys (at any
  // depth). The scanner first, ParseJsonObject when it steps aside.
  bool Parse(std::string_view text);
  // ParseJsonObject only: the reference the scanner is held to.
  bool ParseReference(std::string_view text);

  const JwtObjectFields& fields() const { return fields_; }
  // Whether the last Parse() was decided by the scanner (bench and tests).
  bool took_flat_path() const { return flat_; }

 private:
  JwtObjectFields fields_;
  bool flat_ = false;
  nlohmann::json document_;  // ParseReference() only; fields_ may point into it
};

}  // namespace skiff::auth
