// SPDX-License-Identifier: Apache-2.0
#include "terminal.h"

#include <unistd.h>

#include <cstdlib>

namespace skiff::cli {

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

bool UseColor(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return IsTerminal(fd);
}

std::string Colored(const std::string& text, const char* code, bool color) {
  if (!color) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

}  // namespace skiff::cli
