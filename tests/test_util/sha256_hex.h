// SPDX-License-Identifier: Apache-2.0
// Tests name skiff::Sha256Hex as skiff::testing::Sha256Hex (key digests).
#pragma once

#include "skiff/util/sha256.h"

namespace skiff::testing {
using skiff::Sha256Hex;
}  // namespace skiff::testing
