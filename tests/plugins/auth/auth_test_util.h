// Shared helpers for the auth tests: a temp directory, a settable clock and
// hand-made tokens for attack cases.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base64url.h"
#include "default_authenticator.h"

namespace skiff::auth::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-auth-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr int64_t kT0 = 1'700'000'000;

// A token from raw header and payload JSON text, signed by `key` (or with
// the given raw signature when `key` is null).
inline std::string MakeToken(const std::string& header, const std::string& payload,
                             const SigningKey* key, const std::string& raw_signature = "") {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  std::string sig = raw_signature;
  if (key != nullptr) {
    auto s = key->Sign(input);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) sig = *s;
  }
  return input + "." + Base64UrlEncode(sig);
}

inline std::string Payload(const std::string& iss, const std::string& aud, int64_t iat, int64_t nbf,
                           int64_t exp) {
  return "{\"iss\":\"" + iss + "\",\"aud\":\"" + aud + "\",\"iat\":" + std::to_string(iat) +
         ",\"nbf\":" + std::to_string(nbf) + ",\"exp\":" + std::to_string(exp) + "}";
}

inline std::string Header(const std::string& alg, const std::string& kid,
                          const std::string& extra = "") {
  return "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"" + extra + "}";
}

}  // namespace skiff::auth::testing
