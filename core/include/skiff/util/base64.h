// SPDX-License-Identifier: Apache-2.0
// Base64 (RFC 4648), strict: the one codec for skiff keys and JWS (url
// alphabet) and for Azure's kubeconfigs and Kubernetes' `*-data` fields
// (standard alphabet). Standard library only: lives in skiff_abi.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff {

enum class Base64Alphabet {
  kStandard,  // §4: A-Z a-z 0-9 + /, padded with '=' to a multiple of 4
  kUrl,       // §5: A-Z a-z 0-9 - _, never padded (JWS, skiff keys)
};

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet);

// Exactly one text decodes to each byte string: characters of `alphabet`
// only (no whitespace), kStandard's padding required and kUrl's refused, and
// unused trailing bits zero. nullopt otherwise. kSkipAsciiWhitespace is for
// input that may legitimately carry whitespace (a YAML value folded over
// lines: Azure's kubeconfigs, Kubernetes' `*-data`): space, tab, CR and LF
// are dropped first and the rest is decoded as strictly.
enum class Base64Whitespace { kRefuse, kSkipAsciiWhitespace };
std::optional<std::string> Base64Decode(std::string_view text, Base64Alphabet alphabet,
                                        Base64Whitespace whitespace = Base64Whitespace::kRefuse);

}  // namespace skiff
