// SPDX-License-Identifier: Apache-2.0
// The JWT JSON scanner (plugins/auth/jwt_json.h) against the parser it
// stands in front of: JwtObject::Parse (scanner first, ParseJsonObject when
// it steps aside) and JwtObject::ParseReference (ParseJsonObject only) must
// accept and refuse the same texts and read the same fields; the scanner
// alone must never accept what the reference refuses. Traps on a difference.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jwt_json.h"

namespace {

bool Same(const skiff::auth::JwtObjectFields& a, const skiff::auth::JwtObjectFields& b) {
  return a.has_crit == b.has_crit && a.alg == b.alg && a.kid == b.kid && a.iss == b.iss &&
         a.aud == b.aud && a.exp == b.exp && a.nbf == b.nbf && a.iat == b.iat;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  skiff::auth::JwtObject reference;
  const bool ref_ok = reference.ParseReference(text);
  skiff::auth::JwtObject parsed;
  const bool ok = parsed.Parse(text);
  if (ok != ref_ok) __builtin_trap();
  if (ok && !Same(parsed.fields(), reference.fields())) __builtin_trap();
  skiff::auth::JwtObjectFields flat;
  if (skiff::auth::ParseFlatJwtObject(text, &flat) &&
      (!ref_ok || !Same(flat, reference.fields()))) {
    __builtin_trap();
  }
  return 0;
}
