// SPDX-License-Identifier: Apache-2.0
// The JWT JSON scanner (plugins/auth/jwt_json.h) against the parser it
// stands in front of (config::ParseJsonObject + the verifier's reads): the
// same accept/refuse answer and the same fields on a corpus of tricky inputs
// and on seeded mutations of them; the scanner itself never refuses.
#include "jwt_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "auth_test_util.h"
#include "jwt_verifier.h"

namespace skiff::auth {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps NUL bytes

std::optional<std::string> Copy(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// Describes fields for a failure message and for comparison.
std::string Describe(const JwtObjectFields& f) {
  auto s = [](const std::optional<std::string_view>& v) {
    return v ? "\"" + std::string(*v) + "\"" : std::string("-");
  };
  auto i = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; };
  return "crit=" + std::to_string(f.has_crit) + " alg=" + s(f.alg) + " kid=" + s(f.kid) +
         " iss=" + s(f.iss) + " aud=" + s(f.aud) + " exp=" + i(f.exp) + " nbf=" + i(f.nbf) +
         " iat=" + i(f.iat);
}

bool SameFields(const JwtObjectFields& a, const JwtObjectFields& b) {
  return a.has_crit == b.has_crit && Copy(a.alg) == Copy(b.alg) && Copy(a.kid) == Copy(b.kid) &&
         Copy(a.iss) == Copy(b.iss) && Copy(a.aud) == Copy(b.aud) && a.exp == b.exp &&
         a.nbf == b.nbf && a.iat == b.iat;
}

struct Outcome {
  bool accepted = false;
  bool flat = false;  // decided by the scanner
};

// Parse() and ParseReference() must agree; when the scanner alone decides,
// the reference must accept with the same fields.
Outcome Compare(const std::string& text) {
  JwtObject reference;
  const bool ref_ok = reference.ParseReference(text);
  JwtObject parsed;
  const bool ok = parsed.Parse(text);
  EXPECT_EQ(ok, ref_ok) << ::testing::PrintToString(text);
  if (ok && ref_ok) {
    EXPECT_TRUE(SameFields(parsed.fields(), reference.fields()))
        << ::testing::PrintToString(text) << "\n scanner/parse: " << Describe(parsed.fields())
        << "\n reference:     " << Describe(reference.fields());
  }
  JwtObjectFields flat;
  if (ParseFlatJwtObject(text, &flat)) {
    EXPECT_TRUE(ref_ok) << "the scanner accepted what ParseJsonObject refuses: "
                        << ::testing::PrintToString(text);
    EXPECT_TRUE(parsed.took_flat_path());
  }
  return {ok, parsed.took_flat_path()};
}

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = {
      // What skiff issues, and plain variants: the scanner's subset.
      R"({"alg":"HS256","kid":"Abc-123_x","typ":"JWT"})",
      R"({"iss":"ws","aud":"svc","iat":1700000000,"nbf":1700000000,"exp":1700003600})",
      "{}",
      " \t\r\n{ \t\r\n} \t\r\n",
      R"({"a":true,"b":false,"c":null})",
      R"({"exp":-0,"nbf":-5,"iat":0})",
      R"({"exp":999999999999999999})",  // 18 digits
      R"({"exp":-999999999999999999})",
      R"({"crit":null})",
      R"({"crit":1})",
      R"({"crit":"x"})",
      R"({"alg":1,"kid":true,"iss":null,"aud":2})",
      R"({"exp":"1","nbf":true,"iat":null})",
      R"({"":""})",
      R"({"alg" : "RS256" , "kid" : "k"})",
      R"({"x":"~ !#$%&'()*+,-./:;<=>?@[]^_`{|}"})",
      // Outside the subset, accepted by ParseJsonObject: the scanner steps aside.
      R"({"exp":1700000000.0})",
      R"({"exp":1.7e9})",
      R"({"exp":1E9})",
      R"({"exp":17e-1})",
      R"({"exp":9223372036854775807})",
      R"({"exp":9223372036854775808})",
      R"({"exp":18446744073709551615})",
      R"({"exp":18446744073709551616})",
      R"({"exp":-9223372036854775808})",
      R"({"exp":-9223372036854775809})",
      R"({"exp":1000000000000000000})",  // 19 digits
      R"({"iss":"w\u0073","aud":"s\"v\\c","alg":"\/"})",
      R"({"\u0061lg":"HS256"})",
      R"({"alg":"HS256","x":{"y":[1,2,{"z":3}],"w":{}}})",
      R"({"crit":[]})",
      R"({"crit":{}})",
      "{\"aud\":\"\xc3\xa9\"}",
      "\xef\xbb\xbf{\"alg\":\"HS256\"}",
      "{\"a\":\"\x7f\"}",
      R"({"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17})",
      R"({"x":[1,[2,[3,[4]]]],"exp":5})",
      R"({"a":"\ud83d\ude00"})",
      // Refused by ParseJsonObject: the scanner must step aside, never accept.
      R"({"a":1,"\u0061":2})",
      R"({"alg":"HS256","\u0061lg":"none"})",
      R"({"a":1,"a":2})",
      R"({"a":{"b":1,"b":2}})",
      R"({"a":[{"b":1,"b":2}]})",
      R"({"exp":1,"exp":2})",
      "{} x",
      "{}{}",
      "{},",
      "{\"a\":1}\n\"b\"",
      "\"{}",
      "{\"a\":\"b\0c\"}"s,
      "{}\0"s,
      "{\"a\0\":1}"s,
      "\0{}"s,
      R"({"a":01})",
      R"({"a":-01})",
      R"({"a":00})",
      R"({"a":+1})",
      R"({"a":1,})",
      R"({"a" 1})",
      R"({'a':1})",
      "[1,2]",
      R"("str")",
      "1",
      "",
      " ",
      "{",
      R"({"a":-})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":1e})",
      R"({"a":tru})",
      R"({"a":truex})",
      R"({"a":nul})",
      R"({"a":True})",
      "{\"a\":\"\x1f\"}",
      "{\"a\":\"\t\"}",
      R"({"a":1e400})",
      R"({"a":-1e400})",
      R"({"a":"\ud800"})",
      "{\"a\":\"\xff\"}",
      "{\"a\xc3\":1}",
      "\f{}",
      "{\"a\":1\f}",
      R"({"a":"\x"})",
      R"({"a":"unterminated)",
      R"({"a":1 "b":2})",
      R"({"a":[1,2})",
      R"({"a":{})",
      R"({,})",
      R"({:1})",
      R"({"a":})",
      R"({"a"})",
      "\xef\xbb{}",
      "\xef\xbb\xbf\xef\xbb\xbf{}",
  };
  return corpus;
}

TEST(AuthJwtJson, TheScannerAndParseJsonObjectAgreeOnEveryTrickyInput) {
  int flat = 0;
  for (const std::string& text : Corpus()) flat += Compare(text).flat;
  EXPECT_GT(flat, 10) << "the plain subset is taken by the scanner";
  // Deeply nested, valid: stays with the reference.
  EXPECT_TRUE(Compare("{\"a\":" + std::string(500, '[') + std::string(500, ']') + "}").accepted);
}

TEST(AuthJwtJson, WhatSkiffIssuesTakesTheScannerAndTrickyKeysDoNot) {
  EXPECT_TRUE(Compare(R"({"alg":"HS256","kid":"k","typ":"JWT"})").flat);
  EXPECT_TRUE(Compare(R"({"iss":"ws","aud":"svc","iat":1,"nbf":1,"exp":2})").flat);
  // Keys that collide only once unescaped are refused, as nlohmann's path refuses them.
  for (const char* t : {R"({"a":1,"\u0061":2})", R"({"alg":"HS256","\u0061lg":"none"})"}) {
    const Outcome o = Compare(t);
    EXPECT_FALSE(o.accepted) << t;
    EXPECT_FALSE(o.flat) << t;
  }
  // An escaped name is still its member: "\u0061lg" is alg.
  JwtObject o;
  ASSERT_TRUE(o.Parse(R"({"\u0061lg":"HS256"})"));
  EXPECT_FALSE(o.took_flat_path());
  EXPECT_EQ(Copy(o.fields().alg), std::optional<std::string>("HS256"));
  // Floats are not integers, big integers only up to INT64_MAX.
  ASSERT_TRUE(
      o.Parse(R"({"exp":1700000000.0,"nbf":9223372036854775807,"iat":9223372036854775808})"));
  EXPECT_EQ(o.fields().exp, std::nullopt);
  EXPECT_EQ(o.fields().nbf, std::optional<int64_t>(INT64_MAX));
  EXPECT_EQ(o.fields().iat, std::nullopt);
}

// Seeded mutations of the corpus (byte flips, inserts, deletes, splices):
// thousands of near-valid inputs, the same answer both ways. The seed is
// fixed, so a failure replays.
TEST(AuthJwtJson, TheyAgreeOnSeededMutations) {
  std::mt19937 rng(20261207);
  const std::vector<std::string>& corpus = Corpus();
  const std::string alphabet = "{}[]\":,\\u0aAeE.-+ \t\n\x00\x7f\xc3\xef\xbb\xbf"s;
  int flat = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 4) {
        case 0:
          if (at < text.size()) text[at] = c;
          break;
        case 1:
          text.insert(at, 1, c);
          break;
        case 2:
          if (at < text.size()) text.erase(at, 1);
          break;
        default: {
          const std::string& other = corpus[rng() % corpus.size()];
          const std::size_t from = other.empty() ? 0 : rng() % other.size();
          text.insert(at, other.substr(from, 1 + rng() % 8));
        }
      }
    }
    flat += Compare(text).flat;
    if (::testing::Test::HasFailure()) break;  // one replayable failure, not thousands
  }
  EXPECT_GT(flat, 100);
}

// The verifier on top: a token whose header uses an escaped key name, or a
// payload with a float exp, is refused or accepted exactly as before.
TEST(AuthJwtJson, TheVerifierReadsTheSameClaimsThroughEitherPath) {
  SigningKeySet keys;
  keys.active_kid = "k1";
  keys.keys["k1"] = SigningKey::FromHmacSecret("k1", std::string(32, 'K'));
  const SigningKey* key = keys.Find("k1");
  JwtExpectations expect;
  expect.issuer = "ws";
  expect.audience = "svc";
  expect.now = testing::kT0;
  auto verify = [&](const std::string& header, const std::string& payload) {
    return VerifyJwt(testing::MakeToken(header, payload, key), keys, expect).status().ToString();
  };
  const std::string claims =
      testing::Payload("ws", "svc", testing::kT0, testing::kT0, testing::kT0 + 60);
  EXPECT_EQ(verify(R"({"alg":"HS256","kid":"k1"})", claims), "OK");
  EXPECT_EQ(verify(R"({"\u0061lg":"HS256","kid":"k\u0031"})", claims), "OK");
  EXPECT_NE(verify(R"({"alg":"HS256","kid":"k1","\u006bid":"k2"})", claims)
                .find("header is not one JSON object without duplicate keys"),
            std::string::npos);
  EXPECT_NE(
      verify(R"({"alg":"HS256","kid":"k1"})",
             R"({"iss":"ws","aud":"svc","iat":1700000000,"nbf":1700000000,"exp":1700000060.0})")
          .find("exp, nbf and iat must be integers"),
      std::string::npos);
  EXPECT_NE(verify(R"({"alg":"HS256","kid":"k1","crit":["exp"]})", claims).find("'crit'"),
            std::string::npos);
  EXPECT_NE(
      verify(
          R"({"alg":"HS256","kid":"k1"})",
          R"({"iss":"ws","aud":"svc","iat":1700000000,"nbf":1700000000,"exp":1700000060,"exp":1})")
          .find("payload is not one JSON object without duplicate keys"),
      std::string::npos);
}

}  // namespace
}  // namespace skiff::auth
