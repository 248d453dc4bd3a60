// SPDX-License-Identifier: Apache-2.0
// Internal: checks made on a plugin file before it is ever loaded.
#pragma once

#include <string>

#include "skiff/status.h"

namespace skiff::plugin_host_internal {

// OK, or the one-line reason the file must not be loaded: not a regular
// file, group- or world-writable, or not an ELF shared library.
Status CheckPluginFile(const std::string& path);

// Splits "libskiff_<kind>_<name>.so" into kind and name; false otherwise.
bool ParsePluginFileName(const std::string& file_name, std::string* kind, std::string* name);

}  // namespace skiff::plugin_host_internal
