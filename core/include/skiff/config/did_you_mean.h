// SPDX-License-Identifier: Apache-2.0
// Typo suggestions: unknown config keys ("did you mean `minReplicas`?") and
// unknown CLI commands ("did you mean `service`?").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::config {

// The candidate closest to `word` by case-insensitive edit distance, when it
// is close enough to be a likely typo (at most 1 edit for short words, up to 3
// for long ones); nullopt otherwise.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace skiff::config
