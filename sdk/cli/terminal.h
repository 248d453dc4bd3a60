// SPDX-License-Identifier: Apache-2.0
// Whether the CLI may redraw lines and use colour: only on a terminal, and
// colour never when NO_COLOR is set (https://no-color.org), as az does.
#pragma once

#include <string>

namespace skiff::cli {

// True when `fd` is a terminal.
bool IsTerminal(int fd);

// True when `fd` is a terminal and NO_COLOR is unset or empty.
bool UseColor(int fd);

// `text` wrapped in the ANSI SGR `code` ("31" red, "32" green, "33" yellow,
// "36" cyan, "1" bold) when `color`, else `text` unchanged.
std::string Colored(const std::string& text, const char* code, bool color);

}  // namespace skiff::cli
