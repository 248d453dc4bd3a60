// Lower-case hex SHA-256, for tests that configure key digests.
#pragma once

#include <openssl/sha.h>

#include <string>

namespace skiff::testing {

inline std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace skiff::testing
