// SPDX-License-Identifier: Apache-2.0
// ServerStatus: what a running skiff-server reports about its configuration
// to the compute target that runs it: the generation it serves and the last
// one it refused, with the reason. skiff-server writes it (its config's
// `statusFile`); a compute target reads it in GetState() so that a refused
// change reaches the control plane at once instead of after a timeout.
// The one owner of the file's format: both sides use Parse()/Serialize().
// Standard library only (lives in skiff_abi beside atomic_file.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "skiff/status.h"

namespace skiff {

struct ServerStatus {
  // The generation of the configuration the server serves; -1 before it
  // loaded one.
  int64_t applied_generation = -1;
  // The last generation it was asked to load and refused (it kept serving
  // applied_generation); -1 if none since it started.
  int64_t refused_generation = -1;
  // Why, in the server's words (one line, no secrets: config errors only).
  std::string refusal;
};

// Text form: "applied <n>\nrefused <n>\nrefusal <one line>\n".
std::string SerializeServerStatus(const ServerStatus& status);
// kDataLoss naming what is wrong for anything but Serialize's output.
StatusOr<ServerStatus> ParseServerStatus(std::string_view text);

// Replaces `path` atomically, mode 0600 (WriteFileAtomically).
Status WriteServerStatus(const std::string& path, const ServerStatus& status);
// kNotFound when the file does not exist (no server wrote one yet).
StatusOr<ServerStatus> ReadServerStatus(const std::string& path);

}  // namespace skiff
