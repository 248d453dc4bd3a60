// SPDX-License-Identifier: Apache-2.0
#include "skiff/util/base64.h"

#include <array>
#include <cstdint>

namespace skiff {
namespace {

constexpr char kStandardChars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeReverse(const char* chars) {
  std::array<int8_t, 256> r{};
  for (auto& v : r) v = -1;
  for (int i = 0; i < 64; ++i) r[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr std::array<int8_t, 256> kStandardReverse = MakeReverse(kStandardChars);
constexpr std::array<int8_t, 256> kUrlReverse = MakeReverse(kUrlChars);

}  // namespace

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet) {
  const char* chars = alphabet == Base64Alphabet::kUrl ? kUrlChars : kStandardChars;
  const bool pad = alphabet == Base64Alphabet::kStandard;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += chars[(v >> 18) & 63];
    out += chars[(v >> 12) & 63];
    out += chars[(v >> 6) & 63];
    out += chars[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  const uint32_t v = (p[i] << 16) | (rest == 2 ? p[i + 1] << 8 : 0);
  out += chars[(v >> 18) & 63];
  out += chars[(v >> 12) & 63];
  if (rest == 2) out += chars[(v >> 6) & 63];
  if (pad) out.append(3 - rest, '=');
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64Alphabet alphabet,
                                        Base64Whitespace whitespace) {
  if (whitespace == Base64Whitespace::kSkipAsciiWhitespace) {
    std::string compact;
    compact.reserve(text.size());
    for (char c : text) {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') compact += c;
    }
    return Base64Decode(compact, alphabet, Base64Whitespace::kRefuse);
  }
  if (alphabet == Base64Alphabet::kStandard) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pads = 0;
    while (pads < 2 && pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
    text.remove_suffix(pads);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  const auto& reverse = alphabet == Base64Alphabet::kUrl ? kUrlReverse : kStandardReverse;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t v = reverse[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits (2 or 4) must be zero, otherwise two texts decode alike.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace skiff
