// URL-safe base64 without padding (RFC 4648 §5, as JWS and skiff keys use it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::auth {

std::string Base64UrlEncode(std::string_view bytes);

// Strict decoding: only [A-Za-z0-9_-], no padding, no whitespace, and unused
// trailing bits must be zero (one encoding per byte string). nullopt otherwise.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace skiff::auth
