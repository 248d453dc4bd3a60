// SPDX-License-Identifier: Apache-2.0
// JSON written as YAML that loads back as the same JSON, for every room that
// prints YAML: the CLI's `-o yaml` and compute-aks's Kubernetes objects
// (`--dry-run`, kubectl apply). One rule for scalars, so no user string
// ("yes", "0x1F", "~", "12:30") turns into another type in one of them.
// Library skiff_yaml (yaml-cpp, nlohmann_json); the core never includes a
// plugin, and a plugin may link this like any core library.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace YAML {
class Emitter;
}

namespace skiff::yaml {

// True when a YAML 1.1 or 1.2 loader would read `s`, written plain, as
// something other than a string: null ("~", "null", ""), a boolean ("yes",
// "off", "y"), a number ("0x1F", "1e3", ".inf", "0o17") or a sexagesimal
// ("12:30"). Such strings are double-quoted. Strings that cannot be plain at
// all (": ", " #", leading spaces, "- x") yaml-cpp quotes by itself.
bool ReadsAsAnotherType(const std::string& s);

// Emits `value` into `out` (a map, a sequence or a scalar; the caller opens
// documents and sets the indent). Strings: quoted as above; a multi-line
// string ending in exactly one newline is a literal block ("|"), any other
// multi-line string is double-quoted with \n escapes. Numbers and booleans
// are plain, null is `~`.
void EmitJson(YAML::Emitter& out, const nlohmann::json& value);
void EmitJson(YAML::Emitter& out, const nlohmann::ordered_json& value);

}  // namespace skiff::yaml
