// SPDX-License-Identifier: Apache-2.0
// Strings a YAML writer must quote or escape to load back unchanged, for the
// tests of every YAML writer (the core's JSON-to-YAML rule, the CLI's
// `-o yaml`, compute-aks's Kubernetes YAML).
#pragma once

#include <string>
#include <vector>

namespace skiff::testing {

// Written plain, a YAML 1.1 or 1.2 loader would read these as null, a
// boolean or a number: they must come back as quoted scalars.
inline const std::vector<std::string>& YamlOtherTypeStrings() {
  static const std::vector<std::string> kStrings = {
      "yes",  "no",   "on",    "off",  "y",     "N",    "Yes",   "OFF",   "true", "False",
      "null", "Null", "~",     "",     "0x1F",  "0o17", "017",   "0b101", "1e3",  "-1.5",
      ".5",   "+1",   "1_000", ".inf", "-.Inf", ".NaN", "12:30", "080"};
  return kStrings;
}

// Strings with YAML syntax in them (indicators, comments, leading or
// trailing blanks, line breaks): they must come back unchanged.
inline const std::vector<std::string>& YamlSyntaxStrings() {
  static const std::vector<std::string> kStrings = {
      ": ",          "a: b",   "key:",    "#",      "# c",   "a #b",     " lead", "trail ",
      "- x",         "-",      "[a]",     "{a: 1}", "&a",    "*a",       "!t",    "|",
      "> x",         "%x",     "@x",      "`x",     "'q'",   "\"dq\"",   "? x",   ",",
      "multi\nline", "ends\n", "two\n\n", "\n",     "\ttab", "cr\r\nlf", "ünï ✓"};
  return kStrings;
}

}  // namespace skiff::testing
